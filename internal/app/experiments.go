package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/estimate"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/stats"
	"github.com/llm-energy-lab/energylab/internal/store"
)

// expFlags are the flags every experiment command shares.
type expFlags struct {
	runs, warmup   int
	cooldown       time.Duration
	includeFlagged bool
	nonce          bool
	seed           uint64
	json           bool
}

func (e *expFlags) bind(fs *flag.FlagSet, runs int) {
	fs.IntVar(&e.runs, "runs", runs, "measured runs (per configuration)")
	fs.IntVar(&e.warmup, "warmup", 1, "discarded warm-up runs first (per configuration)")
	fs.DurationVar(&e.cooldown, "cooldown", 0, "pause between runs (lets the machine return to idle)")
	fs.BoolVar(&e.includeFlagged, "include-flagged", false, "keep runs whose quality flags make them unreliable (excluded and counted by default)")
	fs.BoolVar(&e.nonce, "nonce", true, "start each run's prompt with a unique line so no prompt cache can serve it (each run pays its own prefill)")
	fs.Uint64Var(&e.seed, "seed", 0, "seed for the run order and the bootstrap (0: from the clock, printed)")
	fs.BoolVar(&e.json, "json", false, "print the result as JSON")
}

func (e *expFlags) check() error {
	if e.runs < 1 || e.runs > 10000 {
		return usagef("-runs %d: want between 1 and 10000", e.runs)
	}
	if e.warmup < 0 || e.warmup > 100 {
		return usagef("-warmup %d: want between 0 and 100", e.warmup)
	}
	if e.cooldown < 0 || e.cooldown > time.Hour {
		return usagef("-cooldown %s: want between 0 and 1h", e.cooldown)
	}
	if e.seed == 0 {
		e.seed = uint64(time.Now().UnixNano())
	}
	return nil
}

// load reads the configuration and the flags, and checks the experiment's.
func (e *expFlags) load(env Env, fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg, err := loadConfig(env, fs, args, experimentSettings...)
	if err != nil {
		return cfg, err
	}
	return cfg, e.check()
}

// parse is load, then the prompt argument.
func (e *expFlags) parse(env Env, fs *flag.FlagSet, args []string) (config.Config, string, error) {
	cfg, err := e.load(env, fs, args)
	if err != nil {
		return cfg, "", err
	}
	prompt, err := promptArg(env, fs.Args())
	return cfg, prompt, err
}

func (e *expFlags) options() experiment.Options {
	return experiment.Options{Warmup: e.warmup, Cooldown: e.cooldown, IncludeFlagged: e.includeFlagged, Nonce: e.nonce, Seed: e.seed,
		Stats: stats.Options{Resamples: 2000, Seed: e.seed}}
}

// experimentEnv is what an experiment command has open.
type experimentEnv struct {
	cfg  config.Config
	db   *store.DB
	r    *runner
	info provider.ModelInfo
	id   string
}

func openExperiment(ctx context.Context, env Env, cfg config.Config, kind string) (*experimentEnv, func(), error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, nil, hinted{fmt.Errorf("open the store: %w", err), "-db /path/to/another.db"}
	}
	r, err := newRunner(cfg, env, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	x, err := newExperiment(ctx, cfg, db, r, kind)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return x, func() { db.Close() }, nil
}

// newExperiment names a new experiment of kind over an open store and
// runner (the CLI's own, or the web lab's, whose runner keeps measured runs
// taking turns with the other sockets'), after resolving cfg's model.
func newExperiment(ctx context.Context, cfg config.Config, db *store.DB, r *runner, kind string) (*experimentEnv, error) {
	_, info, err := resolve(ctx, r.bs, r.names, cfg.Model)
	if err != nil {
		return nil, err
	}
	id := kind + "-" + time.Now().UTC().Format("20060102T150405") + "-" + newID()[:6]
	return &experimentEnv{cfg: cfg, db: db, r: r, info: info, id: id}, nil
}

