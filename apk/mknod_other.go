//go:build !linux

package apk

import (
	"errors"
	"os"
)

func mknodIn(*os.Root, Entry) error {
	return errors.New("special files are only created on Linux")
}
