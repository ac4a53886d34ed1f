package chat

import (
	"fmt"
	"slices"
	"strings"
	"time"

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

// markerSource is implemented by tokenizers built from a GGUF vocabulary
// (tokenizer.BPE, tokenizer.SPM): they know their BOS and EOS ids and
// whether prompts start with BOS.
type markerSource interface {
	Markers() tokenizer.Markers
}

// Template renders conversations for one model: a family (Spec) bound to a
// tokenizer's special tokens.
//
// It renders to ids directly. The template is first written out as parts:
// markup, such as <|im_start|>, that is a special token when the
// vocabulary has one of that name, and text (roles, newlines, message
// content). Markup tokens become their ids; each stretch of text between
// them is encoded with the tokenizer's Encode in one piece, so that the ids
// are those llama.cpp gives for the rendered template string (which it
// encodes with special tokens parsed), except that markup strings typed in
// message content stay text. With a SentencePiece tokenizer each such
// stretch gets the space prefix, as in llama.cpp.
//
// BOS: the Llama 2, Llama 3 and Mistral templates write it themselves
// (bos_token); for ChatML and Zephyr it is added in front when the
// vocabulary's add_bos_token is set. Either way a prompt starts with at
// most one BOS. EOS (add_eos_token) is never added to a prompt. Templates
// do not check that roles alternate, as some Jinja templates do.
type Template struct {
	spec  Spec
	tok   tokenizer.Tokenizer
	now   func() time.Time
	names map[string]int // markup that is a special token
	bos   int            // -1 when none
	eos   int            // -1 when none
	// addBOS puts BOS in front of templates that do not write it.
	addBOS                bool
	thinkOpen, thinkClose int // -1 without thinking
	stops                 map[int]bool
}

// New returns the template of spec for tok. now gives the date of Llama
// 3.1+'s system header when spec.Date is empty (nil means time.Now). It is
// an error if tok lacks the special tokens the family needs:
// <|im_start|> and <|im_end|> (ChatML, plus <think> and </think> with
// Thinking); <|start_header_id|>, <|end_header_id|>, <|eot_id|> and BOS
// (Llama 3); BOS and EOS (Llama 2, Mistral); EOS (Zephyr).
func New(spec Spec, tok tokenizer.Tokenizer, now func() time.Time) (*Template, error) {
	if now == nil {
		now = time.Now
	}
	t := &Template{spec: spec, tok: tok, now: now, names: map[string]int{}, bos: -1, eos: -1,
		thinkOpen: -1, thinkClose: -1, stops: map[int]bool{}}
	var m tokenizer.Markers
	ms, hasMarkers := tok.(markerSource)
	if hasMarkers {
		m = ms.Markers()
		t.bos, t.eos = m.BOS, m.EOS
		t.addBOS = m.AddBOS
	}
	// lookup resolves markup names; required ones must be special tokens.
	lookup := func(required bool, names ...string) error {
		for _, n := range names {
			id, ok := tok.SpecialID(n)
			if ok {
				t.names[n] = id
			} else if required {
				return fmt.Errorf("%s chat template: tokenizer has no %s token", spec.Kind, n)
			}
		}
		return nil
	}
	// byName fills in BOS or EOS from its usual name when the tokenizer
	// does not say.
	byName := func(id *int, name string) {
		if *id < 0 {
			if v, ok := tok.SpecialID(name); ok {
				*id = v
			}
		}
	}
	stop := func(ids ...int) {
		for _, id := range ids {
			if id >= 0 {
				t.stops[id] = true
			}
		}
	}
	switch spec.Kind {
	case ChatML:
		if err := lookup(true, imStart, imEnd); err != nil {
			return nil, err
		}
		if spec.Thinking {
			if err := lookup(true, tokenizer.ThinkOpen, tokenizer.ThinkClose); err != nil {
				return nil, err
			}
			t.thinkOpen, t.thinkClose = t.names[tokenizer.ThinkOpen], t.names[tokenizer.ThinkClose]
		}
		stop(t.names[imEnd])
		if id, ok := tok.SpecialID(tokenizer.EndOfText); ok {
			stop(id)
		}
	case Llama3:
		byName(&t.bos, "<|begin_of_text|>")
		if err := lookup(true, "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"); err != nil {
			return nil, err
		}
		if t.bos < 0 {
			return nil, fmt.Errorf("%s chat template: tokenizer has no BOS token", spec.Kind)
		}
		stop(t.names["<|eot_id|>"])
		for _, n := range []string{"<|end_of_text|>", "<|eom_id|>"} {
			if id, ok := tok.SpecialID(n); ok {
				stop(id)
			}
		}
	case Llama2, Mistral:
		switch spec.Mistral {
		case MistralLegacy, MistralV1, MistralV3:
		default:
			return nil, fmt.Errorf("%w: Mistral style %d", ErrUnsupported, spec.Mistral)
		}
		byName(&t.bos, "<s>")
		byName(&t.eos, "</s>")
		if t.bos < 0 || t.eos < 0 {
			return nil, fmt.Errorf("%s chat template: tokenizer lacks a BOS or EOS token", spec.Kind)
		}
		// Mistral v0.3's vocabulary has [INST] and [/INST] as control
		// tokens; older ones spell them.
		_ = lookup(false, "[INST]", "[/INST]")
	case Zephyr:
		byName(&t.eos, "</s>")
		if t.eos < 0 {
			return nil, fmt.Errorf("%s chat template: tokenizer has no EOS token", spec.Kind)
		}
		_ = lookup(false, "<|system|>", "<|user|>", "<|assistant|>")
	default:
		return nil, fmt.Errorf("%w: kind %v; %s", ErrUnsupported, spec.Kind, supported)
	}
	stop(t.eos)
	if hasMarkers {
		stop(m.EOT)
	}
	return t, nil
}

// FromGGUF returns the template for a GGUF file's tokenizer.chat_template
// and general.architecture (see Parse) bound to tok.
func FromGGUF(template, arch string, tok tokenizer.Tokenizer, now func() time.Time) (*Template, error) {
	spec, err := Parse(template, arch)
	if err != nil {
		return nil, err
	}
	return New(spec, tok, now)
}

// Names of ChatML's markup tokens.
const (
	imStart = tokenizer.IMStart
	imEnd   = tokenizer.IMEnd
)

// NewChatML returns the ChatML template with Qwen3's think switch for tok,
// which must have the special tokens <|im_start|>, <|im_end|>,
// <|endoftext|>, <think> and </think> (the synthetic models' template).
func NewChatML(tok tokenizer.Tokenizer) (*Template, error) {
	if _, ok := tok.SpecialID(tokenizer.EndOfText); !ok {
		return nil, fmt.Errorf("chatml template: tokenizer has no %s token", tokenizer.EndOfText)
	}
	return New(Spec{Kind: ChatML, Thinking: true}, tok, nil)
}

// Spec returns the template's family and variant.
func (t *Template) Spec() Spec { return t.spec }

// Render returns the prompt ids for msgs, ending with the generation prompt
// (the assistant header; Llama 2 and Mistral prompts end with [/INST]).
//
// With a thinking template (CanThink), think chooses the think block:
// off gives Qwen3's empty block "<think>\n\n</think>\n\n" (what its
// template emits for enable_thinking=false); on opens the block with
// "<think>\n", so that generation starts inside it. Qwen3's own template
// leaves the "<think>\n" to the model when thinking is on; putting it in
// the prompt makes the think block certain for models that would not open
// it (synthetic ones) and costs the same one or two tokens of prefill
// instead of decode. Other templates ignore think.
func (t *Template) Render(msgs []Message, think bool) []int {
	var ids []int
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			ids = append(ids, t.tok.Encode(text.String())...)
			text.Reset()
		}
	}
	for _, p := range t.parts(msgs, think) {
		if p.id >= 0 {
			flush()
			ids = append(ids, p.id)
		} else {
			text.WriteString(p.text)
		}
	}
	flush()
	return ids
}