// expHooks follow an experiment: the hooks of every trial's run (warnings
// are passed on once each), ready once every configuration has passed its
// check (with the number of trials to come), and progress after every
// trial. Nil hooks are skipped.
type expHooks struct {
	run      runHooks
	ready    func(total int)
	progress func(experiment.Progress)
}

// cliHooks print warnings and, unless quiet, the progress to stderr.
func cliHooks(env Env, quiet bool) expHooks {
	return expHooks{run: runHooks{warn: func(s string) { fmt.Fprintf(env.Stderr, "warning: %s\n", s) }}, progress: progress(env.Stderr, quiet)}
}

func (h expHooks) readyFor(total int) {
	if h.ready != nil {
		h.ready(total)
	}
}

// runnerFor adapts the lab's runner to an experiment: every trial is a
// stored run in the experiment's session, quiet but for warnings (each
// passed on once) and what h.log receives.
func (x *experimentEnv) runnerFor(h runHooks, base runSpec) experiment.Runner {
	var mu sync.Mutex
	warned := map[string]bool{}
	hooks := runHooks{log: h.log, warn: func(s string) {
		mu.Lock()
		first := !warned[s]
		warned[s] = true
		mu.Unlock()
		if first && h.warn != nil {
			h.warn(s)
		}
	}}
	return func(ctx context.Context, t experiment.Trial) (lab.Record, error) {
		rs := base
		rs.cfg = x.cfg
		rs.spec, rs.session = t.Spec, x.id
		if t.MaxTokens > 0 {
			rs.cfg.Run.MaxTokens = t.MaxTokens
		}
		return x.r.run(ctx, rs, hooks)
	}
}

