package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/preset"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/report"
	"github.com/llm-energy-lab/energylab/internal/store"
)

// runFlags are the run command's own flags (the settings it shares with
// other commands come from config).
type runFlags struct {
	system, systemFile, preset string
	context, contextFile       string
	injections                 []lab.Injection
	seed                       optInt
	topP                       optFloat
	think                      optBool
	ignoreEOS                  bool
	json, quiet                bool
}

// bindMiddleware binds the flags that compose the prompt around the query.
func (rf *runFlags) bindMiddleware(fs *flag.FlagSet) {
	fs.StringVar(&rf.system, "system", "", "system prompt text")
	fs.StringVar(&rf.systemFile, "system-file", "", "read the system prompt from a file")
	fs.StringVar(&rf.preset, "preset", "", "system prompt preset (energylab presets lists them)")
	fs.StringVar(&rf.context, "context", "", "conversation context, wrapped in <conversation_context> tags")
	fs.StringVar(&rf.contextFile, "context-file", "", "read the conversation context from a file")
	fs.Var(injectionFlag{list: &rf.injections}, "inject", "add a middleware injection (repeatable)")
	fs.Var(injectionFlag{list: &rf.injections, fromFile: true}, "inject-file", "add a file's content as an injection (repeatable)")
}

// optInt, optFloat and optBool are flags that remember whether they were set.
type optInt struct {
	v   int64
	set bool
}

func (o *optInt) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatInt(o.v, 10)
}

func (o *optInt) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	o.v, o.set = v, true
	return nil
}

type optFloat struct {
	v   float64
	set bool
}

func (o *optFloat) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatFloat(o.v, 'g', -1, 64)
}

func (o *optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	o.v, o.set = v, true
	return nil
}

type optBool struct {
	v   bool
	set bool
}

func (o *optBool) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatBool(o.v)
}

func (o *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("not true or false")
	}
	o.v, o.set = v, true
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }

// injectionFlag appends an injection per use; fromFile reads the value as a
// path.
type injectionFlag struct {
	list     *[]lab.Injection
	fromFile bool
}

func (f injectionFlag) String() string { return "" }

func (f injectionFlag) Set(s string) error {
	inj := lab.Injection{Content: s}
	if f.fromFile {
		b, err := readTextFile(s)
		if err != nil {
			return err
		}
		inj = lab.Injection{Description: filepath.Base(s), Content: b}
	}
	*f.list = append(*f.list, inj)
	return nil
}

// MaxTextFile bounds files read as prompt parts (16 MiB).
const MaxTextFile = 16 << 20

func readTextFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTextFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > MaxTextFile {
		return "", fmt.Errorf("%s is larger than %d MiB", path, MaxTextFile>>20)
	}
	return string(b), nil
}

var runSettings = []string{
	"model", "meter", "prom-url", "prom-server", "prom-preset", "prom-select", "max-tokens", "temperature", "grid", "grid-factor", "pue", "db", "presets-dir",
	"sysfs", "procfs", "rapl-domains", "tdp", "cores", "baseline", "baseline-max-age", "poll-interval",
	"preload", "threads", "timeout", "ollama-host", "openai-base-url", "groq-base-url",
	"models-dir", "ollama-models", "cache-dir", "family", "mlenergy-batch", "mlenergy-task",
}

