package metertest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// reads is the number of consecutive readings the monotonicity check takes,
// and each goroutine of the concurrency check.
const reads = 12

// RunConformance runs the conformance suite against the meters newMeter
// returns, one fresh meter per subtest. newMeter should arrange for the
// counters to move (a player writing a sysfs tree, CPU being burnt) and for
// its own cleanup with t.Cleanup. The subtests check that:
//
//   - Info has a name, a valid source, a boundary, a description, at least
//     one domain with unique non-empty IDs, states assumptions if modelled,
//     and returns the same description every time (and a copy: changing the
//     returned slices does not change the meter);
//   - Read returns one counter per domain, in Info order, with matching IDs,
//     within each domain's MaxEnergy;
//   - consecutive readings, spaced by the meter's UpdatePeriod (between 1 ms
//     and 20 ms), never go backwards except by a wrap the domain's MaxEnergy
//     explains;
//   - Read with a cancelled context returns an error wrapping
//     context.Canceled within a second;
//   - two goroutines can read at once (run the tests with -race).
func RunConformance(t *testing.T, newMeter func(t *testing.T) energy.Meter) {
	t.Helper()
	t.Run("Info", func(t *testing.T) {
		m := newMeter(t)
		info := m.Info()
		for _, p := range checkInfo(info) {
			t.Error(p)
		}
		if len(info.Domains) > 0 {
			info.Domains[0].ID += "-changed"
		}
		if len(info.Excluded) > 0 {
			info.Excluded[0] += "-changed"
		}
		if diff := cmp.Diff(m.Info(), m.Info()); diff != "" {
			t.Errorf("Info changed between two calls (-first +second):\n%s", diff)
		}
		if again := m.Info(); len(again.Domains) > 0 && again.Domains[0].ID == info.Domains[0].ID {
			t.Error("changing the Domains that Info returned changed the meter: Info must return a copy")
		}
	})

	t.Run("ReadMatchesInfo", func(t *testing.T) {
		m := newMeter(t)
		info := m.Info()
		r, err := m.Read(t.Context())
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for _, p := range checkReading(info, r) {
			t.Error(p)
		}
	})

	t.Run("Monotonic", func(t *testing.T) {
		m := newMeter(t)
		info := m.Info()
		gap := min(max(info.UpdatePeriod, time.Millisecond), 20*time.Millisecond)
		rs := readN(t, m, reads, gap)
		wraps := 0
		for i := 1; i < len(rs); i++ {
			probs, w := checkStep(info, rs[i-1], rs[i])
			wraps += w
			for _, p := range probs {
				t.Errorf("reading %d: %s", i, p)
			}
		}
		if wraps > 0 {
			t.Logf("%d counter wraps seen, each explained by MaxEnergy", wraps)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		m := newMeter(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		start := time.Now()
		_, err := m.Read(ctx)
		if took := time.Since(start); took > time.Second {
			t.Errorf("Read with a cancelled context took %v, want it to return promptly", took)
		}
		if err == nil {
			t.Fatal("Read with a cancelled context returned no error")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Read with a cancelled context: error %q does not wrap context.Canceled", err)
		}
	})

	t.Run("ConcurrentReads", func(t *testing.T) {
		m := newMeter(t)
		info := m.Info()
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				var prev energy.Reading
				for i := range reads {
					r, err := m.Read(t.Context())
					if err != nil {
						t.Errorf("goroutine %d, read %d: %v", g, i, err)
						return
					}
					for _, p := range checkReading(info, r) {
						t.Errorf("goroutine %d, read %d: %s", g, i, p)
					}
					if i > 0 {
						probs, _ := checkStep(info, prev, r)
						for _, p := range probs {
							t.Errorf("goroutine %d, read %d: %s", g, i, p)
						}
					}
					prev = r
				}
			})
		}
		wg.Wait()
	})
}

// readN takes n readings gap apart, failing the test on an error or a
// reading that does not match the meter's description.
func readN(t *testing.T, m energy.Meter, n int, gap time.Duration) []energy.Reading {
	t.Helper()
	info := m.Info()
	rs := make([]energy.Reading, 0, n)
	for i := range n {
		if i > 0 {
			time.Sleep(gap)
		}
		r, err := m.Read(t.Context())
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		for _, p := range checkReading(info, r) {
			t.Errorf("read %d: %s", i, p)
		}
		rs = append(rs, r)
	}
	return rs
}
