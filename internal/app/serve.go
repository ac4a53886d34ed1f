package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab"
	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/estimate"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/preset"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/telemetry"
	"github.com/llm-energy-lab/energylab/internal/web"
)

// originFlag collects --origin patterns.
type originFlag []string

func (o *originFlag) String() string     { return strings.Join(*o, ",") }
func (o *originFlag) Set(s string) error { *o = append(*o, s); return nil }

func cmdServe(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8001", "address to listen on; beyond loopback an access token is required")
	token := fs.String("token", "", "access token required on every request (env ENERGYLAB_TOKEN)")
	var origins originFlag
	fs.Var(&origins, "origin", "another origin (host pattern) whose pages may open the WebSockets (repeatable)")
	cfg, err := loadConfig(env, fs, args, runSettings...)
	if err != nil {
		return err
	}
	if *token == "" {
		*token, _ = env.LookupEnv("ENERGYLAB_TOKEN")
	}
	if err := web.CheckListen(*listen, *token); err != nil {
		return hinted{usageError{err}, "energylab serve -listen 127.0.0.1:8001, or -token $(openssl rand -hex 16)"}
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return hinted{fmt.Errorf("open the store: %w", err), "energylab serve -db /path/to/another.db"}
	}
	defer db.Close()
	srv, _, err := newWebLab(cfg, env, db, web.Options{Token: *token, OriginPatterns: origins})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return hinted{fmt.Errorf("listen on %s: %w", *listen, err), "energylab serve -listen 127.0.0.1:8002 (another port)"}
	}
	base, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
	fmt.Fprintf(env.Stdout, "energylab web lab: http://%s/  (Energy Lab /energy, Comparison Lab /comparison, docs /docs; Ctrl-C stops)\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop: cancel the runs in progress (each is stored as cancelled and
	// its client told so), then close.
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	for srv.Active() > 0 && sctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// newWebLab builds the web lab over the configuration and an open store.
func newWebLab(cfg config.Config, env Env, db *store.DB, opt web.Options) (*web.Server, *webBackend, error) {
	r, err := newRunner(cfg, env, db)
	if err != nil {
		return nil, nil, err
	}
	r.metrics = telemetry.New()
	for _, m := range meterStatuses(cfg, r.bs["builtin"]) {
		r.metrics.SetMeter(m.Name, m.Status == "available")
	}
	opt.Metrics = r.metrics.Handler()
	b := &webBackend{cfg: cfg, env: env, r: r, db: db}
	if opt.Session == "" {
		opt.Session = "web-" + time.Now().UTC().Format("20060102T150405") + "-" + newID()[:6]
	}
	opt.Docs, opt.Version = energylab.README, buildVersion()
	s, err := web.New(b, opt)
	return s, b, err
}

// webBackend is the lab as the web server sees it.
type webBackend struct {
	cfg config.Config
	env Env
	r   *runner
	db  *store.DB
	// mu guards family, the estimate family /api/switch-benchmark chose
	// ("" = the configuration's or the stored setting).
	mu     sync.Mutex
	family string
}

// webErr turns the lab's errors into the web's client errors.
func webErr(err error) error {
	if err == nil {
		return nil
	}
	hint := ""
	if h, ok := errors.AsType[hinted](err); ok {
		hint = h.hint
	}
	var u usageError
	var ve config.ValidationError
	switch {
	case errors.As(err, &u), errors.As(err, &ve):
		return &web.Error{Status: http.StatusBadRequest, Msg: err.Error(), Hint: hint}
	case errors.Is(err, store.ErrNotFound):
		return &web.Error{Status: http.StatusNotFound, Msg: err.Error(), Hint: "GET /api/runs?session=all lists the stored runs"}
	case errors.Is(err, store.ErrAmbiguous):
		return &web.Error{Status: http.StatusBadRequest, Msg: err.Error()}
	case errors.Is(err, provider.ErrUnavailable):
		return &web.Error{Status: http.StatusBadGateway, Msg: err.Error(), Hint: hint}
	}
	if hint != "" {
		return &web.Error{Status: http.StatusInternalServerError, Msg: err.Error(), Hint: hint}
	}
	return err
}

func (b *webBackend) Health(ctx context.Context) any {
	out := map[string]any{}
	for _, n := range b.r.names {
		be := b.r.bs[n]
		st := map[string]any{"endpoint": be.endpoint, "local": be.local}
		switch {
		case be.missing != "":
			st["status"], st["reason"], st["hint"] = "not configured", be.missing, be.hint
		case !be.local:
			st["status"] = "configured (remote: not checked, not metered here)"
		default:
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := be.p.Models(c)
			cancel()
			if err != nil {
				st["status"], st["reason"], st["hint"] = "unavailable", err.Error(), startHint(n)
			} else {
				st["status"] = "ok"
			}
		}
		out[n] = st
	}
	return out
}

func (b *webBackend) Models(ctx context.Context, p string) (any, error) {
	names := b.r.names
	switch p {
	case "":
	case "local":
		names = []string{"builtin", "ollama"}
	case "cloud":
		names = []string{"groq"}
	default:
		if _, ok := b.r.bs[p]; !ok {
			return nil, web.BadRequest("provider is one of "+strings.Join(b.r.names, ", ")+", local or cloud", "unknown provider %q", p)
		}
		names = []string{p}
	}
	pms := listModels(ctx, b.r.bs, names)
	flat := []string{}
	for _, pm := range pms {
		for _, m := range pm.Models {
			flat = append(flat, m.Name)
		}
	}
	return map[string]any{"provider": p, "providers": pms, "models": flat, "current": map[string]string{"instruct": b.cfg.Model}}, nil
}

func (b *webBackend) ModelInfo(ctx context.Context, name string) (any, error) {
	_, info, err := resolve(ctx, b.r.bs, b.r.names, name)
	if err != nil {
		return nil, webErr(err)
	}
	return map[string]any{
		"model_name": info.Name, "context_length": info.ContextLength, "architecture": info.Family,
		"parameter_size": info.ParameterSize, "quantization": info.Quantization, "synthetic": info.Synthetic,
		"remote": info.Remote, "note": info.Note, "source": info.Provider, "info": info,
	}, nil
}

func (b *webBackend) Meters(ctx context.Context) (any, error) {
	out := map[string]any{"meters": meterStatuses(b.cfg, b.r.bs["builtin"]), "configured": b.cfg.Meter}
	if mc, err := chooseMeter(b.cfg, b.r.bs["builtin"]); err == nil {
		out["auto_note"] = mc.note
	} else {
		out["auto_note"] = err.Error()
	}
	return out, nil
}

func (b *webBackend) currentConfig() config.Config {
	cfg := b.cfg
	b.mu.Lock()
	if b.family != "" {
		cfg.Estimate.Family = b.family
	}
	b.mu.Unlock()
	return cfg
}

func (b *webBackend) EnergyBenchmarks(ctx context.Context, model string) (any, error) {
	fams, err := loadFamilies(ctx, b.db)
	if err != nil {
		return nil, err
	}
	sel, err := selection(ctx, b.currentConfig(), b.db)
	if err != nil {
		return nil, err
	}
	// The original's flat list, one entry per row, with its family's
	// boundary so unlike figures are never compared blind.
	type flatRow struct {
		Name        string  `json:"name"`
		Family      string  `json:"family"`
		Model       string  `json:"model"`
		Description string  `json:"description"`
		InputWh     float64 `json:"input_wh_per_1000_tokens"`
		OutputWh    float64 `json:"output_wh_per_1000_tokens"`
		FixedWh     float64 `json:"fixed_wh,omitempty"`
		Boundary    string  `json:"boundary"`
		Source      string  `json:"source"`
		Hardware    string  `json:"hardware_specs"`
	}
	flat := []flatRow{}
	for _, f := range fams {
		for _, r := range f.Rows {
			bd := string(r.Boundary)
			if bd == "" {
				bd = string(f.Boundary)
			}
			flat = append(flat, flatRow{Name: f.ID + "/" + r.ID, Family: f.ID, Model: r.Model, Description: firstLine(r.Note),
				InputWh: r.InputWhPer1k(), OutputWh: r.OutputWhPer1k(), FixedWh: r.FixedWh, Boundary: bd,
				Source: f.Source + " " + f.Version, Hardware: r.Hardware})
		}
	}
	out := map[string]any{"benchmarks": flat, "families": familySummaries(fams), "selected": sel.Family}
	if model != "" {
		out["matches"] = matchFamilies(fams, model, sel.Setting)
	}
	return out, nil
}

func familySummaries(fams []*estimate.Family) []map[string]any {
	out := []map[string]any{}
	for _, f := range fams {
		out = append(out, map[string]any{"id": f.ID, "name": f.Name, "source": f.Source, "url": f.URL, "version": f.Version,
			"boundary": f.Boundary, "pue_included": f.PUEIncluded, "hardware": f.Hardware, "method": f.Method,
			"formula": f.Formula, "rows": len(f.Rows)})
	}
	return out
}

func (b *webBackend) BenchmarkInfo(ctx context.Context) (any, error) {
	fams, err := loadFamilies(ctx, b.db)
	if err != nil {
		return nil, err
	}
	sel, err := selection(ctx, b.currentConfig(), b.db)
	if err != nil {
		return nil, err
	}
	grid, gerr := gridFactor(b.cfg)
	co2 := map[string]any{"grid": grid, "pue": b.cfg.PUE,
		"calculation": "g CO2e = Wh x grid factor (kg CO2e/kWh = g/Wh) x PUE (PUE 1 where a family's figures already include it)"}
	if gerr != nil {
		co2["absent_reason"] = gerr.Error()
	}
	return map[string]any{"families": familySummaries(fams), "selected": sel.Family, "co2_info": co2}, nil
}

func (b *webBackend) SwitchBenchmark(ctx context.Context, session, family string) (any, error) {
	if family != harness.FamilyAuto {
		fams, err := loadFamilies(ctx, b.db)
		if err != nil {
			return nil, err
		}
		if _, err := lookupFamily(fams, family); err != nil {
			return nil, web.BadRequest("GET /api/benchmark-info lists the families", "%v", err)
		}
	}
	b.mu.Lock()
	b.family = family
	b.mu.Unlock()
	if err := b.db.SetSetting(ctx, settingFamily, family); err != nil {
		return nil, err
	}
	sel, err := selection(ctx, b.currentConfig(), b.db)
	if err != nil {
		return nil, err
	}
	recs, err := b.SessionRecords(ctx, session)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		grid, gridErr := gridOfRecord(recs[i])
		harness.ApplyEstimate(&recs[i], sel, grid, gridErr, recs[i].Manifest.PUE)
		if err := b.db.UpdateRun(ctx, &recs[i]); err != nil {
			return nil, err
		}
	}
	return map[string]any{"benchmark_used": family, "recalculated_runs": len(recs),
		"note": "estimates recalculated; measured and modelled figures are unchanged", "summary": web.Summarise(session, recs)}, nil
}

