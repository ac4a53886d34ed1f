package app

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/llm-energy-lab/energylab/internal/enginebench"
)

// Targets the engine benchmark reports against (issue: decode efficiency
// at least 0.6 of the measured memory bandwidth; peak RSS within 1.3x of
// weights plus KV cache for the Q8_0 model).
const (
	targetEfficiency = 0.6
	targetRSSRatio   = 1.3
)

func cmdBenchEngine(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("bench-engine", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	shape := fs.String("shape", "synthetic-qwen3-0.6b", "synthetic shape to measure")
	quants := fs.String("quants", "q8_0,q4_k", "comma-separated storage tags")
	prompt := fs.Int("prompt", 128, "prompt tokens to prefill")
	decode := fs.Int("decode", 32, "tokens to decode")
	long := fs.Int("long-prompt", 1024, "length of a second, long prefill (0 skips it)")
	cfg, err := loadConfig(env, fs, args, "threads", "cache-dir")
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench-engine takes no arguments")
	}
	logw := env.Stderr
	rep, err := enginebench.Run(ctx, enginebench.Options{
		Shape: *shape, Quants: strings.Split(*quants, ","), PromptTokens: *prompt, DecodeTokens: *decode, LongPromptTokens: longOpt(*long),
		Threads: cfg.Builtin.Threads, CacheDir: filepath.Join(cfg.Builtin.CacheDir, "synthetic"), Seed: cfg.Builtin.Seed,
		Log: func(s string) { fmt.Fprintf(logw, "· %s\n", s) },
	})
	if err != nil {
		if ctx.Err() != nil {
			return cancelledError{err}
		}
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, rep)
	}
	w := env.Stdout
	fmt.Fprintf(w, "machine: %d CPUs, %d engine threads, SIMD kernels %v\n", rep.CPUs, rep.Threads, rep.SIMD)
	fmt.Fprintf(w, "memory bandwidth (same process, %d MiB buffers), best pass: read %.1f GB/s, copy %.1f GB/s (read + write)\n\n",
		rep.Bandwidth.Bytes>>20, rep.Bandwidth.ReadGBs, rep.Bandwidth.CopyGBs)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "MODEL\tPREFILL tok/s (%d | %d)\tDECODE tok/s\tWEIGHTS/token\tWEIGHT GB/s\tEFFICIENCY median (range)\tvs copy\tPEAK RSS\tRSS/(weights+KV)\n", *prompt, *long)
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s:%s\t%.1f | %.1f\t%.2f\t%.0f MB\t%.2f\t%.2f (%.2f–%.2f)\t%.2f\t%.0f MB\t%.2f\n", r.Model, r.Quant,
			r.PrefillTokensPerSecond, r.LongPrefillTokensPerSecond, r.DecodeTokensPerSecond, float64(r.WeightBytesPerToken)/1e6, r.WeightGBs,
			r.DecodeEfficiency, r.DecodeEfficiencyRange[0], r.DecodeEfficiencyRange[1], r.DecodeEfficiencyCopy, float64(r.PeakRSSBytes)/1e6, r.RSSRatio)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nper decoded token, from one more pass timed phase by phase:\n")
	for _, r := range rep.Results {
		b := r.Breakdown
		fmt.Fprintf(w, "  %s:%s %.1f ms = weight products %.1f ms (%.1f GB/s) + attention %.1f ms + other %.1f ms\n",
			r.Model, r.Quant, b.TotalMs, b.WeightProductsMs, b.ProductsGBs, b.AttentionMs, b.OtherMs)
	}
	fmt.Fprintf(w, "\ndecode efficiency = weight bytes per token × decode tokens/s ÷ the read bandwidth measured just before that decode pass;\nthe median of %d paired passes is compared with the target ≥ %.1f\n", len(rep.Results[0].Passes), targetEfficiency)
	for _, r := range rep.Results {
		verdict := "meets"
		if r.DecodeEfficiency < targetEfficiency {
			verdict = "misses"
		}
		line := fmt.Sprintf("%s:%s %s the efficiency target (%.2f)", r.Model, r.Quant, verdict, r.DecodeEfficiency)
		if r.Quant == "q8_0" && r.RSSRatio > 0 {
			v := "within"
			if r.RSSRatio > targetRSSRatio {
				v = "over"
			}
			line += fmt.Sprintf("; peak RSS %s %.1f× weights + KV cache (%.2f)", v, targetRSSRatio, r.RSSRatio)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// longOpt maps the flag's 0 (skip) to the option's -1.
func longOpt(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
