package providertest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

func serverGet(t *testing.T, srv *providertest.Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestScriptNDJSON(t *testing.T) {
	srv := providertest.NewServer(t, providertest.NDJSON(`{"a":1}`, map[string]int{"b": 2}))
	resp := serverGet(t, srv, http.MethodPost, "/api/chat", `{"model":"m"}`)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), "{\"a\":1}\n{\"b\":2}\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type = %q", ct)
	}
	rr := srv.LastRequest(t, http.MethodPost, "/api/chat")
	if diff := cmp.Diff(map[string]any{"model": "m"}, rr.BodyJSON(t)); diff != "" {
		t.Errorf("recorded body (-want +got):\n%s", diff)
	}
}

func TestScriptSSE(t *testing.T) {
	srv := providertest.NewServer(t, providertest.SSE("one", "two\nlines").Then(
		providertest.NamedEvent("error", `{"message":"x"}`), providertest.Comment("ping")))
	resp := serverGet(t, srv, http.MethodPost, "/v1/chat/completions", "")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := "data: one\n\ndata: two\ndata: lines\n\nevent: error\ndata: {\"message\":\"x\"}\n\n: ping\n\n"
	if string(body) != want {
		t.Errorf("body = %q, want %q", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestScriptFlushesEachStep(t *testing.T) {
	srv := providertest.NewServer(t, providertest.NDJSON("first").Then(providertest.WaitForClientGone()))
	resp := serverGet(t, srv, http.MethodGet, "/", "")
	// The first line arrives while the handler is still blocked.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("ReadString = %q, %v", line, err)
	}
	resp.Body.Close()
	if !srv.WaitClientGone(5 * time.Second) {
		t.Error("the server did not record the client leaving")
	}
}

func TestCloseConnectionCutsTheBody(t *testing.T) {
	srv := providertest.NewServer(t, providertest.NDJSON("first").Then(providertest.Write("half"), providertest.CloseConnection()))
	resp := serverGet(t, srv, http.MethodGet, "/", "")
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadAll error = %v; want io.ErrUnexpectedEOF", err)
	}
	if string(body) != "first\nhalf" {
		t.Errorf("body = %q", body)
	}
}

func TestSleepStopsWhenTheClientLeaves(t *testing.T) {
	srv := providertest.NewServer(t, providertest.NDJSON("x").Then(providertest.Sleep(time.Minute), providertest.Line("never")))
	resp := serverGet(t, srv, http.MethodGet, "/", "")
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !srv.WaitClientGone(5 * time.Second) {
		t.Error("the sleeping handler did not notice the client leaving")
	}
}

func TestRoutesAndStatus(t *testing.T) {
	srv := providertest.NewServer(t, providertest.Routes{
		"GET /api/tags":  providertest.JSON(http.StatusOK, `{"models":[]}`),
		"POST /api/chat": providertest.HTMLErrorPage(http.StatusBadGateway),
	})
	if resp := serverGet(t, srv, http.MethodGet, "/api/tags", ""); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("tags: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	resp := serverGet(t, srv, http.MethodPost, "/api/chat", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "<title>"+providertest.NginxBadGatewayTitle+"</title>") {
		t.Errorf("chat: %s %q", resp.Status, body)
	}
	if resp := serverGet(t, srv, http.MethodGet, "/nowhere", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unrouted path: %s", resp.Status)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("recorded %d requests, want 3", got)
	}
}

// confFakeProvider is a minimal, well-behaved provider for checking that
// RunConformance accepts a correct implementation.
type confFakeProvider struct{}

func (confFakeProvider) Name() string { return "conffake" }

func (confFakeProvider) Models(context.Context) ([]provider.ModelInfo, error) {
	return []provider.ModelInfo{{Name: "conffake/m", Provider: "conffake", Model: "m"}}, nil
}

func (confFakeProvider) Describe(_ context.Context, model string) (provider.ModelInfo, error) {
	if model != "m" {
		return provider.ModelInfo{}, &provider.UnknownModelError{Provider: "conffake", Model: model, Available: []string{"m"}}
	}
	return provider.ModelInfo{Name: "conffake/m", Provider: "conffake", Model: "m"}, nil
}

func (confFakeProvider) Stream(ctx context.Context, _ provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	u := provider.UnknownUsage()
	for _, s := range []string{"Hel", "lo"} {
		if err := ctx.Err(); err != nil {
			return u, err
		}
		if err := fn(provider.Chunk{Content: s}); err != nil {
			return u, err
		}
	}
	if err := ctx.Err(); err != nil {
		return u, err
	}
	u.CompletionTokens = 2
	return u, nil
}

func TestRunConformanceAcceptsACorrectProvider(t *testing.T) {
	providertest.RunConformance(t, confFakeProvider{}, "m")
}