// Text returns the prompt Render encodes as a string: the template's output
// with markup tokens written as their names, including a BOS the template
// adds. For a byte-level BPE tokenizer it is Decode(Render(msgs, think)).
func (t *Template) Text(msgs []Message, think bool) string {
	var b strings.Builder
	for _, p := range t.parts(msgs, think) {
		b.WriteString(p.text)
	}
	return b.String()
}

// CanThink reports whether the template has Qwen3's think switch.
func (t *Template) CanThink() bool { return t.thinkClose >= 0 }

// CloseThink returns the ids that end a think block, "</think>\n\n", or nil
// when the template cannot think.
func (t *Template) CloseThink() []int {
	if !t.CanThink() {
		return nil
	}
	return append([]int{t.thinkClose}, t.tok.Encode("\n\n")...)
}

// ThinkEnd returns the id of </think>, or -1 when the template cannot
// think.
func (t *Template) ThinkEnd() int { return t.thinkClose }

// IsStop reports whether id ends the assistant's turn: <|im_end|> and
// <|endoftext|> (ChatML); <|eot_id|>, <|eom_id|> and <|end_of_text|>
// (Llama 3); </s> (Llama 2, Mistral, Zephyr); and the vocabulary's EOS and
// EOT ids in every family.
func (t *Template) IsStop(id int) bool { return t.stops[id] }