func cmdRun(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var rf runFlags
	rf.bindMiddleware(fs)
	fs.Var(&rf.seed, "seed", "sampling seed")
	fs.Var(&rf.topP, "top-p", "nucleus sampling probability")
	fs.Var(&rf.think, "think", "ask a reasoning model to think (true/false; unset = the model's default)")
	fs.BoolVar(&rf.ignoreEOS, "ignore-eos", false, "generate exactly -max-tokens tokens, masking end-of-sequence (builtin, vLLM, llama.cpp; Ollama ignores it)")
	fs.BoolVar(&rf.json, "json", false, "print the run record as JSON")
	fs.BoolVar(&rf.quiet, "quiet", false, "do not stream the response or progress")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab run [flags] \"prompt\"   (\"-\" reads the prompt from stdin)\n\n")
		fs.PrintDefaults()
	}
	cfg, err := loadConfig(env, fs, args, runSettings...)
	if err != nil {
		return err
	}
	prompt, err := promptArg(env, fs.Args())
	if err != nil {
		return err
	}
	spec, presetName, err := middlewareSpec(cfg, rf, prompt)
	if err != nil {
		return err
	}
	rs := runSpec{cfg: cfg, spec: spec, preset: presetName, ignoreEOS: rf.ignoreEOS}
	if rf.seed.set {
		rs.seed = &rf.seed.v
	}
	if rf.topP.set {
		rs.topP = &rf.topP.v
	}
	if rf.think.set {
		rs.think = &rf.think.v
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return hinted{fmt.Errorf("open the store: %w", err), "energylab run -db /path/to/another.db ..."}
	}
	defer db.Close()
	r, err := newRunner(cfg, env, db)
	if err != nil {
		return err
	}

	logw := env.Stderr
	if rf.json || rf.quiet {
		logw = io.Discard
	}
	out := newStreamPrinter(env.Stdout, logw, rf.json || rf.quiet)
	rec, err := r.run(ctx, rs, runHooks{
		event: out.event,
		log:   func(s string) { fmt.Fprintf(logw, "· %s\n", s) },
		warn:  func(s string) { fmt.Fprintf(env.Stderr, "warning: %s\n", s) },
	})
	out.finish()
	if err != nil {
		return err
	}
	if rf.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rec); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout)
		report.Run(env.Stdout, rec)
		fmt.Fprintf(env.Stdout, "\nstored as %s in %s\n", rec.ID, db.Path())
	}
	switch rec.Status {
	case lab.StatusCancelled:
		return cancelledError{fmt.Errorf("run %s cancelled; stored with the energy measured until then", rec.ID)}
	case lab.StatusFailed:
		return fmt.Errorf("run %s failed: %s (stored with the partial counts)", rec.ID, rec.Error)
	}
	return nil
}

