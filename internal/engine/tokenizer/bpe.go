package tokenizer

import (
	"fmt"
	"strings"
	"sync"
)

// BPE is a byte-level BPE tokenizer (tokenizer.ggml.model "gpt2": Llama 3,
// Qwen2/2.5/3, SmolLM). Encoding follows Hugging Face tokenizers and
// llama.cpp's llm_tokenizer_bpe_session:
//
//  1. user-defined tokens (Qwen3's <think> ...) are cut out of the text and
//     encoded whole; control tokens are not, so their strings are text;
//  2. the pre-tokenizer named by tokenizer.ggml.pre splits the rest into
//     pieces;
//  3. each piece starts as one symbol per byte and the adjacent pair with
//     the lowest merge rank (position in tokenizer.ggml.merges) is merged
//     until no pair has a merge, leftmost first among equal ranks; with
//     Llama 3's pre-tokenizers a piece that is itself a token is taken
//     whole first (ignore_merges in its tokenizer.json).
//
// Tokens and merges are converted from GPT-2's byte-to-unicode form to raw
// bytes once, when the tokenizer is built. It is safe for concurrent use.
type BPE struct {
	base
	pre          preTokenizer
	ignoreMerges bool
	byteIDs      [256]int32
	whole        map[string]int32   // raw bytes of each normal token
	merges       map[uint64]merge   // key(left id, right id)
	cacheMu      sync.Mutex         // guards cache
	cache        map[string][]int32 // ids of recently encoded pieces
}

// merge is one entry of tokenizer.ggml.merges.
type merge struct{ rank, result int32 }

func mergeKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// Cache bounds: pieces longer than cachePieceLen are not cached, and the
// cache is emptied when it reaches cacheEntries.
const (
	cachePieceLen = 32
	cacheEntries  = 1 << 15
)

// NewBPE returns the byte-level BPE tokenizer of v, whose Model must be
// "gpt2". Every byte must have its token (the 256 single characters of the
// byte-to-unicode mapping), as byte-level BPE needs to encode any text. A
// merge whose sides or result are not normal tokens is ignored.
func NewBPE(v Vocab) (*BPE, error) {
	if v.Model != "gpt2" {
		return nil, fmt.Errorf("byte-level BPE needs tokenizer model \"gpt2\", not %q", v.Model)
	}
	pre, ignore, err := preTokenizerFor(v.Pre)
	if err != nil {
		return nil, err
	}
	b, err := newBase(v, nil)
	if err != nil {
		return nil, err
	}
	t := &BPE{
		base:         b,
		pre:          pre,
		ignoreMerges: ignore,
		whole:        make(map[string]int32, len(v.Tokens)),
		merges:       make(map[uint64]merge, len(v.Merges)),
		cache:        map[string][]int32{},
	}
	byMapped := make(map[string]int32, len(v.Tokens))
	for i, s := range v.Tokens {
		switch t.types[i] {
		case TypeNormal, TypeByte:
		case TypeUnused:
			t.bytes[i] = []byte{}
			continue
		default:
			continue
		}
		raw, _ := ByteLevelDecode(s)
		t.bytes[i] = raw
		if _, dup := t.whole[string(raw)]; !dup {
			t.whole[string(raw)] = int32(i)
			byMapped[s] = int32(i)
		}
	}
	for c := range 256 {
		id, ok := t.whole[string([]byte{byte(c)})]
		if !ok {
			return nil, fmt.Errorf("byte-level BPE vocabulary has no token for byte 0x%02x (%q)", c, string(byteRune[c]))
		}
		t.byteIDs[c] = id
	}
	for rank, m := range v.Merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("merge %d %q is not \"left right\"", rank, m)
		}
		li, lok := byMapped[l]
		ri, rok := byMapped[r]
		res, resok := byMapped[l+r]
		if !lok || !rok || !resok {
			continue
		}
		k := mergeKey(li, ri)
		if _, dup := t.merges[k]; !dup {
			t.merges[k] = merge{rank: int32(rank), result: res}
		}
	}
	return t, nil
}

