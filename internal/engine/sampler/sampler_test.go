package sampler

import (
	cmpstd "cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func logitsOf(probs ...float64) []float32 {
	l := make([]float32, len(probs))
	for i, p := range probs {
		l[i] = float32(math.Log(p))
	}
	return l
}

func draw(s *Sampler, logits []float32, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = s.Sample(logits)
	}
	return out
}

func TestGreedyIsArgmax(t *testing.T) {
	for _, c := range []struct {
		logits []float32
		want   int
	}{
		{[]float32{0.1, 3, -2, 2.9}, 1},
		{[]float32{5, 5, 1}, 0},
		{[]float32{-3}, 0},
	} {
		s := New(0, 0.9, 1)
		for range 5 {
			if got := s.Sample(c.logits); got != c.want {
				t.Errorf("greedy Sample(%v) = %d, want %d", c.logits, got, c.want)
			}
		}
	}
	if got := New(0, 0, 1).Sample(nil); got != -1 {
		t.Errorf("Sample(nil) = %d, want -1", got)
	}
}

func TestSeedDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32(r.NormFloat64())
	}
	a := draw(New(0.8, 0.9, 42), logits, 200)
	b := draw(New(0.8, 0.9, 42), logits, 200)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different tokens (-first +second):\n%s", diff)
	}
	c := draw(New(0.8, 0.9, 43), logits, 200)
	if cmp.Equal(a, c) {
		t.Error("seeds 42 and 43 drew the same 200 tokens")
	}
}

func TestTopPRestrictsToNucleus(t *testing.T) {
	// Probabilities 0.5, 0.3, 0.1, 0.1: with top-p 0.75 the nucleus is
	// {0, 1} (0.5 < 0.75 ≤ 0.8), renormalised to 0.625 and 0.375.
	logits := logitsOf(0.1, 0.5, 0.1, 0.3)
	const n = 20000
	counts := map[int]int{}
	for _, id := range draw(New(1, 0.75, 7), logits, n) {
		counts[id]++
	}
	if counts[0]+counts[2] != 0 {
		t.Errorf("tokens outside the nucleus drawn: %v", counts)
	}
	if f := float64(counts[1]) / n; math.Abs(f-0.625) > 0.02 {
		t.Errorf("token 1 drawn with frequency %.3f, want 0.625 ± 0.02", f)
	}
	// Without top-p every token appears, with its probability.
	counts = map[int]int{}
	for _, id := range draw(New(1, 1, 7), logits, n) {
		counts[id]++
	}
	for id, p := range []float64{0.1, 0.5, 0.1, 0.3} {
		if f := float64(counts[id]) / n; math.Abs(f-p) > 0.02 {
			t.Errorf("top-p 1: token %d drawn with frequency %.3f, want %.2f ± 0.02", id, f, p)
		}
	}
	// A tiny top-p keeps only the most likely token.
	for _, id := range draw(New(1, 0.01, 7), logits, 100) {
		if id != 1 {
			t.Fatalf("top-p 0.01 drew token %d, want only 1", id)
		}
	}
}

func TestTemperatureSharpens(t *testing.T) {
	logits := logitsOf(0.4, 0.6)
	const n = 20000
	count := 0
	for _, id := range draw(New(0.25, 1, 3), logits, n) {
		if id == 1 {
			count++
		}
	}
	// p ∝ p_i^(1/T): 0.6^4 / (0.4^4 + 0.6^4) = 0.835.
	if f := float64(count) / n; math.Abs(f-0.835) > 0.02 {
		t.Errorf("temperature 0.25: token 1 drawn with frequency %.3f, want 0.835 ± 0.02", f)
	}
}

func BenchmarkSampleQwenVocab(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	logits := make([]float32, 151936)
	for i := range logits {
		logits[i] = float32(r.NormFloat64())
	}
	s := New(0.7, 0.9, 1)
	for b.Loop() {
		s.Sample(logits)
	}
}

// TestLargeVocabNucleus checks the bucketed path (vocabularies of 8,192
// tokens and more) against the definition: the nucleus is the most likely
// tokens whose mass first reaches top-p.
func TestLargeVocabNucleus(t *testing.T) {
	const vocab = 10000
	logits := make([]float32, vocab)
	for i := range logits {
		logits[i] = -10
	}
	// Ten likely tokens with probabilities ~0.3, 0.2, 0.1, 0.1, ... and a
	// long tail.
	for i, l := range []float32{8, 7.6, 6.9, 6.9, 6.2, 6.2, 6.2, 5, 5, 5} {
		logits[997*i+17] = l
	}
	p := make([]float64, vocab)
	var sum float64
	for i, l := range logits {
		p[i] = math.Exp(float64(l))
		sum += p[i]
	}
	for _, topP := range []float64{0.3, 0.6, 0.9} {
		// The expected nucleus by brute force.
		order := make([]int, vocab)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmpstd.Compare(p[b], p[a]) })
		allowed := map[int]bool{}
		var c float64
		for _, id := range order {
			allowed[id] = true
			c += p[id] / sum
			if c >= topP {
				break
			}
		}
		s := New(1, topP, 11)
		seen := map[int]bool{}
		for _, id := range draw(s, logits, 1000) {
			if !allowed[id] {
				t.Fatalf("top-p %.1f drew token %d outside the nucleus of %d", topP, id, len(allowed))
			}
			seen[id] = true
		}
		if len(seen) != len(allowed) {
			t.Errorf("top-p %.1f: drew %d distinct tokens of a nucleus of %d", topP, len(seen), len(allowed))
		}
	}
}