// check validates each trial's request before the experiment starts, so a
// configuration that cannot run fails now rather than halfway through.
func (x *experimentEnv) check(ctx context.Context, base runSpec, what string, specs []middleware.Spec, maxTokens int) error {
	for _, s := range specs {
		rs := base
		rs.cfg, rs.spec, rs.check = x.cfg, s, true
		if maxTokens > 0 {
			rs.cfg.Run.MaxTokens = maxTokens
		}
		if _, err := x.r.run(ctx, rs, runHooks{}); err != nil {
			if what == "" {
				return err
			}
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// isTerminal reports whether w is a terminal (progress is drawn there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress draws a bar on a terminal, or a line per run elsewhere.
func progress(w io.Writer, quiet bool) func(experiment.Progress) {
	if quiet {
		return nil
	}
	tty := isTerminal(w)
	return func(p experiment.Progress) {
		what := "run"
		if p.Warmup {
			what = "warm-up"
		}
		if p.Arm != "" {
			what += " " + p.Arm
		}
		fig := "no energy"
		if p.Last != nil && p.Last.Energy.TotalWh != nil {
			fig = fmt.Sprintf("%.4g Wh %s", *p.Last.Energy.TotalWh, p.Last.Energy.Source)
		}
		status := ""
		if p.Last != nil && p.Last.Status != lab.StatusOK {
			status = " " + string(p.Last.Status)
		}
		if tty {
			const width = 30
			n := width * p.Done / p.Total
			fmt.Fprintf(w, "\r[%s%s] %d/%d · %s · ETA %s · %s: %s%s\033[K", strings.Repeat("#", n), strings.Repeat(".", width-n),
				p.Done, p.Total, p.Elapsed.Round(time.Second), p.ETA.Round(time.Second), what, fig, status)
			if p.Done == p.Total {
				fmt.Fprintln(w)
			}
			return
		}
		fmt.Fprintf(w, "%d/%d %s: %s%s (ETA %s)\n", p.Done, p.Total, what, fig, status, p.ETA.Round(time.Second))
	}
}

// save stores the result (also when stopped early); its errors are
// notStoredErrors.
func (x *experimentEnv) save(ctx context.Context, kind, summary string, result any) error {
	b, err := json.Marshal(result)
	if err != nil {
		return notStoredError{fmt.Errorf("encode the %s result: %w", kind, err)}
	}
	if err := x.db.SaveExperiment(context.WithoutCancel(ctx), store.Experiment{ID: x.id, Kind: kind, Summary: summary, Result: b}); err != nil {
		return notStoredError{err}
	}
	return nil
}

// notStoredError is an experiment whose result could not be stored.
type notStoredError struct{ error }

func (e notStoredError) Unwrap() error { return e.error }

// batch checks spec, runs it ef.runs times after ef.warmup warm-ups, and
// stores the result when any trial ran (also when stopped or failed
// midway). A check error means nothing ran or was stored.
func (x *experimentEnv) batch(ctx context.Context, base runSpec, spec middleware.Spec, ef expFlags, h expHooks) (experiment.BatchResult, error) {
	if err := x.check(ctx, base, "", []middleware.Spec{spec}, 0); err != nil {
		return experiment.BatchResult{}, err
	}
	h.readyFor(ef.warmup + ef.runs)
	opt := ef.options()
	opt.Progress = h.progress
	res, err := experiment.Batch(ctx, x.id, spec, x.cfg.Run.MaxTokens, ef.runs, x.runnerFor(h.run, base), opt)
	if len(res.Outcomes) > 0 {
		if serr := x.save(ctx, "batch", fmt.Sprintf("%d runs of %s", res.Stats.Runs, x.cfg.Model), res); serr != nil {
			return res, serr
		}
	}
	return res, err
}

// ablate checks every arm, runs the overhead study (arms[0] is the bare
// query) and stores the result when any trial ran.
func (x *experimentEnv) ablate(ctx context.Context, base runSpec, arms []experiment.Arm, ef expFlags, h expHooks) (experiment.AblationResult, error) {
	for _, a := range arms {
		if err := x.check(ctx, base, a.Name, []middleware.Spec{a.Spec}, 0); err != nil {
			return experiment.AblationResult{}, err
		}
	}
	h.readyFor((ef.warmup + ef.runs) * len(arms))
	opt := ef.options()
	opt.Progress = h.progress
	res, err := experiment.Ablate(ctx, x.id, arms, x.cfg.Run.MaxTokens, ef.runs, x.runnerFor(h.run, base), opt)
	if len(res.Outcomes) > 0 {
		if serr := x.save(ctx, "ablate", fmt.Sprintf("%d configurations × %d runs of %s", len(arms), ef.runs, x.cfg.Model), res); serr != nil {
			return res, serr
		}
	}
	return res, err
}

// calibration is what a calibrate experiment found.
type calibration struct {
	outs    []experiment.Outcome
	stopped bool
	// row is the fitted benchmark row (saved), from points runs.
	row    estimate.Row
	points int
	stats  experiment.Stats
}

// calibrate runs the designed set (three context sizes × three output
// lengths, ef.runs times each), fits and saves a calibrated row for the
// model on this host from the set's runs, and stores the experiment. When
// stopped it fits and stores nothing (the finished runs stay stored).
func (x *experimentEnv) calibrate(ctx context.Context, ef expFlags, h expHooks) (calibration, error) {
	var c calibration
	ctxLen := x.info.ContextLength
	if ctxLen <= 0 {
		ctxLen = 4096
	}
	big := min(2048, ctxLen/2)
	contexts := []int{0, big / 8, big}
	outputs := []int{16, 48, 128}
	filler := newFiller(ctx, x, "")
	const query = "Summarise the text above in plain words."
	var arms []experiment.Arm
	for _, n := range contexts {
		s := middleware.Spec{User: query}
		if n > 0 {
			s.Context = filler(n)
		}
		arms = append(arms, experiment.Arm{Name: fmt.Sprint(n), Spec: s})
	}
	total := len(outputs) * len(arms) * ef.runs
	h.readyFor(total)
	opt := ef.options()
	// Each cell is a batch of its own: report progress over the whole set.
	cell := ""
	if h.progress != nil {
		start := time.Now()
		opt.Progress = func(p experiment.Progress) {
			p.Done, p.Total, p.Arm = len(c.outs)+p.Done, total, cell
			p.Elapsed = time.Since(start)
			p.ETA = time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(total-p.Done))
			h.progress(p)
		}
	}
	run := x.runnerFor(h.run, runSpec{ignoreEOS: true})
	for _, o := range outputs {
		for _, a := range arms {
			cell = fmt.Sprintf("context %s, output %d", a.Name, o)
			res, err := experiment.Batch(ctx, x.id, a.Spec, o, ef.runs, run, experiment.Options{Warmup: 0, Cooldown: opt.Cooldown, Nonce: opt.Nonce, IncludeFlagged: opt.IncludeFlagged, Stats: opt.Stats, Progress: opt.Progress})
			c.outs = append(c.outs, res.Outcomes...)
			if err != nil {
				return c, err
			}
			if res.Stopped {
				c.stopped = true
				return c, nil
			}
		}
	}
	host, _ := os.Hostname()
	row, n, err := fitCalibration(ctx, x.db, x.cfg.Model, host, x.id)
	if err != nil {
		return c, err
	}
	c.row, c.points = row, n
	c.stats = experiment.Summarise(c.outs, opt.Stats)
	if err := x.save(ctx, "calibrate", fmt.Sprintf("%d designed runs of %s", len(c.outs), x.cfg.Model), map[string]any{"runs": c.outs, "stats": c.stats}); err != nil {
		return c, err
	}
	return c, nil
}

// finishExperiment prints the stored note and maps a stop to exit 130.
func finishExperiment(env Env, x *experimentEnv, stopped bool, asJSON bool) error {
	if !asJSON {
		fmt.Fprintf(env.Stdout, "\nstored as experiment %s (its runs: energylab runs -session %s); report: energylab report -experiment %s -o report.html\n", x.id, x.id, x.id)
	}
	if stopped {
		return cancelledError{fmt.Errorf("stopped: the statistics above cover the runs that finished, and are stored as experiment %s", x.id)}
	}
	return nil
}

var experimentSettings = append([]string{}, runSettings...)

func cmdBatch(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	var ef expFlags
	ef.bind(fs, 10)
	var rf runFlags
	rf.bindMiddleware(fs)
	fs.BoolVar(&rf.ignoreEOS, "ignore-eos", true, "generate exactly -max-tokens tokens (fixed-length runs compare like with like)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab batch -runs N [-warmup W] [flags] \"prompt\"\n\n")
		fs.PrintDefaults()
	}
	cfg, prompt, err := ef.parse(env, fs, args)
	if err != nil {
		return err
	}
	spec, presetName, err := middlewareSpec(cfg, rf, prompt)
	if err != nil {
		return err
	}
	if _, err := middleware.Compose(spec); err != nil {
		return usageError{err}
	}
	x, closeFn, err := openExperiment(ctx, env, cfg, "batch")
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := x.batch(ctx, runSpec{preset: presetName, ignoreEOS: rf.ignoreEOS}, spec, ef, cliHooks(env, ef.json))
	if err != nil {
		return err
	}
	if ef.json {
		if err := writeJSON(env.Stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "batch %s: %s, %d runs (+%d warm-up), seed %d\n", x.id, cfg.Model, res.Stats.Runs, res.Warmups, ef.seed)
		printStats(env.Stdout, res.Stats)
		ov := res.Overhead
		if ov.Ratio != nil {
			fmt.Fprintf(env.Stdout, "lab overhead between runs: %.1f ms (median %.1f) = %.3g × the mean run of %.1f ms\n", ov.GapMs.Mean, ov.GapMs.Median, *ov.Ratio, ov.RunMs.Mean)
		}
	}
	return finishExperiment(env, x, res.Stopped, ef.json)
}

// printStats prints a Stats table.
func printStats(w io.Writer, s experiment.Stats) {
	excl := []string{}
	for k, v := range s.Excluded {
		excl = append(excl, fmt.Sprintf("%s %d", k, v))
	}
	fmt.Fprintf(w, "%d runs, %d included", s.Runs, s.Included)
	if len(excl) > 0 {
		fmt.Fprintf(w, " (excluded: %s; -include-flagged keeps flagged ones)", strings.Join(excl, ", "))
	}
	fmt.Fprintln(w)
	if s.Included == 0 {
		fmt.Fprintln(w, "no run with an energy figure to summarise")
		return
	}
	fmt.Fprintf(w, "energy: %s, %s: %s", s.Kind, s.Meter, s.Boundary)
	if s.Mixed {
		fmt.Fprint(w, " — WARNING: the runs used different meters or boundaries")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tmean\tmedian\tsd\tp5\tp95\tCV\t95% CI of mean\t")
	row := func(name string, x stats.Summary) {
		if x.N == 0 {
			fmt.Fprintf(tw, "%s\tabsent\t\t\t\t\t\t\t\n", name)
			return
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%.3g\t%.4g\t%.4g\t%s\t%s\t\n", name, x.Mean, x.Median, x.SD, x.P5, x.P95, pct(x.CV), ci(x.CILow, x.CIHigh))
	}
	row("total Wh", s.TotalWh)
	row("prefill Wh", s.PrefillWh)
	row("decode Wh", s.DecodeWh)
	row("active Wh", s.ActiveWh)
	row("e-token in Wh/1k", s.WhPer1kInput)
	row("e-token out Wh/1k", s.WhPer1kOutput)
	row("input tokens", s.InputTokens)
	row("output tokens", s.OutputTokens)
	row("TTFT ms", s.TTFTMs)
	row("decode tok/s", s.TokensPerSecond)
	tw.Flush()
	fmt.Fprintf(w, "ratio of sums (total Wh × 1000 / total tokens): e-token in %s Wh/1k, e-token out %s Wh/1k\n", opt(s.RatioWhPer1kInput, "%.4g"), opt(s.RatioWhPer1kOutput, "%.4g"))
	if s.CachedRuns > 0 {
		fmt.Fprintf(w, "%d runs were partly served from a prompt cache\n", s.CachedRuns)
	}
}

func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

func ci(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "—"
	}
	return fmt.Sprintf("[%.4g, %.4g]", lo, hi)
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func cmdAblate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("ablate", flag.ContinueOnError)
	var ef expFlags
	ef.bind(fs, 10)
	var presets, presetFiles, contextFiles, contextTokens, injects, injectFiles listFlag
	fs.Var(&presets, "preset", "a configuration: this system-prompt preset (repeatable; energylab presets lists them)")
	fs.Var(&presetFiles, "preset-file", "a configuration: this file as the system prompt, e.g. a frontier system prompt (repeatable)")
	fs.Var(&contextFiles, "context-file", "a configuration: this file as the conversation context (repeatable)")
	fs.Var(&contextTokens, "context-tokens", "a configuration: a conversation context of about N tokens of filler (repeatable)")
	fs.Var(&injects, "inject", "an injection; all -inject and -inject-file values form one configuration")
	fs.Var(&injectFiles, "inject-file", "a file's content as an injection (joins the -inject configuration)")
	ignoreEOS := fs.Bool("ignore-eos", true, "generate exactly -max-tokens tokens in every run, so the arms differ only in their input")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab ablate -runs N [-preset NAME | -preset-file F | -context-file F | -inject TEXT ...] \"query\"\n\n")
		fs.PrintDefaults()
	}
	cfg, query, err := ef.parse(env, fs, args)
	if err != nil {
		return err
	}
	arms := []experiment.Arm{{Name: experiment.Bare, Spec: middleware.Spec{User: query}, Describe: "the user's query alone"}}
	for _, p := range presets {
		pr, err := findPreset(cfg, p)
		if err != nil {
			return hinted{usageError{err}, "energylab presets"}
		}
		arms = append(arms, experiment.Arm{Name: "preset:" + p, Spec: middleware.Spec{System: pr.Content, User: query}, Describe: "system prompt preset " + p})
	}
	for _, f := range presetFiles {
		s, err := readTextFile(f)
		if err != nil {
			return usagef("-preset-file: %v", err)
		}
		arms = append(arms, experiment.Arm{Name: "system:" + filepath.Base(f), Spec: middleware.Spec{System: s, User: query}, Describe: "system prompt from " + f})
	}
	for _, f := range contextFiles {
		s, err := readTextFile(f)
		if err != nil {
			return usagef("-context-file: %v", err)
		}
		arms = append(arms, experiment.Arm{Name: "context:" + filepath.Base(f), Spec: middleware.Spec{Context: s, User: query}, Describe: "conversation context from " + f})
	}
	if len(injects)+len(injectFiles) > 0 {
		var inj []lab.Injection
		for _, s := range injects {
			inj = append(inj, lab.Injection{Content: s})
		}
		for _, f := range injectFiles {
			s, err := readTextFile(f)
			if err != nil {
				return usagef("-inject-file: %v", err)
			}
			inj = append(inj, lab.Injection{Description: filepath.Base(f), Content: s})
		}
		arms = append(arms, experiment.Arm{Name: "injections", Spec: middleware.Spec{Injections: inj, User: query}, Describe: fmt.Sprintf("%d injections", len(inj))})
	}
	var sizes []int
	for _, v := range contextTokens {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usagef("-context-tokens %q: want a number of tokens, at least 1", v)
		}
		sizes = append(sizes, n)
	}
	if len(arms) == 1 && len(sizes) == 0 {
		return hinted{usagef("give at least one middleware configuration to compare with the bare query"), `energylab ablate -runs 10 -preset agent "What is the capital of France?"`}
	}
	for _, a := range arms {
		if _, err := middleware.Compose(a.Spec); err != nil {
			return usageError{fmt.Errorf("%s: %w", a.Name, err)}
		}
	}
	x, closeFn, err := openExperiment(ctx, env, cfg, "ablate")
	if err != nil {
		return err
	}
	defer closeFn()
	if len(sizes) > 0 {
		filler := newFiller(ctx, x, query)
		for _, n := range sizes {
			arms = append(arms, experiment.Arm{Name: fmt.Sprintf("context:%d-tokens", n), Spec: middleware.Spec{Context: filler(n), User: query},
				Describe: fmt.Sprintf("a conversation context of about %d tokens", n)})
		}
	}
	res, err := x.ablate(ctx, runSpec{ignoreEOS: *ignoreEOS}, arms, ef, cliHooks(env, ef.json))
	if err != nil {
		return err
	}
	if ef.json {
		if err := writeJSON(env.Stdout, res); err != nil {
			return err
		}
	} else {
		w := env.Stdout
		fmt.Fprintf(w, "middleware overhead study %s: %s, %d runs per configuration (+%d warm-up), interleaved in random order (seed %d)\n", x.id, cfg.Model, ef.runs, ef.warmup, ef.seed)
		fmt.Fprintf(w, "prompt cache control: %s\n", res.CacheControl)
		bare := res.Arms[0].Stats
		fmt.Fprintf(w, "energy: %s, %s: %s\n\n", bare.Kind, bare.Meter, bare.Boundary)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CONFIGURATION\tRUNS\tINPUT TOKENS\tEXTRA\tTOTAL Wh\tEXTRA PREFILL Wh\tEXTRA TOTAL Wh (p)\tOVERHEAD (95% CI)\tWh PER 1k INJECTED (95% CI)")
		cached := 0
		for _, a := range res.Arms {
			cached += a.Stats.CachedRuns
			ov, marg, xp, xt := "1 (reference)", "—", "—", "—"
			if a.Name != experiment.Bare {
				ov = fmt.Sprintf("%.3g× [%.3g, %.3g]", a.Overhead.Value, a.Overhead.Low, a.Overhead.High)
				if a.MarginalWhPer1k != nil {
					marg = fmt.Sprintf("%.3g [%.3g, %.3g]", a.MarginalWhPer1k.Value, a.MarginalWhPer1k.Low, a.MarginalWhPer1k.High)
				}
				xp = fmt.Sprintf("%+.3g", a.ExtraPrefillWh.Value)
				xt = fmt.Sprintf("%+.3g (%.2g)", a.ExtraTotalWh.Value, a.ExtraTotalWh.PValue)
			}
			fmt.Fprintf(tw, "%s\t%d/%d\t%.0f\t%+.0f\t%.4g\t%s\t%s\t%s\t%s\n", a.Name, a.Stats.Included, a.Stats.Runs, a.Stats.InputTokens.Mean,
				a.ExtraInputTokens, a.Stats.TotalWh.Mean, xp, xt, ov, marg)
		}
		tw.Flush()
		if cached > 0 {
			fmt.Fprintf(w, "%d runs reported prompt tokens served from a cache: their prefill is not fully paid\n", cached)
		} else {
			fmt.Fprintln(w, "no run reported cached prompt tokens")
		}
		fmt.Fprintln(w)
		for _, a := range res.Arms[1:] {
			fmt.Fprintf(w, "%s: %s\n", a.Name, a.Verdict)
		}
	}
	return finishExperiment(env, x, res.Stopped, ef.json)
}

