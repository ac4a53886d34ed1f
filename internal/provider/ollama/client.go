package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

const (
	// providerName is this provider's prefix in lab model names.
	providerName = "ollama"
	// DefaultBaseURL is where Ollama listens unless told otherwise.
	DefaultBaseURL = "http://127.0.0.1:11434"
	// maxBodyBytes caps a non-streaming JSON response (/api/tags, /api/show).
	maxBodyBytes = 16 << 20
	// readBufferBytes is the NDJSON reader's buffer; longer lines are
	// assembled up to wire.MaxLineBytes.
	readBufferBytes = 64 << 10
)

// Client talks to one Ollama server. It is safe for concurrent use.
type Client struct {
	base    string // scheme://host[:port][/path], no trailing slash
	hc      *http.Client
	maxLine int
}

// New returns a Client for the Ollama server at baseURL, such as
// "http://localhost:11434". baseURL may also take the forms OLLAMA_HOST
// accepts: without a scheme ("127.0.0.1:11434", "gpu-box") it means http,
// and without a port, 11434; "" means DefaultBaseURL. New reads no
// environment variable and makes no request. hc is the HTTP client to use;
// nil means a client with no overall timeout (streams last as long as
// generation does; cancel through the context).
func New(baseURL string, hc *http.Client) (*Client, error) {
	base, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: base, hc: hc, maxLine: wire.MaxLineBytes}, nil
}

