package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnavailable marks a provider that cannot be reached (server not running,
// connection refused, DNS failure). Its message says how to start it.
var ErrUnavailable = errors.New("provider unavailable")

// ErrUnknownModel marks a model the provider does not have. Errors wrapping
// it are *UnknownModelError values that list what is available.
var ErrUnknownModel = errors.New("unknown model")

// UnknownModelError reports a model a provider does not serve, with the
// models it does serve.
type UnknownModelError struct {
	Provider  string
	Model     string
	Available []string
}

func (e *UnknownModelError) Error() string {
	if len(e.Available) == 0 {
		return fmt.Sprintf("unknown model %s/%s: the provider lists no models", e.Provider, e.Model)
	}
	return fmt.Sprintf("unknown model %s/%s; available: %s", e.Provider, e.Model, strings.Join(e.Available, ", "))
}

// Unwrap lets errors.Is match ErrUnknownModel.
func (e *UnknownModelError) Unwrap() error { return ErrUnknownModel }

// Roles of chat messages.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Options are the sampling and length options of a request. Pointer fields
// are unset when nil, so the provider's own default applies.
type Options struct {
	// Temperature is the sampling temperature; 0 means greedy.
	Temperature *float64 `json:"temperature,omitempty"`
	// TopP is nucleus sampling's cumulative probability.
	TopP *float64 `json:"top_p,omitempty"`
	// MaxTokens caps the generated tokens (Ollama num_predict).
	MaxTokens int `json:"max_tokens,omitempty"`
	// Seed makes sampling reproducible where the provider supports it.
	Seed *int64 `json:"seed,omitempty"`
	// Think asks a reasoning model to think (true), not to (false), or
	// leaves the model's default (nil).
	Think *bool `json:"think,omitempty"`
	// NumCtx is the context window to allocate (Ollama num_ctx); 0 leaves
	// the provider's default.
	NumCtx int `json:"num_ctx,omitempty"`
	// IgnoreEOS generates MaxTokens tokens whatever the model samples, by
	// masking its end-of-generation tokens (llama.cpp's and vLLM's
	// ignore_eos): fixed-length runs for experiments. The builtin engine
	// and OpenAI-compatible servers that accept ignore_eos honour it;
	// Ollama has no such option and ignores it (the run's output count
	// shows what happened).
	IgnoreEOS bool `json:"ignore_eos,omitempty"`
}

// Request is one chat request. Model is the provider's own model name, without
// the "provider/" prefix.
type Request struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Options  Options   `json:"options"`
}

// Chunk is one piece of a streamed response: answer text, thinking text, or
// both. A chunk with neither carries no token and does not mark the first
// token.
type Chunk struct {
	Content  string
	Thinking string
}

// Usage is what the provider itself reports about a finished (or failed)
// request. Counts are -1 when the provider did not report them.
type Usage struct {
	// PromptTokens is the number of prompt tokens the model evaluated. It
	// excludes CachedPromptTokens where the server reports them apart (the
	// OpenAI API counts them inside prompt_tokens; the adapters subtract).
	PromptTokens int `json:"prompt_tokens"`
	// CompletionTokens is the number of tokens generated, thinking included.
	CompletionTokens int `json:"completion_tokens"`
	// ThinkingTokens is the part of CompletionTokens that was thinking,
	// where the provider knows it exactly; -1 otherwise.
	ThinkingTokens int `json:"thinking_tokens"`
	// CachedPromptTokens is the number of prompt tokens served from a prompt
	// cache instead of being evaluated; -1 when not reported.
	CachedPromptTokens int `json:"cached_prompt_tokens"`
	// PromptEvalDuration is the server's own prefill time.
	PromptEvalDuration time.Duration `json:"prompt_eval_duration_ns,omitempty"`
	// EvalDuration is the server's own decode time.
	EvalDuration time.Duration `json:"eval_duration_ns,omitempty"`
	// LoadDuration is the time the server spent loading the model inside
	// this request (a cold load).
	LoadDuration time.Duration `json:"load_duration_ns,omitempty"`
	// TotalDuration is the server's own end-to-end time.
	TotalDuration time.Duration `json:"total_duration_ns,omitempty"`
	// DoneReason is why generation stopped ("stop", "length", ...).
	DoneReason string `json:"done_reason,omitempty"`
}