// Encode returns the ids of text. Control-token strings in text (such as
// "<|im_start|>") are encoded as ordinary text, so that user input cannot
// forge chat markup; user-defined tokens are matched whole, as Hugging Face
// and llama.cpp do. It never adds BOS or EOS: that is the chat template's
// business.
func (t *BPE) Encode(text string) []int {
	return t.encodeParts(make([]int, 0, len(text)/3+1), text, t.userDefined, t.encodeRaw)
}

// EncodeWithSpecials returns the ids of text in which the strings of control,
// unknown and user-defined tokens stand for those tokens (llama.cpp's
// parse_special); use it for template text, never for user input.
func (t *BPE) EncodeWithSpecials(text string) []int {
	return t.encodeParts(make([]int, 0, len(text)/3+1), text, t.specials, t.encodeRaw)
}

// encodeRaw appends the ids of text, which has no special tokens.
func (t *BPE) encodeRaw(ids []int, text string) []int {
	t.pre(text, func(piece string) {
		ids = t.encodePiece(ids, piece)
	})
	return ids
}

// encodePiece appends the ids of one pre-tokenized piece.
func (t *BPE) encodePiece(ids []int, piece string) []int {
	if len(piece) == 1 {
		return append(ids, int(t.byteIDs[piece[0]]))
	}
	if t.ignoreMerges {
		if id, ok := t.whole[piece]; ok {
			return append(ids, int(id))
		}
	}
	if len(piece) <= cachePieceLen {
		t.cacheMu.Lock()
		c, ok := t.cache[piece]
		t.cacheMu.Unlock()
		if ok {
			for _, id := range c {
				ids = append(ids, int(id))
			}
			return ids
		}
	}
	out := t.bpe(piece)
	if len(piece) <= cachePieceLen {
		t.cacheMu.Lock()
		if len(t.cache) >= cacheEntries {
			clear(t.cache)
		}
		t.cache[piece] = out
		t.cacheMu.Unlock()
	}
	for _, id := range out {
		ids = append(ids, int(id))
	}
	return ids
}

// bpe merges the bytes of piece by rank and returns the resulting ids.
func (t *BPE) bpe(piece string) []int32 {
	n := len(piece)
	syms := make([]symbol, n)
	for i := range n {
		syms[i] = symbol{id: t.byteIDs[piece[i]], prev: i - 1, next: i + 1}
	}
	syms[n-1].next = -1
	var q queue[pair]
	push := func(l int) {
		if l < 0 {
			return
		}
		r := syms[l].next
		if r < 0 {
			return
		}
		if m, ok := t.merges[mergeKey(syms[l].id, syms[r].id)]; ok {
			q.push(pair{rank: m.rank, left: int32(l), right: int32(r), lid: syms[l].id, rid: syms[r].id})
		}
	}
	for i := range n - 1 {
		push(i)
	}
	for q.len() > 0 {
		p := q.pop()
		l, r := int(p.left), int(p.right)
		if syms[l].dead || syms[r].dead || syms[l].next != r || syms[l].id != p.lid || syms[r].id != p.rid {
			continue // stale: one side has merged since
		}
		syms[l].id = t.merges[mergeKey(p.lid, p.rid)].result
		syms[r].dead = true
		syms[l].next = syms[r].next
		if syms[l].next >= 0 {
			syms[syms[l].next].prev = l
		}
		push(syms[l].prev)
		push(l)
	}
	out := make([]int32, 0, n/2+1)
	for i := 0; i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}

// symbol is one symbol of a word being merged, in a linked list.
type symbol struct {
	id         int32
	prev, next int
	dead       bool
}

// pair is a candidate merge of symbols left and right, whose ids were lid
// and rid when it was queued.
type pair struct {
	rank, left, right, lid, rid int32
}

// before orders pairs for merging: lowest rank first, then leftmost.
func (p pair) before(o pair) bool {
	if p.rank != o.rank {
		return p.rank < o.rank
	}
	return p.left < o.left
}

// Decode returns the text of ids: the concatenation of their bytes, not
// necessarily valid UTF-8 (a control token decodes to its name).
func (t *BPE) Decode(ids []int) string { return t.decode(ids) }

var _ Tokenizer = (*BPE)(nil)
