package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// Trial is one request of an experiment.
type Trial struct {
	// Index counts the experiment's trials from 0, warm-ups included.
	Index int `json:"index"`
	// Arm is the configuration's name ("" in a batch).
	Arm    string `json:"arm,omitempty"`
	Warmup bool   `json:"warmup,omitempty"`
	// Spec is the prompt, its nonce already applied.
	Spec middleware.Spec `json:"-"`
	// MaxTokens overrides the run's output cap (0: the configured one).
	MaxTokens int `json:"max_tokens,omitempty"`
}

// Runner measures and stores one trial. It returns the stored record (any
// status), or an error when nothing could be run: an error stops the
// experiment.
type Runner func(ctx context.Context, t Trial) (lab.Record, error)

// Progress is reported after every trial.
type Progress struct {
	Done, Total int
	Arm         string
	Warmup      bool
	Elapsed     time.Duration
	// ETA extrapolates the mean time per trial so far.
	ETA  time.Duration
	Last *lab.Record
}

// Outcome is one trial's result as an experiment sees it.
type Outcome struct {
	Trial    Trial      `json:"trial"`
	ID       string     `json:"id"`
	Status   lab.Status `json:"status"`
	Excluded string     `json:"excluded,omitempty"`
	// Gap is the lab's own time before this trial: from the end of the
	// previous trial's run to the start of this one's (cool-down excluded).
	GapMs float64 `json:"gap_ms"`
	// RunMs is the run's measured window.
	RunMs  float64    `json:"run_ms"`
	Record lab.Record `json:"-"`
}

// Options common to experiments.
type Options struct {
	// Warmup trials run first and are discarded (they load the model and
	// settle caches and clocks).
	Warmup int
	// Cooldown waits between trials.
	Cooldown time.Duration
	// IncludeFlagged keeps runs whose quality flags make them unreliable
	// (warn severity); by default they are excluded and counted.
	IncludeFlagged bool
	// Nonce starts every trial's first message with a unique line so that
	// no server can answer it from a prompt cache: each run pays its own
	// prefill.
	Nonce bool
	// Seed orders interleaved trials and seeds the bootstrap.
	Seed uint64
	// Progress, when set, is called after every trial.
	Progress func(Progress)
	// Stats configures the bootstrap.
	Stats stats.Options
}

// Exclusion says why a run is left out of the statistics ("" = kept).
func Exclusion(r lab.Record, includeFlagged bool) string {
	switch {
	case r.Status != lab.StatusOK:
		return string(r.Status)
	case r.Energy.TotalWh == nil:
		return "no energy figure"
	case r.Tokens.Output == 0:
		return lab.FlagNoTokens
	}
	if !includeFlagged {
		for _, f := range r.Flags {
			if f.Severity == lab.Warn {
				return f.Code
			}
		}
	}
	return ""
}

// nonce returns a short unique first line for trial i of experiment id
// (the end of the ID is random).
func nonce(id string, i int) string { return fmt.Sprintf("[%s.%d]\n", id[max(0, len(id)-6):], i) }

// withNonce starts the spec's first message with n: the system prompt when
// there is one (or a context or injection, which go into it), else the
// user's query.
func withNonce(s middleware.Spec, n string) middleware.Spec {
	if s.System != "" || s.Context != "" || len(s.Injections) > 0 {
		s.System = n + s.System
	} else {
		s.User = n + s.User
	}
	return s
}

// loop runs trials in order, with cool-downs and progress, and stops at the
// first error or when ctx ends; it returns the outcomes so far and whether
// it stopped early.
func loop(ctx context.Context, run Runner, trials []Trial, opt Options) (outs []Outcome, stopped bool, err error) {
	start := time.Now()
	var lastEnd time.Time
	for i, t := range trials {
		if ctx.Err() != nil {
			return outs, true, nil
		}
		if i > 0 && opt.Cooldown > 0 {
			tm := time.NewTimer(opt.Cooldown)
			select {
			case <-ctx.Done():
				tm.Stop()
				return outs, true, nil
			case <-tm.C:
			}
		}
		before := time.Now()
		rec, err := run(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return outs, true, nil
			}
			return outs, false, fmt.Errorf("trial %d: %w", t.Index+1, err)
		}
		o := Outcome{Trial: t, ID: rec.ID, Status: rec.Status, RunMs: rec.Timing.TotalMs, Record: rec,
			Excluded: Exclusion(rec, opt.IncludeFlagged)}
		if !lastEnd.IsZero() {
			// The lab's overhead between runs: wall time around the
			// run minus its measured window.
			o.GapMs = float64(time.Since(before))/float64(time.Millisecond) - rec.Timing.TotalMs
		}
		lastEnd = time.Now()
		outs = append(outs, o)
		if opt.Progress != nil {
			el := time.Since(start)
			eta := time.Duration(float64(el) / float64(i+1) * float64(len(trials)-i-1))
			opt.Progress(Progress{Done: i + 1, Total: len(trials), Arm: t.Arm, Warmup: t.Warmup, Elapsed: el, ETA: eta, Last: &outs[len(outs)-1].Record})
		}
		if rec.Status == lab.StatusCancelled && ctx.Err() != nil {
			return outs, true, nil
		}
	}
	return outs, false, nil
}
