package openaicompat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

const (
	// maxBodyBytes caps a non-streaming JSON response (the model list).
	maxBodyBytes = 16 << 20
	// readBufferBytes is the SSE reader's buffer; longer lines are
	// assembled up to wire.MaxLineBytes.
	readBufferBytes = 64 << 10
)

// Config describes one OpenAI-compatible server.
type Config struct {
	// Name is the provider's prefix in lab model names ("openai", "groq",
	// "vllm"). It must not be empty or contain "/".
	Name string
	// BaseURL is the API root including the version path, e.g.
	// "https://api.groq.com/openai/v1" or "http://localhost:8000/v1".
	BaseURL string
	// APIKey is sent as a Bearer token when not empty.
	APIKey string
	// KeyEnv names the environment variable the key came from
	// ("GROQ_API_KEY"); it is used only in messages that say how to fix a
	// rejected key. This package reads no environment.
	KeyEnv string
	// Remote is true for cloud APIs whose machines this host cannot meter;
	// it sets provider.ModelInfo.Remote.
	Remote bool
	// HTTP is the HTTP client to use; nil means one with no overall timeout
	// (streams last as long as generation does; cancel through the context).
	HTTP *http.Client
}

// Client talks to one OpenAI-compatible server. It is safe for concurrent
// use.
type Client struct {
	cfg     Config
	base    string // BaseURL without a trailing slash
	hc      *http.Client
	maxLine int
}

// New returns a Client for cfg. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.Name == "" || strings.Contains(cfg.Name, "/") {
		return nil, fmt.Errorf("openai-compatible provider name %q: must be non-empty and contain no slash", cfg.Name)
	}
	raw := strings.TrimSpace(cfg.BaseURL)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s base URL %q: %w", cfg.Name, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s base URL %q: must start with http:// or https:// (for example https://api.groq.com/openai/v1)", cfg.Name, raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s base URL %q has no host", cfg.Name, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s base URL %q: must not have a query or fragment", cfg.Name, raw)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{cfg: cfg, base: strings.TrimRight(u.String(), "/"), hc: hc, maxLine: wire.MaxLineBytes}, nil
}

// Name returns Config.Name, the prefix of this provider's lab model names.
func (c *Client) Name() string { return c.cfg.Name }

// Models lists the models the server serves (GET {base}/models), with the
// context length where the server adds one: Groq's context_window, vLLM's
// max_model_len, OpenRouter's context_length, or llama.cpp's meta.n_ctx_train
// (the training context, which may exceed the server's --ctx-size); and
// llama.cpp's meta.n_params as Parameters.
func (c *Client) Models(ctx context.Context) ([]provider.ModelInfo, error) {
	return c.listModels(ctx)
}

// Describe returns the entry of Models for model. A model the server does
// not list is a *provider.UnknownModelError listing the ones it does.
func (c *Client) Describe(ctx context.Context, model string) (provider.ModelInfo, error) {
	list, err := c.listModels(ctx)
	if err != nil {
		return provider.ModelInfo{}, err
	}
	ue := &provider.UnknownModelError{Provider: c.cfg.Name, Model: model}
	for _, m := range list {
		if m.Model == model {
			return m, nil
		}
		ue.Available = append(ue.Available, m.Model)
	}
	return provider.ModelInfo{}, ue
}

// listModels fetches and decodes GET {base}/models.
func (c *Client) listModels(ctx context.Context) ([]provider.ModelInfo, error) {
	const op = "list models"
	resp, err := c.send(ctx, op, http.MethodGet, "/models", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(ctx, op, "", resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.cancelled(ctx, op)
		}
		return nil, fmt.Errorf("%s %s: read response: %w", c.cfg.Name, op, err)
	}
	if len(data) > maxBodyBytes {
		return nil, fmt.Errorf("%s %s: response larger than %d MiB", c.cfg.Name, op, maxBodyBytes>>20)
	}
	if title, ok := wire.HTMLPage(resp.Header.Get("Content-Type"), data); ok {
		return nil, c.htmlError(op, resp.Status, title)
	}
	list, err := parseModels(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (is %s an OpenAI-compatible API base URL, ending in /v1?)", c.cfg.Name, op, err, c.base)
	}
	out := make([]provider.ModelInfo, 0, len(list))
	for _, m := range list {
		m.Name = c.cfg.Name + "/" + m.Model
		m.Provider = c.cfg.Name
		m.Remote = c.cfg.Remote
		out = append(out, m)
	}
	return out, nil
}

