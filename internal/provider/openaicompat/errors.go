package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// StatusError is an HTTP error answer from the server: its status and the
// message it gave (error.message of a JSON body, the <title> of an HTML
// page, or the start of a text body).
type StatusError struct {
	// StatusCode is the HTTP status code, e.g. 401.
	StatusCode int
	// Status is the HTTP status line, e.g. "401 Unauthorized".
	Status string
	// Message is what the server said, cleaned for one line.
	Message string
	// Type and Code are error.type and error.code of an OpenAI-style JSON
	// error ("invalid_request_error", "model_not_found"), when given.
	Type string
	Code string
}

// Error returns the status and the server's message.
func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	if e.Message == "" {
		return status
	}
	return status + ": " + e.Message
}

// transportError explains an error from http.Client.Do: the caller's
// cancellation, a server that cannot be reached (provider.ErrUnavailable),
// or anything else.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s %s: %w", c.cfg.Name, op, ctxErr)
	}
	if wire.Unreachable(err) {
		hint := "check that the server is running and that its base URL (including /v1) is right"
		if c.cfg.Remote {
			hint = "check the network connection and the base URL (including /v1)"
		}
		return fmt.Errorf("%w: cannot reach %s at %s: %s (%w)", provider.ErrUnavailable, c.cfg.Name, c.base, hint, err)
	}
	return fmt.Errorf("%s %s at %s: %w", c.cfg.Name, op, c.base, err)
}

// cancelled wraps the context's error for an operation the caller cancelled.
func (c *Client) cancelled(ctx context.Context, op string) error {
	return fmt.Errorf("%s %s: stopped: %w", c.cfg.Name, op, ctx.Err())
}

// statusError turns a non-200 response into an error that says what to do.
// model is the model the request named ("" for none): an answer saying it
// does not exist becomes a *provider.UnknownModelError.
func (c *Client) statusError(ctx context.Context, op, model string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	se := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status}
	title, isPage := wire.HTMLPage(resp.Header.Get("Content-Type"), body)
	switch {
	case isPage:
		se.Message = title
	default:
		if e, ok := parseErrorBody(body); ok {
			se.Message, se.Type, se.Code = wire.OneLine(e.message, 500), e.typ, e.code
		} else {
			se.Message = wire.OneLine(string(body), 200)
		}
	}

	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		what := "the server rejected the API key"
		if c.cfg.APIKey == "" {
			what = "the server wants an API key and none is set"
		}
		return fmt.Errorf("%s %s: %w: %s: %s", c.cfg.Name, op, se, what, c.keyHint())
	case isPage:
		return c.htmlError(op, resp.Status, title)
	case model != "" && (se.Code == "model_not_found" || resp.StatusCode == http.StatusNotFound && strings.Contains(strings.ToLower(se.Message), "model")):
		return c.unknownModel(ctx, model, se)
	case resp.StatusCode == http.StatusTooManyRequests:
		hint := "the server is rate limiting: wait and retry, or lower the request rate"
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			hint += " (Retry-After: " + wire.OneLine(ra, 40) + ")"
		}
		return fmt.Errorf("%s %s: %w: %s", c.cfg.Name, op, se, hint)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %s: %w (is %s the API's base URL, including /v1?)", c.cfg.Name, op, se, c.base)
	}
	return fmt.Errorf("%s %s: %w", c.cfg.Name, op, se)
}

// keyHint says how to set the API key.
func (c *Client) keyHint() string {
	if c.cfg.KeyEnv != "" {
		return "set " + c.cfg.KeyEnv
	}
	return "set the API key for " + c.cfg.Name + " in the configuration"
}

// unknownModel returns a *provider.UnknownModelError (wrapped with the
// server's own message) listing the models GET /models reports.
func (c *Client) unknownModel(ctx context.Context, model string, se *StatusError) error {
	ue := &provider.UnknownModelError{Provider: c.cfg.Name, Model: model}
	if list, err := c.listModels(ctx); err == nil {
		for _, m := range list {
			ue.Available = append(ue.Available, m.Model)
		}
	}
	return fmt.Errorf("%w (the server said %q)", ue, se.Message)
}

// htmlError is the error for an HTML page where the API's JSON was expected.
func (c *Client) htmlError(op, status, title string) error {
	what := "an HTML page"
	if title != "" {
		what = fmt.Sprintf("an HTML page titled %q", title)
	}
	return fmt.Errorf("%s %s: HTTP %s: the server answered with %s instead of the API's JSON; %s may not be an OpenAI-compatible API base URL (it should end in /v1), or a proxy in front of it failed",
		c.cfg.Name, op, status, what, c.base)
}

// errorBody is what an error body says.
type errorBody struct {
	message, typ, code string
}

// parseErrorBody reads the error JSON servers send: OpenAI's and Groq's
// {"error": {"message", "type", "code"}}, a plain {"error": "..."}, vLLM's
// top-level {"message": ...}, or FastAPI's {"detail": ...}.
func parseErrorBody(body []byte) (errorBody, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return errorBody{}, false
	}
	var w struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &w) != nil {
		return errorBody{}, false
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		var o struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(w.Error, &o) == nil && o.Message != "" {
			return errorBody{message: o.Message, typ: o.Type, code: codeText(o.Code)}, true
		}
		return errorBody{message: errorMessage(w.Error)}, true
	}
	if w.Message != "" {
		return errorBody{message: w.Message}, true
	}
	if len(w.Detail) > 0 {
		var s string
		if json.Unmarshal(w.Detail, &s) == nil {
			return errorBody{message: s}, true
		}
		return errorBody{message: string(w.Detail)}, true
	}
	return errorBody{}, false
}

// codeText returns an error code that may be a JSON string or number.
func codeText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) > 0 && string(raw) != "null" {
		return wire.OneLine(string(raw), 40)
	}
	return ""
}
