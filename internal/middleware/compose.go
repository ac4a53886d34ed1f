package middleware

import (
	"errors"
	"fmt"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

// ContextOpen and ContextClose wrap an injected conversation context.
const (
	ContextOpen  = "<conversation_context>"
	ContextClose = "</conversation_context>"
	// InjectionSeparator goes between blocks of the system message that
	// precede an injection.
	InjectionSeparator = "\n\n---\n\n"
)

// Spec is the middleware around one query.
type Spec struct {
	// System is the base system prompt (a preset or the user's text).
	System string
	// Context is a conversation context, wrapped in <conversation_context>
	// tags unless it already contains them.
	Context string
	// Injections are appended to the system message in order.
	Injections []lab.Injection
	// User is the user's own query; it is sent unchanged.
	User string
}

// Kind says where a part of the prompt came from.
type Kind string

// Kinds of prompt parts.
const (
	KindSystem    Kind = "system"
	KindContext   Kind = "context"
	KindInjection Kind = "injection"
	KindUser      Kind = "user"
)

// Part is one contiguous piece of the composed system message, with the
// separator that introduces it.
type Part struct {
	Kind Kind
	Text string
}

// Composed is the result of composition.
type Composed struct {
	// Messages are what the model receives.
	Messages []provider.Message
	// SystemParts concatenate to the system message (empty when there is
	// none).
	SystemParts []Part
	// User is the user message.
	User string
}

// System returns the composed system message ("" when there is none).
func (c Composed) System() string {
	var b strings.Builder
	for _, p := range c.SystemParts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// ErrEmptyQuery is returned for a query that is empty or only whitespace.
var ErrEmptyQuery = errors.New("the user query is empty: give the prompt to send, e.g. energylab run \"Why is the sky blue?\"")

// Compose builds the final messages. The system prompt, context and
// injections all go into one system message, in that order; the user
// message is never modified. Injections whose content is only whitespace
// are dropped; an injection without a description is labelled
// "injection N".
func Compose(s Spec) (Composed, error) {
	if strings.TrimSpace(s.User) == "" {
		return Composed{}, ErrEmptyQuery
	}
	var parts []Part
	var length int
	add := func(k Kind, sep, text string) {
		if length > 0 {
			text = sep + text
		}
		parts = append(parts, Part{Kind: k, Text: text})
		length += len(text)
	}
	if s.System != "" {
		add(KindSystem, "", s.System)
	}
	if strings.TrimSpace(s.Context) != "" {
		block := s.Context
		if !strings.Contains(block, ContextOpen) {
			block = ContextOpen + "\n" + s.Context + "\n" + ContextClose
		}
		add(KindContext, "\n\n", block)
	}
	n := 0
	for _, inj := range s.Injections {
		if strings.TrimSpace(inj.Content) == "" {
			continue
		}
		n++
		desc := strings.TrimSpace(inj.Description)
		if desc == "" {
			desc = fmt.Sprintf("injection %d", n)
		}
		add(KindInjection, InjectionSeparator, "["+desc+"]\n"+inj.Content)
	}
	c := Composed{SystemParts: parts, User: s.User}
	if sys := c.System(); sys != "" {
		c.Messages = append(c.Messages, provider.Message{Role: provider.RoleSystem, Content: sys})
	}
	c.Messages = append(c.Messages, provider.Message{Role: provider.RoleUser, Content: s.User})
	return c, nil
}
