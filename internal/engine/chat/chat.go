package chat

import (
	"fmt"

	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
)

// Message is one chat message.
type Message struct {
	// Role is "system", "user", "assistant" or any role the model was
	// trained with; it is rendered as text.
	Role string
	// Content is the message text; markup strings in it stay text.
	Content string
}

// Template is the ChatML template bound to a tokenizer's special tokens.
//
// Render produces, for messages m1..mn:
//
//	<|im_start|>{m1.Role}\n{m1.Content}<|im_end|>\n
//	...
//	<|im_start|>{mn.Role}\n{mn.Content}<|im_end|>\n
//	<|im_start|>assistant\n
//
// followed, when thinking is off, by Qwen3's empty think block
// "<think>\n\n</think>\n\n" (what Qwen3's template emits for
// enable_thinking=false), or, when thinking is on, by "<think>\n", so that
// generation starts inside the think block. Qwen3's own template leaves the
// "<think>\n" to the model when thinking is on; putting it in the prompt
// makes the think block certain for models that would not open it (synthetic
// ones) and costs the same one or two tokens of prefill instead of decode.
type Template struct {
	tok                               tokenizer.Tokenizer
	imStart, imEnd, eot, open, closeT int
}

// NewChatML returns the ChatML template for tok, which must have the
// special tokens <|im_start|>, <|im_end|>, <|endoftext|>, <think> and
// </think>.
func NewChatML(tok tokenizer.Tokenizer) (*Template, error) {
	t := &Template{tok: tok}
	for _, s := range []struct {
		name string
		id   *int
	}{
		{tokenizer.IMStart, &t.imStart}, {tokenizer.IMEnd, &t.imEnd}, {tokenizer.EndOfText, &t.eot},
		{tokenizer.ThinkOpen, &t.open}, {tokenizer.ThinkClose, &t.closeT},
	} {
		id, ok := tok.SpecialID(s.name)
		if !ok {
			return nil, fmt.Errorf("chatml template: tokenizer has no %s token", s.name)
		}
		*s.id = id
	}
	return t, nil
}

// Render returns the prompt ids for msgs, ending with the assistant header
// and the think-block opening described on Template.
func (t *Template) Render(msgs []Message, think bool) []int {
	var ids []int
	for _, m := range msgs {
		ids = append(ids, t.imStart)
		ids = append(ids, t.tok.Encode(m.Role)...)
		ids = append(ids, t.tok.Encode("\n")...)
		ids = append(ids, t.tok.Encode(m.Content)...)
		ids = append(ids, t.imEnd)
		ids = append(ids, t.tok.Encode("\n")...)
	}
	ids = append(ids, t.imStart)
	ids = append(ids, t.tok.Encode("assistant\n")...)
	ids = append(ids, t.open)
	if think {
		return append(ids, t.tok.Encode("\n")...)
	}
	ids = append(ids, t.tok.Encode("\n\n")...)
	return append(ids, t.CloseThink()...)
}

// CloseThink returns the ids that end a think block, "</think>\n\n".
func (t *Template) CloseThink() []int {
	return append([]int{t.closeT}, t.tok.Encode("\n\n")...)
}

// ThinkEnd returns the id of </think>.
func (t *Template) ThinkEnd() int { return t.closeT }

// IsStop reports whether id ends the assistant's turn: <|im_end|> or
// <|endoftext|>.
func (t *Template) IsStop(id int) bool { return id == t.imEnd || id == t.eot }
