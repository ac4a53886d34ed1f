package synth

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

func TestShapes(t *testing.T) {
	for _, c := range []struct {
		name   string
		params int64
	}{
		{"synthetic-tiny", 5245184},
		// Qwen3-0.6B's published count.
		{"synthetic-qwen3-0.6b", 596049920},
	} {
		s, ok := Lookup(c.name)
		if !ok {
			t.Fatalf("shape %s missing", c.name)
		}
		if err := s.Config.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if got := s.Config.ParameterCount(); got != c.params {
			t.Errorf("%s: %d parameters, want %d", c.name, got, c.params)
		}
	}
	q, _ := Lookup("synthetic-qwen3-0.6b")
	if q.Config.QueryDim() != 2048 || q.Config.HeadDim() != 128 {
		t.Errorf("qwen3-0.6b query dim %d, head dim %d; want 2048, 128", q.Config.QueryDim(), q.Config.HeadDim())
	}
	if _, ok := Lookup("synthetic-nope"); ok {
		t.Error("Lookup found an unknown shape")
	}
	if len(Shapes()) < 2 {
		t.Error("fewer than two shapes")
	}
}

var small = model.Config{
	Architecture: model.ArchQwen3, VocabSize: 300, EmbeddingLength: 64, BlockCount: 2, HeadCount: 4, HeadCountKV: 2,
	KeyLength: 32, FeedForwardLength: 96, RopeFreqBase: 1e6, RMSEpsilon: 1e-6, ContextLength: 128,
	TiedEmbeddings: true, QKNorm: true,
}

func TestGenerateDeterministicAcrossThreads(t *testing.T) {
	ctx := context.Background()
	a, err := Generate(ctx, small, 1, tensor.NewPool(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(ctx, small, 1, tensor.NewPool(4))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Generate(ctx, small, 2, tensor.NewPool(4))
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := a.Tensors(small)
	tb, _ := b.Tensors(small)
	tc, _ := c.Tensors(small)
	same := true
	for i := range ta {
		if ta[i].Norm {
			for _, v := range ta[i].Vector {
				if v != 1 {
					t.Fatalf("%s: norm weight %g, want 1", ta[i].Name, v)
				}
			}
			continue
		}
		x, y, z := ta[i].Matrix.F32, tb[i].Matrix.F32, tc[i].Matrix.F32
		for j := range x {
			if x[j] != y[j] {
				t.Fatalf("%s[%d]: %g with 1 thread, %g with 4", ta[i].Name, j, x[j], y[j])
			}
			if x[j] != z[j] {
				same = false
			}
		}
		// Uniform on [-a, a] with variance 1/fan_in.
		a := math.Sqrt(3 / float64(ta[i].Cols))
		var ss float64
		for _, v := range x {
			if math.Abs(float64(v)) > a {
				t.Fatalf("%s: %g outside ±%g", ta[i].Name, v, a)
			}
			ss += float64(v) * float64(v)
		}
		if v := ss / float64(len(x)); math.Abs(v*float64(ta[i].Cols)-1) > 0.1 {
			t.Errorf("%s: variance × fan_in = %.3f, want 1 ± 0.1", ta[i].Name, v*float64(ta[i].Cols))
		}
	}
	if same {
		t.Error("seeds 1 and 2 generated the same weights")
	}
}

func TestActivationsStayFinite(t *testing.T) {
	s, _ := Lookup("synthetic-tiny")
	w, err := Generate(context.Background(), s.Config, DefaultSeed, tensor.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(s.Config, w)
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := m.NewSession(tensor.NewPool(2), 64)
	prompt := make([]int, 50)
	for i := range prompt {
		prompt[i] = (i * 131) % s.Config.VocabSize
	}
	logits, err := sess.Prefill(context.Background(), prompt)
	if err != nil {
		t.Fatal(err)
	}
	var ss float64
	for _, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite logit")
		}
		ss += float64(v) * float64(v)
	}
	// Logits of a unit-RMS hidden state against rows of variance 1/fan_in
	// have a standard deviation near 1.
	if rms := math.Sqrt(ss / float64(len(logits))); rms < 0.3 || rms > 3 {
		t.Errorf("logit RMS %.3f, want 0.3..3", rms)
	}
}

func TestDigest(t *testing.T) {
	d := Digest(small, 1)
	if !strings.HasPrefix(d, "synth:sha256:") || len(d) != len("synth:sha256:")+64 {
		t.Errorf("digest %q", d)
	}
	if Digest(small, 1) != d {
		t.Error("digest not stable")
	}
	if Digest(small, 2) == d {
		t.Error("digest ignores the seed")
	}
	other := small
	other.BlockCount = 3
	if Digest(other, 1) == d {
		t.Error("digest ignores the config")
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, small, 1, tensor.NewPool(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate on a cancelled context = %v", err)
	}
}

func BenchmarkGenerateTiny(b *testing.B) {
	s, _ := Lookup("synthetic-tiny")
	pool := tensor.NewPool(0)
	b.SetBytes(4 * s.Config.ParameterCount())
	for b.Loop() {
		if _, err := Generate(context.Background(), s.Config, DefaultSeed, pool); err != nil {
			b.Fatal(err)
		}
	}
}
