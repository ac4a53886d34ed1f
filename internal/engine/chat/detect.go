package chat

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is a chat template family.
type Kind int

// The template families, each implemented directly rather than by a Jinja
// interpreter.
const (
	// ChatML is <|im_start|>role\ncontent<|im_end|>\n (Qwen2, Qwen2.5,
	// Qwen3, SmolLM, the synthetic models).
	ChatML Kind = iota + 1
	// Llama3 is <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
	// (Llama 3, 3.1, 3.2, 3.3).
	Llama3
	// Llama2 is <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST]
	// (Llama 2 chat).
	Llama2
	// Mistral is <s>[INST] user [/INST] with no system role: the system text
	// goes in front of a user message (Mistral 7B Instruct).
	Mistral
	// Zephyr is <|user|>\ncontent</s>\n (Zephyr, TinyLlama-1.1B-Chat).
	Zephyr
)

// String returns the family's name.
func (k Kind) String() string {
	switch k {
	case ChatML:
		return "chatml"
	case Llama3:
		return "llama3"
	case Llama2:
		return "llama2"
	case Mistral:
		return "mistral"
	case Zephyr:
		return "zephyr"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MistralStyle is the spacing of a Mistral template, which changed between
// model versions (see mistralai's cookbook, concept-deep-dive/tokenization/
// templates.md, and llama.cpp's llm_chat_apply_template).
type MistralStyle int

// The Mistral template styles.
const (
	// MistralLegacy is the original Mistral 7B Instruct v0.1/v0.2 template:
	// "[INST] user [/INST]answer</s>", system text before the first user
	// message.
	MistralLegacy MistralStyle = iota
	// MistralV1 is mistralai's "v1" template: " [INST] user [/INST] answer</s>",
	// system text before the first user message.
	MistralV1
	// MistralV3 is mistralai's "v3" template (Mistral 7B Instruct v0.3):
	// "[INST] user[/INST] answer</s>" with the answer trimmed and the system
	// text before the last user message.
	MistralV3
)

// Spec is a template family and the variant features of it that a model's
// template switches on.
type Spec struct {
	// Kind is the family.
	Kind Kind
	// DefaultSystem is the system message a ChatML template inserts when
	// the conversation has none ("You are Qwen, created by Alibaba Cloud.
	// You are a helpful assistant." for Qwen2.5), or "".
	DefaultSystem string
	// Thinking is Qwen3's think switch (ChatML): the generation prompt
	// opens a think block or gives an empty one, and earlier assistant
	// turns lose their think blocks.
	Thinking bool
	// KnowledgeDate is Llama 3.1+'s system header: every prompt starts with
	// a system message holding "Cutting Knowledge Date: December 2023\n
	// Today Date: <date>\n\n" before the system text.
	KnowledgeDate bool
	// Date is the "Today Date" of KnowledgeDate, as "26 Jul 2024" (the
	// literal of Llama 3.1's template), or "" for the current date in that
	// format (Llama 3.2's strftime_now("%d %b %Y")).
	Date string
	// Mistral is the spacing of a Mistral template.
	Mistral MistralStyle
}

// ErrUnsupported marks a chat template or architecture this package has no
// implementation for.
var ErrUnsupported = errors.New("unsupported chat template")

const supported = "supported families: ChatML (Qwen2, Qwen2.5, Qwen3, SmolLM), Llama 3 (3, 3.1, 3.2, 3.3), " +
	"Llama 2 [INST] <<SYS>>, Mistral [INST] (v0.1 to v0.3) and Zephyr (TinyLlama)"

// Detect returns the family of a GGUF file's tokenizer.chat_template,
// found by its characteristic markers, or, when template is empty, of its
// general.architecture. An unknown template is an error wrapping
// ErrUnsupported that lists the supported families.
func Detect(template, arch string) (Kind, error) {
	s, err := Parse(template, arch)
	return s.Kind, err
}

// Parse returns the family and the variant features of a GGUF file's
// tokenizer.chat_template (or of general.architecture when the template is
// empty), read from the template text:
//
//   - ChatML: "<|im_start|>"; Thinking when the template mentions
//     "enable_thinking" (Qwen3); DefaultSystem from a literal
//     '<|im_start|>system\n...<|im_end|>' (Qwen2, Qwen2.5, SmolLM2).
//   - Llama 3: "<|start_header_id|>" and "<|end_header_id|>";
//     KnowledgeDate when it contains "Cutting Knowledge Date", with Date
//     the literal date_string default unless it calls strftime_now.
//   - "[INST]": Llama 2 with "<<SYS>>", otherwise Mistral (v1 or v3 when it
//     has mistralai's markers, as llama.cpp tells them apart).
//   - Zephyr: "<|user|>" and "<|assistant|>".
//
// Without a template, architectures qwen2 and qwen2moe give ChatML, and
// qwen3 and qwen3moe ChatML with Thinking; llama is shared by Llama 2 and
// 3, Mistral, TinyLlama and SmolLM, so it needs the template.
func Parse(template, arch string) (Spec, error) {
	has := func(s string) bool { return strings.Contains(template, s) }
	if strings.TrimSpace(template) == "" {
		switch arch {
		case "qwen2", "qwen2moe":
			return Spec{Kind: ChatML}, nil
		case "qwen3", "qwen3moe":
			return Spec{Kind: ChatML, Thinking: true}, nil
		case "llama":
			return Spec{}, fmt.Errorf("%w: architecture %q is shared by Llama 2, Llama 3, Mistral, TinyLlama and SmolLM, so the model needs tokenizer.chat_template (%s)", ErrUnsupported, arch, supported)
		}
		return Spec{}, fmt.Errorf("%w: no chat template and no default for architecture %q (%s)", ErrUnsupported, arch, supported)
	}
	switch {
	case has("<|im_start|>"):
		switch {
		case has("<|im_sep|>"):
			return Spec{}, fmt.Errorf("%w: Phi-4 template (<|im_sep|>); %s", ErrUnsupported, supported)
		case has("<end_of_utterance>"):
			return Spec{}, fmt.Errorf("%w: SmolVLM template (<end_of_utterance>); %s", ErrUnsupported, supported)
		}
		return Spec{Kind: ChatML, Thinking: has("enable_thinking"), DefaultSystem: defaultSystem(template)}, nil
	case has("<|start_header_id|>") && has("<|end_header_id|>"):
		s := Spec{Kind: Llama3, KnowledgeDate: has("Cutting Knowledge Date")}
		if s.KnowledgeDate && !has("strftime_now") {
			s.Date = literalAfter(template, `date_string = "`, `"`)
		}
		return s, nil
	case has("[INST]"):
		switch {
		case has("[SYSTEM_PROMPT]"):
			return Spec{}, fmt.Errorf("%w: Mistral v7 template ([SYSTEM_PROMPT]); %s", ErrUnsupported, supported)
		case has("<<SYS>>"):
			return Spec{Kind: Llama2}, nil
		case has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]"):
			switch {
			case has(" [INST]"):
				return Spec{Kind: Mistral, Mistral: MistralV1}, nil
			case has(`"[INST]"`):
				return Spec{}, fmt.Errorf("%w: Mistral v3-tekken template; %s", ErrUnsupported, supported)
			}
			return Spec{Kind: Mistral, Mistral: MistralV3}, nil
		}
		return Spec{Kind: Mistral, Mistral: MistralLegacy}, nil
	case has("<|user|>") && has("<|assistant|>"):
		if has("<|end|>") {
			return Spec{}, fmt.Errorf("%w: Phi-3 template (<|end|>); %s", ErrUnsupported, supported)
		}
		return Spec{Kind: Zephyr}, nil
	}
	return Spec{}, fmt.Errorf("%w: no known markers in the template; %s", ErrUnsupported, supported)
}

// defaultSystem returns the literal system message of a ChatML template,
// '<|im_start|>system\nTEXT<|im_end|>' inside a Jinja string, or "" when
// the template only ever fills the system turn from the messages.
func defaultSystem(template string) string {
	const start = "<|im_start|>system"
	for rest := template; ; {
		i := strings.Index(rest, start)
		if i < 0 {
			return ""
		}
		rest = rest[i+len(start):]
		var body string
		switch {
		case strings.HasPrefix(rest, `\n`):
			body = rest[2:]
		case strings.HasPrefix(rest, "\n"):
			body = rest[1:]
		default:
			continue
		}
		j := strings.Index(body, "<|im_end|>")
		if j <= 0 {
			continue
		}
		text := body[:j]
		// A literal has no string delimiters or expressions in it.
		if strings.ContainsAny(text, `'"{}+`) {
			continue
		}
		return unescapeJinja(text)
	}
}

// literalAfter returns the text between prefix and the next end in s, or "".
func literalAfter(s, prefix, end string) string {
	_, rest, ok := strings.Cut(s, prefix)
	if !ok {
		return ""
	}
	lit, _, ok := strings.Cut(rest, end)
	if !ok {
		return ""
	}
	return lit
}

// unescapeJinja undoes the backslash escapes of a Jinja string literal.
func unescapeJinja(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\'`, "'", `\"`, `"`, `\\`, `\`)
	return r.Replace(s)
}
