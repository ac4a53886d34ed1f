//go:build !unix

package gguf

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the size bytes of fd into memory, for systems where this
// package does not use mmap (Windows, Plan 9, WebAssembly). There is
// nothing to release.
func mapFile(fd *os.File, size int64) ([]byte, func([]byte) error, error) {
	if size < 0 || int64(int(size)) != size {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to read", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(fd, b); err != nil {
		return nil, nil, fmt.Errorf("read %d bytes: %w", size, err)
	}
	return b, nil, nil
}
