package web

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// Limits on what a client may send.
const (
	// MaxBody bounds a POST body.
	MaxBody = 1 << 20
	// MaxPrompt bounds a run's text (system + user + context + injections).
	MaxPrompt = 2 << 20
	// MaxFrame bounds one WebSocket message; larger frames close the socket.
	MaxFrame = 4 << 20
	// MaxInjections bounds a run's injection list.
	MaxInjections = 100
)

// Options configure a Server.
type Options struct {
	// Token, when set, is required on every request: as a Bearer
	// Authorization header, a token query parameter (which also sets a
	// cookie for the pages), or that cookie.
	Token string
	// OriginPatterns are extra host patterns whose pages may open the
	// WebSockets (the server's own origin always may).
	OriginPatterns []string
	// Session is the server's session: its runs are grouped under it.
	Session string
	// Docs is the project's README, rendered at /docs.
	Docs string
	// Version is shown in /api/health.
	Version string
	// Metrics, when set, is served at /metrics (the lab's own Prometheus
	// metrics; behind the token like everything else).
	Metrics http.Handler
}

// Server is the web lab.
type Server struct {
	b     Backend
	opt   Options
	mux   *http.ServeMux
	start time.Time
	// active tracks the runs in progress, for the health report and
	// for tests that check nothing is left behind.
	mu     sync.Mutex
	active int
	docs   []doc
}

// New builds a server over b.
func New(b Backend, opt Options) (*Server, error) {
	if opt.Session == "" {
		return nil, errors.New("web: a session ID is needed")
	}
	s := &Server{b: b, opt: opt, mux: http.NewServeMux(), start: time.Now()}
	docs, err := renderDocs(opt.Docs)
	if err != nil {
		return nil, err
	}
	s.docs = docs
	s.routes()
	return s, nil
}

// CheckListen refuses to expose the lab beyond loopback without a token.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w (want host:port, e.g. 127.0.0.1:8001)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if token == "" {
		return fmt.Errorf("listen address %s is not loopback: anyone who can reach it could run models and read your runs, so an access token is required (--token or ENERGYLAB_TOKEN)", addr)
	}
	if len(token) < 16 {
		return errors.New("the access token is shorter than 16 characters: use a long random one, e.g. from `openssl rand -hex 16`")
	}
	return nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.auth(s.mux) }

// Active is the number of runs in progress.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

func (s *Server) track(d int) {
	s.mu.Lock()
	s.active += d
	s.mu.Unlock()
}

const tokenCookie = "energylab_token"

