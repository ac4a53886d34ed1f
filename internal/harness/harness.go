package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/sampler"
)

// Marks of the three snapshots.
const (
	MarkStart      = "start"
	MarkFirstToken = "first_token"
	MarkEnd        = "end"
)

// EventKind says what an Event carries.
type EventKind string

// Event kinds.
const (
	EventLog      EventKind = "log"
	EventToken    EventKind = "token"
	EventThinking EventKind = "thinking"
	EventMark     EventKind = "mark"
	EventPower    EventKind = "power"
)

// Event is something that happened during a run, for live display.
type Event struct {
	Kind EventKind
	Time time.Time
	// Text is the log line or the token text.
	Text string
	// Mark is the snapshot's mark for EventMark.
	Mark string
	// Watts is the mean power since the previous reading, for EventPower.
	Watts float64
}

// BaselineCache keeps idle baselines between runs (and processes).
type BaselineCache interface {
	// Load returns the newest undisturbed baseline for key taken at or
	// after notBefore.
	Load(ctx context.Context, key string, notBefore time.Time) (lab.Baseline, bool, error)
	// Save stores a baseline under key.
	Save(ctx context.Context, key string, b lab.Baseline) error
}

// Config says how to measure.
type Config struct {
	// Meter is the meter to read; nil means the run is not metered (a cloud
	// API), and only timing and tokens are recorded.
	Meter energy.Meter
	// PollInterval is the background poll period between snapshots; it
	// must be short enough to see every counter wrap. 0 disables polling.
	PollInterval time.Duration
	// BaselineWindow is the length of the idle sample; 0 skips the
	// baseline, and active energy is then absent.
	BaselineWindow time.Duration
	// BaselineSamples is how many sub-samples the window is cut into to
	// judge whether it was disturbed.
	BaselineSamples int
	// BaselineMaxAge is how long a baseline is reused.
	BaselineMaxAge time.Duration
	// BaselineKey identifies what a cached baseline must match (meter,
	// domains, target, model state).
	BaselineKey string
	// Cache stores baselines; nil measures every time.
	Cache BaselineCache
	// ModelLoaded says whether the model is resident while the baseline is
	// sampled.
	ModelLoaded bool
	// OnEvent receives live events; it must not block for long.
	OnEvent func(Event)
}

// Defaults for Config fields left zero by DefaultConfig callers.
const (
	DefaultPollInterval    = 250 * time.Millisecond
	DefaultBaselineWindow  = time.Second
	DefaultBaselineSamples = 10
	DefaultBaselineMaxAge  = 5 * time.Minute
)

// Result is what one run produced, before it becomes a record.
type Result struct {
	Status lab.Status
	// Err is the stream's or the meter's error for failed and cancelled
	// runs.
	Err   error
	Usage provider.Usage
	// Start, FirstToken and End are the snapshot instants; FirstToken is
	// zero when no token arrived.
	Start, FirstToken, End time.Time
	// Snapshots are the marked readings (none without a meter).
	Snapshots []sampler.Snapshot
	Timeline  sampler.Timeline
	MeterInfo *energy.Info
	// Baseline is the idle sample used, nil when none.
	Baseline *lab.Baseline
	// BaselineNote says why there is no baseline, or that sampling it
	// failed.
	BaselineNote string
	// ChunkTimes are the arrival times of chunks that carried text.
	ChunkTimes     []time.Time
	ThinkingChunks int
	AnswerChunks   int
	Text           string
	Thinking       string
}

// Run measures one request. It never returns a result that claims success
// without a completed stream: a stream error gives StatusFailed, a cancelled
// context StatusCancelled, each with the energy and counts up to that point.
// An error is returned only when nothing was measured at all (the meter
// could not be read at the start).
func Run(ctx context.Context, cfg Config, p provider.Provider, req provider.Request) (Result, error) {
	var res Result
	emit := func(e Event) {
		if cfg.OnEvent != nil {
			if e.Time.IsZero() {
				e.Time = time.Now()
			}
			cfg.OnEvent(e)
		}
	}
	logf := func(format string, a ...any) { emit(Event{Kind: EventLog, Text: fmt.Sprintf(format, a...)}) }

	var smp *sampler.Sampler
	if cfg.Meter != nil {
		info := cfg.Meter.Info()
		res.MeterInfo = &info
		b, note, err := baseline(ctx, cfg, logf)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("idle baseline: %w", ctx.Err())
			}
			note = "idle baseline failed: " + err.Error()
			logf("%s", note)
		}
		res.Baseline, res.BaselineNote = b, note
		smp = sampler.New(cfg.Meter, cfg.PollInterval)
		if cfg.OnEvent != nil {
			smp.OnSample = func(s sampler.Sample) {
				emit(Event{Kind: EventPower, Time: s.Time, Watts: s.Power.Watts()})
			}
		}
		s0, err := smp.Start(ctx)
		if err != nil {
			return res, fmt.Errorf("read %s meter at the start of the request: %w", info.Name, err)
		}
		res.Start = s0.Time
	} else {
		res.Start = time.Now()
	}
	emit(Event{Kind: EventMark, Mark: MarkStart, Time: res.Start})

	var text, thinking strings.Builder
	var markErr error
	onChunk := func(c provider.Chunk) error {
		if c.Content == "" && c.Thinking == "" {
			return nil
		}
		now := time.Now()
		if res.FirstToken.IsZero() {
			if smp != nil {
				s1, err := smp.Mark(ctx, MarkFirstToken)
				if err != nil {
					markErr = err
					return fmt.Errorf("read meter at the first token: %w", err)
				}
				now = s1.Time
			}
			res.FirstToken = now
			emit(Event{Kind: EventMark, Mark: MarkFirstToken, Time: now})
		}
		res.ChunkTimes = append(res.ChunkTimes, now)
		if c.Thinking != "" {
			res.ThinkingChunks++
			thinking.WriteString(c.Thinking)
			emit(Event{Kind: EventThinking, Text: c.Thinking, Time: now})
		}
		if c.Content != "" {
			res.AnswerChunks++
			text.WriteString(c.Content)
			emit(Event{Kind: EventToken, Text: c.Content, Time: now})
		}
		return nil
	}
	usage, streamErr := p.Stream(ctx, req, onChunk)
	res.Usage = usage

	endCtx := context.WithoutCancel(ctx)
	if smp != nil {
		s2, err := smp.Mark(endCtx, MarkEnd)
		res.Timeline = smp.Stop()
		if err != nil {
			res.End = time.Now()
			if streamErr == nil {
				streamErr = fmt.Errorf("read meter at the end of the request: %w", err)
			}
		} else {
			res.End = s2.Time
		}
		res.Snapshots = smp.Marks()
	} else {
		res.End = time.Now()
	}
	emit(Event{Kind: EventMark, Mark: MarkEnd, Time: res.End})
	res.Text, res.Thinking = text.String(), thinking.String()

	switch {
	case streamErr == nil:
		res.Status = lab.StatusOK
	case ctx.Err() != nil && errors.Is(streamErr, context.Canceled):
		res.Status, res.Err = lab.StatusCancelled, streamErr
	default:
		if markErr != nil && !errors.Is(streamErr, markErr) {
			streamErr = fmt.Errorf("%w (meter: %v)", streamErr, markErr)
		}
		res.Status, res.Err = lab.StatusFailed, streamErr
	}
	return res, nil
}