// countParts returns the tokens of a composed prompt's messages, without
// any template.
func countParts(ctx context.Context, tc provider.TokenCounter, model string, c middleware.Composed) (int, error) {
	n := 0
	for _, m := range c.Messages {
		k, err := tc.CountText(ctx, model, m.Content)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

func promptArg(env Env, args []string) (string, error) {
	if len(args) == 1 && args[0] == "-" {
		b, err := io.ReadAll(io.LimitReader(env.Stdin, MaxTextFile+1))
		if err != nil {
			return "", fmt.Errorf("read the prompt from stdin: %w", err)
		}
		if len(b) > MaxTextFile {
			return "", usagef("the prompt on stdin is larger than %d MiB", MaxTextFile>>20)
		}
		return string(b), nil
	}
	p := strings.Join(args, " ")
	if strings.TrimSpace(p) == "" {
		return "", usageError{middleware.ErrEmptyQuery}
	}
	return p, nil
}

func middlewareSpec(cfg config.Config, rf runFlags, prompt string) (middleware.Spec, string, error) {
	spec := middleware.Spec{User: prompt, Context: rf.context, Injections: rf.injections}
	n := 0
	for _, s := range []string{rf.system, rf.systemFile, rf.preset} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return spec, "", usagef("give one of -system, -system-file and -preset")
	}
	switch {
	case rf.system != "":
		spec.System = rf.system
	case rf.systemFile != "":
		s, err := readTextFile(rf.systemFile)
		if err != nil {
			return spec, "", usagef("-system-file: %v", err)
		}
		spec.System = s
	case rf.preset != "":
		p, err := findPreset(cfg, rf.preset)
		if err != nil {
			return spec, "", hinted{usageError{err}, "energylab presets"}
		}
		spec.System = p.Content
	}
	if rf.contextFile != "" {
		if rf.context != "" {
			return spec, "", usagef("give one of -context and -context-file")
		}
		s, err := readTextFile(rf.contextFile)
		if err != nil {
			return spec, "", usagef("-context-file: %v", err)
		}
		spec.Context = s
	}
	return spec, rf.preset, nil
}

func findPreset(cfg config.Config, name string) (preset.Preset, error) {
	user, err := userPresets(cfg)
	if err != nil {
		return preset.Preset{}, err
	}
	return preset.Find(name, user, preset.Builtin())
}

func userPresets(cfg config.Config) ([]preset.Preset, error) {
	if _, err := os.Stat(cfg.PresetsDir); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return preset.Load(os.DirFS(cfg.PresetsDir), cfg.PresetsDir)
}

func gridFactor(cfg config.Config) (carbon.Factor, error) {
	if cfg.GridFactor > 0 {
		return carbon.Custom(cfg.GridFactor)
	}
	return carbon.Lookup(cfg.Grid)
}

// checkContext refuses requests that cannot fit the model's context.
func checkContext(info provider.ModelInfo, maxTokens, expected, estimated int) error {
	ctxLen := info.ContextLength
	if ctxLen <= 0 {
		return nil
	}
	if maxTokens > ctxLen {
		return hinted{usagef("-max-tokens %d is more than %s's context of %d tokens", maxTokens, info.Name, ctxLen),
			fmt.Sprintf("-max-tokens %d or less", ctxLen/2)}
	}
	if expected >= ctxLen {
		return hinted{usagef("the prompt is %d tokens: more than %s's context of %d tokens", expected, info.Name, ctxLen),
			"a shorter prompt or middleware, or a model with a longer context (builtin/synthetic-qwen3-0.6b has 40,960 tokens)"}
	}
	if expected >= 0 && expected+maxTokens > ctxLen {
		return hinted{usagef("the prompt is %d tokens and -max-tokens is %d: together they exceed %s's context of %d tokens", expected, maxTokens, info.Name, ctxLen),
			fmt.Sprintf("-max-tokens %d, or a shorter prompt or middleware", max(1, ctxLen-expected))}
	}
	if expected < 0 && estimated > ctxLen {
		return hinted{usagef("the prompt is about %d tokens (estimated from its length), more than %s's context of %d tokens", estimated, info.Name, ctxLen),
			"a shorter prompt or middleware"}
	}
	return nil
}

// numCtx sizes Ollama's context window so a long prompt is not silently
// truncated to Ollama's default window: the estimated prompt (at a
// conservative 3 characters per token, i.e. 4/3 of the 4-character
// estimate) plus the output and a margin, at least 4096, at most the
// model's context.
func numCtx(modelCtx, estimated, maxTokens int) int {
	n := estimated*4/3 + maxTokens + 256
	n = max(n, 4096)
	if modelCtx > 0 {
		n = min(n, modelCtx)
	}
	return n
}

func newID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func manifest(cfg config.Config, info provider.ModelInfo, b *backend, mc meterChoice, grid carbon.Factor, preloaded bool) lab.Manifest {
	host, _ := os.Hostname()
	m := lab.Manifest{
		LabVersion: buildVersion(), Host: host, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		CPUModel: cpuName(cfg.ProcRoot), Model: info, MeterNote: mc.note, Grid: harness.GridOf(grid), PUE: cfg.PUE,
		PollIntervalMs: float64(time.Duration(cfg.PollInterval)) / float64(time.Millisecond), Preloaded: preloaded,
		Endpoint: b.endpoint,
	}
	if mc.meter != nil {
		i := mc.meter.Info()
		m.Meter = &i
	}
	return m
}

// cpuName reads the CPU model name from <proc>/cpuinfo ("" when absent).
func cpuName(procRoot string) string {
	f, err := os.Open(filepath.Join(procRoot, "cpuinfo"))
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// baselineCache adapts the store to the harness's cache.
type baselineCache struct{ db *store.DB }

func (c baselineCache) Load(ctx context.Context, key string, notBefore time.Time) (lab.Baseline, bool, error) {
	b, ok, err := c.db.LatestBaseline(ctx, key, notBefore)
	if err != nil || !ok {
		return lab.Baseline{}, ok, err
	}
	return lab.Baseline{Watts: b.Watts, TakenAt: b.TakenAt, WindowMs: b.WindowMs, CV: b.CV, Disturbed: b.Disturbed, ModelLoaded: b.ModelLoaded}, true, nil
}

func (c baselineCache) Save(ctx context.Context, key string, b lab.Baseline) error {
	return c.db.SaveBaseline(ctx, store.Baseline{Key: key, Watts: b.Watts, WindowMs: b.WindowMs, CV: b.CV, Disturbed: b.Disturbed, ModelLoaded: b.ModelLoaded, TakenAt: b.TakenAt})
}

// streamPrinter shows a run as it happens: the response on stdout, thinking
// set apart, progress on the log writer.
type streamPrinter struct {
	out, log io.Writer
	silent   bool
	inThink  bool
	wrote    bool
}

func newStreamPrinter(out, log io.Writer, silent bool) *streamPrinter {
	return &streamPrinter{out: out, log: log, silent: silent}
}

func (p *streamPrinter) event(e harness.Event) {
	if p.silent {
		return
	}
	switch e.Kind {
	case harness.EventLog:
		fmt.Fprintf(p.log, "· %s\n", e.Text)
	case harness.EventThinking:
		if !p.inThink {
			fmt.Fprint(p.out, "[thinking]\n")
			p.inThink = true
		}
		fmt.Fprint(p.out, e.Text)
		p.wrote = true
	case harness.EventToken:
		if p.inThink {
			fmt.Fprint(p.out, "\n[answer]\n")
			p.inThink = false
		}
		fmt.Fprint(p.out, e.Text)
		p.wrote = true
	}
}

func (p *streamPrinter) finish() {
	if !p.silent && p.wrote {
		fmt.Fprintln(p.out)
	}
}
