package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Small configurations that exercise every code path: a llama shape with
// grouped-query attention (2 query heads per KV head) and an untied output
// head, the same with interleaved RoPE, and a qwen3 shape with q/k norm,
// tied embeddings and a head dimension that is not EmbeddingLength/HeadCount
// (like Qwen3-0.6B, where 16 heads of 128 make a 2,048-wide query from a
// 1,024-wide embedding).
var testConfigs = []struct {
	name string
	cfg  Config
}{
	{"llama", Config{
		Architecture: ArchLlama, VocabSize: 97, EmbeddingLength: 32, BlockCount: 2, HeadCount: 4, HeadCountKV: 2,
		FeedForwardLength: 48, RopeFreqBase: 10000, RMSEpsilon: 1e-5, ContextLength: 64,
	}},
	{"llama interleaved rope", Config{
		Architecture: ArchLlama, VocabSize: 61, EmbeddingLength: 24, BlockCount: 2, HeadCount: 3, HeadCountKV: 1,
		FeedForwardLength: 40, RopeFreqBase: 500000, RopeStyle: RopeInterleaved, RMSEpsilon: 1e-5, ContextLength: 64,
	}},
	{"qwen3", Config{
		Architecture: ArchQwen3, VocabSize: 113, EmbeddingLength: 32, BlockCount: 3, HeadCount: 4, HeadCountKV: 2,
		KeyLength: 16, FeedForwardLength: 56, RopeFreqBase: 1e6, RMSEpsilon: 1e-6, ContextLength: 64,
		TiedEmbeddings: true, QKNorm: true,
	}},
	{"qwen2", Config{
		Architecture: ArchQwen2, VocabSize: 89, EmbeddingLength: 32, BlockCount: 2, HeadCount: 4, HeadCountKV: 1,
		FeedForwardLength: 40, RopeFreqBase: 1e6, RMSEpsilon: 1e-6, ContextLength: 64, QKVBias: true,
	}},
}

