package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// transportError explains an error from http.Client.Do: the caller's
// cancellation, an Ollama that cannot be reached (provider.ErrUnavailable),
// or anything else.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("ollama %s: %w", op, ctxErr)
	}
	if wire.Unreachable(err) {
		return fmt.Errorf("%w: cannot reach Ollama at %s: start it with `ollama serve`, or set OLLAMA_HOST to the address it listens on (%w)",
			provider.ErrUnavailable, c.base, err)
	}
	return fmt.Errorf("ollama %s at %s: %w", op, c.base, err)
}

// cancelled wraps the context's error for an operation that stopped
// because the caller cancelled it.
func cancelled(ctx context.Context, op string) error {
	return fmt.Errorf("ollama %s: stopped: %w", op, ctx.Err())
}

// statusError turns a non-200 response into an error that says what to do.
// model is the model the request named ("" for none): a 404 with Ollama's
// JSON error about it becomes a *provider.UnknownModelError listing the
// models Ollama has.
func (c *Client) statusError(ctx context.Context, op, model string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if title, ok := wire.HTMLPage(resp.Header.Get("Content-Type"), body); ok {
		return c.htmlError(op, resp.Status, title)
	}
	msg, isJSON := jsonError(body)
	if !isJSON {
		se := api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: wire.OneLine(string(body), 200)}
		return fmt.Errorf("ollama %s: %w (is %s an Ollama server? Ollama answers errors as JSON)", op, se, c.base)
	}
	se := api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: msg}
	switch {
	case model != "" && (resp.StatusCode == http.StatusNotFound || modelNotFound(msg)):
		return c.unknownModel(ctx, model, se)
	case strings.Contains(msg, "does not support thinking"):
		return fmt.Errorf("ollama %s: %w: run it without thinking (leave think unset)", op, se)
	}
	return fmt.Errorf("ollama %s: %w", op, se)
}

// streamError explains an {"error": ...} line that arrived in the middle of
// a 200 stream.
func (c *Client) streamError(ctx context.Context, op, model string, se *serverError) error {
	if modelNotFound(se.msg) {
		return c.unknownModel(ctx, model, api.StatusError{StatusCode: http.StatusOK, ErrorMessage: se.msg})
	}
	hint := ""
	if strings.Contains(se.msg, "does not support thinking") {
		hint = ": run it without thinking (leave think unset)"
	}
	return fmt.Errorf("ollama %s: Ollama reported an error during the stream: %w%s", op, api.StatusError{StatusCode: http.StatusOK, ErrorMessage: se.msg}, hint)
}

// unknownModel returns a *provider.UnknownModelError (wrapped with a hint)
// listing the models /api/tags reports. cause is Ollama's own error, kept
// in the message.
func (c *Client) unknownModel(ctx context.Context, model string, cause api.StatusError) error {
	ue := &provider.UnknownModelError{Provider: providerName, Model: model}
	if tags, err := c.tags(ctx); err == nil {
		for _, m := range tags.Models {
			ue.Available = append(ue.Available, m.Name)
		}
	}
	return fmt.Errorf("%w (Ollama said %q; pull it with `ollama pull %s`)", ue, cause.ErrorMessage, model)
}

// modelNotFound reports whether an Ollama error message says a model does
// not exist ("model \"x\" not found, try pulling it first").
func modelNotFound(msg string) bool {
	return strings.Contains(msg, "model") && strings.Contains(msg, "not found")
}

// htmlError is the error for an HTML page where Ollama's JSON was expected.
func (c *Client) htmlError(op, status, title string) error {
	what := "an HTML page"
	if title != "" {
		what = fmt.Sprintf("an HTML page titled %q", title)
	}
	return fmt.Errorf("ollama %s: HTTP %s: the server answered with %s instead of Ollama's JSON; %s may not point at Ollama, or a proxy in front of it failed",
		op, status, what, c.base)
}

// jsonError returns the message of a JSON error body: {"error": "..."} as
// Ollama sends it, or {"error": {"message": ...}} from a proxy.
func jsonError(body []byte) (string, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", false
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Error) == 0 {
		return "", false
	}
	return errorText(e.Error), true
}
