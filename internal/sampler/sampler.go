package sampler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Snapshot is one marked reading.
type Snapshot struct {
	// Mark names the instant ("start", "first_token", "end").
	Mark string
	// Time is when the reading was taken.
	Time time.Time
	// Raw is the meter's reading as returned, wraps and all.
	Raw energy.Reading
	// Totals is the energy per domain ID since the sampler started, with
	// every wrap unfolded.
	Totals map[string]energy.Energy
}

// Total returns the sum of Totals over all domains.
func (s Snapshot) Total() energy.Energy {
	var t energy.Energy
	for _, e := range s.Totals {
		t += e
	}
	return t
}

// Sample is the mean power of all counted domains between two consecutive
// readings, marks and polls alike.
type Sample struct {
	Time  time.Time
	Power energy.Power
}

// Timeline is what the background poller saw.
type Timeline struct {
	Samples []Sample
	// Wraps is the number of counter wraps unfolded.
	Wraps int
	// Resets is the number of counters that went backwards unexplained.
	Resets int
	// MaxGap is the longest time between two consecutive readings.
	MaxGap time.Duration
	// Errors counts failed background reads; LastErr is the latest.
	Errors  int
	LastErr error
}

// Sampler polls one meter. Use New, then Start, Mark as often as needed,
// then Stop.
type Sampler struct {
	meter    energy.Meter
	interval time.Duration
	// OnSample, when set before Start, receives every new power sample.
	// It is called with the sampler's lock held: it must not block.
	OnSample func(Sample)

	mu       sync.Mutex
	acc      *energy.Accumulator
	last     time.Time
	lastTot  energy.Energy
	timeline Timeline
	marks    []Snapshot
	cancel   context.CancelFunc
	done     chan struct{}
	started  bool
}

// New returns a sampler that polls m every interval once started. An
// interval <= 0 disables background polling (marks only).
func New(m energy.Meter, interval time.Duration) *Sampler {
	return &Sampler{meter: m, interval: interval}
}

// ErrNotStarted is returned by Mark before Start.
var ErrNotStarted = errors.New("sampler not started")

// Start takes the "start" snapshot and starts the background poller.
func (s *Sampler) Start(ctx context.Context) (Snapshot, error) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return Snapshot{}, errors.New("sampler already started")
	}
	s.acc = energy.NewAccumulator(s.meter.Info().Domains)
	s.started = true
	s.mu.Unlock()
	snap, err := s.read(ctx, "start")
	if err != nil {
		return Snapshot{}, err
	}
	if s.interval > 0 {
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.cancel = cancel
		s.done = make(chan struct{})
		go s.poll(pctx)
	}
	return snap, nil
}

// Mark takes a named snapshot now.
func (s *Sampler) Mark(ctx context.Context, name string) (Snapshot, error) {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return Snapshot{}, ErrNotStarted
	}
	return s.read(ctx, name)
}

// Marks returns the snapshots marked so far, in order.
func (s *Sampler) Marks() []Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Snapshot(nil), s.marks...)
}

// Stop ends background polling and returns the timeline. It is safe to call
// more than once.
func (s *Sampler) Stop() Timeline {
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.timeline
	t.Samples = append([]Sample(nil), t.Samples...)
	if s.acc != nil {
		t.Wraps = s.acc.Wraps()
		t.Resets = s.acc.Resets()
	}
	return t
}

func (s *Sampler) poll(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.read(ctx, ""); err != nil && ctx.Err() == nil {
				s.mu.Lock()
				s.timeline.Errors++
				s.timeline.LastErr = err
				s.mu.Unlock()
			}
		}
	}
}

// read takes a reading and folds it in under the lock, so that readings are
// folded in the order they were taken. An empty mark is a background poll.
func (s *Sampler) read(ctx context.Context, mark string) (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.meter.Read(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	totals := s.acc.Add(r)
	var sum energy.Energy
	for _, e := range totals {
		sum += e
	}
	if !s.last.IsZero() {
		gap := r.Time.Sub(s.last)
		if gap > s.timeline.MaxGap {
			s.timeline.MaxGap = gap
		}
		if gap > 0 {
			smp := Sample{Time: r.Time, Power: energy.PowerOf(sum-s.lastTot, gap)}
			s.timeline.Samples = append(s.timeline.Samples, smp)
			if s.OnSample != nil {
				s.OnSample(smp)
			}
		}
	}
	s.last = r.Time
	s.lastTot = sum
	snap := Snapshot{Mark: mark, Time: r.Time, Raw: r, Totals: totals}
	if mark != "" {
		s.marks = append(s.marks, snap)
	}
	return snap, nil
}
