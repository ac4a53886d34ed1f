package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/energy/prom"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/preset"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/report"
	"github.com/llm-energy-lab/energylab/internal/store"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// providerModels is one provider's listing.
type providerModels struct {
	Provider string               `json:"provider"`
	Endpoint string               `json:"endpoint,omitempty"`
	Local    bool                 `json:"local"`
	Status   string               `json:"status"`
	Error    string               `json:"error,omitempty"`
	Hint     string               `json:"hint,omitempty"`
	Models   []provider.ModelInfo `json:"models"`
}

func cmdModels(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	only := fs.String("provider", "", "list only this provider's models")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := loadConfig(env, fs, args, "ollama-host", "openai-base-url", "groq-base-url", "threads", "models-dir", "ollama-models", "cache-dir")
	if err != nil {
		return err
	}
	bs, names, err := backends(cfg, env)
	if err != nil {
		return err
	}
	if *only != "" {
		if _, ok := bs[*only]; !ok {
			return usagef("unknown provider %q; providers: %s", *only, strings.Join(names, ", "))
		}
		names = []string{*only}
	}
	out := listModels(ctx, bs, names)
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, pm := range out {
		where := "local"
		if !pm.Local {
			where = "remote: not metered here"
		}
		if pm.Endpoint != "" {
			where += ", " + pm.Endpoint
		}
		fmt.Fprintf(tw, "%s (%s): %s\n", pm.Provider, where, pm.Status)
		if pm.Error != "" {
			fmt.Fprintf(tw, "  %s\n", pm.Error)
		}
		if pm.Hint != "" {
			fmt.Fprintf(tw, "  try: %s\n", pm.Hint)
		}
		for _, m := range pm.Models {
			ctxs := "?"
			if m.ContextLength > 0 {
				ctxs = fmt.Sprint(m.ContextLength)
			}
			note := m.Note
			if m.Synthetic && note == "" {
				note = "synthetic: meaningless text, real compute"
			}
			fmt.Fprintf(tw, "  %s\tctx %s\t%s\t%s\t%s\n", m.Name, ctxs, m.ParameterSize, m.Quantization, note)
		}
		tw.Flush()
	}
	return nil
}

// listModels asks each named provider for its models (10 s each).
func listModels(ctx context.Context, bs map[string]*backend, names []string) []providerModels {
	var out []providerModels
	for _, n := range names {
		b := bs[n]
		pm := providerModels{Provider: n, Endpoint: b.endpoint, Local: b.local, Status: "ok", Models: []provider.ModelInfo{}}
		switch {
		case b.missing != "":
			pm.Status, pm.Error, pm.Hint = "not configured", b.missing, b.hint
		default:
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			ms, err := b.p.Models(lctx)
			cancel()
			if err != nil {
				pm.Status, pm.Error = "unavailable", err.Error()
				if errors.Is(err, provider.ErrUnavailable) {
					pm.Hint = startHint(n)
				}
			} else {
				pm.Models = ms
			}
		}
		out = append(out, pm)
	}
	return out
}

// meterStatus is one meter's availability on this host.
type meterStatus struct {
	Name   string       `json:"name"`
	Status string       `json:"status"`
	Reason string       `json:"reason,omitempty"`
	Info   *energy.Info `json:"info,omitempty"`
	// Default is true for the meter auto selection picks for the embedded
	// engine.
	Default bool `json:"default"`
}

