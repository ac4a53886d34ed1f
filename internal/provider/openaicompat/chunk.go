package openaicompat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

// chunk is the decoded data of one chat.completion.chunk event, reduced to
// what the lab reads.
type chunk struct {
	// Content, ReasoningContent and Reasoning are choices[0].delta's text.
	Content          string
	ReasoningContent string
	Reasoning        string
	// FinishReason is choices[0].finish_reason; "" while generating.
	FinishReason string
	// Usage is the top-level usage object; nil when absent or null.
	Usage *wireUsage
	// GroqUsage is x_groq.usage; nil when absent.
	GroqUsage *wireUsage
	// Timings is llama.cpp server's timings; nil when absent.
	Timings *wireTimings
	// Error is the message of an "error" member; "" when absent.
	Error string
}

// wireChunk mirrors the JSON of a chunk.
type wireChunk struct {
	Choices []struct {
		Delta struct {
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
			Reasoning        *string `json:"reasoning"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	XGroq *struct {
		Usage *wireUsage `json:"usage"`
	} `json:"x_groq"`
	Timings *wireTimings    `json:"timings"`
	Error   json.RawMessage `json:"error"`
}

// wireUsage is OpenAI's usage object, with Groq's timing fields (seconds).
type wireUsage struct {
	PromptTokens        *int `json:"prompt_tokens"`
	CompletionTokens    *int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptTime     *float64 `json:"prompt_time"`
	CompletionTime *float64 `json:"completion_time"`
	TotalTime      *float64 `json:"total_time"`
}

// wireTimings is llama.cpp server's per-request timings object.
type wireTimings struct {
	PromptN     *int     `json:"prompt_n"`
	PromptMS    *float64 `json:"prompt_ms"`
	PredictedN  *int     `json:"predicted_n"`
	PredictedMS *float64 `json:"predicted_ms"`
	CacheN      *int     `json:"cache_n"`
}

// parseChunk decodes the data of one SSE event of a chat-completions stream
// (not "[DONE]"). Only choices[0] is read. An "error" member (an object with
// "message", or a string) is returned in chunk.Error, not as an error; the
// error return is for data that is not one JSON object of the expected
// shape.
func parseChunk(data []byte) (chunk, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return chunk{}, fmt.Errorf("not a JSON object: %q", abbrev(string(data)))
	}
	var w wireChunk
	if err := json.Unmarshal(data, &w); err != nil {
		return chunk{}, fmt.Errorf("decode %q: %w", abbrev(string(data)), err)
	}
	var c chunk
	if len(w.Error) > 0 && string(w.Error) != "null" {
		c.Error = errorMessage(w.Error)
	}
	if len(w.Choices) > 0 {
		ch := w.Choices[0]
		c.Content = str(ch.Delta.Content)
		c.ReasoningContent = str(ch.Delta.ReasoningContent)
		c.Reasoning = str(ch.Delta.Reasoning)
		c.FinishReason = str(ch.FinishReason)
	}
	c.Usage = w.Usage
	if w.XGroq != nil {
		c.GroqUsage = w.XGroq.Usage
	}
	c.Timings = w.Timings
	return c, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// errorMessage returns the text of an "error" value: an object's
// "message" (OpenAI, vLLM, Groq), a string, or the raw JSON.
func errorMessage(raw json.RawMessage) string {
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return o.Message
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	return "the server reported an error without a message: " + abbrev(string(raw))
}

// usageSources keeps the latest usage each source reported during a stream.
// Servers that report usage on every chunk (vLLM's continuous usage stats)
// report running totals, so the latest is the one to keep.
type usageSources struct {
	usage   *wireUsage
	groq    *wireUsage
	timings *wireTimings
	finish  string
}

// add records what chunk c reports.
func (s *usageSources) add(c chunk) {
	if c.Usage != nil {
		s.usage = c.Usage
	}
	if c.GroqUsage != nil {
		s.groq = c.GroqUsage
	}
	if c.Timings != nil {
		s.timings = c.Timings
	}
	if c.FinishReason != "" {
		s.finish = c.FinishReason
	}
}

// result combines the sources into a provider.Usage. Where sources overlap,
// the top-level usage wins over x_groq.usage, which wins over timings.
//
// provider.Usage counts evaluated and cached prompt tokens apart
// (PromptTokens + CachedPromptTokens is the whole prompt), while OpenAI's
// prompt_tokens includes prompt_tokens_details.cached_tokens; so
// PromptTokens is prompt_tokens - cached_tokens when both are reported.
// llama.cpp's prompt_n already excludes cache_n.
func (s *usageSources) result() provider.Usage {
	u := provider.UnknownUsage()
	if t := s.timings; t != nil {
		setCount(&u.PromptTokens, t.PromptN)
		setCount(&u.CompletionTokens, t.PredictedN)
		setCount(&u.CachedPromptTokens, t.CacheN)
		setDuration(&u.PromptEvalDuration, t.PromptMS, time.Millisecond)
		setDuration(&u.EvalDuration, t.PredictedMS, time.Millisecond)
	}
	for _, w := range []*wireUsage{s.groq, s.usage} {
		if w == nil {
			continue
		}
		cached := -1
		if w.PromptTokensDetails != nil {
			setCount(&cached, w.PromptTokensDetails.CachedTokens)
		}
		prompt := -1
		setCount(&prompt, w.PromptTokens)
		if prompt >= 0 {
			if cached > 0 && cached <= prompt {
				prompt -= cached
			}
			u.PromptTokens = prompt
		}
		if cached >= 0 {
			u.CachedPromptTokens = cached
		}
		setCount(&u.CompletionTokens, w.CompletionTokens)
		if w.CompletionTokensDetails != nil {
			setCount(&u.ThinkingTokens, w.CompletionTokensDetails.ReasoningTokens)
		}
		setDuration(&u.PromptEvalDuration, w.PromptTime, time.Second)
		setDuration(&u.EvalDuration, w.CompletionTime, time.Second)
		setDuration(&u.TotalDuration, w.TotalTime, time.Second)
	}
	if u.ThinkingTokens > u.CompletionTokens && u.CompletionTokens >= 0 {
		// A server that contradicts itself: keep the total, drop the part.
		u.ThinkingTokens = -1
	}
	u.DoneReason = s.finish
	return u
}

// setCount sets *dst to *p when p is a non-negative count.
func setCount(dst *int, p *int) {
	if p != nil && *p >= 0 {
		*dst = *p
	}
}

// setDuration sets *dst to *p units when p is a finite, positive amount of
// at most a day.
func setDuration(dst *time.Duration, p *float64, unit time.Duration) {
	if p == nil || math.IsNaN(*p) || *p <= 0 {
		return
	}
	d := *p * float64(unit)
	if d > float64(24*time.Hour) {
		return
	}
	*dst = time.Duration(d)
}

// abbrev shortens s for an error message.
func abbrev(s string) string {
	const n = 120
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
