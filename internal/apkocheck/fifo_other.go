//go:build !unix

package apkocheck

import "errors"

func mkfifo(string) error { return errors.New("named pipes need a unix system") }
