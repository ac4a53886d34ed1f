package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func newTok(t testing.TB, n int) *Synthetic {
	t.Helper()
	tok, err := NewSynthetic(n)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var roundTripCases = []struct {
	name, text string
}{
	{"empty", ""},
	{"one letter", "a"},
	{"english", "the quick brown fox jumps over the lazy dog"},
	{"capitals and punctuation", "Hello, World! It's 3:45 p.m.; (ok?)"},
	{"newlines and tabs", "line one\nline two\r\n\tindented\n\n"},
	{"accents", "naïve café, façade, jalapeño"},
	{"cjk and emoji", "日本語のテキスト 🎉👩‍🔬"},
	{"special strings", "<|im_start|>system\nignore this<|im_end|><think></think><|endoftext|>"},
	{"invalid utf-8", "\xff\xfe\xe2\x82 broken \xc3"},
	{"nul and control bytes", "\x00\x01\x1b[31m"},
	{"long word", strings.Repeat("supercalifragilistic", 20)},
}

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{FirstPiece, 4096, 151936} {
		tok := newTok(t, size)
		for _, c := range roundTripCases {
			ids := tok.Encode(c.text)
			if got := tok.Decode(ids); got != c.text {
				t.Errorf("vocab %d, %s: Decode(Encode(%q)) = %q", size, c.name, c.text, got)
			}
			for _, id := range ids {
				if id < SpecialCount || id >= size {
					t.Errorf("vocab %d, %s: Encode produced id %d", size, c.name, id)
				}
			}
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, c := range roundTripCases {
		f.Add(c.text)
	}
	tok := newTok(f, 4096)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
		for _, id := range ids {
			if tok.IsSpecial(id) {
				t.Fatalf("Encode(%q) produced special id %d", s, id)
			}
		}
		if utf8.ValidString(s) {
			d := NewStreamDecoder(tok)
			var b strings.Builder
			for _, id := range ids {
				b.WriteString(d.Next(id))
			}
			b.WriteString(d.Flush())
			if b.String() != s {
				t.Fatalf("streamed %q, want %q", b.String(), s)
			}
		}
	})
}

func TestSpecialStringsStayText(t *testing.T) {
	tok := newTok(t, 4096)
	for _, name := range specialNames {
		id, ok := tok.SpecialID(name)
		if !ok {
			t.Fatalf("SpecialID(%q) missing", name)
		}
		if !tok.IsSpecial(id) || tok.Decode([]int{id}) != name {
			t.Errorf("special %q: id %d, IsSpecial %v, decodes to %q", name, id, tok.IsSpecial(id), tok.Decode([]int{id}))
		}
		ids := tok.Encode("user says " + name + " here")
		for _, got := range ids {
			if tok.IsSpecial(got) {
				t.Errorf("Encode of text containing %q produced the special id %d", name, got)
			}
		}
		if len(ids) < 3 {
			t.Errorf("%q encoded to only %d tokens", name, len(ids))
		}
	}
	if _, ok := tok.SpecialID("<|nope|>"); ok {
		t.Error("SpecialID of an unknown name succeeded")
	}
}

func TestLayout(t *testing.T) {
	tok := newTok(t, 4096)
	if got := tok.Decode([]int{SpecialCount + 'A', SpecialCount + 0xff}); got != "A\xff" {
		t.Errorf("byte tokens decode to %q", got)
	}
	if got := string(tok.TokenBytes(FirstPiece)); got != " the" {
		t.Errorf("first piece = %q, want \" the\"", got)
	}
	if tok.TokenBytes(-1) != nil || tok.TokenBytes(4096) != nil {
		t.Error("TokenBytes outside the vocabulary is not nil")
	}
	if tok.VocabSize() != 4096 {
		t.Errorf("VocabSize = %d", tok.VocabSize())
	}
	big := newTok(t, 151936)
	for id := range 4096 {
		if string(tok.TokenBytes(id)) != string(big.TokenBytes(id)) {
			t.Fatalf("id %d: %q in the small vocabulary, %q in the large one", id, tok.TokenBytes(id), big.TokenBytes(id))
		}
	}
	seen := map[string]int{}
	for id := FirstPiece; id < big.VocabSize(); id++ {
		p := string(big.TokenBytes(id))
		if prev, dup := seen[p]; dup {
			t.Fatalf("piece %q has ids %d and %d", p, prev, id)
		}
		seen[p] = id
	}
	if _, err := NewSynthetic(FirstPiece - 1); err == nil {
		t.Error("vocabulary smaller than the byte range accepted")
	}
	if _, err := NewSynthetic(MaxSyntheticVocab() + 1); err == nil {
		t.Error("vocabulary larger than the piece list accepted")
	}
}

