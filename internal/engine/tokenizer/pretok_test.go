package tokenizer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// preCases are hand-worked splits: for each input, the pieces each
// expression's find-all gives, worked out alternative by alternative.
var preCases = []struct {
	name, text          string
	llama3, qwen2, gpt2 []string
	smollm              []string // nil: same as gpt2
}{
	{
		name: "words", text: "Hello world",
		llama3: []string{"Hello", " world"},
		qwen2:  []string{"Hello", " world"},
		gpt2:   []string{"Hello", " world"},
	},
	{
		// \s+(?!\S) keeps the last space for the next word.
		name: "two spaces", text: "a  b",
		llama3: []string{"a", " ", " b"},
		qwen2:  []string{"a", " ", " b"},
		gpt2:   []string{"a", " ", " b"},
	},
	{
		name: "four spaces", text: "a    b",
		llama3: []string{"a", "   ", " b"},
		qwen2:  []string{"a", "   ", " b"},
		gpt2:   []string{"a", "   ", " b"},
	},
	{
		// At the end of the text (?!\S) holds for the whole run.
		name: "trailing spaces", text: "a   ",
		llama3: []string{"a", "   "},
		qwen2:  []string{"a", "   "},
		gpt2:   []string{"a", "   "},
	},
	{
		name: "leading spaces", text: "  hi",
		llama3: []string{" ", " hi"},
		qwen2:  []string{" ", " hi"},
		gpt2:   []string{" ", " hi"},
	},
	{
		// A single tab before a word: Llama 3 takes it with the word
		// ([^\r\n\p{L}\p{N}]?\p{L}+); GPT-2's ' ?' is a space only, so the
		// tab is \s+ on its own.
		name: "tab before word", text: "\tword",
		llama3: []string{"\tword"},
		qwen2:  []string{"\tword"},
		gpt2:   []string{"\t", "word"},
	},
	{
		// Llama 3: \s*[\r\n]+ takes whitespace up to the last newline.
		name: "newlines", text: "a\n\nb",
		llama3: []string{"a", "\n\n", "b"},
		qwen2:  []string{"a", "\n\n", "b"},
		gpt2:   []string{"a", "\n", "\n", "b"},
	},
	{
		name: "space newline space", text: "a \n b",
		llama3: []string{"a", " \n", " b"},
		qwen2:  []string{"a", " \n", " b"},
		gpt2:   []string{"a", " \n", " b"},
	},
	{
		name: "newline run before spaces", text: "x\n\n   y",
		llama3: []string{"x", "\n\n", "  ", " y"},
		qwen2:  []string{"x", "\n\n", "  ", " y"},
		gpt2:   []string{"x", "\n\n  ", " y"},
	},
	{
		// Llama 3 and Qwen2 fold the case of contractions; GPT-2 does not.
		name: "contractions", text: "I'm don't WE'LL they've",
		llama3: []string{"I", "'m", " don", "'t", " WE", "'LL", " they", "'ve"},
		qwen2:  []string{"I", "'m", " don", "'t", " WE", "'LL", " they", "'ve"},
		gpt2:   []string{"I", "'m", " don", "'t", " WE", "'", "LL", " they", "'ve"},
	},
	{
		name: "digits", text: "year 2025 1234567",
		llama3: []string{"year", " ", "202", "5", " ", "123", "456", "7"},
		qwen2:  []string{"year", " ", "2", "0", "2", "5", " ", "1", "2", "3", "4", "5", "6", "7"},
		gpt2:   []string{"year", " 2025", " 1234567"},
		smollm: []string{"year", " ", "2", "0", "2", "5", " ", "1", "2", "3", "4", "5", "6", "7"},
	},
	{
		// Punctuation: Llama 3 glues one symbol to the following letters
		// and newlines to a symbol run.
		name: "punctuation", text: "Hi, (you)!\n\nOk?",
		llama3: []string{"Hi", ",", " (", "you", ")!\n\n", "Ok", "?"},
		qwen2:  []string{"Hi", ",", " (", "you", ")!\n\n", "Ok", "?"},
		gpt2:   []string{"Hi", ",", " (", "you", ")!", "\n", "\n", "Ok", "?"},
	},
	{
		name: "symbol before word", text: "$price #tag",
		llama3: []string{"$price", " #", "tag"},
		qwen2:  []string{"$price", " #", "tag"},
		gpt2:   []string{"$", "price", " #", "tag"},
	},
	{
		name: "cjk and emoji", text: "日本語 🎉🎉 ok",
		llama3: []string{"日本語", " 🎉🎉", " ok"},
		qwen2:  []string{"日本語", " 🎉🎉", " ok"},
		gpt2:   []string{"日本語", " 🎉🎉", " ok"},
	},
	{
		name: "accented", text: "naïve café",
		llama3: []string{"naïve", " café"},
		qwen2:  []string{"naïve", " café"},
		gpt2:   []string{"naïve", " café"},
	},
	{
		// Non-breaking space is \s but not ' '.
		name: "no-break space", text: "a\u00a0b",
		llama3: []string{"a", "\u00a0b"},
		qwen2:  []string{"a", "\u00a0b"},
		gpt2:   []string{"a", "\u00a0", "b"},
	},
	{
		// An invalid byte is a symbol like any other.
		name: "invalid utf-8", text: "a\xffb \xfe",
		llama3: []string{"a", "\xffb", " \xfe"},
		qwen2:  []string{"a", "\xffb", " \xfe"},
		gpt2:   []string{"a", "\xff", "b", " \xfe"},
	},
	{
		name: "empty", text: "",
	},
}

