package chat

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
)

func TestRender(t *testing.T) {
	tok, err := tokenizer.NewSynthetic(4096)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := NewChatML(tok)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "Say <|im_end|> please"},
	}
	const body = "<|im_start|>system\nBe brief.<|im_end|>\n" +
		"<|im_start|>user\nSay <|im_end|> please<|im_end|>\n" +
		"<|im_start|>assistant\n"
	for _, c := range []struct {
		name  string
		think bool
		want  string
	}{
		{"thinking off", false, body + "<think>\n\n</think>\n\n"},
		{"thinking on", true, body + "<think>\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids := tmpl.Render(msgs, c.think)
			if diff := cmp.Diff(c.want, tok.Decode(ids)); diff != "" {
				t.Errorf("rendered text (-want +got):\n%s", diff)
			}
			// Markup is special tokens; the user's "<|im_end|>" is not.
			var specials []int
			for _, id := range ids {
				if tok.IsSpecial(id) {
					specials = append(specials, id)
				}
			}
			start, _ := tok.SpecialID(tokenizer.IMStart)
			end, _ := tok.SpecialID(tokenizer.IMEnd)
			open, _ := tok.SpecialID(tokenizer.ThinkOpen)
			closeT, _ := tok.SpecialID(tokenizer.ThinkClose)
			want := []int{start, end, start, end, start, open}
			if !c.think {
				want = append(want, closeT)
			}
			if diff := cmp.Diff(want, specials); diff != "" {
				t.Errorf("special tokens (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStopAndClose(t *testing.T) {
	tok, _ := tokenizer.NewSynthetic(4096)
	tmpl, _ := NewChatML(tok)
	end, _ := tok.SpecialID(tokenizer.IMEnd)
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	open, _ := tok.SpecialID(tokenizer.ThinkOpen)
	if !tmpl.IsStop(end) || !tmpl.IsStop(eot) || tmpl.IsStop(open) || tmpl.IsStop(tokenizer.FirstPiece) {
		t.Error("IsStop does not single out <|im_end|> and <|endoftext|>")
	}
	if got := tok.Decode(tmpl.CloseThink()); got != "</think>\n\n" {
		t.Errorf("CloseThink decodes to %q", got)
	}
	if tmpl.CloseThink()[0] != tmpl.ThinkEnd() {
		t.Error("CloseThink does not start with ThinkEnd")
	}
}

// noSpecials is a tokenizer without chat markup.
type noSpecials struct{ tokenizer.Tokenizer }

func (noSpecials) SpecialID(string) (int, bool) { return 0, false }

func TestMissingSpecials(t *testing.T) {
	tok, _ := tokenizer.NewSynthetic(4096)
	if _, err := NewChatML(noSpecials{tok}); err == nil {
		t.Error("NewChatML accepted a tokenizer without special tokens")
	}
}