// normalizeBase applies OLLAMA_HOST's rules (ollama/ollama envconfig.Host)
// and checks the result is an http(s) URL with a host.
func normalizeBase(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultBaseURL, nil
	}
	if !strings.Contains(s, "://") {
		hostport, path, _ := strings.Cut(s, "/")
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), "11434")
		}
		s = "http://" + hostport
		if path != "" {
			s += "/" + path
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("ollama base URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("ollama base URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("ollama base URL %q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("ollama base URL %q: must not have a query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Name returns "ollama", the prefix of this provider's lab model names.
func (c *Client) Name() string { return providerName }

// BaseURL returns the server address the client talks to, without a
// trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Models lists the models Ollama has pulled (GET /api/tags). Names carry
// their tag ("llama3.2:latest"). ContextLength is left 0; Describe reads it.
func (c *Client) Models(ctx context.Context) ([]provider.ModelInfo, error) {
	tags, err := c.tags(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]provider.ModelInfo, 0, len(tags.Models))
	for _, m := range tags.Models {
		out = append(out, provider.ModelInfo{
			Name:          providerName + "/" + m.Name,
			Provider:      providerName,
			Model:         m.Name,
			Family:        m.Details.Family,
			ParameterSize: m.Details.ParameterSize,
			Quantization:  m.Details.QuantizationLevel,
			Digest:        m.Digest,
		})
	}
	return out, nil
}

// tags fetches GET /api/tags.
func (c *Client) tags(ctx context.Context) (api.ListResponse, error) {
	var list api.ListResponse
	err := c.callJSON(ctx, "list models", "", http.MethodGet, "/api/tags", nil, &list)
	return list, err
}

// Describe reports what Ollama knows about model (POST /api/show): family,
// parameter size and count, quantisation, the context length it was trained
// for (model_info "<general.architecture>.context_length"), and the digest of
// the matching /api/tags entry. A model Ollama does not have is a
// *provider.UnknownModelError listing the models it has.
func (c *Client) Describe(ctx context.Context, model string) (provider.ModelInfo, error) {
	var show api.ShowResponse
	if err := c.callJSON(ctx, "show "+model, model, http.MethodPost, "/api/show", api.ShowRequest{Model: model}, &show); err != nil {
		return provider.ModelInfo{}, err
	}
	info := provider.ModelInfo{
		Name:          providerName + "/" + model,
		Provider:      providerName,
		Model:         model,
		Family:        show.Details.Family,
		ParameterSize: show.Details.ParameterSize,
		Quantization:  show.Details.QuantizationLevel,
	}
	arch, _ := show.ModelInfo["general.architecture"].(string)
	if info.Family == "" {
		info.Family = arch
	}
	if n, ok := wholeNumber(show.ModelInfo[arch+".context_length"]); ok && arch != "" {
		info.ContextLength = int(n)
	}
	if n, ok := wholeNumber(show.ModelInfo["general.parameter_count"]); ok {
		info.Parameters = n
	}
	tags, err := c.tags(ctx)
	if err != nil {
		return provider.ModelInfo{}, err
	}
	want := withTag(model)
	for _, m := range tags.Models {
		if withTag(m.Name) == want || withTag(m.Model) == want {
			info.Digest = m.Digest
			break
		}
	}
	return info, nil
}

// withTag returns name with ":latest" appended when its last path element
// has no tag, as Ollama resolves names ("llama3.2" is "llama3.2:latest").
func withTag(name string) string {
	last := name[strings.LastIndex(name, "/")+1:]
	if last == "" || strings.Contains(last, ":") {
		return name
	}
	return name + ":latest"
}

// wholeNumber returns v as an int64 when it is a non-negative JSON number
// with no fraction (encoding/json decodes numbers in a map as float64).
func wholeNumber(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1<<53 || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// Prepare loads model into memory ahead of a measured request, so that the
// cold load falls outside the measurement: Ollama loads a model when
// /api/chat names it with an empty messages array (non-streaming, answered
// with done_reason "load"). It keeps Ollama's default keep-alive. A model
// Ollama does not have is a *provider.UnknownModelError.
//
// Ollama reloads a model whose context size (num_ctx) changes, so Prepare
// sends opts.NumCtx when set: the request that follows with the same options
// finds the model loaded as it needs it.
func (c *Client) Prepare(ctx context.Context, model string, opts provider.Options) error {
	stream := false
	req := api.ChatRequest{Model: model, Messages: []api.Message{}, Stream: &stream}
	if opts.NumCtx > 0 {
		req.Options = map[string]any{"num_ctx": opts.NumCtx}
	}
	var resp api.ChatResponse
	if err := c.callJSON(ctx, "load "+model, model, http.MethodPost, "/api/chat", req, &resp); err != nil {
		return err
	}
	if !resp.Done {
		return fmt.Errorf("ollama load %s: Ollama answered without saying the model is loaded (done is false)", model)
	}
	return nil
}

// callJSON sends body (nil for none) and decodes a 200 JSON answer into out.
// model, when not "", turns a 404 into a *provider.UnknownModelError.
func (c *Client) callJSON(ctx context.Context, op, model, method, path string, body, out any) error {
	resp, err := c.send(ctx, op, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c.statusError(ctx, op, model, resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return cancelled(ctx, op)
		}
		return fmt.Errorf("ollama %s: read response: %w", op, err)
	}
	if len(data) > maxBodyBytes {
		return fmt.Errorf("ollama %s: response larger than %d MiB; is %s an Ollama server?", op, maxBodyBytes>>20, c.base)
	}
	if title, ok := wire.HTMLPage(resp.Header.Get("Content-Type"), data); ok {
		return c.htmlError(op, resp.Status, title)
	}
	if msg, ok := jsonError(data); ok {
		return fmt.Errorf("ollama %s: %w", op, api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: msg})
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ollama %s: decode response: %w (is %s an Ollama server?)", op, err, c.base)
	}
	return nil
}

// send marshals body (nil for none) and sends the request.
func (c *Client) send(ctx context.Context, op, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("ollama %s: encode request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("ollama %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/x-ndjson, application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	return resp, nil
}

// chatRequest builds Ollama's /api/chat body for req. Options are sent only
// when set, so Ollama's (or the Modelfile's) defaults apply otherwise; think
// is sent only when Options.Think is set.
func chatRequest(req provider.Request) api.ChatRequest {
	stream := true
	msgs := make([]api.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = api.Message{Role: m.Role, Content: m.Content}
	}
	opts := map[string]any{}
	o := req.Options
	if o.MaxTokens > 0 {
		opts["num_predict"] = o.MaxTokens
	}
	if o.Temperature != nil {
		opts["temperature"] = *o.Temperature
	}
	if o.TopP != nil {
		opts["top_p"] = *o.TopP
	}
	if o.Seed != nil {
		opts["seed"] = *o.Seed
	}
	if o.NumCtx > 0 {
		opts["num_ctx"] = o.NumCtx
	}
	cr := api.ChatRequest{Model: req.Model, Messages: msgs, Stream: &stream, Options: opts}
	if o.Think != nil {
		cr.Think = &api.ThinkValue{Value: *o.Think}
	}
	return cr
}

// Stream sends req to POST /api/chat with streaming on and calls fn for each
// line that carries answer or thinking text (message.content,
// message.thinking). It returns the counts and timings of Ollama's final
// done line: prompt_eval_count (less prompt_eval_cached_count, which
// becomes CachedPromptTokens, where Ollama sends it), eval_count (thinking
// included; Ollama does not split it, so ThinkingTokens is -1), the load,
// prompt-eval, eval and total durations, and done_reason. Counts the done
// line leaves out are -1.
//
// A stream that ends before the done line, a cut or over-long line, an
// {"error": ...} line, or a cancelled context is an error; so is a non-nil
// error from fn, which is returned as it is. On every error the response
// body is closed, so Ollama stops generating, and Usage holds the counts seen
// so far (all -1 before the done line).
func (c *Client) Stream(ctx context.Context, req provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	usage := provider.UnknownUsage()
	op := "chat " + req.Model
	if req.Model == "" {
		return usage, errors.New("ollama chat: the request names no model")
	}
	if len(req.Messages) == 0 {
		return usage, fmt.Errorf("ollama %s: the request has no messages (to load a model without generating, use Prepare)", op)
	}
	resp, err := c.send(ctx, op, http.MethodPost, "/api/chat", chatRequest(req))
	if err != nil {
		return usage, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return usage, c.statusError(ctx, op, req.Model, resp)
	}
	if wire.IsHTML(resp.Header.Get("Content-Type")) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return usage, c.htmlError(op, resp.Status, wire.HTMLTitle(body))
	}

	br := bufio.NewReaderSize(resp.Body, readBufferBytes)
	for {
		line, rerr := wire.ReadLine(br, c.maxLine)
		if errors.Is(rerr, wire.ErrLineTooLong) {
			return usage, fmt.Errorf("ollama %s: a stream line is longer than %d bytes; stopped reading (is %s an Ollama server?)", op, c.maxLine, c.base)
		}
		if rerr != nil && ctx.Err() != nil {
			return usage, cancelled(ctx, op)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			l, perr := parseLine(line)
			var se *serverError
			switch {
			case errors.As(perr, &se):
				return usage, c.streamError(ctx, op, req.Model, se)
			case perr != nil && rerr != nil:
				return usage, fmt.Errorf("ollama %s: stream ended before Ollama said it was done: the last line is cut off after %d bytes (%w)", op, len(line), rerr)
			case perr != nil:
				return usage, fmt.Errorf("ollama %s: malformed stream line (is %s an Ollama server?): %w", op, c.base, perr)
			}
			if l.Done {
				usage = l.usage()
			}
			if ch := (provider.Chunk{Content: l.Message.Content, Thinking: l.Message.Thinking}); ch.Content != "" || ch.Thinking != "" {
				if err := fn(ch); err != nil {
					return usage, err
				}
			}
			if ctx.Err() != nil {
				return usage, cancelled(ctx, op)
			}
			if l.Done {
				return usage, nil
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return usage, fmt.Errorf("ollama %s: stream ended before Ollama said it was done (no done line)", op)
			}
			return usage, fmt.Errorf("ollama %s: stream ended before Ollama said it was done: %w", op, rerr)
		}
	}
}

// Interface guards.
var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Preparer = (*Client)(nil)
)