func cmdSweep(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	var ef expFlags
	ef.bind(fs, 1)
	steps := fs.Int("steps", 8, "context sizes, log-spaced from -min to -max (0 tokens is always added)")
	minTokens := fs.Int("min", 64, "smallest injected context, in tokens")
	maxTokens := fs.Int("max", 0, "largest injected context, in tokens (0: the model's context limit, less the output and a margin)")
	output := fs.Int("output", 32, "fixed output length in tokens")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab sweep [-steps K] [-min N] [-max N] [-output N] [-runs R] \"query\"\n\n")
		fs.PrintDefaults()
	}
	cfg, query, err := ef.parse(env, fs, args)
	if err != nil {
		return err
	}
	if *steps < 3 || *steps > 64 {
		return usagef("-steps %d: want between 3 and 64 (the fit has three parameters)", *steps)
	}
	if *output < 1 {
		return usagef("-output %d: want at least 1", *output)
	}
	x, closeFn, err := openExperiment(ctx, env, cfg, "sweep")
	if err != nil {
		return err
	}
	defer closeFn()
	hi := *maxTokens
	if hi == 0 {
		if x.info.ContextLength <= 0 {
			return hinted{usagef("%s does not report its context length", x.info.Name), "give -max, the largest context to try, in tokens"}
		}
		hi = x.info.ContextLength - *output - 256 - len(query)/2
	}
	sizes, err := stats.LogSpace(max(1, *minTokens), hi, *steps)
	if err != nil {
		return usagef("sizes from -min %d to -max %d: %v", *minTokens, hi, err)
	}
	sizes = append([]int{0}, sizes...)
	filler := newFiller(ctx, x, query)
	largest := middleware.Spec{User: query, Context: filler(sizes[len(sizes)-1])}
	if err := x.check(ctx, runSpec{ignoreEOS: true}, fmt.Sprintf("the largest context (%d tokens)", sizes[len(sizes)-1]), []middleware.Spec{largest}, *output); err != nil {
		return hinted{err, "a smaller -max"}
	}
	eo := ef.options()
	h := cliHooks(env, ef.json)
	eo.Progress = h.progress
	res, err := experiment.Sweep(ctx, x.id, middleware.Spec{User: query}, filler, sizes, *output, ef.runs, x.runnerFor(h.run, runSpec{ignoreEOS: true}), eo)
	if len(res.Points) > 0 {
		if serr := x.save(ctx, "sweep", fmt.Sprintf("%d context sizes of %s", len(sizes), cfg.Model), res); serr != nil {
			return serr
		}
	}
	if err != nil {
		return err
	}
	if ef.json {
		if err := writeJSON(env.Stdout, res); err != nil {
			return err
		}
	} else {
		w := env.Stdout
		fmt.Fprintf(w, "crossover sweep %s: %s, output fixed at %d tokens, energy %s\n\n", x.id, cfg.Model, *output, res.Kind)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "context\tinput tokens\toutput\tprefill Wh\tdecode Wh\t\t")
		for _, p := range res.Points {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t\n", p.Target, p.InputTokens, p.OutputTokens, opt(p.PrefillWh, "%.4g"), opt(p.DecodeWh, "%.4g"), p.Excluded)
		}
		tw.Flush()
		if res.FitError != "" {
			fmt.Fprintf(w, "\nno fit: %s\n", res.FitError)
		} else {
			c, d := res.PrefillFit, res.DecodeFit
			fmt.Fprintf(w, "\nprefill Wh = %.4g + %.4g·n + %.4g·n²  (R² %.4f)\n", c.Coef[0], c.Coef[1], c.Coef[2], c.R2)
			fmt.Fprintf(w, "decode Wh  = %.4g + %.4g·n  at %d output tokens  (R² %.4f); decode %.4g Wh per 1k output tokens (median)\n", d.Coef[0], d.Coef[1], *output, d.R2, res.DecodeWhPer1kOutput.Median)
			if res.Crossover != nil {
				fmt.Fprintf(w, "crossover: prefill overtakes decode at about %.0f input tokens (%s)\n", *res.Crossover, res.CrossoverNote)
			} else {
				fmt.Fprintf(w, "crossover: none — %s\n", res.CrossoverNote)
			}
		}
	}
	return finishExperiment(env, x, res.Stopped, ef.json)
}

