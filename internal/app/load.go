package app

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/llm-energy-lab/energylab/internal/load"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/report"
)

// loadResult is a stored load curve.
type loadResult struct {
	ID     string       `json:"id"`
	Model  string       `json:"model"`
	Meter  string       `json:"meter"`
	Levels []load.Level `json:"levels"`
}

func cmdLoad(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	levels := fs.String("concurrency", "1,2,4,8", "concurrency levels, comma-separated")
	requests := fs.Int("requests", 0, "requests per level (0: run each level for -duration)")
	duration := fs.Duration("duration", 30*time.Second, "how long each level runs when -requests is 0")
	asJSON := fs.Bool("json", false, "print JSON")
	chartDir := fs.String("chart-dir", "", "write throughput.svg and energy-per-token.svg there")
	ignoreEOS := fs.Bool("ignore-eos", true, "every request writes exactly -max-tokens tokens")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab load [-concurrency 1,2,4,8] [-requests N | -duration D] [run flags] \"prompt\"\n\n")
		fs.PrintDefaults()
	}
	cfg, err := loadConfig(env, fs, args, runSettings...)
	if err != nil {
		return err
	}
	var cs []int
	for _, f := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return usagef("-concurrency %q: want whole numbers between 1 and 1024, comma-separated", *levels)
		}
		cs = append(cs, n)
	}
	if *requests < 0 || (*requests == 0 && *duration <= 0) {
		return usagef("give -requests N or a positive -duration")
	}
	prompt, err := promptArg(env, fs.Args())
	if err != nil {
		return err
	}
	composed, err := middleware.Compose(middleware.Spec{User: prompt})
	if err != nil {
		return usageError{err}
	}
	x, closeFn, err := openExperiment(ctx, env, cfg, "load")
	if err != nil {
		return err
	}
	defer closeFn()
	info := x.info
	b := x.r.bs[info.Provider]
	mc, err := chooseMeter(cfg, b)
	if err != nil {
		return err
	}
	temp := cfg.Run.Temperature
	req := provider.Request{Model: info.Model, Messages: composed.Messages,
		Options: provider.Options{MaxTokens: cfg.Run.MaxTokens, Temperature: &temp, IgnoreEOS: *ignoreEOS}}
	if mc.meter != nil {
		unlock, err := measureLock(ctx, x.r.lockPath, func() {
			fmt.Fprintln(env.Stderr, "· waiting for another energylab measurement on this host to finish")
		})
		if err != nil {
			return err
		}
		defer unlock()
	}
	fmt.Fprintf(env.Stderr, "· meter: %s\n", mc.note)
	res, err := load.Run(ctx, b.p, req, load.Config{Levels: cs, Requests: *requests, Duration: *duration, Meter: mc.meter,
		PollInterval: time.Duration(cfg.PollInterval),
		Progress: func(level, done int) {
			if !*asJSON && isTerminal(env.Stderr) {
				fmt.Fprintf(env.Stderr, "\r· concurrency %d: %d requests\033[K", level, done)
			}
		}})
	if !*asJSON && isTerminal(env.Stderr) {
		fmt.Fprintln(env.Stderr)
	}
	if err != nil {
		return err
	}
	result := loadResult{ID: x.id, Model: info.Name, Meter: mc.note, Levels: res}
	if err := x.save(ctx, "load", fmt.Sprintf("load curve of %s at %s", info.Name, *levels), result); err != nil {
		return err
	}
	if *chartDir != "" {
		tp, jt := report.LoadCharts(res)
		for _, f := range []struct {
			name string
			svg  func(*bytes.Buffer) error
		}{{"throughput.svg", func(b *bytes.Buffer) error { return tp.SVG(b) }}, {"energy-per-token.svg", func(b *bytes.Buffer) error { return jt.SVG(b) }}} {
			var buf bytes.Buffer
			if err := f.svg(&buf); err != nil {
				return err
			}
			if err := writeFile(filepath.Join(*chartDir, f.name), buf.Bytes()); err != nil {
				return fmt.Errorf("write %s: %w", f.name, err)
			}
		}
	}
	if *asJSON {
		return writeJSON(env.Stdout, result)
	}
	w := env.Stdout
	fmt.Fprintf(w, "load curve %s: %s, %d output tokens per request, meter %s\n\n", x.id, info.Name, cfg.Run.MaxTokens, mc.note)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "concurrency\trequests\terrors\toutput tok/s\trequests/s\tTTFT p50 ms\tTTFT p99 ms\tITL p50 ms\tITL p99 ms\tmean W\tJ/output token\tJ/request\t")
	for _, l := range res {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Concurrency, l.Requests, l.Errors, l.Throughput, l.RequestsPS,
			opt(l.TTFTMs.P50, "%.1f"), opt(l.TTFTMs.P99, "%.1f"), opt(l.ITLMs.P50, "%.1f"), opt(l.ITLMs.P99, "%.1f"),
			opt(l.MeanPowerW, "%.1f"), opt(l.JPerToken, "%.4g"), opt(l.JPerRequest, "%.4g"))
	}
	tw.Flush()
	if len(res) > 0 {
		fmt.Fprintf(w, "\nenergy: %s\n", res[0].EnergyNote)
	}
	for _, l := range res {
		if l.FirstError != "" {
			fmt.Fprintf(w, "concurrency %d: %d errors, the first: %s\n", l.Concurrency, l.Errors, l.FirstError)
		}
	}
	return nil
}