func (b *webBackend) AddCustomBenchmark(ctx context.Context, c web.CustomBenchmark) (any, error) {
	if c.InputWh == nil || c.OutputWh == nil {
		msg := "give input_wh_per_1000_tokens and output_wh_per_1000_tokens"
		if c.WhPer1k != nil {
			msg = "watt_hours_per_1000_tokens alone is ambiguous (per input or output token?): the lab does not invent a split, so give input_wh_per_1000_tokens and output_wh_per_1000_tokens"
		}
		return nil, web.BadRequest(`{"name": "my-gpu", "input_wh_per_1000_tokens": 0.05, "output_wh_per_1000_tokens": 0.4, "boundary": "gpu"}`, "%s", msg)
	}
	note := c.Description
	if c.Source != "" {
		note = strings.TrimSpace(note + " (source: " + c.Source + ")")
	}
	row, err := estimate.NewCustom(estimate.Custom{Name: c.Name, InputWhPer1k: *c.InputWh, OutputWhPer1k: *c.OutputWh,
		Boundary: estimate.Boundary(c.Boundary), BoundaryText: c.Description, Hardware: c.Hardware, Note: note})
	if err != nil {
		return nil, web.BadRequest("boundary is one of "+boundaryList()+", or describe it in \"description\"", "%v", err)
	}
	existing, err := b.db.Benchmarks(ctx, row.Family)
	if err != nil {
		return nil, err
	}
	for _, e := range existing {
		if e.Name == row.ID {
			return nil, &web.Error{Status: http.StatusConflict, Msg: fmt.Sprintf("Benchmark %q already exists", row.ID), Hint: "energylab benchmarks rm custom/" + row.ID + ", or choose another name"}
		}
	}
	if err := saveRow(ctx, b.db, row); err != nil {
		return nil, err
	}
	return map[string]any{"success": true, "message": fmt.Sprintf("Custom benchmark '%s' added", row.ID), "name": "custom/" + row.ID, "method": row.Method}, nil
}

