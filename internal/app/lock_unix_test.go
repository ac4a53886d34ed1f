//go:build unix

package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestMeasureLockSerialises(t *testing.T) {
	path := filepath.Join(t.TempDir(), "measure.lock")
	unlock, err := measureLock(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A second holder waits, is told so once, and gets the lock when the
	// first lets go.
	waits := 0
	got := make(chan time.Time)
	go func() {
		u2, err := measureLock(context.Background(), path, func() { waits++ })
		if err != nil {
			t.Error(err)
		}
		got <- time.Now()
		u2()
	}()
	time.Sleep(250 * time.Millisecond)
	released := time.Now()
	unlock()
	if at := <-got; at.Before(released) {
		t.Fatal("second holder got the lock while the first held it")
	}
	if waits != 1 {
		t.Errorf("wait callback ran %d times, want 1", waits)
	}

	// A holder that gives up when its context ends.
	unlock, _ = measureLock(context.Background(), path, nil)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := measureLock(ctx, path, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}