// baseline reuses a cached idle sample or takes a new one.
func baseline(ctx context.Context, cfg Config, logf func(string, ...any)) (*lab.Baseline, string, error) {
	if cfg.BaselineWindow <= 0 {
		return nil, "idle baseline disabled", nil
	}
	if cfg.Cache != nil && cfg.BaselineMaxAge > 0 {
		b, ok, err := cfg.Cache.Load(ctx, cfg.BaselineKey, time.Now().Add(-cfg.BaselineMaxAge))
		if err != nil {
			logf("could not read cached idle baseline: %v", err)
		} else if ok {
			b.Reused = true
			logf("idle baseline %.2f W reused from %s ago", b.Watts, time.Since(b.TakenAt).Round(time.Second))
			return &b, "", nil
		}
	}
	logf("sampling idle power for %s", cfg.BaselineWindow)
	b, err := MeasureBaseline(ctx, cfg.Meter, cfg.BaselineWindow, cfg.BaselineSamples)
	if err != nil {
		return nil, "", err
	}
	b.ModelLoaded = cfg.ModelLoaded
	msg := fmt.Sprintf("idle baseline %.2f W (CV %.2f)", b.Watts, b.CV)
	if b.Disturbed {
		msg += ": disturbed, not cached"
	}
	logf("%s", msg)
	if cfg.Cache != nil && !b.Disturbed {
		if err := cfg.Cache.Save(ctx, cfg.BaselineKey, b); err != nil {
			logf("could not cache idle baseline: %v", err)
		}
	}
	return &b, "", nil
}

// Disturbance thresholds of an idle sample: it is disturbed when its
// sub-samples' coefficient of variation exceeds DisturbedCV and their
// standard deviation exceeds DisturbedStdW (so that near-zero modelled idle
// power does not trip the ratio on noise).
const (
	DisturbedCV   = 0.25
	DisturbedStdW = 0.5
)

// MeasureBaseline samples idle power for window, cut into n sub-samples.
// Watts is the window's mean power (total energy / total time, all counted
// domains); CV is the population coefficient of variation of the
// sub-samples' mean powers.
func MeasureBaseline(ctx context.Context, m energy.Meter, window time.Duration, n int) (lab.Baseline, error) {
	if n < 1 {
		n = 1
	}
	s := sampler.New(m, 0)
	first, err := s.Start(ctx)
	if err != nil {
		return lab.Baseline{}, err
	}
	step := window / time.Duration(n)
	prev := first
	powers := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return lab.Baseline{}, ctx.Err()
		case <-t.C:
		}
		snap, err := s.Mark(ctx, "idle")
		if err != nil {
			return lab.Baseline{}, err
		}
		powers = append(powers, energy.PowerOf(snap.Total()-prev.Total(), snap.Time.Sub(prev.Time)).Watts())
		prev = snap
	}
	elapsed := prev.Time.Sub(first.Time)
	mean := energy.PowerOf(prev.Total(), elapsed).Watts()
	var sum, sq float64
	for _, p := range powers {
		sum += p
	}
	mu := sum / float64(len(powers))
	for _, p := range powers {
		sq += (p - mu) * (p - mu)
	}
	std := math.Sqrt(sq / float64(len(powers)))
	cv := 0.0
	if mu > 0 {
		cv = std / mu
	}
	return lab.Baseline{
		Watts:     mean,
		TakenAt:   first.Time,
		WindowMs:  float64(elapsed) / float64(time.Millisecond),
		CV:        cv,
		Disturbed: cv > DisturbedCV && std > DisturbedStdW,
	}, nil
}