// parseModels decodes a /models answer into ModelInfo values with Model,
// ContextLength and Parameters set.
func parseModels(data []byte) ([]provider.ModelInfo, error) {
	var w struct {
		Data *[]struct {
			ID            string          `json:"id"`
			ContextWindow json.RawMessage `json:"context_window"`
			MaxModelLen   json.RawMessage `json:"max_model_len"`
			ContextLength json.RawMessage `json:"context_length"`
			Meta          *struct {
				NCtxTrain json.RawMessage `json:"n_ctx_train"`
				NParams   json.RawMessage `json:"n_params"`
			} `json:"meta"`
		} `json:"data"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode model list: %w", err)
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		return nil, fmt.Errorf("the server answered with an error: %s", wire.OneLine(errorMessage(w.Error), 300))
	}
	if w.Data == nil {
		return nil, errors.New(`decode model list: no "data" array`)
	}
	out := make([]provider.ModelInfo, 0, len(*w.Data))
	for _, d := range *w.Data {
		if d.ID == "" {
			continue
		}
		m := provider.ModelInfo{Model: d.ID}
		for _, raw := range []json.RawMessage{d.ContextWindow, d.MaxModelLen, d.ContextLength} {
			if n, ok := jsonInt(raw); ok && n > 0 {
				m.ContextLength = int(n)
				break
			}
		}
		if d.Meta != nil {
			if n, ok := jsonInt(d.Meta.NCtxTrain); ok && n > 0 && m.ContextLength == 0 {
				m.ContextLength = int(n)
			}
			if n, ok := jsonInt(d.Meta.NParams); ok && n > 0 {
				m.Parameters = n
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// jsonInt reads a whole number that a server may send as a JSON number or
// a numeric string.
func jsonInt(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 1 && raw[0] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != float64(int64(f)) || f < -1<<53 || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// chatRequest is the body of POST {base}/chat/completions.
type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	Stream        bool          `json:"stream"`
	StreamOptions streamOptions `json:"stream_options"`
	MaxTokens     int           `json:"max_tokens,omitempty"`
	Temperature   *float64      `json:"temperature,omitempty"`
	TopP          *float64      `json:"top_p,omitempty"`
	Seed          *int64        `json:"seed,omitempty"`
	// IgnoreEOS is vLLM's and llama.cpp server's extension; other servers
	// ignore or refuse it, so it is sent only when asked for.
	IgnoreEOS bool `json:"ignore_eos,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// newChatRequest builds the request body for req. Options are sent only
// when set. Options.Think and Options.NumCtx have no OpenAI-standard field
// and are not sent: whether a model reasons is the model's (or the server's)
// choice, and the server fixes the context size when it loads the model.
func newChatRequest(req provider.Request) chatRequest {
	msgs := make([]chatMessage, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = chatMessage(m)
	}
	o := req.Options
	return chatRequest{
		Model:         req.Model,
		Messages:      msgs,
		Stream:        true,
		StreamOptions: streamOptions{IncludeUsage: true},
		MaxTokens:     max(o.MaxTokens, 0),
		Temperature:   o.Temperature,
		TopP:          o.TopP,
		Seed:          o.Seed,
		IgnoreEOS:     o.IgnoreEOS,
	}
}

// send marshals body (nil for none) and sends the request.
func (c *Client) send(ctx context.Context, op, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", c.cfg.Name, op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.cfg.Name, op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	return resp, nil
}

// Stream sends req to POST {base}/chat/completions with stream true and
// stream_options.include_usage, and calls fn for each event that carries
// answer or thinking text. It returns the usage the server reported (see
// the package documentation for the sources) with finish_reason as
// DoneReason; counts no source reported are -1.
//
// The stream is complete at [DONE], or at the end of the body after a
// finish_reason. An end before either, a cut line, an error event, an
// answer that is not an event stream, or a cancelled context is an error;
// so is a non-nil error from fn, which is returned as it is. On every error
// the response body is closed, so the server stops generating, and Usage
// holds what had been reported so far.
func (c *Client) Stream(ctx context.Context, req provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	op := "chat " + req.Model
	var src usageSources
	if req.Model == "" {
		return src.result(), fmt.Errorf("%s chat: the request names no model", c.cfg.Name)
	}
	if len(req.Messages) == 0 {
		return src.result(), fmt.Errorf("%s %s: the request has no messages", c.cfg.Name, op)
	}
	resp, err := c.send(ctx, op, http.MethodPost, "/chat/completions", newChatRequest(req))
	if err != nil {
		return src.result(), err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return src.result(), c.statusError(ctx, op, req.Model, resp)
	}
	br := bufio.NewReaderSize(resp.Body, readBufferBytes)
	if err := c.checkEventStream(ctx, op, resp, br); err != nil {
		return src.result(), err
	}

	s := &sseStream{c: c, op: op, fn: fn, src: &src}
	dec := sseDecoder{max: c.maxLine}
	for {
		line, rerr := wire.ReadLine(br, c.maxLine)
		if errors.Is(rerr, wire.ErrLineTooLong) {
			return src.result(), fmt.Errorf("%s %s: a stream line is longer than %d bytes; stopped reading", c.cfg.Name, op, c.maxLine)
		}
		if rerr != nil && ctx.Err() != nil {
			return src.result(), c.cancelled(ctx, op)
		}
		if len(line) > 0 || rerr == nil {
			ev, ok, derr := dec.line(line)
			if derr != nil {
				return src.result(), fmt.Errorf("%s %s: an event is longer than %d bytes; stopped reading", c.cfg.Name, op, c.maxLine)
			}
			if ok {
				stop, err := s.event(ev, false)
				if err != nil {
					return src.result(), err
				}
				if ctx.Err() != nil {
					return src.result(), c.cancelled(ctx, op)
				}
				if stop {
					return src.result(), s.finish()
				}
			}
		}
		if rerr == nil {
			continue
		}
		// The body ended, cleanly (io.EOF) or not. An event still being
		// assembled is used when it is complete JSON: some servers omit the
		// blank line after the last event.
		if ev, ok := dec.flush(); ok {
			stop, err := s.event(ev, true)
			if err != nil {
				return src.result(), err
			}
			if stop {
				return src.result(), s.finish()
			}
		}
		if s.sawFinish {
			return src.result(), s.finish()
		}
		if errors.Is(rerr, io.EOF) {
			return src.result(), fmt.Errorf("%s %s: stream ended before the server said it was done (no finish_reason and no [DONE])", c.cfg.Name, op)
		}
		return src.result(), fmt.Errorf("%s %s: stream ended before the server said it was done: %w", c.cfg.Name, op, rerr)
	}
}

// checkEventStream makes sure a 200 answer is an event stream: by its
// Content-Type, or, for servers that label it otherwise, by its first bytes.
// A JSON body, an HTML page or anything else is an error that says what
// came instead.
func (c *Client) checkEventStream(ctx context.Context, op string, resp *http.Response, br *bufio.Reader) error {
	ct := resp.Header.Get("Content-Type")
	if wire.MediaType(ct) == "text/event-stream" {
		return nil
	}
	if _, err := br.Peek(1); err != nil {
		if ctx.Err() != nil {
			return c.cancelled(ctx, op)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s %s: the server answered 200 with an empty body (Content-Type %q), not an event stream", c.cfg.Name, op, ct)
		}
		return fmt.Errorf("%s %s: read response: %w", c.cfg.Name, op, err)
	}
	head, _ := br.Peek(br.Buffered())
	head = bytes.TrimLeft(head, " \t\r\n")
	for _, p := range []string{"data:", ":", "event:", "id:", "retry:"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return nil // an event stream with an unusual Content-Type
		}
	}
	body, _ := io.ReadAll(io.LimitReader(br, maxErrorBody))
	if title, ok := wire.HTMLPage(ct, body); ok {
		return c.htmlError(op, resp.Status, title)
	}
	if e, ok := parseErrorBody(body); ok {
		return fmt.Errorf("%s %s: the server reported an error: %s", c.cfg.Name, op, wire.OneLine(e.message, 500))
	}
	if len(body) > 0 && body[0] == '{' {
		return fmt.Errorf("%s %s: the server answered with one JSON object (Content-Type %q) instead of an event stream; it may not support stream: true", c.cfg.Name, op, ct)
	}
	return fmt.Errorf("%s %s: the server answered with Content-Type %q, not text/event-stream: %q", c.cfg.Name, op, ct, wire.OneLine(string(body), 100))
}

// sseStream turns the events of one response into chunks and usage.
type sseStream struct {
	c         *Client
	op        string
	fn        func(provider.Chunk) error
	src       *usageSources
	think     thinkSplitter
	sawFinish bool
}

// event handles one event. atEOF marks an event the stream ended in the
// middle of, which is a cut when its data is not complete JSON. It returns
// stop at [DONE].
func (s *sseStream) event(ev sseEvent, atEOF bool) (stop bool, err error) {
	name := s.c.cfg.Name
	data := strings.TrimSpace(ev.Data)
	if ev.Event == "error" {
		msg := data
		if e, ok := parseErrorBody([]byte(data)); ok {
			msg = e.message
		}
		return false, fmt.Errorf("%s %s: the server reported an error during the stream: %s", name, s.op, wire.OneLine(msg, 500))
	}
	if data == "" {
		return false, nil
	}
	if data == "[DONE]" {
		return true, nil
	}
	c, err := parseChunk([]byte(data))
	if err != nil {
		if atEOF {
			return false, fmt.Errorf("%s %s: stream ended before the server said it was done: the last event is cut off after %d bytes", name, s.op, len(data))
		}
		return false, fmt.Errorf("%s %s: malformed event: %w", name, s.op, err)
	}
	if c.Error != "" {
		return false, fmt.Errorf("%s %s: the server reported an error during the stream: %s", name, s.op, wire.OneLine(c.Error, 500))
	}
	s.src.add(c)
	thinking, content := s.think.feed(c.Content)
	if c.FinishReason != "" {
		s.sawFinish = true
		th, ct := s.think.flush()
		thinking, content = thinking+th, content+ct
	}
	return false, s.emit(c.ReasoningContent+c.Reasoning+thinking, content)
}

// finish flushes text the think splitter still holds.
func (s *sseStream) finish() error {
	return s.emit(s.think.flush())
}

// emit calls fn with a chunk that carries text.
func (s *sseStream) emit(thinking, content string) error {
	if thinking == "" && content == "" {
		return nil
	}
	return s.fn(provider.Chunk{Content: content, Thinking: thinking})
}

// Interface guard.
var _ provider.Provider = (*Client)(nil)
