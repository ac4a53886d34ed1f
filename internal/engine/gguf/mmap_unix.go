//go:build unix

package gguf

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the size bytes of fd read-only and shared, so that the pages
// of a multi-gigabyte model come from the page cache on demand and are
// never copied into the Go heap. It returns the function that unmaps them.
func mapFile(fd *os.File, size int64) ([]byte, func([]byte) error, error) {
	if size == 0 {
		// mmap rejects a zero length; an empty file fails in Parse.
		return nil, nil, nil
	}
	if size < 0 || int64(int(size)) != size {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to map", size)
	}
	b, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, syscall.Munmap, nil
}
