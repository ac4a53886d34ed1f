package enginebench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/loader"
	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Options say what to benchmark.
type Options struct {
	// Shape is the synthetic shape, "synthetic-qwen3-0.6b" by default.
	Shape string
	// Quants are the storage tags, q8_0 and q4_k by default.
	Quants []string
	// PromptTokens and DecodeTokens size the request.
	PromptTokens, DecodeTokens int
	// LongPromptTokens is the length of a second, long prefill that shows
	// how attention's growing cost slows prefill (1024 by default; -1
	// skips it).
	LongPromptTokens int
	// Threads is the engine's worker count; 0 means every CPU.
	Threads int
	// CacheDir holds the generated GGUF files.
	CacheDir string
	// Seed generates the weights; 0 is synth.DefaultSeed.
	Seed uint64
	// Repeats is how many times decoding (and the bandwidth) is measured;
	// the best of each is kept, so that both figures come from the
	// machine's quietest moments (this benchmark runs on shared machines).
	// 3 by default.
	Repeats int
	// Log receives progress lines; may be nil.
	Log func(string)
}

// Result is one model's figures.
type Result struct {
	Model string `json:"model"`
	Quant string `json:"quant"`
	// Parameters is the model's parameter count.
	Parameters int64 `json:"parameters"`
	// WeightBytesPerToken is the bytes of weight matrices one decoded
	// token reads (every projection and the output head).
	WeightBytesPerToken int64 `json:"weight_bytes_per_token"`
	// FileWeightBytes is the size of all tensors in the file.
	FileWeightBytes int64 `json:"file_weight_bytes"`
	// KVCacheBytes is the KV cache of the benchmark's session.
	KVCacheBytes           int64   `json:"kv_cache_bytes"`
	PromptTokens           int     `json:"prompt_tokens"`
	DecodeTokens           int     `json:"decode_tokens"`
	PrefillTokensPerSecond float64 `json:"prefill_tokens_per_second"`
	// LongPrefillTokensPerSecond is the prefill rate of LongPromptTokens.
	LongPromptTokens           int     `json:"long_prompt_tokens,omitempty"`
	LongPrefillTokensPerSecond float64 `json:"long_prefill_tokens_per_second,omitempty"`
	DecodeTokensPerSecond      float64 `json:"decode_tokens_per_second"`
	// WeightGBs is WeightBytesPerToken × decode tokens/s.
	WeightGBs float64 `json:"weight_gb_s"`
	// DecodeEfficiency is WeightGBs over the measured read bandwidth.
	DecodeEfficiency float64 `json:"decode_efficiency"`
	// DecodeEfficiencyCopy is WeightGBs over the copy bandwidth.
	DecodeEfficiencyCopy float64 `json:"decode_efficiency_vs_copy"`
	// PeakRSSBytes is the process's peak resident memory from loading the
	// model to the end of decoding (0 where the OS does not report it).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// RSSRatio is PeakRSSBytes / (FileWeightBytes + KVCacheBytes).
	RSSRatio float64 `json:"rss_ratio"`
	// GenerateSeconds is the time to write the GGUF file (0 when cached).
	GenerateSeconds float64 `json:"generate_seconds"`
	LoadSeconds     float64 `json:"load_seconds"`
}

// Report is a whole run.
type Report struct {
	Threads   int       `json:"threads"`
	CPUs      int       `json:"cpus"`
	SIMD      bool      `json:"simd"`
	Bandwidth Bandwidth `json:"bandwidth"`
	Results   []Result  `json:"results"`
}

// Run measures each quant of the shape. The bandwidth is measured first, in
// the same process and with the same threads.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Shape == "" {
		o.Shape = "synthetic-qwen3-0.6b"
	}
	if len(o.Quants) == 0 {
		o.Quants = []string{"q8_0", "q4_k"}
	}
	if o.PromptTokens <= 0 {
		o.PromptTokens = 128
	}
	if o.DecodeTokens <= 0 {
		o.DecodeTokens = 32
	}
	if o.Seed == 0 {
		o.Seed = synth.DefaultSeed
	}
	if o.Repeats <= 0 {
		o.Repeats = 3
	}
	if o.LongPromptTokens == 0 {
		o.LongPromptTokens = 1024
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			o.Log(fmt.Sprintf(format, a...))
		}
	}
	shape, ok := synth.Lookup(o.Shape)
	if !ok {
		return Report{}, fmt.Errorf("unknown synthetic shape %q", o.Shape)
	}
	pool := tensor.NewPool(o.Threads)
	rep := Report{Threads: pool.Threads(), CPUs: runtime.NumCPU(), SIMD: tensor.SIMD()}
	measureBW := func() {
		logf("measuring memory bandwidth (%d threads)", pool.Threads())
		b := MeasureBandwidth(pool, 256<<20, 5)
		rep.Bandwidth.Bytes = b.Bytes
		rep.Bandwidth.ReadGBs = max(rep.Bandwidth.ReadGBs, b.ReadGBs)
		rep.Bandwidth.CopyGBs = max(rep.Bandwidth.CopyGBs, b.CopyGBs)
	}
	measureBW()
	for _, qn := range o.Quants {
		q, ok := synth.LookupQuant(qn)
		if !ok {
			return rep, fmt.Errorf("unknown storage tag %q (tags: %v)", qn, synth.QuantNames())
		}
		r, err := one(ctx, shape, q, o, pool, logf)
		if err != nil {
			return rep, fmt.Errorf("%s:%s: %w", shape.Name, q.Name, err)
		}
		rep.Results = append(rep.Results, r)
		measureBW()
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		r.DecodeEfficiency = r.WeightGBs / rep.Bandwidth.ReadGBs
		r.DecodeEfficiencyCopy = r.WeightGBs / rep.Bandwidth.CopyGBs
	}
	return rep, nil
}