func (b *webBackend) SystemPrompts(ctx context.Context) (any, error) {
	user, err := userPresets(b.cfg)
	if err != nil {
		return nil, webErr(err)
	}
	out := []map[string]string{}
	for _, set := range [][]preset.Preset{preset.Builtin(), user} {
		for _, p := range set {
			out = append(out, map[string]string{"id": p.Name, "name": p.Name, "source": p.Source, "description": preset.Describe(p.Name), "content": p.Content})
		}
	}
	return map[string]any{"prompts": out, "presets_dir": b.cfg.PresetsDir}, nil
}

func (b *webBackend) Emissions(ctx context.Context) (any, error) {
	return map[string]any{"emissions": carbon.All(), "default": b.cfg.Grid}, nil
}

func (b *webBackend) Runs(ctx context.Context, q web.RunQuery) ([]web.RunRow, int, error) {
	f := store.RunFilter{Session: q.Session, Model: q.Model, Status: q.Status, Limit: q.Limit, Offset: q.Offset}
	sums, err := b.db.ListRuns(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	n, err := b.db.CountRuns(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]web.RunRow, 0, len(sums))
	for _, s := range sums {
		rows = append(rows, web.RunRow{ID: s.ID, CreatedAt: s.CreatedAt.Format(time.RFC3339Nano), Status: string(s.Status), Model: s.Model,
			Session: s.Session, EnergySource: string(s.EnergySource), Meter: s.Meter, InputTokens: s.InputTokens, OutputTokens: s.OutputTokens,
			TotalWh: s.TotalWh, PrefillWh: s.PrefillWh, DecodeWh: s.DecodeWh, GCO2e: s.GCO2e, TTFTMs: s.TTFTMs, TotalMs: s.TotalMs, Error: s.Error})
	}
	return rows, n, nil
}

