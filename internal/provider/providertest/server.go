package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// maxRecordedBody caps how much of each request body a Server keeps.
const maxRecordedBody = 1 << 20

// Step is one action of a scripted HTTP response: set a header, send the
// status, write bytes and flush, sleep, wait for the client to leave, or cut
// the connection. Build Steps with the functions of this package.
type Step struct {
	name string
	// run performs the step; it returns false when the script must stop
	// (the client left or the connection was cut).
	run func(w http.ResponseWriter, r *http.Request) bool
}

// String returns a short description of the step, for test failure messages.
func (s Step) String() string { return s.name }

// Script is a sequence of Steps that answers one request. It implements
// http.Handler, so a Script can serve a route of Routes or a whole Server.
// Steps run in order; the handler returns after the last one, which ends the
// response cleanly unless a step cut the connection.
type Script []Step

// ServeHTTP runs the steps of s against w.
func (s Script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, st := range s {
		if !st.run(w, r) {
			return
		}
	}
}

// Header returns a Step that sets a response header. It must come before
// Status and before any step that writes the body.
func Header(key, value string) Step {
	return Step{name: "header " + key, run: func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set(key, value)
		return true
	}}
}

// Status returns a Step that sends the response status and headers. Without
// it, the first write sends 200 OK.
func Status(code int) Step {
	return Step{name: "status " + http.StatusText(code), run: func(w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(code)
		return true
	}}
}

// Write returns a Step that writes s exactly as given and flushes it to the
// client.
func Write(s string) Step {
	return Step{name: "write " + abbrev(s), run: func(w http.ResponseWriter, r *http.Request) bool {
		return writeFlush(w, r, s)
	}}
}

// Line returns a Step that writes one NDJSON line (v followed by "\n") and
// flushes it. A string or []byte is written as it is; any other value is
// marshalled as JSON.
func Line(v any) Step {
	s := asText(v)
	return Step{name: "line " + abbrev(s), run: func(w http.ResponseWriter, r *http.Request) bool {
		return writeFlush(w, r, s+"\n")
	}}
}

// Event returns a Step that writes one SSE event with the given data (one
// "data:" line per line of data, then a blank line) and flushes it. A string
// or []byte is sent as it is; any other value is marshalled as JSON.
func Event(data any) Step {
	return NamedEvent("", data)
}

// NamedEvent returns a Step like Event that also sends an "event:" line
// naming the event type, unless name is empty.
func NamedEvent(name string, data any) Step {
	s := asText(data)
	var b bytes.Buffer
	if name != "" {
		b.WriteString("event: " + name + "\n")
	}
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		b.WriteString("data: ")
		b.Write(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	frame := b.String()
	return Step{name: "event " + abbrev(s), run: func(w http.ResponseWriter, r *http.Request) bool {
		return writeFlush(w, r, frame)
	}}
}

// Comment returns a Step that writes an SSE comment line (": text"), as
// servers do to keep a connection alive, and flushes it.
func Comment(text string) Step {
	return Write(": " + text + "\n\n")
}

// Sleep returns a Step that pauses the response for d, or until the client
// leaves, whichever comes first.
func Sleep(d time.Duration) Step {
	return Step{name: "sleep " + d.String(), run: func(_ http.ResponseWriter, r *http.Request) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			noteGone(r)
			return false
		}
	}}
}

// WaitForClientGone returns a Step that blocks until the client closes the
// connection or cancels the request, as a server that is still generating
// would. The Server records the disconnect (see Server.WaitClientGone). A
// guard of one minute keeps a broken client from hanging the test binary.
func WaitForClientGone() Step {
	return Step{name: "wait for client to leave", run: func(_ http.ResponseWriter, r *http.Request) bool {
		t := time.NewTimer(time.Minute)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			noteGone(r)
		case <-t.C:
		}
		return false
	}}
}

// CloseConnection returns a Step that cuts the TCP connection at once, in the
// middle of the response body: what was flushed reaches the client, the
// chunked body is never terminated, and the client's next read fails. It uses
// http.Hijacker.
func CloseConnection() Step {
	return Step{name: "close connection", run: func(w http.ResponseWriter, _ *http.Request) bool {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic("providertest: CloseConnection: " + err.Error())
		}
		_ = buf.Flush()
		_ = conn.Close()
		return false
	}}
}