// Stops returns the template's stop token IDs, sorted.
func (t *Template) Stops() []int {
	ids := make([]int, 0, len(t.stops))
	for id := range t.stops {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// part is a piece of a rendered template: a token (id >= 0) whose name is
// text, or text (id -1).
type part struct {
	text string
	id   int
}

// builder collects parts.
type builder struct {
	t     *Template
	parts []part
}

// lit appends text.
func (b *builder) lit(s string) {
	if s != "" {
		b.parts = append(b.parts, part{text: s, id: -1})
	}
}

// mark appends markup: the special token called name if the vocabulary
// has it, or else the text name.
func (b *builder) mark(name string) {
	if id, ok := b.t.names[name]; ok {
		b.parts = append(b.parts, part{text: name, id: id})
		return
	}
	b.lit(name)
}

// token appends the token id, written as its bytes.
func (b *builder) token(id int) {
	if id >= 0 {
		b.parts = append(b.parts, part{text: string(b.t.tok.TokenBytes(id)), id: id})
	}
}

// parts renders the template.
func (t *Template) parts(msgs []Message, think bool) []part {
	b := &builder{t: t}
	switch t.spec.Kind {
	case ChatML:
		t.chatML(b, msgs, think)
	case Llama3:
		t.llama3(b, msgs)
	case Llama2:
		t.llama2(b, msgs)
	case Mistral:
		t.mistral(b, msgs)
	case Zephyr:
		t.zephyr(b, msgs)
	}
	if t.addBOS && t.bos >= 0 && (len(b.parts) == 0 || b.parts[0].id != t.bos) {
		b.parts = append([]part{{text: string(t.tok.TokenBytes(t.bos)), id: t.bos}}, b.parts...)
	}
	return b.parts
}

// chatML renders <|im_start|>role\ncontent<|im_end|>\n per message, after
// the default system message if the template has one and the conversation
// starts without a system message, then the generation prompt. With
// Thinking, it follows Qwen3's template: assistant turns before the last
// user message keep only what follows their last </think>, and later ones
// have their reasoning in a think block.
func (t *Template) chatML(b *builder, msgs []Message, think bool) {
	turn := func(role, content string) {
		b.mark(imStart)
		b.lit(role + "\n" + content)
		b.mark(imEnd)
		b.lit("\n")
	}
	if t.spec.DefaultSystem != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
		turn("system", t.spec.DefaultSystem)
	}
	// Qwen3's last_query_index: the last user message, or the last
	// message when there is none.
	lastUser := len(msgs) - 1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			lastUser = i
			break
		}
	}
	for i, m := range msgs {
		if !t.spec.Thinking || m.Role != "assistant" {
			turn(m.Role, m.Content)
			continue
		}
		content, reasoning := m.Content, ""
		if strings.Contains(content, tokenizer.ThinkClose) {
			before := content[:strings.Index(content, tokenizer.ThinkClose)]
			content = strings.TrimLeft(content[strings.LastIndex(content, tokenizer.ThinkClose)+len(tokenizer.ThinkClose):], "\n")
			before = strings.TrimRight(before, "\n")
			if j := strings.LastIndex(before, tokenizer.ThinkOpen); j >= 0 {
				before = before[j+len(tokenizer.ThinkOpen):]
			}
			reasoning = strings.TrimLeft(before, "\n")
		}
		b.mark(imStart)
		b.lit("assistant\n")
		if i > lastUser && (i == len(msgs)-1 || reasoning != "") {
			b.mark(tokenizer.ThinkOpen)
			b.lit("\n" + strings.Trim(reasoning, "\n") + "\n")
			b.mark(tokenizer.ThinkClose)
			b.lit("\n\n" + strings.TrimLeft(content, "\n"))
		} else {
			b.lit(content)
		}
		b.mark(imEnd)
		b.lit("\n")
	}
	b.mark(imStart)
	b.lit("assistant\n")
	if !t.CanThink() {
		return
	}
	b.mark(tokenizer.ThinkOpen)
	if think {
		b.lit("\n")
		return
	}
	b.lit("\n\n")
	b.mark(tokenizer.ThinkClose)
	b.lit("\n\n")
}

