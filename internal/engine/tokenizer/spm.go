package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// spaceMark is SentencePiece's meta symbol for a space, "▁" (U+2581).
const spaceMark = "\u2581"

// SPM is a SentencePiece BPE tokenizer (tokenizer.ggml.model "llama":
// Llama 2, Mistral, TinyLlama), encoding as llama.cpp's
// llm_tokenizer_spm_session does:
//
//  1. a space is put in front of the text when AddSpacePrefix is set, and
//     every space becomes "▁";
//  2. user-defined tokens are cut out and encoded whole; control tokens are
//     not, so their strings are text;
//  3. the text starts as one symbol per UTF-8 character, and the adjacent
//     pair whose concatenation is the normal token with the highest score
//     is merged until no pair makes a token, leftmost first among equal
//     scores;
//  4. a symbol that is not a token (a character outside the vocabulary)
//     becomes its bytes' <0xXX> tokens, or the unknown token if the
//     vocabulary has no byte tokens.
//
// Unlike llama.cpp, merges make only normal and user-defined tokens, never
// control ones, so that typing "<s>" cannot produce the BOS id (this is
// what SentencePiece itself does); and invalid UTF-8 is split into single
// bytes. It is safe for concurrent use.
type SPM struct {
	base
	pieces         map[string]int32 // text of normal and user-defined tokens
	scores         []float32
	byteIDs        [256]int32 // -1 when the byte has no token
	unk            int32
	addSpacePrefix bool
}

// NewSPM returns the SentencePiece tokenizer of v, whose Model must be
// "llama". The vocabulary needs byte tokens <0x00>..<0xFF> or an unknown
// token for characters it cannot spell.
func NewSPM(v Vocab) (*SPM, error) {
	if v.Model != "llama" {
		return nil, fmt.Errorf("SentencePiece needs tokenizer model \"llama\", not %q", v.Model)
	}
	b, err := newBase(v, func(s string) bool { _, ok := parseByteToken(s); return ok })
	if err != nil {
		return nil, err
	}
	t := &SPM{
		base:           b,
		pieces:         make(map[string]int32, len(v.Tokens)),
		scores:         v.Scores,
		unk:            int32(v.UNK),
		addSpacePrefix: v.AddSpacePrefix,
	}
	if t.scores == nil {
		t.scores = make([]float32, len(v.Tokens))
	}
	for i := range t.byteIDs {
		t.byteIDs[i] = -1
	}
	for i, s := range v.Tokens {
		switch t.types[i] {
		case TypeNormal:
			t.bytes[i] = []byte(strings.ReplaceAll(s, spaceMark, " "))
			if _, dup := t.pieces[s]; !dup && s != "" {
				t.pieces[s] = int32(i)
			}
		case TypeUserDefined:
			if _, dup := t.pieces[s]; !dup && s != "" {
				t.pieces[s] = int32(i)
			}
		case TypeByte:
			c, ok := parseByteToken(s)
			if !ok {
				return nil, fmt.Errorf("SentencePiece byte token %d is %q, not <0xXX>", i, s)
			}
			t.bytes[i] = []byte{c}
			if t.byteIDs[c] < 0 {
				t.byteIDs[c] = int32(i)
			}
		case TypeUnused:
			t.bytes[i] = []byte{}
		}
	}
	for c, id := range t.byteIDs {
		if id < 0 && t.unk < 0 {
			return nil, fmt.Errorf("SentencePiece vocabulary has neither a byte token for 0x%02X nor an unknown token", c)
		}
	}
	return t, nil
}

// parseByteToken parses a byte token's text, <0xXX>.
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(v), true
}