func cmdMeters(_ context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("meters", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := loadConfig(env, fs, args, "sysfs", "procfs", "rapl-domains", "tdp", "cores", "meter", "prom-url", "prom-server", "prom-preset", "prom-select")
	if err != nil {
		return err
	}
	bs, _, err := backends(cfg, env)
	if err != nil {
		return err
	}
	out := meterStatuses(cfg, bs["builtin"])
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	for _, s := range out {
		def := ""
		if s.Default {
			def = "  [used by default for builtin runs]"
		}
		fmt.Fprintf(env.Stdout, "%s: %s%s\n", s.Name, s.Status, def)
		if s.Reason != "" {
			fmt.Fprintf(env.Stdout, "  %s\n", s.Reason)
		}
		if i := s.Info; i != nil {
			fmt.Fprintf(env.Stdout, "  %s · boundary %s · resolution %s · counter updates every %s\n", i.Source, i.Boundary, i.Resolution, i.UpdatePeriod)
			for _, d := range i.Domains {
				rng := ""
				if d.MaxEnergy > 0 {
					rng = fmt.Sprintf(", wraps at %s", d.MaxEnergy)
				}
				fmt.Fprintf(env.Stdout, "  domain %s %s (%s%s)\n", d.ID, d.Name, d.Boundary, rng)
			}
			for _, x := range i.Excluded {
				fmt.Fprintf(env.Stdout, "  not counted: %s\n", x)
			}
			for _, a := range i.Assumptions {
				fmt.Fprintf(env.Stdout, "  assumption: %s\n", a)
			}
			if i.Description != "" {
				fmt.Fprintf(env.Stdout, "  %s\n", i.Description)
			}
		}
	}
	return nil
}

// meterStatuses lists every meter with its availability on this host, and
// marks the one auto selection picks for the embedded engine.
// builtin is the embedded engine's backend, whose default meter is marked.
func meterStatuses(cfg config.Config, builtin *backend) []meterStatus {
	var out []meterStatus
	add := func(name string, m energy.Meter, err error) {
		s := meterStatus{Name: name, Status: "available"}
		if err != nil {
			s.Status, s.Reason = "unavailable", err.Error()
		} else {
			i := m.Info()
			s.Info = &i
		}
		out = append(out, s)
	}
	rm, err := newRAPL(cfg)
	add("rapl", rm, err)
	for _, t := range []struct {
		name string
		t    cpumodel.Target
	}{
		{"cpu-model (this process)", cpumodel.Target{Kind: cpumodel.Self}},
		{"cpu-model (ollama processes)", cpumodel.Target{Kind: cpumodel.Processes, Names: ollamaProcesses}},
		{"cpu-model (whole machine)", cpumodel.Target{Kind: cpumodel.Machine}},
	} {
		m, err := newCPUModel(cfg, t.t)
		add(t.name, m, err)
	}
	if g, err := gpuMeter(); err == nil {
		add("nvml", g, nil)
	} else {
		add("nvml", nil, err)
	}
	if cfg.Prometheus.Server != "" {
		m, err := prom.NewQuery(context.Background(), prom.QueryOptions{Server: cfg.Prometheus.Server, Preset: cfg.Prometheus.Preset, Selector: cfg.Prometheus.Selector})
		add("promql", m, err)
	}
	if cfg.Prometheus.URL != "" {
		m, err := prom.New(context.Background(), prom.Options{URL: cfg.Prometheus.URL, Preset: cfg.Prometheus.Preset, Selector: cfg.Prometheus.Selector})
		add("prometheus", m, err)
	} else {
		out = append(out, meterStatus{Name: "prometheus", Status: "not configured",
			Reason: "give -prom-url (an exporter's /metrics: node_exporter, Scaphandre, Kepler, dcgm-exporter) and -prom-preset (" + strings.Join(prom.PresetNames(), ", ") + ")"})
	}
	if mc, err := chooseMeter(cfg, builtin); err == nil && mc.meter != nil {
		for i := range out {
			if out[i].Info != nil && key(mc.meter.Info()) == key(*out[i].Info) {
				out[i].Default = true
				break
			}
		}
	}
	return out
}

func cmdRuns(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	// "runs show ID -json": the ID may come before the flags.
	if (sub == "show" || sub == "chart" || sub == "rm") && len(args) > 1 && !strings.HasPrefix(args[0], "-") {
		args = append(args[1:], args[0])
	}
	fs := flag.NewFlagSet("runs "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	var limit *int
	var model, status, session, chartKind, out *string
	settings := []string{"db"}
	switch sub {
	case "list":
		limit = fs.Int("limit", 20, "how many runs to list (0 = all)")
		model = fs.String("model", "", "only runs of this model")
		status = fs.String("status", "", "only runs with this status (ok, failed, cancelled)")
		session = fs.String("session", "", "only runs of this session (a web lab server's, e.g. web-20261130T101500-1a2b3c)")
	case "chart":
		chartKind = fs.String("chart", "power", "which chart: power, breakdown or energy")
		out = fs.String("o", "", "write the SVG to this file (default: standard output)")
	case "recalc":
		model = fs.String("model", "", "only runs of this model")
		settings = append(settings, "family", "mlenergy-batch", "mlenergy-task")
	}
	cfg, err := loadConfig(env, fs, args, settings...)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	switch sub {
	case "list":
		if fs.NArg() > 0 {
			return usagef("runs list takes no arguments; to see one run: energylab runs show ID")
		}
		rs, err := db.ListRuns(ctx, store.RunFilter{Model: *model, Status: *status, Session: *session, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			if rs == nil {
				rs = []store.RunSummary{}
			}
			return writeJSON(env.Stdout, rs)
		}
		if len(rs) == 0 {
			fmt.Fprintf(env.Stdout, "no runs stored in %s yet: energylab run \"...\"\n", db.Path())
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWHEN\tMODEL\tSTATUS\tSOURCE\tIN\tOUT\tTOTAL Wh\tTTFT ms\tg CO2e")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, r.CreatedAt.Local().Format("2006-01-02 15:04:05"), r.Model, r.Status,
				r.EnergySource, r.InputTokens, r.OutputTokens, opt(r.TotalWh, "%.4g"), opt(r.TTFTMs, "%.0f"), opt(r.GCO2e, "%.3g"))
		}
		return tw.Flush()
	case "show":
		if fs.NArg() != 1 {
			return usagef("usage: energylab runs show ID")
		}
		rec, err := db.GetRun(ctx, fs.Arg(0))
		if err != nil {
			return runErr(err, fs.Arg(0), db.Path())
		}
		if *asJSON {
			return writeJSON(env.Stdout, rec)
		}
		printResponse(env.Stdout, rec)
		report.Run(env.Stdout, rec)
		return nil
	case "recalc":
		if fs.NArg() > 0 {
			return usagef("usage: energylab runs recalc [-family F] [-model M]")
		}
		return recalcRuns(ctx, env, db, cfg, *model)
	case "chart":
		if fs.NArg() != 1 {
			return usagef("usage: energylab runs chart ID [-chart power|breakdown|energy] [-o FILE.svg]")
		}
		rec, err := db.GetRun(ctx, fs.Arg(0))
		if err != nil {
			return runErr(err, fs.Arg(0), db.Path())
		}
		return writeChart(env, rec, *chartKind, *out)
	case "rm":
		if fs.NArg() != 1 {
			return usagef("usage: energylab runs rm ID (the full ID)")
		}
		if err := db.DeleteRun(ctx, fs.Arg(0)); err != nil {
			return runErr(err, fs.Arg(0), db.Path())
		}
		fmt.Fprintf(env.Stdout, "deleted run %s\n", fs.Arg(0))
		return nil
	}
	return usagef("unknown runs subcommand %q: want list, show, chart, rm or recalc", sub)
}

// writeChart renders one of a run's charts (the web lab's) as SVG, to a
// file written whole or not at all, or to standard output.
func writeChart(env Env, rec lab.Record, kind, path string) error {
	var buf bytes.Buffer
	var err error
	switch kind {
	case "power":
		err = report.PowerChart(rec).SVG(&buf)
	case "breakdown":
		err = report.BreakdownChart(rec).SVG(&buf)
	case "energy":
		err = report.EnergyChart(rec).SVG(&buf)
	default:
		return usagef("-chart %q: want power, breakdown or energy", kind)
	}
	if err != nil {
		return err
	}
	if path == "" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(env.Stderr, "wrote the %s chart of run %s to %s\n", kind, rec.ID, path)
	return nil
}

func runErr(err error, id, path string) error {
	const hint = "energylab runs (lists the stored runs and their IDs)"
	switch {
	case errors.Is(err, store.ErrNotFound):
		return hinted{usagef("no run %q in %s", id, path), hint}
	case errors.Is(err, store.ErrAmbiguous):
		return hinted{usageError{err}, hint}
	}
	return err
}

func printResponse(w io.Writer, rec lab.Record) {
	if rec.Response.Thinking != "" {
		fmt.Fprintf(w, "[thinking]\n%s\n[answer]\n", rec.Response.Thinking)
	}
	fmt.Fprintf(w, "%s\n\n", rec.Response.Text)
}

func opt(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func cmdPresets(_ context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("presets", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON, with each preset's content")
	cfg, err := loadConfig(env, fs, args, "presets-dir")
	if err != nil {
		return err
	}
	user, err := userPresets(cfg)
	if err != nil {
		return err
	}
	all := append(user, preset.Builtin()...)
	if *asJSON {
		return writeJSON(env.Stdout, all)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tCHARS\tDESCRIPTION")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Name, p.Source, len(p.Content), preset.Describe(p.Name))
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "\nadd your own: drop .txt or .md files into %s\n", cfg.PresetsDir)
	return nil
}