// randomWeights fills weights for c with uniform values of variance
// 1/fan_in and norm weights in [0.5, 1.5], so that a forward pass that
// ignored a norm's weights would be caught.
func randomWeights(t *testing.T, c Config, seed uint64) *Weights {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	w := NewWeightsF32(c)
	ts, err := w.Tensors(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ts {
		if tt.Norm {
			for i := range tt.Vector {
				tt.Vector[i] = 0.5 + r.Float32()
			}
			continue
		}
		if tt.Bias {
			for i := range tt.Vector {
				tt.Vector[i] = 0.2*r.Float32() - 0.1
			}
			continue
		}
		a := float32(math.Sqrt(3 / float64(tt.Cols)))
		for i := range tt.Matrix.F32 {
			tt.Matrix.F32[i] = (2*r.Float32() - 1) * a
		}
	}
	return w
}

// refModel is a naive float64 forward pass, written from the equations and
// sharing no code with the optimised kernels: it evaluates one token at a
// time and keeps its own KV cache, of float64 values rounded to binary16
// as the engine stores them.
type refModel struct {
	c    Config
	w    *Weights
	k, v [][][]float64 // layer, position, KVDim
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func refMatVec(m *tensor.Matrix, x []float64) []float64 {
	out := make([]float64, m.Rows)
	for r := range m.Rows {
		var s float64
		for c := range m.Cols {
			s += float64(m.F32[r*m.Cols+c]) * x[c]
		}
		out[r] = s
	}
	return out
}

func refRMSNorm(x []float64, w []float32, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	inv := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * inv * float64(w[i])
	}
	return out
}

func refRope(x []float64, hd, pos int, base float64, style RopeStyle, factors []float32) {
	for h := 0; h < len(x); h += hd {
		for i := 0; i < hd/2; i++ {
			theta := float64(pos) / math.Pow(base, float64(2*i)/float64(hd))
			if factors != nil {
				theta /= float64(factors[i])
			}
			a, b := h+i, h+i+hd/2
			if style == RopeInterleaved {
				a, b = h+2*i, h+2*i+1
			}
			x0, x1 := x[a], x[b]
			x[a] = x0*math.Cos(theta) - x1*math.Sin(theta)
			x[b] = x0*math.Sin(theta) + x1*math.Cos(theta)
		}
	}
}

func (m *refModel) step(token int) []float64 {
	c, w := m.c, m.w
	hd := c.HeadDim()
	pos := len(m.k[0])
	x := f64(w.TokenEmbedding.F32[token*c.EmbeddingLength : (token+1)*c.EmbeddingLength])
	for l := range c.BlockCount {
		L := &w.Layers[l]
		xn := refRMSNorm(x, L.AttnNorm, c.RMSEpsilon)
		q, k, v := refMatVec(L.Q, xn), refMatVec(L.K, xn), refMatVec(L.V, xn)
		if c.QKVBias {
			for i := range q {
				q[i] += float64(L.QBias[i])
			}
			for i := range k {
				k[i] += float64(L.KBias[i])
				v[i] += float64(L.VBias[i])
			}
		}
		if c.QKNorm {
			for h := 0; h < len(q); h += hd {
				copy(q[h:h+hd], refRMSNorm(q[h:h+hd], L.QNorm, c.RMSEpsilon))
			}
			for h := 0; h < len(k); h += hd {
				copy(k[h:h+hd], refRMSNorm(k[h:h+hd], L.KNorm, c.RMSEpsilon))
			}
		}
		refRope(q, hd, pos, c.RopeFreqBase, c.RopeStyle, w.RopeFreqs)
		refRope(k, hd, pos, c.RopeFreqBase, c.RopeStyle, w.RopeFreqs)
		m.k[l] = append(m.k[l], refF16s(k))
		m.v[l] = append(m.v[l], refF16s(v))
		att := make([]float64, len(q))
		for h := range c.HeadCount {
			g := h / (c.HeadCount / c.HeadCountKV)
			scores := make([]float64, pos+1)
			maxS := math.Inf(-1)
			for j := range scores {
				var s float64
				for d := range hd {
					s += q[h*hd+d] * m.k[l][j][g*hd+d]
				}
				scores[j] = s / math.Sqrt(float64(hd))
				maxS = math.Max(maxS, scores[j])
			}
			var sum float64
			for j := range scores {
				scores[j] = math.Exp(scores[j] - maxS)
				sum += scores[j]
			}
			for j := range scores {
				for d := range hd {
					att[h*hd+d] += scores[j] / sum * m.v[l][j][g*hd+d]
				}
			}
		}
		o := refMatVec(L.Output, att)
		for i := range x {
			x[i] += o[i]
		}
		xn = refRMSNorm(x, L.FFNNorm, c.RMSEpsilon)
		gate, up := refMatVec(L.Gate, xn), refMatVec(L.Up, xn)
		for i := range gate {
			gate[i] = gate[i] / (1 + math.Exp(-gate[i])) * up[i]
		}
		d := refMatVec(L.Down, gate)
		for i := range x {
			x[i] += d[i]
		}
	}
	out := w.Output
	if c.TiedEmbeddings {
		out = w.TokenEmbedding
	}
	return refMatVec(out, refRMSNorm(x, w.OutputNorm, c.RMSEpsilon))
}

// refF16s returns x rounded to binary16 values, as the engine's KV cache
// stores keys and values: to the nearest multiple of the binary16 spacing
// at x's magnitude (2^(e−10) for 2^e ≤ |x|, at least 2^−24 below the
// normal range), ties to even; beyond 65504 the rounding reaches ±Inf.
func refF16s(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = v
			continue
		}
		_, e := math.Frexp(math.Abs(v)) // |v| = f·2^e, 0.5 ≤ f < 1
		step := math.Ldexp(1, max(e-1-10, -24))
		r := math.RoundToEven(v/step) * step
		if math.Abs(r) > 65504 {
			r = math.Copysign(math.Inf(1), v)
		}
		out[i] = r
	}
	return out
}

func newRef(c Config, w *Weights) *refModel {
	return &refModel{c: c, w: w, k: make([][][]float64, c.BlockCount), v: make([][][]float64, c.BlockCount)}
}