// auth checks the access token when one is configured.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if s.opt.Token == "" {
			next.ServeHTTP(w, r)
			return
		}
		got := ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		} else if q := r.URL.Query().Get("token"); q != "" {
			got = q
		} else if c, err := r.Cookie(tokenCookie); err == nil {
			got = c.Value
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.Token)) != 1 {
			writeError(w, &Error{Status: http.StatusUnauthorized, Msg: "missing or wrong access token",
				Hint: "open the lab as http://HOST:PORT/?token=YOUR_TOKEN, or send Authorization: Bearer YOUR_TOKEN"})
			return
		}
		if r.URL.Query().Get("token") != "" {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.opt.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) routes() {
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, err := assets.ReadFile("assets/" + name)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'")
			w.Write(b)
		}
	}
	s.mux.HandleFunc("GET /{$}", page("index.html"))
	s.mux.HandleFunc("GET /energy", page("energy.html"))
	s.mux.HandleFunc("GET /comparison", page("comparison.html"))
	s.mux.HandleFunc("GET /behaviour", page("comparison.html"))
	s.mux.HandleFunc("GET /docs", s.docsPage)
	s.mux.HandleFunc("GET /documentation", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs", http.StatusMovedPermanently)
	})
	static, _ := fs.Sub(assets, "assets")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	if s.opt.Metrics != nil {
		s.mux.Handle("GET /metrics", s.opt.Metrics)
	}
	s.mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"status": "ok", "websocket": true, "version": s.opt.Version, "session": s.opt.Session,
			"uptime_seconds": time.Since(s.start).Seconds(), "runs_in_progress": s.Active(),
			"providers": s.b.Health(r.Context()),
		})
	})
	s.mux.HandleFunc("GET /api/models", s.get(func(r *http.Request) (any, error) {
		return s.b.Models(r.Context(), r.URL.Query().Get("provider"))
	}))
	s.mux.HandleFunc("GET /api/model-info/{model...}", s.get(func(r *http.Request) (any, error) {
		return s.b.ModelInfo(r.Context(), r.PathValue("model"))
	}))
	s.mux.HandleFunc("GET /api/meters", s.get(func(r *http.Request) (any, error) { return s.b.Meters(r.Context()) }))
	s.mux.HandleFunc("GET /api/energy-benchmarks", s.get(func(r *http.Request) (any, error) {
		return s.b.EnergyBenchmarks(r.Context(), r.URL.Query().Get("model"))
	}))
	s.mux.HandleFunc("GET /api/benchmark-info", s.get(func(r *http.Request) (any, error) { return s.b.BenchmarkInfo(r.Context()) }))
	s.mux.HandleFunc("POST /api/switch-benchmark", s.post(func(r *http.Request, body []byte) (any, error) {
		var req struct {
			Name    string `json:"benchmark_name"`
			Family  string `json:"family"`
			Session string `json:"session"`
		}
		if err := decodeStrict(body, &req); err != nil {
			return nil, err
		}
		fam := req.Family
		if fam == "" {
			fam = req.Name
		}
		if fam == "" {
			return nil, BadRequest(`{"family": "jegham"}`, "give the estimate family to switch to in \"family\" (or the original's \"benchmark_name\")")
		}
		return s.b.SwitchBenchmark(r.Context(), s.session(req.Session), fam)
	}))
	s.mux.HandleFunc("POST /api/add-custom-benchmark", s.post(func(r *http.Request, body []byte) (any, error) {
		var req CustomBenchmark
		if err := decodeStrict(body, &req); err != nil {
			return nil, err
		}
		return s.b.AddCustomBenchmark(r.Context(), req)
	}))
	s.mux.HandleFunc("GET /api/system-prompts", s.get(func(r *http.Request) (any, error) { return s.b.SystemPrompts(r.Context()) }))
	s.mux.HandleFunc("GET /api/emissions", s.get(func(r *http.Request) (any, error) { return s.b.Emissions(r.Context()) }))
	s.mux.HandleFunc("GET /api/docs", s.get(func(r *http.Request) (any, error) {
		out := make([]map[string]string, 0, len(s.docs))
		for _, d := range s.docs {
			out = append(out, map[string]string{"id": d.ID, "label": d.Label, "file": "README.md#" + d.ID, "content": d.Markdown})
		}
		return map[string]any{"docs": out}, nil
	}))
	s.mux.HandleFunc("GET /api/session-summary", s.get(func(r *http.Request) (any, error) {
		recs, err := s.b.SessionRecords(r.Context(), s.session(r.URL.Query().Get("session")))
		if err != nil {
			return nil, err
		}
		return Summarise(s.session(r.URL.Query().Get("session")), recs), nil
	}))
	s.mux.HandleFunc("GET /api/runs", s.get(func(r *http.Request) (any, error) {
		q := RunQuery{Model: r.URL.Query().Get("model"), Status: r.URL.Query().Get("status"), Limit: 100}
		switch v := r.URL.Query().Get("session"); v {
		case "", "current":
			q.Session = s.opt.Session
		case "all":
		default:
			q.Session = v
		}
		for _, p := range []struct {
			name string
			dst  *int
			max  int
		}{{"limit", &q.Limit, 1000}, {"offset", &q.Offset, 1 << 30}} {
			if v := r.URL.Query().Get(p.name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > p.max {
					return nil, BadRequest("", "%s=%q: want a whole number between 0 and %d", p.name, v, p.max)
				}
				*p.dst = n
			}
		}
		rows, total, err := s.b.Runs(r.Context(), q)
		if err != nil {
			return nil, err
		}
		if rows == nil {
			rows = []RunRow{}
		}
		return map[string]any{"runs": rows, "total": total, "session": q.Session}, nil
	}))
	s.mux.HandleFunc("GET /api/runs/{id}", s.get(func(r *http.Request) (any, error) { return s.b.Run(r.Context(), r.PathValue("id")) }))
	s.mux.HandleFunc("DELETE /api/runs/{id}", s.get(func(r *http.Request) (any, error) {
		if err := s.b.DeleteRun(r.Context(), r.PathValue("id")); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": r.PathValue("id")}, nil
	}))
	s.mux.HandleFunc("GET /api/runs/{id}/charts/{chart}", s.runChart)
	s.mux.HandleFunc("GET /api/session-chart.svg", s.sessionChart)
	s.mux.HandleFunc("GET /api/export-session", s.export)
	s.mux.HandleFunc("POST /api/export-session", s.export)
	s.mux.HandleFunc("GET /ws", s.energySocket)
	s.mux.HandleFunc("GET /ws/behaviour", s.behaviourSocket)
	s.experimentRoutes()
}

// session resolves a client's session argument ("" or "current" is the
// server's own).
func (s *Server) session(v string) string {
	if v == "" || v == "current" {
		return s.opt.Session
	}
	return v
}

func (s *Server) get(f func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) post(f func(r *http.Request, body []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		v, err := f(r, body)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the request body is larger than %d KiB", MaxBody>>10)}
		}
		return nil, BadRequest("", "read the request body: %v", err)
	}
	return b, nil
}

// decodeStrict decodes a JSON object, refusing unknown fields and trailing
// data so that a misspelt field is an error rather than silently ignored.
func decodeStrict(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("send a JSON object with the documented fields (see /docs)", "invalid JSON body: %v", err)
	}
	if dec.More() {
		return BadRequest("", "invalid JSON body: more than one value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status, msg, hint := statusOf(err)
	body := map[string]any{"error": msg, "detail": msg}
	if hint != "" {
		body["hint"] = hint
	}
	writeJSON(w, status, body)
}