func (b *webBackend) Run(ctx context.Context, id string) (lab.Record, error) {
	rec, err := b.db.GetRun(ctx, id)
	return rec, webErr(err)
}

func (b *webBackend) DeleteRun(ctx context.Context, id string) error {
	return webErr(b.db.DeleteRun(ctx, id))
}

// maxExport bounds a session export.
const maxExport = 10000

func (b *webBackend) SessionRecords(ctx context.Context, session string) ([]lab.Record, error) {
	return sessionRecords(ctx, b.db, session)
}

func (b *webBackend) Measure(ctx context.Context, req web.RunRequest, h web.Hooks) (lab.Record, error) {
	cfg, err := b.runConfig(req)
	if err != nil {
		return lab.Record{}, err
	}
	rs := runSpec{cfg: cfg, preset: req.Preset, seed: req.Seed, topP: req.TopP, think: req.Think, ignoreEOS: req.IgnoreEOS, session: req.Session,
		spec: middlewareSpecOf(req)}
	rec, err := b.r.run(ctx, rs, runHooks{event: h.Event, log: h.Log, warn: func(s string) { h.Log("warning: " + s) }, prepared: h.Prepared})
	return rec, webErr(err)
}

// runConfig is the server's configuration with a request's settings.
func (b *webBackend) runConfig(req web.RunRequest) (config.Config, error) {
	cfg := b.currentConfig()
	cfg.Model = req.Model
	if req.Temperature != nil {
		cfg.Run.Temperature = *req.Temperature
	}
	if req.MaxTokens != nil {
		cfg.Run.MaxTokens = *req.MaxTokens
	}
	if req.Meter != "" {
		cfg.Meter = req.Meter
	}
	if req.Family != "" {
		cfg.Estimate.Family = req.Family
	}
	if req.Grid != "" {
		cfg.Grid, cfg.GridFactor = req.Grid, 0
	}
	if req.GridFactor != nil {
		cfg.GridFactor = *req.GridFactor
	}
	if req.PUE != nil {
		cfg.PUE = *req.PUE
	}
	if err := cfg.Validate(); err != nil {
		return cfg, webErr(err)
	}
	return cfg, nil
}

func middlewareSpecOf(req web.RunRequest) middleware.Spec {
	return middleware.Spec{System: req.System, Context: req.Context, Injections: req.Injections, User: req.User}
}