// logitTolerance bounds |optimised − reference| for any logit. The
// optimised pass computes in float32 (relative error ~1e-7 per operation);
// over a few layers of width ≤ 56 the observed error is ~1e-6 for logits of
// magnitude ~1. Both passes cache keys and values as binary16, and where
// the engine's float32 value and the reference's float64 value of one fall
// either side of a binary16 rounding boundary they are cached a binary16
// step (2^-11 relative) apart: that moved a logit by 3e-4 in the portable
// (purego) build. 2e-3 leaves room for a few such and still fails on any
// real mistake (a wrong head, position or norm changes logits by 1e-2 or
// more).
const logitTolerance = 2e-3

func maxDiff(got []float32, want []float64) (float64, int) {
	worst, at := 0.0, -1
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

func testPrompt(vocab, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = (i*37 + 11) % vocab
	}
	return p
}

func TestForwardMatchesFloat64Reference(t *testing.T) {
	ctx := context.Background()
	for _, tc := range testConfigs {
		t.Run(tc.name, func(t *testing.T) {
			w := randomWeights(t, tc.cfg, 1)
			m, err := New(tc.cfg, w)
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.NewSession(tensor.NewPool(2), 24)
			if err != nil {
				t.Fatal(err)
			}
			s.SetPrefillBatch(4) // 11 prompt tokens: batches of 4, 4 and 3.
			ref := newRef(tc.cfg, w)
			prompt := testPrompt(tc.cfg.VocabSize, 11)
			var want []float64
			for _, tok := range prompt {
				want = ref.step(tok)
			}
			got, err := s.Prefill(ctx, prompt)
			if err != nil {
				t.Fatal(err)
			}
			worst, _ := maxDiff(got, want)
			if d, at := maxDiff(got, want); d > logitTolerance {
				t.Fatalf("prefill logits differ from the reference by %g at token %d (%g vs %g)", d, at, got[at], want[at])
			}
			for step := range 5 {
				tok := tensor.Argmax(got)
				want = ref.step(tok)
				if got, err = s.Decode(ctx, tok); err != nil {
					t.Fatal(err)
				}
				d, at := maxDiff(got, want)
				if d > logitTolerance {
					t.Fatalf("decode step %d: logits differ from the reference by %g at token %d", step, d, at)
				}
				worst = max(worst, d)
			}
			t.Logf("largest |optimised - reference| over prefill and 5 decode steps: %.2g", worst)
			if s.Pos() != 16 {
				t.Errorf("Pos = %d after 11 prompt tokens and 5 decoded, want 16", s.Pos())
			}
		})
	}
}

func TestBatchedPrefillMatchesTokenByToken(t *testing.T) {
	ctx := context.Background()
	for _, tc := range testConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, randomWeights(t, tc.cfg, 2))
			if err != nil {
				t.Fatal(err)
			}
			prompt := testPrompt(tc.cfg.VocabSize, 37)
			batched, _ := m.NewSession(tensor.NewPool(2), 40)
			got, err := batched.Prefill(ctx, prompt)
			if err != nil {
				t.Fatal(err)
			}
			got = append([]float32(nil), got...)
			single, _ := m.NewSession(tensor.NewPool(2), 40)
			var want []float32
			for _, tok := range prompt {
				if want, err = single.Decode(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			// Both paths compute every dot product in the same order (see
			// package tensor), so they agree to the bit on amd64; the
			// tolerance only allows for compilers that fuse multiply-adds
			// differently in different kernels.
			for i := range got {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5 {
					t.Fatalf("logit %d: batched %g, token by token %g", i, got[i], want[i])
				}
			}
		})
	}
}

func greedy(t *testing.T, m *Model, threads int, prompt []int, n int) ([]int, []float32) {
	t.Helper()
	ctx := context.Background()
	s, err := m.NewSession(tensor.NewPool(threads), len(prompt)+n)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := s.Prefill(ctx, prompt)
	if err != nil {
		t.Fatal(err)
	}
	first := append([]float32(nil), logits...)
	var out []int
	for range n {
		tok := tensor.Argmax(logits)
		out = append(out, tok)
		if logits, err = s.Decode(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	return out, first
}

func TestGreedyDeterministicAcrossThreads(t *testing.T) {
	for _, tc := range testConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, randomWeights(t, tc.cfg, 3))
			if err != nil {
				t.Fatal(err)
			}
			prompt := testPrompt(tc.cfg.VocabSize, 9)
			want, wantLogits := greedy(t, m, 1, prompt, 20)
			for _, threads := range []int{1, 2, 4} {
				got, logits := greedy(t, m, threads, prompt, 20)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("threads=%d: tokens %v, with 1 thread %v", threads, got, want)
				}
				for i := range logits {
					if logits[i] != wantLogits[i] {
						t.Fatalf("threads=%d: prefill logit %d = %g, with 1 thread %g", threads, i, logits[i], wantLogits[i])
					}
				}
			}
		})
	}
}