// llama3 renders Llama 3's template: BOS, then per message
// <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|> with the
// content trimmed, then the assistant header. With KnowledgeDate (Llama
// 3.1+), a system message always comes first, holding the knowledge-cutoff
// and date lines before the (trimmed) system text.
func (t *Template) llama3(b *builder, msgs []Message) {
	header := func(role string) {
		b.mark("<|start_header_id|>")
		b.lit(role)
		b.mark("<|end_header_id|>")
		b.lit("\n\n")
	}
	b.token(t.bos)
	if t.spec.KnowledgeDate {
		system := ""
		if len(msgs) > 0 && msgs[0].Role == "system" {
			system = strings.TrimSpace(msgs[0].Content)
			msgs = msgs[1:]
		}
		date := t.spec.Date
		if date == "" {
			date = t.now().Format("02 Jan 2006")
		}
		header("system")
		b.lit("Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n" + system)
		b.mark("<|eot_id|>")
	}
	for _, m := range msgs {
		header(m.Role)
		b.lit(strings.TrimSpace(m.Content))
		b.mark("<|eot_id|>")
	}
	header("assistant")
}

// splitSystem returns the conversation without its system messages and
// their contents joined by blank lines (the models' templates take only a
// first system message; this keeps the text of any others rather than
// dropping it). A conversation without a user message gets an empty one,
// so that the [INST] templates render the system text.
func splitSystem(msgs []Message) ([]Message, string) {
	var system []string
	var rest []Message
	user := false
	for _, m := range msgs {
		switch m.Role {
		case "system":
			system = append(system, m.Content)
		default:
			user = user || m.Role == "user"
			rest = append(rest, m)
		}
	}
	if !user {
		rest = append(rest, Message{Role: "user"})
	}
	return rest, strings.Join(system, "\n\n")
}

// llama2 renders Llama 2 chat's template: per user turn
// <s>[INST] content [/INST], with the system text wrapped in
// <<SYS>>\n...\n<</SYS>>\n\n at the start of the first user message and
// the whole stripped; per assistant turn " content </s>". Other roles are
// not rendered, as in the model's template.
func (t *Template) llama2(b *builder, msgs []Message) {
	rest, system := splitSystem(msgs)
	first := true
	for _, m := range rest {
		switch m.Role {
		case "user":
			content := m.Content
			if first && system != "" {
				content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
			}
			first = false
			b.token(t.bos)
			b.mark("[INST]")
			b.lit(" " + strings.TrimSpace(content) + " ")
			b.mark("[/INST]")
		case "assistant":
			b.lit(" " + strings.TrimSpace(m.Content) + " ")
			b.token(t.eos)
		}
	}
}

// mistral renders the Mistral [INST] template in its style (see
// MistralStyle): BOS, then [INST] user [/INST] and answer</s> turns, with
// the system text and a blank line in front of the first (legacy, v1) or
// last (v3) user message. Other roles are not rendered.
func (t *Template) mistral(b *builder, msgs []Message) {
	rest, system := splitSystem(msgs)
	style := t.spec.Mistral
	target := -1 // the user message that gets the system text
	for i, m := range rest {
		if m.Role == "user" && (target < 0 || style == MistralV3) {
			target = i
		}
	}
	if style == MistralV3 && target != len(rest)-1 {
		target = -1 // v3 adds the system text only to a final user message
	}
	b.token(t.bos)
	for i, m := range rest {
		switch m.Role {
		case "user":
			content := m.Content
			if i == target && system != "" {
				content = system + "\n\n" + content
			}
			switch style {
			case MistralLegacy:
				b.mark("[INST]")
				b.lit(" " + content + " ")
			case MistralV1:
				b.lit(" ")
				b.mark("[INST]")
				b.lit(" " + content + " ")
			case MistralV3:
				b.mark("[INST]")
				b.lit(" " + content)
			}
			b.mark("[/INST]")
		case "assistant":
			switch style {
			case MistralLegacy:
				b.lit(m.Content)
			case MistralV1:
				b.lit(" " + m.Content)
			case MistralV3:
				b.lit(" " + strings.TrimSpace(m.Content))
			}
			b.token(t.eos)
		}
	}
}

// zephyr renders <|role|>\ncontent</s>\n per message, then <|assistant|>\n.
func (t *Template) zephyr(b *builder, msgs []Message) {
	for _, m := range msgs {
		b.mark("<|" + m.Role + "|>")
		b.lit("\n" + m.Content)
		b.token(t.eos)
		b.lit("\n")
	}
	b.mark("<|assistant|>")
	b.lit("\n")
}
