package tokenizer

import (
	"fmt"
	"slices"
)

// SyntheticVocab returns a byte-level BPE vocabulary (Model "gpt2", Pre
// "qwen2", as Qwen3's) of exactly size tokens, so that a synthetic model can
// be written as a GGUF file with real tokenizer metadata and read back
// through the same BPE code as a downloaded model. size must be at least
// 261 (the byte and special tokens); 4,096 to 151,936 (Qwen3's size) are
// the sizes it is meant for. Its ids:
//
//  1. 0–255, the 256 byte tokens, in GPT-2's order (by their character in
//     the byte-to-unicode mapping: "!" is 0, "Ā" (byte 0x00) is 188);
//  2. then merged tokens, in merge-rank order: the pseudo-word pieces of
//     the Synthetic tokenizer (common English words with a leading space,
//     affixes, then lowercase letter strings by English letter frequency),
//     each added with the merges that build it from the tokens already
//     there, so that the BPE encoding of every token's own text is that
//     token;
//  3. the last five ids, the special tokens <|endoftext|>, <|im_start|>,
//     <|im_end|> (control) and <think>, </think> (user-defined, as in
//     Qwen3).
//
// BOS and PAD are <|endoftext|>, EOS is <|im_end|>, and no BOS is added, as
// in Qwen3's GGUF files. The vocabulary is deterministic, and one size's
// tokens and merges are a prefix of a larger size's apart from the special
// tokens at the end.
func SyntheticVocab(size int) (Vocab, error) {
	const minSize = ByteCount + SpecialCount
	if size < minSize {
		return Vocab{}, fmt.Errorf("synthetic BPE vocabulary size %d below %d", size, minSize)
	}
	g := newVocabGen(size - SpecialCount)
	for _, p := range piecesOnce() {
		if g.full() {
			break
		}
		g.add(p)
	}
	if !g.full() {
		return Vocab{}, fmt.Errorf("synthetic BPE vocabulary size %d above the %d tokens the piece list can build", size, len(g.raw)+SpecialCount)
	}
	v := Vocab{
		Model:  "gpt2",
		Pre:    "qwen2",
		Tokens: make([]string, 0, size),
		Types:  make([]int32, 0, size),
		Merges: make([]string, len(g.merges)),
		BOS:    size - SpecialCount,
		EOS:    size - SpecialCount + 2,
		EOT:    -1,
		UNK:    -1,
		PAD:    size - SpecialCount,
	}
	for _, r := range g.raw {
		v.Tokens = append(v.Tokens, ByteLevelEncode(r))
		v.Types = append(v.Types, TypeNormal)
	}
	for i, m := range g.merges {
		v.Merges[i] = ByteLevelEncode(g.raw[m[0]]) + " " + ByteLevelEncode(g.raw[m[1]])
	}
	for i, name := range specialNames {
		v.Tokens = append(v.Tokens, name)
		if i < 3 {
			v.Types = append(v.Types, TypeControl)
		} else {
			v.Types = append(v.Types, TypeUserDefined)
		}
	}
	return v, nil
}

// vocabGen grows a byte-level BPE vocabulary, in raw bytes, one reachable
// token at a time.
type vocabGen struct {
	limit  int
	raw    []string
	ids    map[string]int32
	merges [][2]int32
	rank   map[uint64]int32 // key(left, right) → index in merges
}

func newVocabGen(limit int) *vocabGen {
	g := &vocabGen{
		limit: limit,
		raw:   make([]string, 0, limit),
		ids:   make(map[string]int32, limit),
		rank:  make(map[uint64]int32, limit),
	}
	bytes := make([]int, 256)
	for b := range bytes {
		bytes[b] = b
	}
	slices.SortFunc(bytes, func(a, b int) int { return int(byteRune[a]) - int(byteRune[b]) })
	for _, b := range bytes {
		g.ids[string([]byte{byte(b)})] = int32(len(g.raw))
		g.raw = append(g.raw, string([]byte{byte(b)}))
	}
	return g
}

func (g *vocabGen) full() bool { return len(g.raw) >= g.limit }

// add makes w a reachable token. It encodes w with the merges so far; if
// that leaves several symbols s1..sk, it adds the merges (s1, s2), then
// (s1s2, s3) and so on, each ranked after all others, creating the tokens
// they make. A merge ranked last applies only when no other does, so it
// cannot change the encoding of a token that was already reachable, and
// each new token is reachable because the encoding of w stopped at s1..sk.
// It stops early when the vocabulary is full.
func (g *vocabGen) add(w string) {
	if _, ok := g.ids[w]; ok {
		return
	}
	segs := g.encode(w)
	cur := segs[0]
	for _, next := range segs[1:] {
		text := g.raw[cur] + g.raw[next]
		id, ok := g.ids[text]
		if !ok {
			if g.full() {
				return
			}
			id = int32(len(g.raw))
			g.raw = append(g.raw, text)
			g.ids[text] = id
		}
		g.rank[mergeKey(cur, next)] = int32(len(g.merges))
		g.merges = append(g.merges, [2]int32{cur, next})
		cur = id
	}
}

// encode returns the BPE encoding of the short string w with the merges
// so far.
func (g *vocabGen) encode(w string) []int32 {
	syms := make([]int32, len(w))
	for i := range len(w) {
		syms[i] = g.ids[w[i:i+1]]
	}
	for len(syms) > 1 {
		best, at := int32(-1), -1
		for i := range len(syms) - 1 {
			if r, ok := g.rank[mergeKey(syms[i], syms[i+1])]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		m := g.merges[best]
		syms[at] = g.ids[g.raw[m[0]]+g.raw[m[1]]]
		syms = slices.Delete(syms, at+1, at+2)
	}
	return syms
}
