package loader

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/chat"
	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// small returns a shape small enough for unit tests, of architecture arch.
func small(arch string) synth.Shape {
	c := model.Config{
		Architecture: arch, VocabSize: 600, EmbeddingLength: 256, BlockCount: 2, HeadCount: 4, HeadCountKV: 2,
		FeedForwardLength: 512, RopeFreqBase: 10000, RMSEpsilon: 1e-5, ContextLength: 256,
	}
	switch arch {
	case model.ArchQwen3:
		c.KeyLength, c.QKNorm, c.TiedEmbeddings, c.RopeStyle = 32, true, true, model.RopeNeoX
	case model.ArchQwen2:
		c.QKVBias, c.RopeStyle = true, model.RopeNeoX
	default:
		c.RopeStyle = model.RopeInterleaved
	}
	return synth.Shape{Name: "test-" + arch, Config: c}
}

func write(t *testing.T, s synth.Shape, quant string) string {
	t.Helper()
	q, ok := synth.LookupQuant(quant)
	if !ok {
		t.Fatalf("no quant %s", quant)
	}
	path, gen, err := synth.Ensure(context.Background(), t.TempDir(), s, 42, q, tensor.NewPool(2))
	if err != nil || !gen {
		t.Fatalf("Ensure: %v (generated %v)", err, gen)
	}
	return path
}

// TestSyntheticF32MatchesGenerate checks that a synthetic model written as
// an F32 GGUF and loaded through the same path as downloaded models holds
// exactly the weights synth.Generate makes, for each architecture.
func TestSyntheticF32MatchesGenerate(t *testing.T) {
	for _, arch := range []string{model.ArchLlama, model.ArchQwen2, model.ArchQwen3} {
		t.Run(arch, func(t *testing.T) {
			s := small(arch)
			m, err := Open(write(t, s, "f32"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !m.Synthetic || m.Seed != 42 || m.Quantization != "F32" || m.Name != s.Name {
				t.Errorf("metadata: synthetic %v seed %d quant %s name %q", m.Synthetic, m.Seed, m.Quantization, m.Name)
			}
			if m.Config != s.Config {
				t.Fatalf("config from the file %+v, want %+v", m.Config, s.Config)
			}
			if m.Template.Spec().Kind != chat.ChatML || !m.Template.CanThink() {
				t.Errorf("template %+v", m.Template.Spec())
			}
			mm, err := m.LoadWeights()
			if err != nil {
				t.Fatal(err)
			}
			ref, err := synth.Generate(context.Background(), s.Config, 42, tensor.NewPool(1))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := mm.Weights().Tensors(s.Config)
			want, _ := ref.Tensors(s.Config)
			for i := range want {
				a, b := got[i], want[i]
				if a.Name != b.Name {
					t.Fatalf("tensor %d: %s vs %s", i, a.Name, b.Name)
				}
				x, y := a.Vector, b.Vector
				if a.Matrix != nil {
					x, y = a.Matrix.F32, b.Matrix.F32
				}
				if len(x) != len(y) {
					t.Fatalf("%s: %d vs %d elements", a.Name, len(x), len(y))
				}
				for j := range x {
					if x[j] != y[j] {
						t.Fatalf("%s[%d] = %v from the file, %v from Generate", a.Name, j, x[j], y[j])
					}
				}
			}
			// The tokenizer round-trips and the template renders.
			text := "Hello, world! Energy per token 0.42 J."
			if got := m.Tokenizer.Decode(m.Tokenizer.Encode(text)); got != text {
				t.Errorf("round trip %q", got)
			}
			ids := m.Template.Render([]chat.Message{{Role: "user", Content: text}}, false)
			if len(ids) < 10 {
				t.Errorf("prompt of %d tokens", len(ids))
			}
		})
	}
}

// TestQuantisedLoadsAndRuns loads each quant of a small model, checks the
// bytes a decoded token reads and that a forward pass gives finite logits
// close to the F32 model's.
func TestQuantisedLoadsAndRuns(t *testing.T) {
	s := small(model.ArchQwen3)
	logitsOf := func(path string) ([]float32, int64) {
		m, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		mm, err := m.LoadWeights()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Warm(context.Background(), tensor.NewPool(2)); err != nil {
			t.Fatal(err)
		}
		sess, err := mm.NewSession(tensor.NewPool(2), 16)
		if err != nil {
			t.Fatal(err)
		}
		l, err := sess.Prefill(context.Background(), []int{1, 2, 3, 4, 5})
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), l...), WeightBytes(mm)
	}
	ref, refBytes := logitsOf(write(t, s, "f32"))
	for _, q := range []struct {
		name  string
		ratio float64 // bytes per weight relative to F32
		tol   float64 // RMS logit error relative to the logits' RMS
	}{{"f16", 0.5, 0.01}, {"q8_0", 34.0 / 128, 0.05}, {"q4_k_m", 0, 0.3}, {"q6_k", 0, 0.15}} { // K-quant rows of 128 fall back to Q8_0: no single ratio
		t.Run(q.name, func(t *testing.T) {
			got, bytes := logitsOf(write(t, s, q.name))
			if q.ratio > 0 && math.Abs(float64(bytes)/float64(refBytes)-q.ratio) > 1e-9 {
				t.Errorf("weight bytes %d, %.4f of F32's %d; want %.4f", bytes, float64(bytes)/float64(refBytes), refBytes, q.ratio)
			}
			var se, sr float64
			for i := range ref {
				if math.IsNaN(float64(got[i])) || math.IsInf(float64(got[i]), 0) {
					t.Fatalf("logit %d is %v", i, got[i])
				}
				d := float64(got[i] - ref[i])
				se += d * d
				sr += float64(ref[i]) * float64(ref[i])
			}
			if rel := math.Sqrt(se / sr); rel > q.tol {
				t.Errorf("relative RMS logit error %.4f, limit %.2f", rel, q.tol)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.gguf")
	os.WriteFile(junk, []byte("not a gguf file at all"), 0o644)
	if _, err := Open(junk, nil); err == nil {
		t.Error("junk file opened")
	}
	if _, err := Open(filepath.Join(dir, "missing.gguf"), nil); err == nil {
		t.Error("missing file opened")
	}
}
