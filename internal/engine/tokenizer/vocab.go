package tokenizer

import (
	"fmt"
	"slices"
	"strings"
)

// Token types of tokenizer.ggml.token_type, as llama.cpp numbers them
// (llama_token_type in llama.h; gguf-py's TokenType).
const (
	// TypeNormal is an ordinary text token.
	TypeNormal int32 = 1
	// TypeUnknown is the unknown token (<unk>).
	TypeUnknown int32 = 2
	// TypeControl is a control token (<s>, <|im_start|>, <|eot_id|> ...):
	// chat markup that Encode never produces from text.
	TypeControl int32 = 3
	// TypeUserDefined is a token added to the vocabulary whose text is
	// always matched as a whole (Qwen3's <think>, Qwen2.5's <tool_call>).
	TypeUserDefined int32 = 4
	// TypeUnused is a placeholder token that text never maps to.
	TypeUnused int32 = 5
	// TypeByte is a SentencePiece byte-fallback token, <0x00> to <0xFF>.
	TypeByte int32 = 6
)

// Vocab is a tokenizer vocabulary as a GGUF file stores it under
// tokenizer.ggml.*, decoupled from the file format. The GGUF reader fills it
// in; SyntheticVocab builds one.
type Vocab struct {
	// Model is tokenizer.ggml.model: "gpt2" for byte-level BPE (Llama 3,
	// Qwen2/2.5/3, SmolLM) or "llama" for SentencePiece (Llama 2, Mistral,
	// TinyLlama).
	Model string
	// Pre is tokenizer.ggml.pre, which names the pre-tokenizer of a "gpt2"
	// vocabulary ("llama-bpe", "qwen2", "smollm", "gpt-2", "default" ...);
	// a "llama" vocabulary ignores it.
	Pre string
	// Tokens is tokenizer.ggml.tokens, indexed by id. Byte-level BPE tokens
	// are stored in GPT-2's byte-to-unicode mapping ("Ġthe" is " the");
	// SentencePiece tokens use "▁" (U+2581) for a space and <0xXX> for bytes.
	Tokens []string
	// Scores is tokenizer.ggml.scores, the SentencePiece merge priorities
	// (higher merges first); it may be nil, which makes every score 0.
	Scores []float32
	// Types is tokenizer.ggml.token_type (TypeNormal ... TypeByte); it may
	// be nil, in which case the tokens named by BOS, EOS, EOT, UNK and PAD
	// are control tokens, SentencePiece tokens spelled <0xXX> are byte
	// tokens and all others are normal.
	Types []int32
	// Merges is tokenizer.ggml.merges, "left right" in rank order, most
	// frequent first ("gpt2" only).
	Merges []string
	// BOS, EOS, EOT, UNK and PAD are the ids of tokenizer.ggml.bos_token_id,
	// eos_token_id, eot_token_id, unknown_token_id and padding_token_id, -1
	// when absent.
	BOS, EOS, EOT, UNK, PAD int
	// AddBOS and AddEOS are tokenizer.ggml.add_bos_token and add_eos_token:
	// whether a prompt starts with BOS and ends with EOS. Encode never adds
	// them; the chat template does (see the chat package).
	AddBOS, AddEOS bool
	// AddSpacePrefix is tokenizer.ggml.add_space_prefix: whether
	// SentencePiece encoding puts a space in front of the text. llama.cpp
	// treats an absent key as true for "llama" vocabularies, so a reader
	// must set it to true when the key is missing. Byte-level BPE ignores
	// it, as llama.cpp does.
	AddSpacePrefix bool
}

// Markers are the ids a vocabulary names for sequence boundaries and
// padding (-1 when it has none), and whether a prompt starts with BOS and
// ends with EOS (tokenizer.ggml.add_bos_token, add_eos_token).
type Markers struct {
	BOS, EOS, EOT, UNK, PAD int
	AddBOS, AddEOS          bool
}

// New returns the tokenizer of v: a *BPE for Model "gpt2" and a *SPM for
// Model "llama". Any other model, an unknown pre-tokenizer or an
// inconsistent vocabulary is an error.
func New(v Vocab) (Tokenizer, error) {
	switch v.Model {
	case "gpt2":
		return NewBPE(v)
	case "llama":
		return NewSPM(v)
	}
	return nil, fmt.Errorf("tokenizer model %q is not supported (want \"gpt2\" for byte-level BPE or \"llama\" for SentencePiece)", v.Model)
}

// base is what BPE and SPM share: the token table, token types, special
// tokens and markers.
type base struct {
	tokens  []string
	types   []int32
	bytes   [][]byte // TokenBytes of each id
	special map[string]int
	// userDefined matches user-defined token strings, which Encode keeps
	// whole; specials matches those and control and unknown tokens, for
	// EncodeWithSpecials.
	userDefined, specials *matcher
	markers               Markers
}