// fillerWords make a deterministic, prose-like context.
var fillerWords = strings.Fields(`the energy of a request grows with its prompt because every token is read once during
prefill and attended to by every token decoded after it while the weights stream from memory for each step of
decoding so the cost per output token is set by bandwidth and the cost per input token by arithmetic a system
prompt or a long conversation history is paid on every request unless a cache keeps it`)

// newFiller returns a function that builds a context of about n tokens of
// the model, calibrated with its tokenizer where the lab has it (else at
// four characters per token).
func newFiller(ctx context.Context, x *experimentEnv, query string) func(int) string {
	var b strings.Builder
	for i := 0; b.Len() < 8000; i++ {
		b.WriteString(fillerWords[(i*7)%len(fillerWords)])
		b.WriteByte(' ')
	}
	sample := b.String()
	charsPerToken := 4.0
	if be, ok := x.r.bs[x.info.Provider]; ok {
		if tc, ok := be.p.(provider.TokenCounter); ok {
			if n, err := tc.CountText(ctx, x.info.Model, sample); err == nil && n > 0 {
				charsPerToken = float64(len(sample)) / float64(n)
			}
		}
	}
	return func(n int) string {
		want := int(float64(n) * charsPerToken)
		var s strings.Builder
		for s.Len() < want {
			s.WriteString(sample)
		}
		out := s.String()[:want]
		if i := strings.LastIndexByte(out, ' '); i > want/2 {
			out = out[:i]
		}
		return out
	}
}

func cmdCalibrate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	var ef expFlags
	ef.bind(fs, 2)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab calibrate [-model M] [-runs R]\n\nRuns a designed set of requests (three context sizes × three output lengths, R times each) and fits a calibrated benchmark for this model on this host.\n\n")
		fs.PrintDefaults()
	}
	cfg, err := ef.load(env, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("calibrate takes no prompt: it designs its own requests")
	}
	x, closeFn, err := openExperiment(ctx, env, cfg, "calibrate")
	if err != nil {
		return err
	}
	defer closeFn()
	c, err := x.calibrate(ctx, ef, cliHooks(env, ef.json))
	if c.stopped {
		return cancelledError{fmt.Errorf("stopped before the designed set was complete; the %d finished runs are stored in session %s (energylab benchmarks calibrate -model %s fits every stored run)", len(c.outs), x.id, cfg.Model)}
	}
	if err != nil {
		return err
	}
	printCalibration(env.Stdout, c.row, c.points)
	if errors.Is(ctx.Err(), context.Canceled) {
		return cancelledError{ctx.Err()}
	}
	return finishExperiment(env, x, false, ef.json)
}
