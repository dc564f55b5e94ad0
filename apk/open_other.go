//go:build !unix

package apk

import "os"

// openRead opens path for reading.
func openRead(path string) (*os.File, error) { return os.Open(path) }

// rawFile is a file opened for reading.
type rawFile struct{ *os.File }

func openRaw(path string) (rawFile, error) {
	f, err := os.Open(path)
	return rawFile{f}, err
}

// dirOpener opens files by their whole path.
type dirOpener struct{}

func (*dirOpener) openRaw(path string) (rawFile, error) { return openRaw(path) }

func (*dirOpener) close() {}
