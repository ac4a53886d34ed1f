package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs data-parallel loops on up to Threads workers. Its Threads-1
// helper goroutines persist between calls: a decode step makes about two
// hundred short matrix products, and starting goroutines for each one left
// a core idle for a good part of it. After a loop the helpers spin for a
// few microseconds (spinFor) waiting for the next one, then sleep until
// woken, so an idle pool uses no CPU. A Pool is safe for concurrent use: a
// call made while another holds the helpers runs on goroutines of its own.
// The helpers exit once the Pool is unreachable.
type Pool struct {
	threads int
	s       *poolState
}

// poolState is what the helpers share; it does not point back to the Pool,
// so that an unused Pool can be collected and its helpers stopped.
type poolState struct {
	mu      sync.Mutex // held by the For using the helpers
	start   sync.Once
	seq     atomic.Uint64
	job     atomic.Pointer[job]
	helpers []*helper
	quit    chan struct{}
}

type helper struct {
	wake     chan struct{}
	sleeping atomic.Bool
}

type job struct {
	n, grain, chunks int
	fn               func(worker, lo, hi int)
	next             atomic.Int64
	pending          atomic.Int32
}

// spinFor is how long an idle helper polls for the next loop before it
// sleeps. It covers the gaps between the matrix products of one forward
// pass (norms, rotary embedding, activation quantisation), not the time
// between requests.
const spinFor = 50 * time.Microsecond

// NewPool returns a pool of threads workers; threads <= 0 means
// runtime.GOMAXPROCS(0).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{threads: threads, s: &poolState{quit: make(chan struct{})}}
	if threads > 1 {
		runtime.AddCleanup(p, func(s *poolState) { close(s.quit) }, p.s)
	}
	return p
}

// Threads returns the number of workers; worker indices passed to For are
// below it.
func (p *Pool) Threads() int { return p.threads }

// For splits [0, n) into consecutive ranges of grain items (the last one may
// be shorter) and calls fn(worker, lo, hi) for each range, on up to Threads
// workers that take ranges in turn. worker identifies the calling worker
// (0 ≤ worker < Threads) so that fn can use per-worker scratch memory. For
// returns when every range is done. Which worker computes which range
// varies from call to call, so fn's results must not depend on it.
func (p *Pool) For(n, grain int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	if min(p.threads, chunks) <= 1 {
		fn(0, 0, n)
		return
	}
	j := &job{n: n, grain: grain, chunks: chunks, fn: fn}
	s := p.s
	if !s.mu.TryLock() {
		j.spawn(p.threads)
		return
	}
	defer s.mu.Unlock()
	s.start.Do(func() {
		s.helpers = make([]*helper, p.threads-1)
		for i := range s.helpers {
			h := &helper{wake: make(chan struct{}, 1)}
			s.helpers[i] = h
			go s.loop(i+1, h)
		}
	})
	j.pending.Store(int32(len(s.helpers)))
	s.job.Store(j)
	s.seq.Add(1)
	for _, h := range s.helpers {
		if h.sleeping.Load() {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
	j.run(0)
	for spins := 0; j.pending.Load() > 0; spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
}

// run takes ranges until none is left.
func (j *job) run(worker int) {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo := c * j.grain
		j.fn(worker, lo, min(lo+j.grain, j.n))
	}
}

// spawn runs the job on goroutines started for it (a concurrent caller's
// path).
func (j *job) spawn(threads int) {
	var wg sync.WaitGroup
	for w := 1; w < min(threads, j.chunks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.run(w)
		}()
	}
	j.run(0)
	wg.Wait()
}

// loop is a helper goroutine: it waits for a new job (spinning, then
// sleeping), takes ranges of it, and reports when it has no more.
func (s *poolState) loop(worker int, h *helper) {
	var seen uint64
	for {
		deadline := time.Now().Add(spinFor)
		for spins := 0; s.seq.Load() == seen; spins++ {
			if spins&63 == 63 && time.Now().After(deadline) {
				// Sleep. The flag is set before seq is read again, and For
				// sets seq before reading the flag, so one of the two sees
				// the other: a job is never missed. A stale wake-up only
				// makes the loop look at seq once more.
				h.sleeping.Store(true)
				if s.seq.Load() == seen {
					select {
					case <-h.wake:
					case <-s.quit:
						return
					}
				}
				h.sleeping.Store(false)
				deadline = time.Now().Add(spinFor)
			}
		}
		seen = s.seq.Load()
		j := s.job.Load()
		j.run(worker)
		j.pending.Add(-1)
	}
}