// JSON returns a Script that answers with status and v marshalled as a JSON
// body, as an API's ordinary (non-streaming) response or error does.
func JSON(status int, v any) Script {
	return Script{
		Header("Content-Type", "application/json; charset=utf-8"),
		Status(status),
		Write(asText(v)),
	}
}

// NDJSON returns a Script that answers 200 with Content-Type
// application/x-ndjson and writes each value as one line, flushing after each.
func NDJSON(lines ...any) Script {
	s := Script{Header("Content-Type", "application/x-ndjson"), Status(http.StatusOK)}
	for _, l := range lines {
		s = append(s, Line(l))
	}
	return s
}

// SSE returns a Script that answers 200 with Content-Type text/event-stream
// and sends each value as the data of one event, flushing after each.
func SSE(events ...any) Script {
	s := Script{Header("Content-Type", "text/event-stream"), Header("Cache-Control", "no-cache"), Status(http.StatusOK)}
	for _, e := range events {
		s = append(s, Event(e))
	}
	return s
}

// Then returns a copy of s with more steps appended.
func (s Script) Then(steps ...Step) Script {
	out := make(Script, 0, len(s)+len(steps))
	out = append(out, s...)
	return append(out, steps...)
}

// Routes maps net/http.ServeMux patterns ("POST /api/chat", "GET
// /v1/models") to handlers, often Scripts. It implements http.Handler;
// unmatched requests get ServeMux's 404.
type Routes map[string]http.Handler

// ServeHTTP dispatches r to the handler of the matching pattern.
func (rt Routes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	for pattern, h := range rt {
		mux.Handle(pattern, h)
	}
	mux.ServeHTTP(w, r)
}

// RecordedRequest is one request a Server received.
type RecordedRequest struct {
	Method string
	Path   string
	Header http.Header
	// Body is the request body, up to 1 MiB.
	Body []byte
}

// BodyJSON decodes the recorded body as a JSON object, failing the test when
// it is not one.
func (rr RecordedRequest) BodyJSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rr.Body, &m); err != nil {
		t.Fatalf("request body of %s %s is not a JSON object: %v\n%s", rr.Method, rr.Path, err, rr.Body)
	}
	return m
}

// Server is a loopback httptest.Server that answers with a handler (often a
// Script or Routes) and records every request it receives.
type Server struct {
	*httptest.Server

	mu   sync.Mutex
	reqs []RecordedRequest
	gone chan struct{}
}

type serverKey struct{}

// NewServer starts a Server that answers every request with h. It is closed
// when the test ends.
func NewServer(t testing.TB, h http.Handler) *Server {
	t.Helper()
	s := &Server{gone: make(chan struct{}, 64)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, RecordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), serverKey{}, s)))
	}))
	t.Cleanup(func() {
		s.CloseClientConnections()
		s.Close()
	})
	return s
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedRequest(nil), s.reqs...)
}

// LastRequest returns the most recent request whose method and path match,
// failing the test when there is none.
func (s *Server) LastRequest(t testing.TB, method, path string) RecordedRequest {
	t.Helper()
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i]
		}
	}
	t.Fatalf("the server received no %s %s request (got %d requests)", method, path, len(reqs))
	return RecordedRequest{}
}

// WaitClientGone reports whether a Sleep or WaitForClientGone step saw the
// client leave (close the connection or cancel) within d.
func (s *Server) WaitClientGone(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.gone:
		return true
	case <-t.C:
		return false
	}
}

func noteGone(r *http.Request) {
	if s, ok := r.Context().Value(serverKey{}).(*Server); ok {
		select {
		case s.gone <- struct{}{}:
		default:
		}
	}
}

func writeFlush(w http.ResponseWriter, r *http.Request, s string) bool {
	if r.Context().Err() != nil {
		noteGone(r)
		return false
	}
	if _, err := io.WriteString(w, s); err != nil {
		noteGone(r)
		return false
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		noteGone(r)
		return false
	}
	return true
}

func asText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case json.RawMessage:
		return string(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("providertest: cannot marshal script value: " + err.Error())
	}
	return string(b)
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
