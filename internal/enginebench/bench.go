package enginebench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/loader"
	"github.com/llm-energy-lab/energylab/internal/engine/model"
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
	// Repeats is how many paired passes (a bandwidth measurement, then a
	// decode) each model gets; efficiency is the median of the pairs'
	// ratios, so that a noisy neighbour skews neither side alone. 5 by
	// default.
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
	// DecodeEfficiency is the median over the paired passes of WeightGBs
	// over the read bandwidth measured just before that pass;
	// DecodeEfficiencyRange is the lowest and highest.
	DecodeEfficiency      float64    `json:"decode_efficiency"`
	DecodeEfficiencyRange [2]float64 `json:"decode_efficiency_range"`
	// DecodeEfficiencyCopy is the same against the copy bandwidth.
	DecodeEfficiencyCopy float64 `json:"decode_efficiency_vs_copy"`
	// Passes are the paired measurements: each decode pass with the
	// bandwidth measured right before it.
	Passes []Pass `json:"passes"`
	// PeakRSSBytes is the process's peak resident memory from loading the
	// model to the end of decoding (0 where the OS does not report it).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// RSSRatio is PeakRSSBytes / (FileWeightBytes + KVCacheBytes).
	RSSRatio float64 `json:"rss_ratio"`
	// Breakdown is where a decoded token's time goes, from one more decode
	// pass timed phase by phase (after the paired passes, which are not).
	Breakdown Breakdown `json:"decode_breakdown"`
	// GenerateSeconds is the time to write the GGUF file (0 when cached).
	GenerateSeconds float64 `json:"generate_seconds"`
	LoadSeconds     float64 `json:"load_seconds"`
}

// Breakdown is a decoded token's time by phase, in milliseconds per token:
// the weight products (activation quantisation included), attention (KV
// cache write, scores, softmax, weighted values) and everything else
// (norms, rotary embedding, SwiGLU, embedding lookup, sampling the next
// token by argmax). ProductsGBs is WeightBytesPerToken over the time of
// the weight products alone: the rate the matrix kernels stream weights at.
type Breakdown struct {
	TotalMs          float64 `json:"total_ms"`
	WeightProductsMs float64 `json:"weight_products_ms"`
	AttentionMs      float64 `json:"attention_ms"`
	OtherMs          float64 `json:"other_ms"`
	ProductsGBs      float64 `json:"weight_products_gb_s"`
}

// Pass is one decode measurement and the bandwidth measured just before
// it, so that both see the same moment of a shared machine.
type Pass struct {
	ReadGBs               float64 `json:"read_gb_s"`
	CopyGBs               float64 `json:"copy_gb_s"`
	DecodeTokensPerSecond float64 `json:"decode_tokens_per_second"`
	WeightGBs             float64 `json:"weight_gb_s"`
	Efficiency            float64 `json:"efficiency"`
}

// Report is a whole run.
type Report struct {
	Threads   int       `json:"threads"`
	CPUs      int       `json:"cpus"`
	SIMD      bool      `json:"simd"`
	Bandwidth Bandwidth `json:"bandwidth"`
	Results   []Result  `json:"results"`
}

// bwBytes is the size of each bandwidth buffer: far beyond any cache.
const bwBytes = 256 << 20

// Run measures each quant of the shape. The bandwidth is measured in the
// same process, with the same threads, right before each decode pass.
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
		o.Repeats = 5
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
	for _, qn := range o.Quants {
		q, ok := synth.LookupQuant(qn)
		if !ok {
			return rep, fmt.Errorf("unknown storage tag %q (tags: %v)", qn, synth.QuantNames())
		}
		r, err := one(ctx, shape, q, o, pool, logf)
		if err != nil {
			return rep, fmt.Errorf("%s:%s: %w", shape.Name, q.Name, err)
		}
		for _, p := range r.Passes {
			rep.Bandwidth.ReadGBs = max(rep.Bandwidth.ReadGBs, p.ReadGBs)
			rep.Bandwidth.CopyGBs = max(rep.Bandwidth.CopyGBs, p.CopyGBs)
		}
		rep.Bandwidth.Bytes = bwBytes
		rep.Results = append(rep.Results, r)
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
	r.KVCacheBytes = int64(capacity) * c.KVCacheBytesPerToken()
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
	decode := func() (float64, error) {
		sess.Truncate(len(prompt))
		logits := first
		tok := tensor.Argmax(logits)
		t := time.Now()
		for range o.DecodeTokens {
			var err error
			if logits, err = sess.Decode(ctx, tok); err != nil {
				return 0, err
			}
			tok = tensor.Argmax(logits)
		}
		return float64(o.DecodeTokens) / time.Since(t).Seconds(), nil
	}
	// A first decode pass, before anything else is allocated, gives the
	// peak resident memory of the request alone.
	logf("%s:%s: decode %d tokens", shape.Name, q.Name, o.DecodeTokens)
	if _, err := decode(); err != nil {
		return r, err
	}
	r.PeakRSSBytes = peakRSS()
	if r.PeakRSSBytes > 0 {
		r.RSSRatio = float64(r.PeakRSSBytes) / float64(r.FileWeightBytes+r.KVCacheBytes)
	}
	// Then the paired passes: bandwidth right before each decode.
	bb := newBuffers(bwBytes)
	var effs []float64
	for rep := range o.Repeats {
		logf("%s:%s: bandwidth and decode, pass %d of %d", shape.Name, q.Name, rep+1, o.Repeats)
		bw := bb.measure(pool, 2)
		tps, err := decode()
		if err != nil {
			return r, err
		}
		gbs := float64(r.WeightBytesPerToken) * tps / 1e9
		p := Pass{ReadGBs: bw.ReadGBs, CopyGBs: bw.CopyGBs, DecodeTokensPerSecond: tps, WeightGBs: gbs, Efficiency: gbs / bw.ReadGBs}
		r.Passes = append(r.Passes, p)
		effs = append(effs, p.Efficiency)
	}
	// One more pass, timed by phase. Its total is the wall time of the
	// whole decode loop (argmax included), so "other" holds what the
	// phases do not.
	var prof model.DecodeProfile
	sess.SetProfile(&prof)
	t = time.Now()
	if _, err := decode(); err != nil {
		return r, err
	}
	wall := time.Since(t)
	sess.SetProfile(nil)
	perTok := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(o.DecodeTokens) }
	r.Breakdown = Breakdown{
		TotalMs: perTok(wall), WeightProductsMs: perTok(prof.WeightProducts), AttentionMs: perTok(prof.Attention),
		OtherMs: perTok(wall - prof.WeightProducts - prof.Attention),
	}
	if prof.WeightProducts > 0 {
		r.Breakdown.ProductsGBs = float64(r.WeightBytesPerToken) * float64(prof.Tokens) / prof.WeightProducts.Seconds() / 1e9
	}
	bb = nil
	debug.FreeOSMemory()
	slices.Sort(effs)
	mid := r.Passes[0]
	for _, p := range r.Passes {
		if p.Efficiency == effs[len(effs)/2] {
			mid = p
		}
	}
	r.DecodeTokensPerSecond, r.DecodeEfficiency = mid.DecodeTokensPerSecond, mid.Efficiency
	r.DecodeEfficiencyRange = [2]float64{effs[0], effs[len(effs)-1]}
	r.DecodeEfficiencyCopy = mid.WeightGBs / mid.CopyGBs
	r.WeightGBs = float64(r.WeightBytesPerToken) * r.DecodeTokensPerSecond / 1e9
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