func TestPreTokenize(t *testing.T) {
	for _, c := range preCases {
		smollm := c.smollm
		if smollm == nil {
			smollm = c.gpt2
		}
		for _, p := range []struct {
			pre  string
			want []string
		}{
			{"llama-bpe", c.llama3}, {"qwen2", c.qwen2}, {"gpt-2", c.gpt2}, {"smollm", smollm},
		} {
			t.Run(c.name+"/"+p.pre, func(t *testing.T) {
				got, err := PreTokenize(p.pre, c.text)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(p.want, got); diff != "" {
					t.Errorf("PreTokenize(%q, %q) (-want +got):\n%s", p.pre, c.text, diff)
				}
			})
		}
	}
}

func TestPreTokenizerNames(t *testing.T) {
	for _, pre := range []string{"llama3", "llama-bpe", "qwen2", "deepseek-r1-qwen", "gpt2", "gpt-2", "default", "", "smollm"} {
		if _, err := PreTokenize(pre, "x"); err != nil {
			t.Errorf("PreTokenize(%q): %v", pre, err)
		}
	}
	_, err := PreTokenize("tekken", "x")
	if err == nil || !strings.Contains(err.Error(), `"tekken"`) {
		t.Errorf("unknown pre-tokenizer: error %v does not name it", err)
	}
}

// FuzzPreTokenize checks that every pre-tokenizer splits any text into
// non-empty pieces that concatenate to it, and that each piece is split no
// further when pre-tokenized on its own (the expressions have no
// look-behind, and every look-ahead decision at a piece's end is the same
// with or without the next piece, except \s+(?!\S), which is checked by
// the table).
func FuzzPreTokenize(f *testing.F) {
	for _, c := range preCases {
		f.Add(c.text)
	}
	for _, c := range roundTripCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, pre := range []string{"llama-bpe", "qwen2", "gpt-2", "smollm"} {
			got, err := PreTokenize(pre, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got {
				if p == "" {
					t.Fatalf("%s: empty piece in %q", pre, got)
				}
				again, _ := PreTokenize(pre, p)
				if len(again) != 1 && strings.TrimSpace(p) != "" {
					t.Fatalf("%s: piece %q of %q splits again into %q", pre, p, s, again)
				}
			}
			if strings.Join(got, "") != s {
				t.Fatalf("%s: pieces %q do not concatenate to %q", pre, got, s)
			}
		}
	})
}