func TestPrefillCancelled(t *testing.T) {
	c := testConfigs[0].cfg
	m, err := New(c, randomWeights(t, c, 4))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.NewSession(tensor.NewPool(1), 16)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Prefill(ctx, []int{1, 2, 3}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Prefill on a cancelled context = %v, want context.Canceled", err)
	}
	if s.Pos() != 0 {
		t.Errorf("Pos = %d after a cancelled prefill, want 0", s.Pos())
	}
}

func TestErrors(t *testing.T) {
	c := testConfigs[0].cfg
	m, err := New(c, randomWeights(t, c, 5))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.NewSession(tensor.NewPool(1), c.ContextLength+1); err == nil {
		t.Error("session larger than the context: no error")
	}
	s, _ := m.NewSession(tensor.NewPool(1), 4)
	if _, err := s.Prefill(ctx, []int{1, 2, 3, 4, 5}); err == nil {
		t.Error("prefill past the KV cache: no error")
	}
	if _, err := s.Prefill(ctx, []int{c.VocabSize}); err == nil {
		t.Error("token outside the vocabulary: no error")
	}
	bad := c
	bad.HeadCountKV = 3
	if err := bad.Validate(); err == nil {
		t.Error("head count not a multiple of KV heads: Validate accepted it")
	}
	w := randomWeights(t, c, 6)
	w.Layers[1].Gate = tensor.NewMatrixF32(3, 3)
	if _, err := New(c, w); err == nil {
		t.Error("New accepted a mis-shaped ffn_gate")
	}
}

func TestParameterCount(t *testing.T) {
	// Qwen3-0.6B's published size: 596,049,920 weights with tied embeddings
	// (155,582,464 of them in token_embd).
	c := Config{
		Architecture: ArchQwen3, VocabSize: 151936, EmbeddingLength: 1024, BlockCount: 28, HeadCount: 16, HeadCountKV: 8,
		KeyLength: 128, FeedForwardLength: 3072, RopeFreqBase: 1e6, RMSEpsilon: 1e-6, ContextLength: 40960,
		TiedEmbeddings: true, QKNorm: true,
	}
	if got := c.ParameterCount(); got != 596049920 {
		t.Errorf("Qwen3-0.6B parameter count = %d, want 596049920", got)
	}
	if got := c.KVCacheBytesPerToken(); got != 28*2*1024*2 {
		t.Errorf("KV cache bytes per token = %d, want %d", got, 28*2*1024*2)
	}
}

// TestDecodeProfile checks that a session with a profile times its decoded
// tokens, and only those, into parts that fit inside the total.
func TestDecodeProfile(t *testing.T) {
	ctx := context.Background()
	tc := testConfigs[0]
	m, err := New(tc.cfg, randomWeights(t, tc.cfg, 5))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.NewSession(tensor.NewPool(2), 16)
	var prof DecodeProfile
	s.SetProfile(&prof)
	if _, err := s.Prefill(ctx, testPrompt(tc.cfg.VocabSize, 5)); err != nil {
		t.Fatal(err)
	}
	if prof.Tokens != 0 || prof.Total != 0 {
		t.Fatalf("a prefill of 5 tokens was profiled: %+v", prof)
	}
	for i := range 3 {
		if _, err := s.Decode(ctx, i+1); err != nil {
			t.Fatal(err)
		}
	}
	if prof.Tokens != 3 || prof.WeightProducts <= 0 || prof.Attention <= 0 || prof.Other() < 0 || prof.WeightProducts+prof.Attention > prof.Total {
		t.Fatalf("after 3 decoded tokens: %+v (other %v)", prof, prof.Other())
	}
	s.SetProfile(nil)
	before := prof
	if _, err := s.Decode(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if prof != before {
		t.Fatalf("a token decoded without a profile changed it: %+v → %+v", before, prof)
	}
}
