package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/report"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/web"
)

// The web lab's experiments run the CLI's (experiments.go) over the
// server's one store and runner, so that their runs take turns with every
// other measured run the server serves.

func (b *webBackend) RunExperiment(ctx context.Context, req web.ExperimentRequest, h web.ExperimentHooks) (web.ExperimentOutcome, error) {
	out := web.ExperimentOutcome{Kind: req.Kind, Seed: req.Seed}
	if out.Seed == 0 {
		// From the clock, below 2^53 so that a browser can give it back
		// exactly to repeat the experiment.
		out.Seed = uint64(time.Now().UnixNano()) & (1<<53 - 1)
	}
	var arms []experiment.Arm
	switch req.Kind {
	case web.ExperimentBatch:
	case web.ExperimentAblate:
		arms = append(arms, experiment.Arm{Name: experiment.Bare, Spec: middleware.Spec{User: req.Run.User}, Describe: "the user's query alone"})
		for _, a := range req.Arms {
			arms = append(arms, experiment.Arm{Name: a.Name, Spec: middleware.Spec{System: a.System, Context: a.Context, Injections: a.Injections, User: req.Run.User},
				Describe: describeArm(a)})
		}
		if len(arms) < 2 {
			return out, web.BadRequest("add a system prompt, a conversation context or an injection", "the overhead study needs at least one middleware configuration")
		}
	default:
		return out, web.BadRequest(`"kind" is "batch" or "ablate"`, "unknown experiment kind %q", req.Kind)
	}
	cfg, err := b.runConfig(req.Run)
	if err != nil {
		return out, err
	}
	x, err := newExperiment(ctx, cfg, b.db, b.r, req.Kind)
	if err != nil {
		return out, webErr(err)
	}
	out.ID = x.id
	ef := expFlags{runs: req.Runs, warmup: req.Warmup, cooldown: req.Cooldown, includeFlagged: req.IncludeFlagged, nonce: req.Nonce, seed: out.Seed}
	if err := ef.check(); err != nil {
		return out, webErr(err)
	}
	logf := func(s string) {
		if h.Log != nil {
			h.Log(s)
		}
	}
	var names []string
	for _, a := range arms {
		names = append(names, a.Name)
	}
	eh := expHooks{
		run: runHooks{
			warn: func(s string) { logf("warning: " + s) },
			// Of a run's own progress lines, only the waits matter here.
			log: func(s string) {
				if strings.HasPrefix(s, "queued") || strings.HasPrefix(s, "waiting") {
					logf(s)
				}
			},
		},
		ready: func(total int) {
			if h.Ready != nil {
				h.Ready(web.ExperimentReady{ID: x.id, Kind: req.Kind, Model: cfg.Model, Total: total, Seed: out.Seed, Arms: names})
			}
		},
		progress: h.Progress,
	}
	base := runSpec{preset: req.Run.Preset, seed: req.Run.Seed, topP: req.Run.TopP, think: req.Run.Think, ignoreEOS: req.Run.IgnoreEOS}
	var n int
	if req.Kind == web.ExperimentBatch {
		var res experiment.BatchResult
		res, err = x.batch(ctx, base, middlewareSpecOf(req.Run), ef, eh)
		out.Result, out.Stopped, n = res, res.Stopped, len(res.Outcomes)
	} else {
		var res experiment.AblationResult
		res, err = x.ablate(ctx, base, arms, ef, eh)
		out.Result, out.Stopped, n = res, res.Stopped, len(res.Outcomes)
	}
	_, unsaved := errors.AsType[notStoredError](err)
	out.Stored = n > 0 && !unsaved
	return out, webErr(err)
}

// describeArm says what an arm's middleware is.
func describeArm(a web.ExperimentArm) string {
	var parts []string
	if a.System != "" {
		parts = append(parts, fmt.Sprintf("system prompt (%d characters)", len(a.System)))
	}
	if a.Context != "" {
		parts = append(parts, fmt.Sprintf("conversation context (%d characters)", len(a.Context)))
	}
	if n := len(a.Injections); n == 1 {
		parts = append(parts, "1 injection")
	} else if n > 1 {
		parts = append(parts, fmt.Sprintf("%d injections", n))
	}
	return strings.Join(parts, " + ")
}

func (b *webBackend) Experiments(ctx context.Context, limit int) ([]web.ExperimentRow, error) {
	es, err := b.db.ListExperiments(ctx, limit)
	if err != nil {
		return nil, err
	}
	rows := make([]web.ExperimentRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, web.ExperimentRow{ID: e.ID, Kind: e.Kind, CreatedAt: e.CreatedAt.Format(time.RFC3339Nano), Summary: e.Summary})
	}
	return rows, nil
}

