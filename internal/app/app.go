package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/config"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailed    = 1 // the command ran and failed (a run that failed, an unreachable provider)
	ExitUsage     = 2 // bad input: flags, prompt, model name, configuration
	ExitCancelled = 130
)

// Version is the lab's version, set at build time with
// -ldflags "-X github.com/llm-energy-lab/energylab/internal/app.Version=v1.2.3".
var Version = "dev"

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// HTTP is the client used to reach model servers; nil means a default
	// client without a global timeout (streams can be long).
	HTTP *http.Client
}

// usageError marks bad input: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// cancelledError marks a command the user interrupted: exit code 130.
type cancelledError struct{ err error }

func (c cancelledError) Error() string { return c.err.Error() }
func (c cancelledError) Unwrap() error { return c.err }

// hinted adds a "try" line under an error.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "measure one prompt against a model (default: the embedded synthetic model)", cmdRun},
		{"models", "list the models of every provider", cmdModels},
		{"meters", "list the energy meters, their status and boundaries", cmdMeters},
		{"runs", "list stored runs; runs show ID; runs chart ID; runs rm ID; runs recalc [-family F]", cmdRuns},
		{"estimate", "estimate a request from published benchmarks, without running it", cmdEstimate},
		{"benchmarks", "estimate families: list, info, use, add (custom), rm, calibrate", cmdBenchmarks},
		{"presets", "list the system-prompt presets", cmdPresets},
		{"batch", "run one request N times and summarise (mean, CI, ratio of sums)", cmdBatch},
		{"ablate", "middleware overhead study: bare vs each middleware configuration, interleaved", cmdAblate},
		{"sweep", "grow the context and find where prefill energy overtakes decode", cmdSweep},
		{"calibrate", "run a designed set and fit a calibrated benchmark for this model on this host", cmdCalibrate},
		{"load", "drive a server at increasing concurrency: throughput, latency and J per token per level", cmdLoad},
		{"experiments", "list the stored experiments", cmdExperiments},
		{"report", "write an experiment's or a session's report (HTML or Markdown, SVG charts)", cmdReport},
		{"export", "export an experiment's or a session's runs as JSON or CSV", cmdExport},
		{"serve", "start the web lab (Energy Lab, Comparison Lab, docs) on 127.0.0.1:8001", cmdServe},
		{"bench-engine", "measure the embedded engine's speed, memory bandwidth efficiency and memory", cmdBenchEngine},
		{"version", "print the lab's version", cmdVersion},
	}
}

// Main runs one subcommand and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.HTTP == nil {
		env.HTTP = &http.Client{}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(env.Stderr, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.Stderr, "energylab: unknown command %q\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func exitCode(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(w, "energylab: %v\n", err)
	var h hinted
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "try: %s\n", h.hint)
	}
	var u usageError
	var ve config.ValidationError
	var c cancelledError
	switch {
	case errors.As(err, &c):
		return ExitCancelled
	case errors.As(err, &u), errors.As(err, &ve):
		return ExitUsage
	default:
		return ExitFailed
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "energylab measures the energy of LLM inference, split into prefill and decode.\n\nusage: energylab <command> [flags] [args]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\n'energylab <command> -h' lists a command's flags. Configuration: flags > environment (%s) > config file > defaults.\n", strings.Join(config.EnvVars()[:4], ", ")+", ...")
}

// loadConfig reads the configuration, binds the named settings as flags on
// fs, parses args and validates. The --config flag is found before the
// file is read.
func loadConfig(env Env, fs *flag.FlagSet, args []string, names ...string) (config.Config, error) {
	path := ""
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, p := range []string{"--config=", "-config="} {
			if v, ok := strings.CutPrefix(a, p); ok {
				path = v
			}
		}
		if (a == "--config" || a == "-config") && i+1 < len(args) {
			path = args[i+1]
		}
	}
	cfg, err := config.Load(path, env.LookupEnv)
	if err != nil {
		return cfg, usageError{err}
	}
	fs.String("config", path, "YAML configuration file (env ENERGYLAB_CONFIG; default "+config.DefaultPath(env.LookupEnv)+")")
	config.Bind(fs, &cfg, names...)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func cmdVersion(_ context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	fmt.Fprintf(env.Stdout, "energylab %s\n", buildVersion())
	return nil
}

func buildVersion() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}