func one(ctx context.Context, shape synth.Shape, q synth.Quant, o Options, pool *tensor.Pool, logf func(string, ...any)) (Result, error) {
	r := Result{Model: shape.Name, Quant: q.Name, Parameters: shape.Config.ParameterCount(), PromptTokens: o.PromptTokens, DecodeTokens: o.DecodeTokens}
	t := time.Now()
	path, generated, err := synth.Ensure(ctx, o.CacheDir, shape, o.Seed, q, pool)
	if err != nil {
		return r, err
	}
	if generated {
		r.GenerateSeconds = time.Since(t).Seconds()
		logf("generated %s in %.1f s", path, r.GenerateSeconds)
	}
	debug.FreeOSMemory()
	resetPeakRSS()

	t = time.Now()
	m, err := loader.Open(path, nil)
	if err != nil {
		return r, err
	}
	defer m.Close()
	mm, err := m.LoadWeights()
	if err != nil {
		return r, err
	}
	if r.FileWeightBytes, err = m.Warm(ctx, pool); err != nil {
		return r, err
	}
	r.LoadSeconds = time.Since(t).Seconds()
	r.WeightBytesPerToken = loader.WeightBytes(mm)
	capacity := o.PromptTokens + o.DecodeTokens
	c := mm.Config()
	r.KVCacheBytes = int64(capacity) * int64(c.BlockCount) * 2 * int64(c.KVDim()) * 4
	sess, err := mm.NewSession(pool, capacity)
	if err != nil {
		return r, err
	}
	prompt := make([]int, o.PromptTokens)
	for i := range prompt {
		prompt[i] = (i*7919 + 13) % c.VocabSize
	}
	logf("%s:%s: prefill %d tokens", shape.Name, q.Name, len(prompt))
	t = time.Now()
	logits, err := sess.Prefill(ctx, prompt)
	if err != nil {
		return r, err
	}
	logits = append([]float32(nil), logits...)
	r.PrefillTokensPerSecond = float64(len(prompt)) / time.Since(t).Seconds()
	first := logits
	for rep := range o.Repeats {
		logf("%s:%s: decode %d tokens (%d of %d)", shape.Name, q.Name, o.DecodeTokens, rep+1, o.Repeats)
		if rep > 0 {
			// Decode the same tokens again from the end of the prompt.
			sess.Truncate(len(prompt))
			logits = first
		}
		tok := tensor.Argmax(logits)
		t = time.Now()
		for range o.DecodeTokens {
			if logits, err = sess.Decode(ctx, tok); err != nil {
				return r, err
			}
			tok = tensor.Argmax(logits)
		}
		r.DecodeTokensPerSecond = max(r.DecodeTokensPerSecond, float64(o.DecodeTokens)/time.Since(t).Seconds())
	}
	r.WeightGBs = float64(r.WeightBytesPerToken) * r.DecodeTokensPerSecond / 1e9
	r.PeakRSSBytes = peakRSS()
	if r.PeakRSSBytes > 0 {
		r.RSSRatio = float64(r.PeakRSSBytes) / float64(r.FileWeightBytes+r.KVCacheBytes)
	}
	// The long prefill comes after the RSS reading: its KV cache is not
	// part of the benchmark request's memory.
	if n := o.LongPromptTokens; n > 0 && n < c.ContextLength {
		long, err := mm.NewSession(pool, n)
		if err != nil {
			return r, err
		}
		lp := make([]int, n)
		for i := range lp {
			lp[i] = (i*7919 + 13) % c.VocabSize
		}
		logf("%s:%s: prefill %d tokens", shape.Name, q.Name, n)
		t = time.Now()
		if _, err := long.Prefill(ctx, lp); err != nil {
			return r, err
		}
		r.LongPromptTokens = n
		r.LongPrefillTokensPerSecond = float64(n) / time.Since(t).Seconds()
	}
	return r, nil
}
