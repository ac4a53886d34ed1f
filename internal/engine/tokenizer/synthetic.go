package tokenizer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// The synthetic vocabulary, in id order:
//
//  1. the five special tokens, ids 0–4: EndOfText, IMStart, IMEnd,
//     ThinkOpen, ThinkClose;
//  2. the 256 byte tokens, ids 5–260 (id 5+b is byte b), so that any byte
//     string can be encoded;
//  3. pseudo-word pieces, up to the vocabulary size: first the common English
//     words of commonWords with a leading space, then the English affixes of
//     commonAffixes, then every lowercase letter string of length 2 to 4
//     ordered by its likelihood under English letter frequencies (Lewand
//     2000, as tabulated in Wikipedia's "Letter frequency"), each followed by
//     the same string with a leading space.
//
// Encoding is greedy longest match over the pieces with byte fallback.
// Because pieces contain only lowercase letters and spaces, English prose
// comes out at about 2.8 characters per token with a 4,096-token vocabulary
// and 3.5 with Qwen3's 151,936 (real BPE vocabularies of that size give
// about 4): capitals, digits and punctuation are single byte tokens.

// SpecialCount and ByteCount are the sizes of the first two ranges.
const (
	// SpecialCount is the number of special tokens, ids 0 to 4.
	SpecialCount = 5
	// ByteCount is the number of byte tokens, ids 5 to 260.
	ByteCount = 256
	// FirstPiece is the id of the first pseudo-word piece.
	FirstPiece = SpecialCount + ByteCount
)

var specialNames = [SpecialCount]string{EndOfText, IMStart, IMEnd, ThinkOpen, ThinkClose}

// commonWords are frequent English words, most frequent first; each becomes
// a piece with a leading space.
var commonWords = strings.Fields(`the of and to in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their has would when if so what no can
more will out up about than into them only other its time some could these two may then do first any my now
such like our over man me even most made after also did many before must through back years where much your
way well down should because each just those people how too little state good very make world still own see
men work long get here between both life being under never day same another know while last might us great
old year off come since against go came right used take three new use part said system number water called
who find think use text model energy power data token word small large number point form place high every
found house different between home again end around light thought head hand show along want give most`)

// commonAffixes are frequent English word endings and stems; each becomes a
// piece without a leading space.
var commonAffixes = strings.Fields(`ing tion ed er ly ment ness able ions ers est ity ive al ence ance ous ful
less ical ally ation ting ated ent ant ism ist ize ure ial ary ory ship ings ies tive sion`)

// letterFreq is the relative frequency of each letter in English text, in
// percent (a..z).
var letterFreq = [26]float64{
	8.167, 1.492, 2.782, 4.253, 12.702, 2.228, 2.015, 6.094, 6.966, 0.153, 0.772, 4.025, 2.406,
	6.749, 7.507, 1.929, 0.095, 5.987, 6.327, 9.056, 2.758, 0.978, 2.360, 0.150, 1.974, 0.074,
}

// piecesOnce holds every piece the synthetic vocabulary can have, in id
// order; a vocabulary of size n uses the first n-FirstPiece of them.
var piecesOnce = sync.OnceValue(buildPieces)

func buildPieces() []string {
	// Only the word and affix pieces can repeat each other or a letter
	// combination; the combinations are distinct by construction.
	seen := map[string]bool{}
	out := make([]string, 0, 2*(26*26*(1+26+26*26))+len(commonWords)+len(commonAffixes))
	listed := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add := func(s string) {
		if !seen[s] {
			out = append(out, s)
		}
	}
	for _, w := range commonWords {
		if len(w) >= 2 {
			listed(" " + w)
		}
	}
	for _, a := range commonAffixes {
		listed(a)
	}
	// Cost of a letter: -ln(frequency) in thousandths, an integer so that
	// sums are exact and ties are broken by the explicit keys below, not by
	// rounding.
	var cost [26]uint64
	for i, f := range letterFreq {
		cost[i] = uint64(math.Round(-1000 * math.Log(f/100)))
	}
	// Letters ranked by frequency, most frequent first, for tie-breaking.
	var rank [26]uint64
	order := make([]int, 26)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case letterFreq[a] > letterFreq[b]:
			return -1
		case letterFreq[a] < letterFreq[b]:
			return 1
		}
		return 0
	})
	for r, l := range order {
		rank[l] = uint64(r)
	}
	// key = cost (bits 24+) | length (bits 20–23) | ranks of up to four
	// letters (5 bits each, first letter highest): ascending key order is
	// most likely first, then shorter, then earlier in frequency order.
	keys := make([]uint64, 0, 26*26*(1+26+26*26))
	var rec func(letters []int, c uint64)
	rec = func(letters []int, c uint64) {
		if len(letters) >= 2 {
			k := c<<24 | uint64(len(letters))<<20
			for i, l := range letters {
				k |= rank[l] << (15 - 5*i)
			}
			keys = append(keys, k)
		}
		if len(letters) == 4 {
			return
		}
		for l := range 26 {
			rec(append(letters, l), c+cost[l])
		}
	}
	rec(make([]int, 0, 4), 0)
	slices.Sort(keys)
	buf := make([]byte, 0, 5)
	for _, k := range keys {
		n := int(k >> 20 & 0xf)
		buf = buf[:0]
		for i := range n {
			buf = append(buf, 'a'+byte(order[k>>(15-5*i)&0x1f]))
		}
		word := string(buf)
		add(word)
		add(" " + word)
	}
	return out
}

