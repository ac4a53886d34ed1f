package rapl

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// errTooLong marks a file longer than its size cap.
var errTooLong = errors.New("file longer than expected")

// Size caps for the files this package reads. sysfs reports every attribute
// as 4096 bytes long, so the size it states is not trusted; a file longer
// than its cap is an error, not a truncated value.
const (
	// maxNumberFile bounds energy_uj and max_energy_range_uj: a uint64 in
	// decimal is at most 20 digits plus a newline.
	maxNumberFile = 32
	// maxNameFile bounds a zone's name file ("package-0-die-1\n").
	maxNameFile = 64
)

// readFunc reads at most limit bytes of the file at path. It is a field of
// Meter so that tests can inject faults (a permission error while running
// as root, where chmod does not stop reads).
type readFunc func(path string, limit int) ([]byte, error)

// readFileCapped reads the whole file at path, failing if it holds more than
// limit bytes.
func readFileCapped(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, limit+1)
	n, err := io.ReadFull(f, buf)
	switch err {
	case nil:
		return nil, fmt.Errorf("read %s: %w (more than %d bytes)", path, errTooLong, limit)
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], nil
	default:
		return nil, err
	}
}