// Encode returns the ids of text, with the space prefix when the
// vocabulary asks for one (so that Decode(Encode(s)) == s). Control-token
// strings in text (such as "<s>") are encoded as ordinary text;
// user-defined tokens are matched whole. It never adds BOS or EOS: that is
// the chat template's business. Text containing "▁" itself does not round
// trip: like SentencePiece, Decode turns it into a space.
func (t *SPM) Encode(text string) []int {
	if text == "" {
		return nil
	}
	if t.addSpacePrefix {
		text = " " + text
	}
	return t.encodeParts(make([]int, 0, len(text)/3+1), text, t.userDefined, t.encodeRaw)
}

// EncodeWithSpecials returns the ids of text in which the strings of control,
// unknown and user-defined tokens stand for those tokens (llama.cpp's
// parse_special); use it for template text, never for user input. As in
// llama.cpp, the space prefix goes in front of the text and of every
// stretch of text that follows a special token.
func (t *SPM) EncodeWithSpecials(text string) []int {
	var ids []int
	for text != "" {
		i, s := t.specials.find(text)
		if i < 0 {
			return append(ids, t.Encode(text)...)
		}
		if i > 0 {
			ids = append(ids, t.Encode(text[:i])...)
		}
		ids = append(ids, t.special[s])
		text = text[i+len(s):]
	}
	return ids
}

// encodeRaw appends the ids of text, which has no user-defined tokens.
func (t *SPM) encodeRaw(ids []int, text string) []int {
	s := strings.ReplaceAll(text, " ", spaceMark)
	type sym struct {
		start, end int
		prev, next int
		dead       bool
	}
	syms := make([]sym, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			n = 1 // an invalid byte is a symbol of its own
		}
		syms = append(syms, sym{start: i, end: i + n, prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	if len(syms) == 0 {
		return ids
	}
	syms[len(syms)-1].next = -1
	var q queue[bigram]
	push := func(l int) {
		if l < 0 || syms[l].next < 0 {
			return
		}
		r := syms[l].next
		if id, ok := t.pieces[s[syms[l].start:syms[r].end]]; ok {
			q.push(bigram{score: t.scores[id], left: int32(l), right: int32(r), end: int32(syms[r].end)})
		}
	}
	for i := range len(syms) - 1 {
		push(i)
	}
	for q.len() > 0 {
		b := q.pop()
		l, r := int(b.left), int(b.right)
		if syms[l].dead || syms[r].dead || syms[l].next != r || syms[r].end != int(b.end) {
			continue // stale: one side has merged since
		}
		syms[l].end = syms[r].end
		syms[r].dead = true
		syms[l].next = syms[r].next
		if syms[l].next >= 0 {
			syms[syms[l].next].prev = l
		}
		push(syms[l].prev)
		push(l)
	}
	for i := 0; i >= 0; i = syms[i].next {
		piece := s[syms[i].start:syms[i].end]
		if id, ok := t.pieces[piece]; ok {
			ids = append(ids, int(id))
			continue
		}
		for j := 0; j < len(piece); j++ {
			if id := t.byteIDs[piece[j]]; id >= 0 {
				ids = append(ids, int(id))
			} else {
				ids = append(ids, int(t.unk))
			}
		}
	}
	return ids
}

// Decode returns the text of ids: "▁" becomes a space, byte tokens become
// their bytes, control tokens their names, and the space Encode puts in
// front of the text is dropped from the first token (as llama.cpp's
// detokenizer does when the first token is not special).
func (t *SPM) Decode(ids []int) string {
	var sb strings.Builder
	for i, id := range ids {
		b := t.TokenBytes(id)
		if i == 0 && t.addSpacePrefix && !t.IsSpecial(id) && len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		sb.Write(b)
	}
	return sb.String()
}

// bigram is a candidate merge of symbols left and right, which ended at
// byte end when it was queued.
type bigram struct {
	score            float32
	left, right, end int32
}

// before orders bigrams for merging: highest score first, then leftmost.
func (b bigram) before(o bigram) bool {
	if b.score != o.score {
		return b.score > o.score
	}
	return b.left < o.left
}

var _ Tokenizer = (*SPM)(nil)
