package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Names of the special tokens of the ChatML/Qwen3 chat format. Every
// tokenizer the chat template is used with has them.
const (
	EndOfText  = "<|endoftext|>"
	IMStart    = "<|im_start|>"
	IMEnd      = "<|im_end|>"
	ThinkOpen  = "<think>"
	ThinkClose = "</think>"
)

// Tokenizer encodes text to token ids and decodes ids back to text.
type Tokenizer interface {
	// Encode returns the ids of text. Special-token strings that appear in
	// text are encoded as ordinary text, never as the special (control)
	// ids, so that user input cannot forge chat markup. (User-defined
	// tokens of a GGUF vocabulary, such as Qwen3's <think>, are text that
	// the vocabulary spells with one token; BPE and SPM match them whole,
	// as Hugging Face tokenizers and llama.cpp do.) It never adds BOS or
	// EOS; the chat template does.
	Encode(text string) []int
	// Decode returns the text of ids: the concatenation of their bytes, not
	// necessarily valid UTF-8 (a special token decodes to its name).
	Decode(ids []int) string
	// TokenBytes returns the bytes of one token (a special token's name); it
	// returns nil for an id outside the vocabulary. Callers must not modify
	// the result.
	TokenBytes(id int) []byte
	// SpecialID returns the id of the special token called name (for
	// example IMStart), and whether the vocabulary has it.
	SpecialID(name string) (int, bool)
	// IsSpecial reports whether id is a special (control) token, which
	// StreamDecoder does not render.
	IsSpecial(id int) bool
	// VocabSize returns the number of tokens.
	VocabSize() int
}

// StreamDecoder turns a stream of generated token ids into text. A UTF-8
// character whose bytes span several byte tokens is held back until its last
// byte arrives; bytes that cannot form valid UTF-8 come out as U+FFFD, so
// every string it returns is valid UTF-8.
type StreamDecoder struct {
	tok     Tokenizer
	pending []byte
}

// NewStreamDecoder returns a decoder for ids of tok.
func NewStreamDecoder(tok Tokenizer) *StreamDecoder {
	return &StreamDecoder{tok: tok}
}

// Next adds the token id and returns the text it completes, which may be
// empty (the start of a multi-byte character) or include bytes held back
// from earlier tokens.
func (d *StreamDecoder) Next(id int) string {
	if d.tok.IsSpecial(id) {
		// Control tokens (<|im_start|>, <think> ...) are not text; like
		// Ollama and llama.cpp, the stream does not render them.
		return ""
	}
	d.pending = append(d.pending, d.tok.TokenBytes(id)...)
	var b strings.Builder
	p := d.pending
	for len(p) > 0 && utf8.FullRune(p) {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(p[:size])
		}
		p = p[size:]
	}
	d.pending = append(d.pending[:0], p...)
	return b.String()
}

// Flush returns U+FFFD if an incomplete character is held back (the stream
// ended inside it), or "" otherwise, and empties the decoder.
func (d *StreamDecoder) Flush() string {
	if len(d.pending) == 0 {
		return ""
	}
	d.pending = d.pending[:0]
	return string(utf8.RuneError)
}
