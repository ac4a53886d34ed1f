package tokenizer

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthVocabs memoizes SyntheticVocab for the tests.
var synthVocabs sync.Map

func synthVocab(t testing.TB, size int) Vocab {
	t.Helper()
	if v, ok := synthVocabs.Load(size); ok {
		return v.(Vocab)
	}
	v, err := SyntheticVocab(size)
	if err != nil {
		t.Fatal(err)
	}
	synthVocabs.Store(size, v)
	return v
}

func TestSyntheticVocab(t *testing.T) {
	small, err := SyntheticVocab(4096)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	big, err := SyntheticVocab(151936)
	if err != nil {
		t.Fatal(err)
	}
	synthVocabs.Store(151936, big)
	// The goal is under a second; the bound leaves room for -race and
	// loaded machines.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("SyntheticVocab(151936) took %v", d)
	} else {
		t.Logf("SyntheticVocab(151936) took %v", d)
	}
	for _, v := range []Vocab{small, big} {
		n := len(v.Tokens)
		if len(v.Types) != n {
			t.Fatalf("%d tokens, %d types", n, len(v.Types))
		}
		if v.Model != "gpt2" || v.Pre != "qwen2" || v.AddBOS || v.BOS != n-5 || v.EOS != n-3 || v.PAD != n-5 {
			t.Errorf("size %d: model %q pre %q bos %d eos %d pad %d addBOS %v", n, v.Model, v.Pre, v.BOS, v.EOS, v.PAD, v.AddBOS)
		}
		if diff := slices.Compare(v.Tokens[n-5:], specialNames[:]); diff != 0 {
			t.Errorf("size %d: last tokens %q", n, v.Tokens[n-5:])
		}
		if !slices.Equal(v.Types[n-5:], []int32{TypeControl, TypeControl, TypeControl, TypeUserDefined, TypeUserDefined}) {
			t.Errorf("size %d: special types %v", n, v.Types[n-5:])
		}
		seen := map[string]bool{}
		for _, s := range v.Tokens {
			if seen[s] {
				t.Fatalf("size %d: token %q twice", n, s)
			}
			seen[s] = true
		}
		if !slices.Equal(v.Tokens[:256], byteLevelTokens()) {
			t.Errorf("size %d: the first 256 tokens are not the byte tokens in GPT-2 order", n)
		}
	}
	// A smaller vocabulary is a prefix of a larger one (specials apart).
	if !slices.Equal(small.Tokens[:4091], big.Tokens[:4091]) || !slices.Equal(small.Merges, big.Merges[:len(small.Merges)]) {
		t.Error("the 4096 vocabulary is not a prefix of the 151936 one")
	}
	if _, err := SyntheticVocab(260); err == nil {
		t.Error("size 260 accepted")
	}
	if v, err := SyntheticVocab(261); err != nil || len(v.Tokens) != 261 || len(v.Merges) != 0 {
		t.Errorf("size 261: %d tokens, %d merges, %v", len(v.Tokens), len(v.Merges), err)
	}
}

// TestSyntheticVocabReachable checks that every merged token is what BPE
// makes of its own text, through the tokenizer built from the vocabulary,
// and that merges are well formed.
func TestSyntheticVocabReachable(t *testing.T) {
	for _, size := range []int{4096, 151936} {
		v := synthVocab(t, size)
		tok, err := NewBPE(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok.merges) != len(v.Merges) {
			t.Errorf("size %d: %d of %d merges usable", size, len(tok.merges), len(v.Merges))
		}
		step := 1
		if testing.Short() && size > 10000 {
			step = 7
		}
		for id := 256; id < size-SpecialCount; id += step {
			text := string(tok.TokenBytes(id))
			if got := tok.bpe(text); len(got) != 1 || int(got[0]) != id {
				t.Fatalf("size %d: token %d %q encodes to %v", size, id, text, got)
			}
		}
		// As text, pieces with a leading space are one pre-tokenizer piece.
		if got := tok.Encode(" the"); len(got) != 1 {
			t.Errorf("size %d: \" the\" is %v", size, got)
		}
		for _, m := range v.Merges {
			l, r, ok := strings.Cut(m, " ")
			if !ok || l == "" || r == "" {
				t.Fatalf("merge %q", m)
			}
		}
	}
}

func TestSyntheticVocabCharactersPerToken(t *testing.T) {
	for _, c := range []struct {
		vocab    int
		min, max float64
	}{
		{4096, 2.2, 3.4},
		{151936, 2.9, 4.2},
	} {
		tok, err := NewBPE(synthVocab(t, c.vocab))
		if err != nil {
			t.Fatal(err)
		}
		n := len(tok.Encode(englishParagraph))
		ratio := float64(len(englishParagraph)) / float64(n)
		t.Logf("vocab %d: %.2f characters per token", c.vocab, ratio)
		if ratio < c.min || ratio > c.max {
			t.Errorf("vocab %d: %.2f characters per token, want %.1f..%.1f", c.vocab, ratio, c.min, c.max)
		}
	}
}

func BenchmarkSyntheticVocab151936(b *testing.B) {
	piecesOnce()
	for b.Loop() {
		if _, err := SyntheticVocab(151936); err != nil {
			b.Fatal(err)
		}
	}
}
