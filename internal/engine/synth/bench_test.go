package synth

import (
	"context"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

func tinyModel(b *testing.B) *model.Model {
	b.Helper()
	s, _ := Lookup("synthetic-tiny")
	w, err := Generate(context.Background(), s.Config, DefaultSeed, tensor.NewPool(0))
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New(s.Config, w)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkPrefillTiny evaluates a 128-token prompt on synthetic-tiny per
// iteration and reports prompt tokens per second.
func BenchmarkPrefillTiny(b *testing.B) {
	m := tinyModel(b)
	const n = 128
	prompt := make([]int, n)
	for i := range prompt {
		prompt[i] = (i*131 + 7) % m.Config().VocabSize
	}
	s, err := m.NewSession(tensor.NewPool(0), n)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		s.Reset()
		if _, err := s.Prefill(ctx, prompt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkDecodeTiny evaluates one token per iteration on synthetic-tiny
// at positions 0..255 (the KV cache is reset every 256 tokens) and reports
// tokens per second; b.SetBytes counts the weights each token reads.
func BenchmarkDecodeTiny(b *testing.B) {
	m := tinyModel(b)
	const span = 256
	s, err := m.NewSession(tensor.NewPool(0), span)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(m.Weights().Bytes() - 4*int64(m.Config().VocabSize-1)*int64(m.Config().EmbeddingLength))
	tok := 1
	for b.Loop() {
		if s.Pos() == span {
			s.Reset()
		}
		logits, err := s.Decode(ctx, tok)
		if err != nil {
			b.Fatal(err)
		}
		tok = tensor.Argmax(logits)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
