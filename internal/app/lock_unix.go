//go:build unix

package app

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// measureLock serialises measurements between energylab processes on one
// host: RAPL and the machine-wide CPU model see every process's work, so
// two runs measured at once would each count the other's energy. It takes
// an exclusive flock on path, calling wait once if another process holds it,
// and gives up when ctx ends. The lock is released by the returned function
// (and by the kernel if the process dies).
func measureLock(ctx context.Context, path string, wait func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	waited := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if !waited && wait != nil {
			wait()
			waited = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