// UnknownUsage returns a Usage with every count marked unreported.
func UnknownUsage() Usage {
	return Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1}
}

// ModelInfo describes a model as its provider reports it.
type ModelInfo struct {
	// Name is the lab's full name, "provider/model".
	Name string `json:"name"`
	// Provider is the provider's name ("builtin", "ollama", ...).
	Provider string `json:"provider"`
	// Model is the provider's own name for it.
	Model string `json:"model"`
	// ContextLength is the model's context window in tokens; 0 if unknown.
	ContextLength int `json:"context_length,omitempty"`
	// Family is the architecture family ("llama", "qwen3", ...).
	Family string `json:"family,omitempty"`
	// ParameterSize is the reported parameter count, e.g. "8.0B".
	ParameterSize string `json:"parameter_size,omitempty"`
	// Parameters is the exact parameter count where known.
	Parameters int64 `json:"parameters,omitempty"`
	// Quantization is the weights' storage format ("Q4_K_M", "F32").
	Quantization string `json:"quantization,omitempty"`
	// Digest identifies the exact weights (a content hash or a seed).
	Digest string `json:"digest,omitempty"`
	// Synthetic is true for generated models whose text means nothing.
	Synthetic bool `json:"synthetic,omitempty"`
	// Remote is true when the model runs on a machine this host cannot
	// meter (a cloud API).
	Remote bool `json:"remote,omitempty"`
	// Note is one line for humans (what the model is, caveats).
	Note string `json:"note,omitempty"`
}

// Provider streams chat completions from one backend.
type Provider interface {
	// Name is the provider's prefix in model names ("ollama").
	Name() string
	// Models lists the models the provider serves.
	Models(ctx context.Context) ([]ModelInfo, error)
	// Describe returns what the provider reports about one model. An unknown
	// model is an *UnknownModelError.
	Describe(ctx context.Context, model string) (ModelInfo, error)
	// Stream sends req and calls fn once per chunk as it arrives; a non-nil
	// return from fn stops the stream and is returned. Stream returns the
	// provider's usage when the stream ends; on error it returns what it had
	// counted so far. A stream that ends before the provider said it was done
	// is an error, never a short success.
	Stream(ctx context.Context, req Request, fn func(Chunk) error) (Usage, error)
}

// Preparer is implemented by providers that can load a model ahead of a
// request, so that the load falls outside the measured window. opts are the
// options the request will use: a server that sizes the model's memory by
// them (Ollama's num_ctx) must load it the same way, or it reloads inside
// the measurement.
type Preparer interface {
	Prepare(ctx context.Context, model string, opts Options) error
}

// TokenCounter is implemented by providers that tokenise with the model's own
// tokenizer, so that the lab can count the parts of a prompt exactly.
type TokenCounter interface {
	// CountText returns the number of tokens text encodes to, without any
	// chat template.
	CountText(ctx context.Context, model, text string) (int, error)
	// CountPrompt returns the number of tokens of the whole prompt the model
	// will evaluate for messages, chat template included.
	CountPrompt(ctx context.Context, model string, messages []Message, opts Options) (int, error)
}

// SplitName splits a lab model name "provider/model" at its first slash. The
// model part may itself contain slashes ("ollama/hf.co/org/m:q4").
func SplitName(name string) (providerName, model string, err error) {
	p, m, ok := strings.Cut(name, "/")
	if !ok || p == "" || m == "" {
		return "", "", fmt.Errorf("model %q is not of the form provider/model (for example builtin/synthetic-tiny or ollama/llama3.2:1b)", name)
	}
	return p, m, nil
}