func (b *webBackend) Experiment(ctx context.Context, id string) (web.ExperimentRow, error) {
	e, err := b.db.GetExperiment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return web.ExperimentRow{}, web.NotFound("GET /api/experiments lists the stored experiments", "no experiment %q is stored", id)
	}
	if err != nil {
		return web.ExperimentRow{}, err
	}
	return web.ExperimentRow{ID: e.ID, Kind: e.Kind, CreatedAt: e.CreatedAt.Format(time.RFC3339Nano), Summary: e.Summary, Result: json.RawMessage(e.Result)}, nil
}

// Report is the report of an experiment or a session.
func (b *webBackend) Report(ctx context.Context, experiment, session string) (report.Document, error) {
	if experiment != "" {
		if _, err := b.Experiment(ctx, experiment); err != nil {
			return report.Document{}, err
		}
	}
	d, err := subject{experiment: experiment, session: session}.document(ctx, b.db)
	return d, webErr(err)
}

// Calibrate is the original's /api/rapl-calibrate: the calibrate command's
// designed set, run while the request waits, and the fitted row.
func (b *webBackend) Calibrate(ctx context.Context, model string, runs int) (any, error) {
	cfg := b.currentConfig()
	if model != "" {
		cfg.Model = model
	}
	x, err := newExperiment(ctx, cfg, b.db, b.r, "calibrate")
	if err != nil {
		return nil, webErr(err)
	}
	mc, err := chooseMeter(cfg, b.r.bs[x.info.Provider])
	if err != nil {
		return nil, webErr(err)
	}
	if mc.meter == nil {
		return nil, web.BadRequest("calibrate a model that runs on this host (builtin/..., or ollama/... on loopback) with a meter (GET /api/meters)",
			"%s cannot be calibrated here: %s", cfg.Model, mc.note)
	}
	ef := expFlags{runs: runs, nonce: true}
	if err := ef.check(); err != nil {
		return nil, webErr(err)
	}
	c, err := x.calibrate(ctx, ef, expHooks{run: runHooks{}})
	if c.stopped || (err != nil && ctx.Err() != nil) {
		return nil, &web.Error{Status: http.StatusServiceUnavailable,
			Msg:  fmt.Sprintf("stopped before the designed set was complete: nothing was fitted; the %d finished runs are stored in session %s", len(c.outs), x.id),
			Hint: "POST /api/rapl-calibrate again, or run energylab calibrate -model " + cfg.Model}
	}
	if err != nil {
		return nil, webErr(err)
	}
	row := c.row
	bench := map[string]any{
		"family": row.Family, "name": row.ID, "id": row.Family + "/" + row.ID, "model": row.Model,
		"boundary": row.Boundary, "boundary_note": row.BoundaryNote, "hardware": row.Hardware,
		"input_wh_per_1000_tokens": row.InputWhPer1k(), "output_wh_per_1000_tokens": row.OutputWhPer1k(), "fixed_wh": row.FixedWh,
		"method": row.Method, "note": row.Note,
	}
	if f := row.Fit; f != nil {
		bench["host"], bench["runs"] = f.Host, f.Runs
		bench["prefill_r2"], bench["decode_r2"] = f.PrefillR2, f.DecodeR2
		bench["prefill_fixed_wh"], bench["decode_fixed_wh"] = f.PrefillFixedWh, f.DecodeFixedWh
		bench["prefill_residual_sd_wh"], bench["decode_residual_sd_wh"] = f.PrefillResidualSDWh, f.DecodeResidualSDWh
	}
	if cv := row.Coverage; cv != nil {
		bench["coverage"] = map[string]int{"input_min": cv.InputMin, "input_max": cv.InputMax, "output_min": cv.OutputMin, "output_max": cv.OutputMax}
	}
	return map[string]any{
		"success": true, "experiment_id": x.id, "model": cfg.Model, "runs": len(c.outs), "fitted_runs": c.points,
		"meter": mc.note, "benchmark": bench,
		"message": fmt.Sprintf("calibrated benchmark %s/%s saved from %d runs; select it with POST /api/switch-benchmark {\"family\": \"calibrated\"}", row.Family, row.ID, c.points),
		"note":    "this request waits for the whole designed set (9 runs per repetition): for long series use `energylab calibrate` or a /ws/experiment socket",
	}, nil
}
