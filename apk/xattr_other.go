//go:build !linux

package apk

import (
	"errors"
	"os"
)

// readXattrs is a no-op where pestle does not read extended attributes.
func readXattrs(string) (map[string]string, error) { return nil, nil }

func setXattr(*os.File, string, string) error {
	return errors.New("extended attributes are only supported on Linux")
}
