package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// byteLevelTokens returns the 256 byte tokens of a byte-level BPE
// vocabulary, in GPT-2's order.
func byteLevelTokens() []string {
	out := make([]string, 256)
	for b := range 256 {
		out[b] = string(byteRune[b])
	}
	slices.Sort(out)
	return out
}

// special is a special token of a hand-built vocabulary.
type special struct {
	name string
	typ  int32
}

// smallBPE builds a byte-level BPE vocabulary from raw (unmapped) pieces
// and merges ("left right", raw, split at the first space that makes both
// sides tokens is not needed: sides are given apart).
func smallBPE(t testing.TB, pre string, pieces []string, merges [][2]string, specials ...special) *BPE {
	t.Helper()
	v := Vocab{Model: "gpt2", Pre: pre, BOS: -1, EOS: -1, EOT: -1, UNK: -1, PAD: -1}
	v.Tokens = byteLevelTokens()
	for _, p := range pieces {
		v.Tokens = append(v.Tokens, ByteLevelEncode(p))
	}
	v.Types = make([]int32, len(v.Tokens))
	for i := range v.Types {
		v.Types[i] = TypeNormal
	}
	for _, s := range specials {
		v.Tokens = append(v.Tokens, s.name)
		v.Types = append(v.Types, s.typ)
	}
	for _, m := range merges {
		v.Merges = append(v.Merges, ByteLevelEncode(m[0])+" "+ByteLevelEncode(m[1]))
	}
	tok, err := NewBPE(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ids returns the ids of the given token texts (raw for normal BPE tokens,
// as stored for SPM and special tokens).
func idsOf(t testing.TB, tok Tokenizer, texts ...string) []int {
	t.Helper()
	var out []int
	for _, s := range texts {
		found := -1
		for id := range tok.VocabSize() {
			if string(tok.TokenBytes(id)) == s {
				found = id
				break
			}
		}
		if found < 0 {
			t.Fatalf("no token %q", s)
		}
		out = append(out, found)
	}
	return out
}

func TestByteLevelMapping(t *testing.T) {
	if byteRune[' '] != 'Ġ' || byteRune['\n'] != 'Ċ' || byteRune['\t'] != 'ĉ' || byteRune['a'] != 'a' || byteRune[0] != 'Ā' {
		t.Errorf("byte-to-unicode: space %q, newline %q, tab %q, a %q, NUL %q", byteRune[' '], byteRune['\n'], byteRune['\t'], byteRune['a'], byteRune[0])
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	enc := ByteLevelEncode(string(all))
	if utf8.RuneCountInString(enc) != 256 {
		t.Fatalf("256 bytes map to %d characters", utf8.RuneCountInString(enc))
	}
	dec, ok := ByteLevelDecode(enc)
	if !ok || string(dec) != string(all) {
		t.Errorf("ByteLevelDecode(ByteLevelEncode(all bytes)) = %q, %v", dec, ok)
	}
	if got := ByteLevelEncode("Hi there\n"); got != "HiĠthereĊ" {
		t.Errorf("ByteLevelEncode = %q", got)
	}
	if _, ok := ByteLevelDecode("a b"); ok {
		t.Error("a plain space decoded as a mapped byte")
	}
	if got := byteLevelTokens(); got[0] != "!" || got[188] != "Ā" {
		t.Errorf("GPT-2 byte order: id 0 %q, id 188 %q", got[0], got[188])
	}
}

func TestBPEMergeRank(t *testing.T) {
	pieces := []string{"ab", "bc", "abc", "aa"}
	for _, c := range []struct {
		name   string
		merges [][2]string
		text   string
		want   []string
	}{
		// "b c" ranks first, then "a bc" builds "abc".
		{"rank decides", [][2]string{{"b", "c"}, {"a", "b"}, {"a", "bc"}}, "abc", []string{"abc"}},
		// The same merges with "a b" first: "ab c" is no merge, so the
		// word stops at two tokens.
		{"other rank order", [][2]string{{"a", "b"}, {"b", "c"}, {"a", "bc"}}, "abc", []string{"ab", "c"}},
		// Equal ranks (the same pair twice): leftmost first.
		{"leftmost among equals", [][2]string{{"a", "b"}, {"b", "c"}}, "bcbc", []string{"bc", "bc"}},
		{"leftmost overlap", [][2]string{{"a", "a"}}, "aaa", []string{"aa", "a"}},
		{"no merges", nil, "cab", []string{"c", "a", "b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := smallBPE(t, "qwen2", pieces, c.merges)
			if diff := cmp.Diff(idsOf(t, tok, c.want...), tok.Encode(c.text)); diff != "" {
				t.Errorf("Encode(%q) (-want +got):\n%s", c.text, diff)
			}
		})
	}
}

func TestBPEPiecesAndMapping(t *testing.T) {
	pieces := []string{" t", " th", " the", "\n\n", "er"}
	merges := [][2]string{{" ", "t"}, {" t", "h"}, {" th", "e"}, {"\n", "\n"}, {"e", "r"}}
	tok := smallBPE(t, "qwen2", pieces, merges)
	// Merges never cross pre-tokenizer pieces: "the" and " there" are
	// separate pieces from "\n\n".
	got := tok.Encode(" the\n\nther")
	want := idsOf(t, tok, " the", "\n\n", "t", "h", "er")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
	id := idsOf(t, tok, " the")[0]
	if tok.tokens[id] != "Ġthe" || string(tok.TokenBytes(id)) != " the" {
		t.Errorf("token %d is stored as %q with bytes %q", id, tok.tokens[id], tok.TokenBytes(id))
	}
}

func TestBPEIgnoreMerges(t *testing.T) {
	// "xyz" is a token no merge builds. Llama 3's tokenizer takes a piece
	// that is a token whole (ignore_merges); Qwen2's merges bytes.
	llama := smallBPE(t, "llama-bpe", []string{"xyz"}, nil)
	if diff := cmp.Diff(idsOf(t, llama, "xyz"), llama.Encode("xyz")); diff != "" {
		t.Errorf("llama-bpe (-want +got):\n%s", diff)
	}
	qwen := smallBPE(t, "qwen2", []string{"xyz"}, nil)
	if diff := cmp.Diff(idsOf(t, qwen, "x", "y", "z"), qwen.Encode("xyz")); diff != "" {
		t.Errorf("qwen2 (-want +got):\n%s", diff)
	}
}

// testSPMVocab is a small SentencePiece vocabulary laid out like Llama 2's:
// <unk>, <s>, </s>, the 256 byte tokens, then pieces with falling scores.
func testSPMVocab(pieces []string, scores []float32) Vocab {
	v := Vocab{Model: "llama", BOS: 1, EOS: 2, EOT: -1, UNK: 0, PAD: -1, AddBOS: true, AddSpacePrefix: true}
	v.Tokens = []string{"<unk>", "<s>", "</s>"}
	v.Types = []int32{TypeUnknown, TypeControl, TypeControl}
	for b := range 256 {
		v.Tokens = append(v.Tokens, fmt.Sprintf("<0x%02X>", b))
		v.Types = append(v.Types, TypeByte)
	}
	v.Scores = make([]float32, len(v.Tokens))
	for i, p := range pieces {
		v.Tokens = append(v.Tokens, p)
		v.Types = append(v.Types, TypeNormal)
		if scores != nil {
			v.Scores = append(v.Scores, scores[i])
		} else {
			v.Scores = append(v.Scores, -float32(i))
		}
	}
	return v
}

func newSPM(t testing.TB, v Vocab) *SPM {
	t.Helper()
	tok, err := NewSPM(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSPMScores(t *testing.T) {
	v := testSPMVocab(
		[]string{"▁", "a", "b", "c", "▁a", "ab", "bc", "abc"},
		[]float32{-10, -20, -20, -20, -5, -3, -1, -2},
	)
	tok := newSPM(t, v)
	id := func(s string) int { return slices.Index(v.Tokens, s) }
	for _, c := range []struct {
		name string
		text string
		want []int
	}{
		// "▁abc": bc (-1) beats ab (-3) and ▁a (-5); then abc (-2) beats
		// ▁a; "▁abc" is no token. Merging leftmost-first, or by lowest
		// score, would give ▁a, bc.
		{"best score first", "abc", []int{id("▁"), id("abc")}},
		{"space becomes ▁", "a b", []int{id("▁a"), id("▁"), id("b")}},
		// "é" is not a piece: its UTF-8 bytes become byte tokens.
		{"byte fallback", "é", []int{id("▁"), id("<0xC3>"), id("<0xA9>")}},
		{"invalid utf-8", "\xff", []int{id("▁"), id("<0xFF>")}},
		{"control string is text", "<s>", []int{id("▁"), id("<0x3C>"), id("<0x73>"), id("<0x3E>")}},
		{"empty", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := tok.Encode(c.text)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Encode(%q) (-want +got):\n%s", c.text, diff)
			}
			if d := tok.Decode(got); d != c.text {
				t.Errorf("Decode(Encode(%q)) = %q", c.text, d)
			}
		})
	}
	if got := tok.Decode([]int{1, id("▁"), id("abc")}); got != "<s> abc" {
		t.Errorf("Decode after <s> = %q; the space prefix stays after a special token", got)
	}
	if got := tok.EncodeWithSpecials("<s>abc</s>"); !slices.Equal(got, []int{1, id("▁"), id("abc"), 2}) {
		t.Errorf("EncodeWithSpecials = %v", got)
	}

	// A user-defined token is cut out whole, with no space prefix after it,
	// so that the text round-trips.
	ud := testSPMVocab([]string{"▁", "a", "b"}, nil)
	ud.Tokens = append(ud.Tokens, "<ud>")
	ud.Types = append(ud.Types, TypeUserDefined)
	ud.Scores = append(ud.Scores, 0)
	udTok := newSPM(t, ud)
	udID := func(s string) int { return slices.Index(ud.Tokens, s) }
	if diff := cmp.Diff([]int{udID("▁"), udID("a"), udID("<ud>"), udID("b")}, udTok.Encode("a<ud>b")); diff != "" {
		t.Errorf("user-defined token (-want +got):\n%s", diff)
	}
	if got := udTok.Decode(udTok.Encode("<ud>b")); got != "<ud>b" {
		t.Errorf("Decode(Encode(<ud>b)) = %q", got)
	}

	// Equal scores (the same pair twice): leftmost first.
	eq := testSPMVocab([]string{"▁", "a", "aa"}, []float32{-1, -1, -2})
	eqTok := newSPM(t, eq)
	want := []int{slices.Index(eq.Tokens, "▁"), slices.Index(eq.Tokens, "aa"), slices.Index(eq.Tokens, "a")}
	if diff := cmp.Diff(want, eqTok.Encode("aaa")); diff != "" {
		t.Errorf("equal scores (-want +got):\n%s", diff)
	}

	v.AddSpacePrefix = false
	noPrefix := newSPM(t, v)
	if diff := cmp.Diff([]int{id("abc")}, noPrefix.Encode("abc")); diff != "" {
		t.Errorf("without space prefix (-want +got):\n%s", diff)
	}
}

func TestSPMUnknownFallback(t *testing.T) {
	v := Vocab{Model: "llama", Tokens: []string{"<unk>", "▁", "a"}, BOS: -1, EOS: -1, EOT: -1, UNK: 0, PAD: -1, AddSpacePrefix: true}
	tok := newSPM(t, v)
	if diff := cmp.Diff([]int{1, 2, 0, 0}, tok.Encode("aé")); diff != "" {
		t.Errorf("Encode without byte tokens (-want +got):\n%s", diff)
	}
	v.UNK = -1
	if _, err := NewSPM(v); err == nil {
		t.Error("vocabulary with neither byte tokens nor <unk> accepted")
	}
}

func TestNewErrors(t *testing.T) {
	good, err := SyntheticVocab(300)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		edit       func(*Vocab)
	}{
		{"unknown model", `"bert"`, func(v *Vocab) { v.Model = "bert" }},
		{"unknown pre-tokenizer", `"tekken"`, func(v *Vocab) { v.Pre = "tekken" }},
		{"no tokens", "no tokens", func(v *Vocab) { v.Tokens, v.Types = nil, nil }},
		{"scores length", "scores", func(v *Vocab) { v.Scores = []float32{1} }},
		{"types length", "token types", func(v *Vocab) { v.Types = v.Types[:3] }},
		{"eos out of range", "eos token id", func(v *Vocab) { v.EOS = len(v.Tokens) }},
		{"add bos without bos", "BOS", func(v *Vocab) { v.BOS, v.AddBOS = -1, true }},
		{"missing byte", "byte 0x20", func(v *Vocab) {
			v.Tokens = slices.Clone(v.Tokens)
			v.Tokens[slices.Index(v.Tokens, "Ġ")] = "<|gone|>"
		}},
		{"bad merge", "merge", func(v *Vocab) { v.Merges = append(slices.Clone(v.Merges), "nospace") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := good
			c.edit(&v)
			_, err := New(v)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: error %v, want one mentioning %s", err, c.want)
			}
		})
	}
}

// roundTripExtra are strings the synthetic tokenizer's table lacks:
// whitespace runs, digits, contractions.
var roundTripExtra = []struct{ name, text string }{
	{"whitespace runs", "a  b   c    \t\t d\n\n\n  e \r\n f   "},
	{"leading and trailing spaces", "   padded   "},
	{"digits", "0 12 345 6789 3.14159 1,000,000"},
	{"contractions", "I'm sure they'll say it's what we'd DON'T 'TIS"},
	{"code", "func main() {\n\tfmt.Println(\"hi\") // ok\n}\n"},
	{"mixed scripts", "Привет мир, γειά σου, مرحبا, नमस्ते"},
	{"zero-width joiner emoji", "👨‍👩‍👧 flags 🇯🇵 skin 👍🏽"},
	{"user-defined token", "think <think>deep</think> done"},
}

func allRoundTripCases() []struct{ name, text string } {
	var out []struct{ name, text string }
	for _, c := range roundTripCases {
		out = append(out, struct{ name, text string }{c.name, c.text})
	}
	return append(out, roundTripExtra...)
}

// Shared tokenizers for the round-trip tests and fuzz targets.
var (
	sharedOnce sync.Once
	sharedBPE  map[string]*BPE
	sharedSPM  *SPM
	sharedErr  error
)

func shared(t testing.TB) (map[string]*BPE, *SPM) {
	t.Helper()
	sharedOnce.Do(func() {
		v, err := SyntheticVocab(4096)
		if err != nil {
			sharedErr = err
			return
		}
		sharedBPE = map[string]*BPE{}
		for _, pre := range []string{"llama-bpe", "qwen2", "gpt-2", "smollm"} {
			v.Pre = pre
			if sharedBPE[pre], err = NewBPE(v); err != nil {
				sharedErr = err
				return
			}
		}
		// The SentencePiece vocabulary reuses the synthetic pieces with
		// "▁" for spaces, best first.
		var pieces []string
		seen := map[string]bool{}
		for _, p := range piecesOnce()[:3000] {
			p = strings.ReplaceAll(p, " ", spaceMark)
			if !seen[p] {
				seen[p] = true
				pieces = append(pieces, p)
			}
		}
		for c := 'a'; c <= 'z'; c++ {
			if !seen[string(c)] {
				pieces = append(pieces, string(c))
			}
		}
		pieces = append(pieces, spaceMark, "日", "本")
		sharedSPM, sharedErr = NewSPM(testSPMVocab(pieces, nil))
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedBPE, sharedSPM
}

func TestRoundTripVocab(t *testing.T) {
	bpes, spm := shared(t)
	for _, c := range allRoundTripCases() {
		for pre, tok := range bpes {
			ids := tok.Encode(c.text)
			if got := tok.Decode(ids); got != c.text {
				t.Errorf("BPE %s, %s: Decode(Encode(%q)) = %q", pre, c.name, c.text, got)
			}
			if got := tok.Decode(tok.EncodeWithSpecials(c.text)); got != c.text {
				t.Errorf("BPE %s, %s: Decode(EncodeWithSpecials(%q)) = %q", pre, c.name, c.text, got)
			}
		}
		if got := spm.Decode(spm.Encode(c.text)); got != c.text {
			t.Errorf("SPM, %s: Decode(Encode(%q)) = %q", c.name, c.text, got)
		}
	}
}

func TestSpecialStringsStayLiteral(t *testing.T) {
	bpes, spm := shared(t)
	bpe := bpes["qwen2"]
	text := "<|im_start|>system\nhi<|im_end|><|endoftext|>"
	for _, id := range bpe.Encode(text) {
		if bpe.IsSpecial(id) {
			t.Errorf("BPE Encode(%q) produced control id %d (%q)", text, id, bpe.TokenBytes(id))
		}
	}
	imStart, _ := bpe.SpecialID(IMStart)
	imEnd, _ := bpe.SpecialID(IMEnd)
	eot, _ := bpe.SpecialID(EndOfText)
	got := bpe.EncodeWithSpecials(text)
	var specials []int
	for _, id := range got {
		if bpe.IsSpecial(id) {
			specials = append(specials, id)
		}
	}
	if diff := cmp.Diff([]int{imStart, imEnd, eot}, specials); diff != "" {
		t.Errorf("EncodeWithSpecials control ids (-want +got):\n%s", diff)
	}
	// <think> is user-defined, as in Qwen3: it is one token wherever it
	// appears, as Hugging Face and llama.cpp encode it, and it is not
	// hidden as a control token.
	open, ok := bpe.SpecialID(ThinkOpen)
	if !ok || bpe.IsSpecial(open) || bpe.TokenType(open) != TypeUserDefined {
		t.Fatalf("<think>: id %d, %v, special %v, type %d", open, ok, bpe.IsSpecial(open), bpe.TokenType(open))
	}
	if ids := bpe.Encode("a<think>b"); !slices.Contains(ids, open) {
		t.Errorf("Encode(a<think>b) = %v, want the <think> id %d", ids, open)
	}
	for _, id := range spm.Encode("<s>x</s><unk>") {
		if spm.IsSpecial(id) {
			t.Errorf("SPM Encode produced control id %d", id)
		}
	}
}

func TestMarkers(t *testing.T) {
	v, err := SyntheticVocab(4096)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := NewBPE(v)
	if err != nil {
		t.Fatal(err)
	}
	want := Markers{BOS: 4091, EOS: 4093, EOT: -1, UNK: -1, PAD: 4091}
	if diff := cmp.Diff(want, tok.Markers()); diff != "" {
		t.Errorf("Markers (-want +got):\n%s", diff)
	}
}

// naiveBPE is the textbook algorithm, for differential checks: merge the
// lowest-ranked adjacent pair, leftmost first, until none is left.
func naiveBPE(t *BPE, piece string) []int {
	syms := make([]int32, len(piece))
	for i := range len(piece) {
		syms[i] = t.byteIDs[piece[i]]
	}
	for {
		best, at := int32(-1), -1
		for i := 0; i+1 < len(syms); i++ {
			if m, ok := t.merges[mergeKey(syms[i], syms[i+1])]; ok && (best < 0 || m.rank < best) {
				best, at = m.rank, i
			}
		}
		if at < 0 {
			break
		}
		syms[at] = t.merges[mergeKey(syms[at], syms[at+1])].result
		syms = slices.Delete(syms, at+1, at+2)
	}
	out := make([]int, len(syms))
	for i, s := range syms {
		out[i] = int(s)
	}
	return out
}

// naiveSPM merges the best-scoring adjacent pair, leftmost first.
func naiveSPM(t *SPM, s string) []string {
	var syms []string
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		syms = append(syms, s[i:i+n])
		i += n
	}
	for {
		var best float32
		at := -1
		for i := 0; i+1 < len(syms); i++ {
			if id, ok := t.pieces[syms[i]+syms[i+1]]; ok && (at < 0 || t.scores[id] > best) {
				best, at = t.scores[id], i
			}
		}
		if at < 0 {
			return syms
		}
		syms[at] += syms[at+1]
		syms = slices.Delete(syms, at+1, at+2)
	}
}

func checkRoundTrip(t *testing.T, s string) {
	t.Helper()
	bpes, spm := shared(t)
	for pre, tok := range bpes {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("BPE %s: Decode(Encode(%q)) = %q", pre, s, got)
		}
		for _, id := range ids {
			if tok.IsSpecial(id) || id < 0 || id >= tok.VocabSize() {
				t.Fatalf("BPE %s: Encode(%q) produced id %d", pre, s, id)
			}
		}
		if again := tok.Encode(s); !slices.Equal(ids, again) {
			t.Fatalf("BPE %s: Encode(%q) differs on the second call (cache): %v then %v", pre, s, ids, again)
		}
		if got := tok.Decode(tok.EncodeWithSpecials(s)); got != s {
			t.Fatalf("BPE %s: Decode(EncodeWithSpecials(%q)) = %q", pre, s, got)
		}
		if !strings.Contains(s, "<think>") && !strings.Contains(s, "</think>") {
			var want []int
			tok.pre(s, func(p string) { want = append(want, naiveBPE(tok, p)...) })
			if !slices.Equal(want, ids) {
				t.Fatalf("BPE %s: Encode(%q) = %v, textbook BPE gives %v", pre, s, ids, want)
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
				t.Fatalf("BPE %s: streamed %q, want %q", pre, b.String(), s)
			}
		}
	}
	ids := spm.Encode(s)
	// SentencePiece cannot tell a "▁" in the text from a space.
	if got, want := spm.Decode(ids), strings.ReplaceAll(s, spaceMark, " "); got != want {
		t.Fatalf("SPM: Decode(Encode(%q)) = %q, want %q", s, got, want)
	}
	for _, id := range ids {
		if spm.IsSpecial(id) || id < 0 || id >= spm.VocabSize() {
			t.Fatalf("SPM: Encode(%q) produced id %d", s, id)
		}
	}
	if s != "" {
		var want []int
		for _, p := range naiveSPM(spm, strings.ReplaceAll(" "+s, " ", spaceMark)) {
			if id, ok := spm.pieces[p]; ok {
				want = append(want, int(id))
				continue
			}
			for j := 0; j < len(p); j++ {
				want = append(want, int(spm.byteIDs[p[j]]))
			}
		}
		if !slices.Equal(want, ids) {
			t.Fatalf("SPM: Encode(%q) = %v, textbook SentencePiece BPE gives %v", s, ids, want)
		}
	}
}

// FuzzRoundTripBPE checks, for the four byte-level pre-tokenizers, that
// Decode(Encode(s)) == s for any bytes (invalid UTF-8 included: byte-level
// BPE has a token for every byte), that Encode never produces a control id,
// that it agrees with the textbook quadratic BPE, and that streaming valid
// UTF-8 gives the text back; and for SentencePiece the same up to "▁",
// which it cannot tell from a space.
func FuzzRoundTripVocab(f *testing.F) {
	for _, c := range allRoundTripCases() {
		f.Add(c.text)
	}
	for _, c := range preCases {
		f.Add(c.text)
	}
	f.Fuzz(checkRoundTrip)
}

func TestRoundTripVocabTable(t *testing.T) {
	for _, c := range allRoundTripCases() {
		t.Run(c.name, func(t *testing.T) { checkRoundTrip(t, c.text) })
	}
	for _, c := range preCases {
		t.Run("pre "+c.name, func(t *testing.T) { checkRoundTrip(t, c.text) })
	}
	t.Run("long word", func(t *testing.T) { checkRoundTrip(t, strings.Repeat("abcdefgh", 500)) })
	t.Run("long whitespace", func(t *testing.T) { checkRoundTrip(t, strings.Repeat(" \t", 2000)+"x") })
}

func BenchmarkBPEEncode(b *testing.B) {
	v, err := SyntheticVocab(151936)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := NewBPE(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(englishParagraph)))
	for b.Loop() {
		tok.Encode(englishParagraph)
	}
}

func BenchmarkNewBPE151936(b *testing.B) {
	v, err := SyntheticVocab(151936)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewBPE(v); err != nil {
			b.Fatal(err)
		}
	}
}
