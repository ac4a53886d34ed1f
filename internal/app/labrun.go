package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/telemetry"
)

// runSpec is one run's request, whatever front end it came from (the run
// command's flags, a web lab socket).
type runSpec struct {
	// cfg holds the run's settings (model, meter, max tokens, temperature,
	// grid, PUE, estimate family, timeout); it has been validated.
	cfg    config.Config
	spec   middleware.Spec
	preset string
	seed   *int64
	topP   *float64
	think  *bool
	// ignoreEOS asks for exactly max-tokens tokens.
	ignoreEOS bool
	session   string
	// check validates the request (model, prompt size, meter) and returns
	// without running or storing anything: experiments check every
	// configuration before the first run.
	check bool
}

// runHooks are how a front end follows a run; nil hooks are skipped.
type runHooks struct {
	// event receives the harness's live events (tokens, logs, marks, power).
	event func(harness.Event)
	// log receives the lab's own progress lines (meter choice, loading).
	log func(string)
	// warn receives what the user must see even when quiet.
	warn func(string)
	// prepared is called once the request is valid, with the model and
	// the meter's note, before anything is measured.
	prepared func(info provider.ModelInfo, meterNote string)
}

// runner runs measured requests: the providers, the store and the gate that
// keeps measurements on this host one at a time.
type runner struct {
	bs    map[string]*backend
	names []string
	db    *store.DB
	// gate queues this process's measurements in arrival order before they
	// take the host-wide lock (measureLock), which only polls.
	gate chan struct{}
	// lockPath is the host-wide lock file.
	lockPath string
	// metrics, when set, counts every stored run (the web lab's /metrics).
	metrics *telemetry.Metrics
}

func newRunner(cfg config.Config, env Env, db *store.DB) (*runner, error) {
	bs, names, err := backends(cfg, env)
	if err != nil {
		return nil, err
	}
	return &runner{bs: bs, names: names, db: db, gate: make(chan struct{}, 1),
		lockPath: filepath.Join(filepath.Dir(cfg.DB), "measure.lock")}, nil
}

