package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ollama/ollama/api"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

// serverError is an {"error": "..."} line or body from Ollama.
type serverError struct{ msg string }

func (e *serverError) Error() string { return e.msg }

// chatLine is one decoded line of an /api/chat stream. It embeds Ollama's
// own api.ChatResponse and shadows the counts, which api.Metrics declares
// as plain ints with omitempty, with pointers: Ollama omits
// prompt_eval_count on a full prompt-cache hit, and an absent count must be
// reported as unknown (-1), not 0.
type chatLine struct {
	api.ChatResponse

	// Error is Ollama's {"error": ...}, a string (or, from proxies, an
	// object with a message).
	Error json.RawMessage `json:"error"`

	PromptEvalCount *int `json:"prompt_eval_count"`
	EvalCount       *int `json:"eval_count"`
	// PromptEvalCachedCount is sent by newer Ollama versions: prompt tokens
	// served from the cache (measurement-anchors §1.18).
	PromptEvalCachedCount *int `json:"prompt_eval_cached_count"`
}

// parseLine decodes one NDJSON line of an /api/chat response (with or
// without its trailing newline). An {"error": ...} line returns a
// *serverError carrying Ollama's message; anything that is not one JSON
// object is an error.
func parseLine(b []byte) (chatLine, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return chatLine{}, fmt.Errorf("not a JSON object: %q", abbrev(b))
	}
	var l chatLine
	if err := json.Unmarshal(b, &l); err != nil {
		return chatLine{}, fmt.Errorf("decode %q: %w", abbrev(b), err)
	}
	if len(l.Error) > 0 && string(l.Error) != "null" {
		return chatLine{}, &serverError{msg: errorText(l.Error)}
	}
	return l, nil
}

// errorText returns the message of an "error" value: a JSON string, or an
// object's "message", or the raw JSON.
func errorText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return "Ollama reported an error without a message"
		}
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return o.Message
	}
	return string(abbrev(raw))
}

// usage returns what a done line reports. Counts absent from the line are
// -1; Ollama does not split thinking tokens out of eval_count, so
// ThinkingTokens is always -1.
//
// provider.Usage counts evaluated and cached prompt tokens apart, while
// Ollama's prompt_eval_count is the whole prompt, cached part included
// (runner: numPromptInputs is the prompt's length before the cache is
// consulted); so when prompt_eval_cached_count is sent, PromptTokens is
// prompt_eval_count minus it. Versions that do not send it leave
// CachedPromptTokens -1, and PromptTokens is then the whole prompt.
func (l chatLine) usage() provider.Usage {
	u := provider.UnknownUsage()
	u.PromptTokens = count(l.PromptEvalCount)
	u.CompletionTokens = count(l.EvalCount)
	u.CachedPromptTokens = count(l.PromptEvalCachedCount)
	if c := u.CachedPromptTokens; c > 0 && c <= u.PromptTokens {
		u.PromptTokens -= c
	}
	u.PromptEvalDuration = max(l.PromptEvalDuration, 0)
	u.EvalDuration = max(l.EvalDuration, 0)
	u.LoadDuration = max(l.LoadDuration, 0)
	u.TotalDuration = max(l.TotalDuration, 0)
	u.DoneReason = l.DoneReason
	return u
}

// count returns *p, or -1 when p is nil or negative.
func count(p *int) int {
	if p == nil || *p < 0 {
		return -1
	}
	return *p
}

// abbrev shortens b for an error message.
func abbrev(b []byte) []byte {
	const n = 120
	if len(b) > n {
		return append(b[:n:n], "..."...)
	}
	return b
}
