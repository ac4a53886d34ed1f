package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool runs data-parallel loops on up to Threads goroutines. It holds no
// goroutines between calls, so it needs no Close; a Pool is safe for
// concurrent use by several callers.
type Pool struct {
	threads int
}

// NewPool returns a pool of threads workers; threads <= 0 means
// runtime.GOMAXPROCS(0).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Pool{threads: threads}
}

// Threads returns the number of workers; worker indices passed to For are
// below it.
func (p *Pool) Threads() int { return p.threads }

// For splits [0, n) into consecutive ranges of grain items (the last one may
// be shorter) and calls fn(worker, lo, hi) for each range, on up to Threads
// goroutines that take ranges in turn. worker identifies the calling
// goroutine (0 ≤ worker < Threads) so that fn can use per-worker scratch
// memory. For returns when every range is done. Which worker computes which
// range varies from call to call, so fn's results must not depend on it.
func (p *Pool) For(n, grain int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	workers := min(p.threads, chunks)
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var next atomic.Int64
	run := func(w int) {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * grain
			fn(w, lo, min(lo+grain, n))
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
}
