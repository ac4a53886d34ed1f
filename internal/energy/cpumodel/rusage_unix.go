//go:build unix

package cpumodel

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// selfSource reads this process's CPU time with getrusage(RUSAGE_SELF).
type selfSource struct{}

func newSelfSource() (source, error) { return selfSource{}, nil }

func (selfSource) cpuTime(context.Context) (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