func TestGreedyLongestMatch(t *testing.T) {
	tok := newTok(t, 4096)
	ids := tok.Encode(" the")
	if diff := cmp.Diff([]int{FirstPiece}, ids); diff != "" {
		t.Errorf("Encode(\" the\") (-want +got):\n%s", diff)
	}
}

// englishParagraph is ordinary English prose, none of it from the word
// lists the vocabulary is built from.
const englishParagraph = `Measuring the energy that a language model consumes is harder than it looks. ` +
	`A single request passes through several stages: the prompt is read and processed in one large batch, ` +
	`then the answer is produced one token at a time, and between those stages the processor may sit idle ` +
	`while it waits for memory. Each stage draws a different amount of power, so a careful experiment ` +
	`records the timing of every phase and attributes the measured joules accordingly. Without that care, ` +
	`comparisons between models or machines are mostly guesswork dressed up as numbers.`

func TestCharactersPerToken(t *testing.T) {
	for _, c := range []struct {
		vocab    int
		min, max float64
	}{
		// Pieces are at most four letters plus a space, and capitals and
		// punctuation fall back to bytes, so the ratio is below real BPE's
		// (about 4); these ranges are what the vocabulary is designed to give.
		{4096, 2.2, 3.2},
		{151936, 2.9, 4.0},
	} {
		tok := newTok(t, c.vocab)
		n := len(tok.Encode(englishParagraph))
		ratio := float64(len(englishParagraph)) / float64(n)
		t.Logf("vocab %d: %d characters in %d tokens, %.2f characters per token", c.vocab, len(englishParagraph), n, ratio)
		if ratio < c.min || ratio > c.max {
			t.Errorf("vocab %d: %.2f characters per token, want %.1f..%.1f", c.vocab, ratio, c.min, c.max)
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	tok := newTok(t, 4096)
	b := func(c byte) int { return SpecialCount + int(c) }
	for _, c := range []struct {
		name string
		ids  []int
		want []string
	}{
		{"ascii", []int{b('h'), b('i')}, []string{"h", "i", ""}},
		{"two-byte character split", []int{b(0xc3), b(0xa9), b('!')}, []string{"", "é", "!", ""}},
		{"four-byte character split", []int{b(0xf0), b(0x9f), b(0x8e), b(0x89)}, []string{"", "", "", "🎉", ""}},
		{"invalid byte", []int{b(0xff), b('a')}, []string{"\uFFFD", "a", ""}},
		{"lead byte then ascii", []int{b(0xe2), b('a')}, []string{"", "\uFFFDa", ""}},
		{"truncated at end", []int{b('x'), b(0xe2), b(0x82)}, []string{"x", "", "", "\uFFFD"}},
		{"special token is not rendered", []int{2}, []string{"", ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewStreamDecoder(tok)
			var got []string
			for _, id := range c.ids {
				got = append(got, d.Next(id))
			}
			got = append(got, d.Flush())
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("pieces (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkNewSynthetic151936(b *testing.B) {
	piecesOnce()
	for b.Loop() {
		if _, err := NewSynthetic(151936); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	tok := newTok(b, 151936)
	b.SetBytes(int64(len(englishParagraph)))
	for b.Loop() {
		tok.Encode(englishParagraph)
	}
}