// MaxSyntheticVocab returns the largest vocabulary NewSynthetic can build.
func MaxSyntheticVocab() int { return FirstPiece + len(piecesOnce()) }

// Synthetic is the deterministic tokenizer of the synthetic models; its
// vocabulary is described at the top of this file. It is safe for
// concurrent use.
type Synthetic struct {
	size   int
	tokens [][]byte
	pieces map[string]int
	maxLen int
}

// NewSynthetic returns the synthetic tokenizer with vocabSize tokens, which
// must be at least FirstPiece and at most MaxSyntheticVocab(). Vocabularies
// of different sizes share their first ids.
func NewSynthetic(vocabSize int) (*Synthetic, error) {
	all := piecesOnce()
	if vocabSize < FirstPiece || vocabSize > FirstPiece+len(all) {
		return nil, fmt.Errorf("synthetic vocabulary size %d outside %d..%d", vocabSize, FirstPiece, FirstPiece+len(all))
	}
	t := &Synthetic{
		size:   vocabSize,
		tokens: make([][]byte, vocabSize),
		pieces: make(map[string]int, vocabSize-FirstPiece),
	}
	for i, name := range specialNames {
		t.tokens[i] = []byte(name)
	}
	for b := range ByteCount {
		t.tokens[SpecialCount+b] = []byte{byte(b)}
	}
	for i, p := range all[:vocabSize-FirstPiece] {
		t.tokens[FirstPiece+i] = []byte(p)
		t.pieces[p] = FirstPiece + i
		t.maxLen = max(t.maxLen, len(p))
	}
	return t, nil
}

// Encode returns the ids of text by greedy longest match: at each position
// the longest piece that matches is taken, or else the byte token of the
// byte there. Special-token names in text are encoded as ordinary bytes and
// pieces.
func (t *Synthetic) Encode(text string) []int {
	ids := make([]int, 0, len(text)/2+1)
	for i := 0; i < len(text); {
		n := 0
		for l := min(t.maxLen, len(text)-i); l >= 2; l-- {
			if id, ok := t.pieces[text[i:i+l]]; ok {
				ids = append(ids, id)
				n = l
				break
			}
		}
		if n == 0 {
			ids = append(ids, SpecialCount+int(text[i]))
			n = 1
		}
		i += n
	}
	return ids
}

// Decode returns the concatenated bytes of ids; ids outside the vocabulary
// decode to nothing.
func (t *Synthetic) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.Write(t.TokenBytes(id))
	}
	return b.String()
}

// TokenBytes returns the bytes of token id, nil outside the vocabulary.
func (t *Synthetic) TokenBytes(id int) []byte {
	if id < 0 || id >= t.size {
		return nil
	}
	return t.tokens[id]
}

// SpecialID returns the id of a special token by name.
func (t *Synthetic) SpecialID(name string) (int, bool) {
	for i, n := range specialNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// IsSpecial reports whether id is one of the five special tokens.
func (t *Synthetic) IsSpecial(id int) bool { return id >= 0 && id < SpecialCount }

// VocabSize returns the number of tokens.
func (t *Synthetic) VocabSize() int { return t.size }

var _ Tokenizer = (*Synthetic)(nil)