// run measures one request and stores it. It returns an error, with nothing
// stored, when the request is invalid or cannot be prepared; otherwise the
// stored record, whose Status says whether the run completed, failed or
// was cancelled (a run cancelled while queued or loading is stored as
// cancelled too, with its energy absent and why).
func (r *runner) run(ctx context.Context, rs runSpec, h runHooks) (lab.Record, error) {
	logf := func(format string, a ...any) {
		if h.log != nil {
			h.log(fmt.Sprintf(format, a...))
		}
	}
	cfg := rs.cfg
	composed, err := middleware.Compose(rs.spec)
	if err != nil {
		return lab.Record{}, usageError{err}
	}
	if rs.topP != nil && !(*rs.topP > 0 && *rs.topP <= 1) {
		return lab.Record{}, usagef("top_p %v: want a probability in (0, 1]", *rs.topP)
	}
	grid, gridErr := gridFactor(cfg)
	if gridErr != nil && !errors.Is(gridErr, carbon.ErrNoData) {
		return lab.Record{}, hinted{usageError{gridErr}, "a grid code from energylab's table (e.g. FR), or -grid-factor 0.25 for your own kg CO2e/kWh"}
	}
	b, info, err := resolve(ctx, r.bs, r.names, cfg.Model)
	if err != nil {
		return lab.Record{}, err
	}
	req := provider.Request{Model: info.Model, Messages: composed.Messages, Options: provider.Options{MaxTokens: cfg.Run.MaxTokens}}
	temp := cfg.Run.Temperature
	req.Options.Temperature = &temp
	req.Options.Seed, req.Options.TopP, req.Options.Think, req.Options.IgnoreEOS = rs.seed, rs.topP, rs.think, rs.ignoreEOS

	// Count the prompt where the lab has the model's tokenizer, and check
	// it fits before anything is measured.
	expected := -1
	tc, counts := b.p.(provider.TokenCounter)
	if counts {
		n, err := tc.CountPrompt(ctx, info.Model, req.Messages, req.Options)
		if err != nil {
			return lab.Record{}, fmt.Errorf("count prompt tokens: %w", err)
		}
		expected = n
	}
	// A model pulled into the local Ollama store carries its tokenizer:
	// count the parts of an ollama/ prompt with it (the template's share is
	// then Ollama's own prompt count minus the parts).
	textCounter, textModel, storeNote := tc, info.Model, ""
	if !counts && info.Provider == "ollama" {
		if bc, ok := r.bs["builtin"].p.(provider.TokenCounter); ok {
			if _, err := r.bs["builtin"].p.Describe(ctx, "ollama/"+info.Model); err == nil {
				textCounter, textModel = bc, "ollama/"+info.Model
				storeNote = "parts counted with the tokenizer of " + info.Model + " read from the local Ollama store; template = Ollama's prompt count minus the parts"
			}
		}
	}
	estimated := middleware.Estimate(composed, -1)
	estTotal := estimated.User + estimated.Middleware
	if textCounter != nil && expected < 0 {
		// Size Ollama's context from the exact count of the parts, plus a
		// margin for its template.
		if n, err := countParts(ctx, textCounter, textModel, composed); err == nil {
			estTotal = n + 64
		}
	}
	if err := checkContext(info, req.Options.MaxTokens, expected, estTotal); err != nil {
		return lab.Record{}, err
	}
	if info.Provider == "ollama" {
		req.Options.NumCtx = numCtx(info.ContextLength, estTotal, req.Options.MaxTokens)
	}
	mc, err := chooseMeter(cfg, b)
	if err != nil {
		return lab.Record{}, err
	}
	if rs.check {
		return lab.Record{}, nil
	}
	if mc.fallback != "" && h.warn != nil {
		h.warn(mc.fallback)
	}
	if h.prepared != nil {
		h.prepared(info, mc.note)
	}
	if info.Synthetic {
		logf("%s: synthetic weights, so the text is meaningless; the compute is real", info.Name)
	}
	logf("meter: %s", mc.note)

	newRecord := func() lab.Record {
		return lab.Record{
			ID: newID(), CreatedAt: time.Now().UTC(), Session: rs.session,
			Request: lab.RequestRecord{
				User: rs.spec.User, System: rs.spec.System, SystemPreset: rs.preset, Context: rs.spec.Context,
				Injections: rs.spec.Injections, Messages: req.Messages, Options: req.Options,
			},
		}
	}
	// stopped stores a run cancelled before its request was sent.
	stopped := func(preloaded bool, why string) (lab.Record, error) {
		rec := newRecord()
		rec.Status, rec.Error = lab.StatusCancelled, why
		rec.Model, rec.Provider = info.Name, info.Provider
		rec.Energy.AbsentReason = "cancelled before the request was sent: nothing was measured"
		rec.Carbon.AbsentReason = rec.Energy.AbsentReason
		rec.Flags, rec.Estimates = []lab.Flag{}, []lab.Estimate{}
		rec.Manifest = manifest(cfg, info, b, mc, grid, preloaded)
		if err := r.db.SaveRun(context.WithoutCancel(ctx), &rec); err != nil {
			return lab.Record{}, fmt.Errorf("store the cancelled run: %w", err)
		}
		r.observe(rec)
		return rec, nil
	}

	// One measurement at a time on this host, from the model load (which
	// is CPU work) to the end of the request: first in this process's
	// queue, then under the host-wide lock. A run no meter watches (a
	// cloud model, --meter none) needs neither.
	if mc.meter != nil {
		select {
		case r.gate <- struct{}{}:
		default:
			logf("queued: another run is being measured on this host (meters see the whole machine)")
			select {
			case r.gate <- struct{}{}:
			case <-ctx.Done():
				return stopped(false, "cancelled while queued behind another measurement")
			}
		}
		defer func() { <-r.gate }()
		unlock, err := measureLock(ctx, r.lockPath, func() {
			logf("waiting for another energylab measurement on this host to finish (meters see the whole machine)")
		})
		if err != nil {
			if ctx.Err() != nil {
				return stopped(false, "cancelled while waiting for another measurement on this host")
			}
			return lab.Record{}, fmt.Errorf("take the measurement lock: %w", err)
		}
		defer unlock()
	}

	preloaded := false
	if p, ok := b.p.(provider.Preparer); ok && cfg.Preload {
		logf("loading %s", info.Name)
		if err := p.Prepare(ctx, info.Model, req.Options); err != nil {
			if ctx.Err() != nil {
				return stopped(false, "cancelled while the model was loading")
			}
			return lab.Record{}, fmt.Errorf("load %s: %w", info.Name, err)
		}
		preloaded = true
	}

	runCtx := ctx
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, time.Duration(cfg.Timeout))
		defer cancel()
	}
	// Events come from the request's goroutine and the meter's poller:
	// the front end sees them one at a time.
	var (
		evMu        sync.Mutex
		power       []lab.PowerPoint
		start, last time.Time
		accJ, accS  float64
	)
	minWindow := max(time.Duration(cfg.PollInterval)/2, 10*time.Millisecond)
	if mc.meter != nil {
		minWindow = max(minWindow, 4*mc.meter.Info().UpdatePeriod)
	}
	hcfg := harness.Config{
		Meter:           mc.meter,
		PollInterval:    time.Duration(cfg.PollInterval),
		BaselineWindow:  time.Duration(cfg.Baseline.Window),
		BaselineSamples: cfg.Baseline.Samples,
		BaselineMaxAge:  time.Duration(cfg.Baseline.MaxAge),
		BaselineKey:     fmt.Sprintf("%s|model=%s|loaded=%v", mc.key, info.Name, preloaded),
		Cache:           baselineCache{r.db},
		ModelLoaded:     preloaded,
		OnEvent: func(e harness.Event) {
			evMu.Lock()
			defer evMu.Unlock()
			switch {
			case e.Kind == harness.EventMark && e.Mark == harness.MarkStart:
				start, last = e.Time, e.Time
			case e.Kind == harness.EventPower:
				// Readings closer together than the meter can resolve
				// (a mark just after a poll) give absurd powers: merge
				// them into windows of at least minWindow, energy-weighted.
				if start.IsZero() || !e.Time.After(last) {
					return
				}
				dt := e.Time.Sub(last).Seconds()
				accJ, accS, last = accJ+e.Watts*dt, accS+dt, e.Time
				if accS < minWindow.Seconds() {
					return
				}
				e.Watts = accJ / accS
				accJ, accS = 0, 0
				power = append(power, lab.PowerPoint{OffsetMs: float64(e.Time.Sub(start)) / float64(time.Millisecond), Watts: e.Watts})
			}
			if h.event != nil {
				h.event(e)
			}
		},
	}
	res, err := harness.Run(runCtx, hcfg, b.p, req)
	if err != nil {
		if ctx.Err() != nil {
			return stopped(preloaded, "cancelled before the request was sent: "+err.Error())
		}
		return lab.Record{}, err
	}

	prev := 0
	hash := store.PromptHash(lab.RequestRecord{Messages: req.Messages})
	if n, _, err := r.db.MaxPromptTokens(context.WithoutCancel(ctx), info.Name, hash); err == nil {
		prev = n
	}
	in := harness.Inputs{
		Model: info, Grid: grid, GridErr: gridErr, PUE: cfg.PUE,
		ExpectedPromptTokens: expected, EstimatedPromptTokens: estTotal, PreviousPromptTokens: prev,
		NotMetered: mc.note,
		Breakdown: func(promptTokens int) lab.Breakdown {
			if textCounter != nil {
				bd, err := middleware.Count(composed, promptTokens, func(s string) (int, error) {
					return textCounter.CountText(context.WithoutCancel(ctx), textModel, s)
				})
				if err == nil {
					bd.Note = storeNote
					return bd
				}
			}
			return middleware.Estimate(composed, promptTokens)
		},
	}
	rec := harness.Compute(res, in)
	if mc.fallback != "" {
		rec.Flags = append(rec.Flags, lab.Flag{Code: lab.FlagMeterFallback, Severity: lab.Warn, Message: mc.fallback})
	}
	if res.Status == lab.StatusFailed && errors.Is(res.Err, context.DeadlineExceeded) && ctx.Err() == nil {
		rec.Error = fmt.Sprintf("the request took longer than the timeout of %s: %v", cfg.Timeout, res.Err)
	}
	base := newRecord()
	rec.ID, rec.CreatedAt, rec.Session, rec.Request = base.ID, base.CreatedAt, base.Session, base.Request
	evMu.Lock()
	rec.Power = thin(power, lab.MaxPowerPoints)
	evMu.Unlock()
	rec.Manifest = manifest(cfg, info, b, mc, grid, preloaded)
	sel, err := selection(context.WithoutCancel(ctx), cfg, r.db)
	if err != nil {
		return lab.Record{}, fmt.Errorf("estimate families: %w", err)
	}
	harness.ApplyEstimate(&rec, sel, grid, gridErr, cfg.PUE)
	if err := r.db.SaveRun(context.WithoutCancel(ctx), &rec); err != nil {
		return lab.Record{}, fmt.Errorf("store the run: %w", err)
	}
	r.observe(rec)
	return rec, nil
}

func (r *runner) observe(rec lab.Record) {
	if r.metrics != nil {
		r.metrics.Observe(rec)
	}
}

// thin keeps at most n points of p, evenly spaced, always keeping the last.
func thin(p []lab.PowerPoint, n int) []lab.PowerPoint {
	if len(p) <= n || n < 2 {
		return p
	}
	out := make([]lab.PowerPoint, 0, n)
	for i := range n {
		out = append(out, p[i*(len(p)-1)/(n-1)])
	}
	return out
}
