package middleware

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Breakdown methods.
const (
	MethodCounted   = "counted"
	MethodEstimated = "estimated"
)

// CharsPerToken is the heuristic used to split a provider's prompt count
// between parts when the lab does not have the model's tokenizer.
const CharsPerToken = 4

// Count splits promptTokens exactly with the model's own tokenizer.
// countText must tokenise text without any chat template. Each part of the
// system message is counted as the growth of the tokens of the message up to
// and including it, so the parts add up to the message's own count even when
// tokens merge across a boundary. Template is whatever the chat template
// adds around the messages: promptTokens minus the messages' tokens.
func Count(c Composed, promptTokens int, countText func(string) (int, error)) (lab.Breakdown, error) {
	b := lab.Breakdown{Method: MethodCounted}
	prefix := ""
	prev := 0
	for _, p := range c.SystemParts {
		prefix += p.Text
		n, err := countText(prefix)
		if err != nil {
			return lab.Breakdown{}, fmt.Errorf("count %s tokens: %w", p.Kind, err)
		}
		addKind(&b, p.Kind, n-prev)
		prev = n
	}
	u, err := countText(c.User)
	if err != nil {
		return lab.Breakdown{}, fmt.Errorf("count user tokens: %w", err)
	}
	b.User = u
	b.Template = promptTokens - prev - u
	if b.Template < 0 {
		return lab.Breakdown{}, fmt.Errorf("prompt has %d tokens but its messages alone count %d: the tokenizer and the provider disagree", promptTokens, prev+u)
	}
	b.Middleware = b.System + b.Context + b.Injections + b.Template
	return b, nil
}

// Estimate splits a provider's prompt count when the lab cannot tokenise:
// each part is estimated at one token per CharsPerToken characters; what the
// provider counted beyond that is attributed to the template. When the
// estimates exceed the provider's count they are scaled down to fit and the
// template gets nothing. Every figure is labelled estimated.
func Estimate(c Composed, promptTokens int) lab.Breakdown {
	b := lab.Breakdown{
		Method: MethodEstimated,
		Note:   fmt.Sprintf("provider's prompt count split by characters (1 token ≈ %d characters); not the model's tokenizer", CharsPerToken),
	}
	type est struct {
		kind Kind
		n    float64
	}
	var ests []est
	var sum float64
	for _, p := range c.SystemParts {
		n := float64(utf8.RuneCountInString(p.Text)) / CharsPerToken
		ests = append(ests, est{p.Kind, n})
		sum += n
	}
	un := float64(utf8.RuneCountInString(c.User)) / CharsPerToken
	ests = append(ests, est{KindUser, un})
	sum += un
	if promptTokens < 0 {
		promptTokens = int(math.Round(sum))
		b.Note += "; the provider reported no prompt count, so the total is estimated too"
	}
	scale := 1.0
	if sum > float64(promptTokens) && sum > 0 {
		scale = float64(promptTokens) / sum
	}
	// Largest-remainder rounding keeps the parts' sum exact.
	floors := make([]int, len(ests))
	total := 0
	for i, e := range ests {
		floors[i] = int(math.Floor(e.n * scale))
		total += floors[i]
	}
	target := int(math.Round(sum * scale))
	if target > promptTokens {
		target = promptTokens
	}
	for total < target {
		best, bestRem := -1, -1.0
		for i, e := range ests {
			if rem := e.n*scale - float64(floors[i]); rem > bestRem {
				best, bestRem = i, rem
			}
		}
		floors[best]++
		total++
	}
	for i, e := range ests {
		addKind(&b, e.kind, floors[i])
	}
	b.Template = promptTokens - total
	b.Middleware = b.System + b.Context + b.Injections + b.Template
	return b
}

// SplitOutput fills the output side of b. thinkingTokens is the provider's
// exact count, or -1; then the split follows the share of thinking chunks
// in the stream and the method becomes estimated.
func SplitOutput(b *lab.Breakdown, outputTokens, thinkingTokens, thinkingChunks, answerChunks int) {
	if outputTokens < 0 {
		outputTokens = thinkingChunks + answerChunks
	}
	switch {
	case thinkingTokens >= 0:
		b.Thinking = min(thinkingTokens, outputTokens)
	case thinkingChunks == 0:
		b.Thinking = 0
	default:
		b.Thinking = int(math.Round(float64(outputTokens) * float64(thinkingChunks) / float64(thinkingChunks+answerChunks)))
		if b.Method == MethodCounted {
			b.Method = MethodEstimated
			b.Note = "input counted with the model's tokenizer; thinking/answer split by the share of streamed chunks"
		} else {
			b.Note += "; thinking/answer split by the share of streamed chunks"
		}
	}
	b.Answer = outputTokens - b.Thinking
}

func addKind(b *lab.Breakdown, k Kind, n int) {
	switch k {
	case KindSystem:
		b.System += n
	case KindContext:
		b.Context += n
	case KindInjection:
		b.Injections += n
	case KindUser:
		b.User += n
	}
}