// newBase checks the parts of v both models use and resolves token types.
// isByte reports whether a token is a byte token when v.Types is nil.
func newBase(v Vocab, isByte func(string) bool) (base, error) {
	n := len(v.Tokens)
	if n == 0 {
		return base{}, fmt.Errorf("%s vocabulary has no tokens", v.Model)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return base{}, fmt.Errorf("%s vocabulary has %d tokens but %d scores", v.Model, n, len(v.Scores))
	}
	if v.Types != nil && len(v.Types) != n {
		return base{}, fmt.Errorf("%s vocabulary has %d tokens but %d token types", v.Model, n, len(v.Types))
	}
	for _, m := range []struct {
		name string
		id   int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"eot", v.EOT}, {"unknown", v.UNK}, {"padding", v.PAD}} {
		if m.id < -1 || m.id >= n {
			return base{}, fmt.Errorf("%s vocabulary: %s token id %d outside 0..%d", v.Model, m.name, m.id, n-1)
		}
	}
	if v.AddBOS && v.BOS < 0 {
		return base{}, fmt.Errorf("%s vocabulary adds a BOS token but names none", v.Model)
	}
	if v.AddEOS && v.EOS < 0 {
		return base{}, fmt.Errorf("%s vocabulary adds an EOS token but names none", v.Model)
	}
	b := base{
		tokens:  v.Tokens,
		types:   make([]int32, n),
		bytes:   make([][]byte, n),
		special: map[string]int{},
		markers: Markers{BOS: v.BOS, EOS: v.EOS, EOT: v.EOT, UNK: v.UNK, PAD: v.PAD, AddBOS: v.AddBOS, AddEOS: v.AddEOS},
	}
	if v.Types != nil {
		copy(b.types, v.Types)
		for i, t := range b.types {
			if t < 0 || t > TypeByte {
				return base{}, fmt.Errorf("%s vocabulary: token %d (%q) has type %d outside 0..%d", v.Model, i, v.Tokens[i], t, TypeByte)
			}
			if t == 0 {
				b.types[i] = TypeNormal
			}
		}
	} else {
		for i, s := range v.Tokens {
			b.types[i] = TypeNormal
			if isByte != nil && isByte(s) {
				b.types[i] = TypeByte
			}
		}
		for _, id := range []int{v.BOS, v.EOS, v.EOT, v.PAD} {
			if id >= 0 {
				b.types[id] = TypeControl
			}
		}
		if v.UNK >= 0 {
			b.types[v.UNK] = TypeUnknown
		}
	}
	var userDefined, specials []string
	for i, s := range v.Tokens {
		switch b.types[i] {
		case TypeUnknown, TypeControl, TypeUserDefined:
			if s == "" {
				continue
			}
			if _, dup := b.special[s]; !dup {
				b.special[s] = i
				specials = append(specials, s)
				if b.types[i] == TypeUserDefined {
					userDefined = append(userDefined, s)
				}
			}
			b.bytes[i] = []byte(s)
		}
	}
	b.userDefined = newMatcher(userDefined)
	b.specials = newMatcher(specials)
	return b, nil
}

// TokenBytes returns the bytes token id stands for: the text of a normal or
// byte token, or the name of a control, unknown or user-defined token; it
// is empty for an unused token and nil outside the vocabulary. Callers must
// not modify the result.
func (b *base) TokenBytes(id int) []byte {
	if id < 0 || id >= len(b.bytes) {
		return nil
	}
	return b.bytes[id]
}

// SpecialID returns the id of the control, unknown or user-defined token
// whose text is name (for example "<|im_start|>" or "<think>"), and whether
// the vocabulary has one.
func (b *base) SpecialID(name string) (int, bool) {
	id, ok := b.special[name]
	return id, ok
}

// IsSpecial reports whether id is a control or unknown token: the tokens
// llama.cpp does not render as text. User-defined tokens such as <think>
// are text.
func (b *base) IsSpecial(id int) bool {
	if id < 0 || id >= len(b.types) {
		return false
	}
	t := b.types[id]
	return t == TypeControl || t == TypeUnknown
}

// TokenType returns the type of token id (TypeNormal ... TypeByte), or 0
// outside the vocabulary.
func (b *base) TokenType(id int) int32 {
	if id < 0 || id >= len(b.types) {
		return 0
	}
	return b.types[id]
}

// Markers returns the vocabulary's BOS, EOS, EOT, UNK and PAD ids and its
// add_bos_token and add_eos_token flags.
func (b *base) Markers() Markers { return b.markers }

// VocabSize returns the number of tokens.
func (b *base) VocabSize() int { return len(b.tokens) }

// decode concatenates the bytes of ids.
func (b *base) decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		sb.Write(b.TokenBytes(id))
	}
	return sb.String()
}

// encodeParts splits text at the strings m matches and appends the ids of
// the matched tokens and of the text between them, encoded by raw.
func (b *base) encodeParts(ids []int, text string, m *matcher, raw func([]int, string) []int) []int {
	for text != "" {
		i, s := m.find(text)
		if i < 0 {
			return raw(ids, text)
		}
		if i > 0 {
			ids = raw(ids, text[:i])
		}
		ids = append(ids, b.special[s])
		text = text[i+len(s):]
	}
	return ids
}

// matcher finds the leftmost, then longest, of a set of strings in a text,
// as Hugging Face tokenizers match added tokens.
type matcher struct {
	first  [256]bool
	byByte map[byte][]string // longest first
}

func newMatcher(strs []string) *matcher {
	m := &matcher{byByte: map[byte][]string{}}
	for _, s := range strs {
		if s == "" {
			continue
		}
		m.first[s[0]] = true
		m.byByte[s[0]] = append(m.byByte[s[0]], s)
	}
	for _, l := range m.byByte {
		slices.SortStableFunc(l, func(a, b string) int { return len(b) - len(a) })
	}
	return m
}

// find returns the offset and text of the leftmost longest match in text,
// or -1 and "".
func (m *matcher) find(text string) (int, string) {
	if m == nil || len(m.byByte) == 0 {
		return -1, ""
	}
	for i := 0; i < len(text); i++ {
		if !m.first[text[i]] {
			continue
		}
		for _, s := range m.byByte[text[i]] {
			if strings.HasPrefix(text[i:], s) {
				return i, s
			}
		}
	}
	return -1, ""
}
