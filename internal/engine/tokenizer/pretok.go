package tokenizer

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// A pre-tokenizer splits text into the pieces BPE merges within, calling
// emit with each non-empty piece in order; the pieces concatenate to the
// text. The expressions below come from the tokenizer.json files of the
// models and from llama.cpp's llm_tokenizer_bpe (src/llama-vocab.cpp),
// which maps tokenizer.ggml.pre names to them. Go's regexp has neither
// look-ahead nor the backtracking these rely on, so each is written out by
// hand as an ordered alternation tried at every position, which is what a
// backtracking engine's find-all does: the first alternative that matches
// wins, not the longest.
type preTokenizer func(text string, emit func(piece string))

// Character classes of the expressions. \s is Unicode White_Space (Go's
// unicode.IsSpace is the same set), \p{L} and \p{N} are the letter and
// number categories. A byte that is not valid UTF-8 is none of them, like
// any other symbol.
const (
	clsOther = iota
	clsLetter
	clsNumber
	clsSpace
)

func class(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size <= 1:
		return clsOther
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// at returns the rune at offset i of s, its size and its class; size is 0
// at the end of s.
func at(s string, i int) (rune, int, int) {
	if i >= len(s) {
		return 0, 0, -1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, class(r, n)
}

// skipClass returns the offset after the run of characters of class c that
// starts at i.
func skipClass(s string, i, c int) int {
	for {
		_, n, k := at(s, i)
		if n == 0 || k != c {
			return i
		}
		i += n
	}
}

// contraction returns the length of the English contraction at i ('s 't
// 're 've 'm 'll 'd), or 0. foldCase makes the letters case-insensitive,
// as Llama 3's (?i:...) does (ASCII only, like llama.cpp's adaptation
// '[sS]|'[tT]|...).
func contraction(s string, i int, foldCase bool) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	lower := func(c byte) byte {
		if foldCase && 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	}
	if i+2 < len(s) {
		switch string([]byte{lower(s[i+1]), lower(s[i+2])}) {
		case "re", "ve", "ll":
			return 3
		}
	}
	return 0
}

// whitespace handles the three whitespace alternatives shared by the
// expressions at offset i, where a whitespace run starts, given whether
// \s*[\r\n]+ comes first (Llama 3, Qwen2). It returns the match's end.
func whitespace(s string, i int, newlines bool) int {
	end := skipClass(s, i, clsSpace)
	if newlines {
		// \s*[\r\n]+: up to the last \r or \n in the run.
		last := -1
		for j := i; j < end; j++ {
			if s[j] == '\r' || s[j] == '\n' {
				last = j + 1
			}
		}
		if last > 0 {
			return last
		}
	}
	if end == len(s) {
		// \s+(?!\S) at the end of the text: the whole run.
		return end
	}
	// \s+(?!\S) before a non-space: all but the last character, if that
	// leaves at least one; otherwise \s+ takes the single character.
	_, first, _ := at(s, i)
	lastStart := end
	for lastStart > i {
		lastStart--
		if utf8.RuneStart(s[lastStart]) {
			break
		}
	}
	// A character that is not valid UTF-8 is never whitespace, so the run
	// is made of whole runes and lastStart is the start of its last one.
	if lastStart > i {
		return lastStart
	}
	return i + first
}

// splitLlama3 is Llama 3's expression (maxDigits 3) and Qwen2's (maxDigits
// 1):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with \p{N} for \p{N}{1,3} in Qwen2's.
func splitLlama3(s string, maxDigits int, emit func(string)) {
	for i := 0; i < len(s); {
		end := llama3Match(s, i, maxDigits)
		emit(s[i:end])
		i = end
	}
}

func llama3Match(s string, i, maxDigits int) int {
	if n := contraction(s, i, true); n > 0 {
		return i + n
	}
	r, n, c := at(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c == clsLetter {
		return skipClass(s, i, clsLetter)
	}
	if r != '\r' && r != '\n' && c != clsNumber {
		if _, _, c2 := at(s, i+n); c2 == clsLetter {
			return skipClass(s, i+n, clsLetter)
		}
	}
	// \p{N}{1,3}
	if c == clsNumber {
		end := i
		for k := 0; k < maxDigits; k++ {
			_, m, ck := at(s, end)
			if m == 0 || ck != clsNumber {
				break
			}
			end += m
		}
		return end
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	start := i
	if r == ' ' {
		if _, _, c2 := at(s, i+n); c2 == clsOther {
			start = i + n
		}
	}
	if _, _, cs := at(s, start); cs == clsOther {
		end := skipClass(s, start, clsOther)
		for end < len(s) && (s[end] == '\r' || s[end] == '\n') {
			end++
		}
		return end
	}
	// \s*[\r\n]+|\s+(?!\S)|\s+
	return whitespace(s, i, true)
}

// splitGPT2 is GPT-2's expression:
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(s string, emit func(string)) {
	for i := 0; i < len(s); {
		end := gpt2Match(s, i)
		emit(s[i:end])
		i = end
	}
}

func gpt2Match(s string, i int) int {
	if n := contraction(s, i, false); n > 0 {
		return i + n
	}
	r, n, c := at(s, i)
	start := i
	if r == ' ' {
		if _, m, c2 := at(s, i+n); m > 0 && c2 != clsSpace {
			start, c = i+n, c2
		}
	}
	// ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
	if c != clsSpace {
		return skipClass(s, start, c)
	}
	// \s+(?!\S)|\s+
	return whitespace(s, i, false)
}

// splitSmolLM is SmolLM's pre-tokenizer: Hugging Face's
// Digits(individual_digits=true), which isolates every \p{N} character,
// then GPT-2's expression on the text between digits (llama.cpp's
// LLAMA_VOCAB_PRE_TYPE_SMOLLM: "\p{N}" then GPT-2's).
func splitSmolLM(s string, emit func(string)) {
	start := 0
	for i := 0; i < len(s); {
		_, n, c := at(s, i)
		if c != clsNumber {
			i += n
			continue
		}
		if start < i {
			splitGPT2(s[start:i], emit)
		}
		emit(s[i : i+n])
		i += n
		start = i
	}
	if start < len(s) {
		splitGPT2(s[start:], emit)
	}
}

// Pre-tokenizer names, as tokenizer.ggml.pre spells them, grouped by the
// expression llama.cpp uses for them.
var (
	llama3Pres = []string{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "dbrx", "smaug-bpe"}
	qwen2Pres  = []string{"qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan"}
	gpt2Pres   = []string{"gpt2", "gpt-2", "default", "", "phi-2", "mpt", "olmo", "jais", "trillion"}
	smollmPres = []string{"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"}
)

// preTokenizerFor returns the pre-tokenizer named pre and whether llama.cpp
// takes a whole piece that is a token without merging (ignore_merges, set
// for Llama 3's family).
//
// "default" and "" (a GGUF converted before tokenizer.ggml.pre existed) get
// GPT-2's expression. llama.cpp gives them a different "default" list
// (punctuation runs and digits split first) and warns that quality will be
// degraded; GPT-2's is what such vocabularies were usually trained with.
// Any other name is an error naming it, rather than a silent fallback that
// would miscount tokens.
func preTokenizerFor(pre string) (preTokenizer, bool, error) {
	switch {
	case slices.Contains(llama3Pres, pre):
		return func(s string, emit func(string)) { splitLlama3(s, 3, emit) }, true, nil
	case slices.Contains(qwen2Pres, pre):
		return func(s string, emit func(string)) { splitLlama3(s, 1, emit) }, false, nil
	case slices.Contains(gpt2Pres, pre):
		return splitGPT2, false, nil
	case slices.Contains(smollmPres, pre):
		return splitSmolLM, false, nil
	}
	return nil, false, fmt.Errorf("pre-tokenizer %q is not supported (supported: Llama 3's %q, Qwen2's %q, GPT-2's %q, SmolLM's %q and their llama.cpp aliases)",
		pre, "llama-bpe", "qwen2", "gpt-2", "smollm")
}

// PreTokenize returns the pieces the pre-tokenizer named pre (a
// tokenizer.ggml.pre value) splits text into; BPE merges happen within
// pieces. It is exported for tests and diagnostics.
func PreTokenize(pre, text string) ([]string, error) {
	f, _, err := preTokenizerFor(pre)
	if err != nil {
		return nil, err
	}
	var out []string
	f(text, func(p string) { out = append(out, p) })
	return out, nil
}
