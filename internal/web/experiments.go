package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Limits on an experiment asked for over /ws/experiment.
const (
	MaxExperimentRuns   = 1000
	MaxExperimentWarmup = 20
	MaxExperimentArms   = 8
	MaxCooldownMs       = 3_600_000
	// MaxCalibrationRuns bounds /api/rapl-calibrate's repetitions of the
	// designed set (nine runs each).
	MaxCalibrationRuns = 10
)

// experimentPayload is /ws/experiment's message: the experiment's settings
// and /ws's energy payload, whose seed is replaced by the experiment's
// (sampling_seed is the runs' sampling seed) and whose ignore_eos defaults
// to true (fixed-length runs compare like with like).
type experimentPayload struct {
	energyPayload
	Kind           string       `json:"kind"`
	Runs           *int         `json:"runs"`
	Warmup         *int         `json:"warmup"`
	CooldownMs     *int         `json:"cooldown_ms"`
	Nonce          *bool        `json:"nonce"`
	IncludeFlagged bool         `json:"include_flagged"`
	Seed           uint64       `json:"seed"`
	SamplingSeed   *int64       `json:"sampling_seed"`
	IgnoreEOS      *bool        `json:"ignore_eos"`
	Arms           []armPayload `json:"arms"`
}

// armPayload is one middleware configuration of an overhead study.
type armPayload struct {
	Name                string          `json:"name"`
	SystemPrompt        string          `json:"system_prompt"`
	ConversationContext string          `json:"conversation_context"`
	Injections          []lab.Injection `json:"injections"`
}

const experimentExample = `{"kind": "batch", "runs": 10, "model_name": "builtin/synthetic-tiny", "user_prompt": "Why is the sky blue?", "max_tokens": 32}`

// intIn reads an optional integer setting within [lo, hi].
func intIn(name string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, BadRequest(fmt.Sprintf("%q is a whole number from %d to %d", name, lo, hi), "%s %d: want between %d and %d", name, *v, lo, hi)
	}
	return *v, nil
}

func decodeExperiment(data []byte) (ExperimentRequest, error) {
	var p experimentPayload
	if err := decodeStrict(data, &p); err != nil {
		return ExperimentRequest{}, err
	}
	x := ExperimentRequest{Kind: p.Kind, IncludeFlagged: p.IncludeFlagged, Seed: p.Seed, Nonce: p.Nonce == nil || *p.Nonce}
	switch p.Kind {
	case ExperimentBatch, ExperimentAblate:
	case "":
		return x, BadRequest(experimentExample, `give the experiment's "kind": "batch" (N runs of one request) or "ablate" (the middleware overhead study)`)
	default:
		return x, BadRequest(`"kind" is "batch" or "ablate"`, "unknown experiment kind %q", p.Kind)
	}
	var err error
	if x.Runs, err = intIn("runs", p.Runs, 10, 1, MaxExperimentRuns); err != nil {
		return x, err
	}
	if x.Warmup, err = intIn("warmup", p.Warmup, 1, 0, MaxExperimentWarmup); err != nil {
		return x, err
	}
	cool, err := intIn("cooldown_ms", p.CooldownMs, 0, 0, MaxCooldownMs)
	if err != nil {
		return x, err
	}
	x.Cooldown = time.Duration(cool) * time.Millisecond
	// The run's own validation, as /ws does it.
	p.energyPayload.Seed = p.SamplingSeed
	req, _, err := p.energyPayload.request()
	if err != nil {
		return x, err
	}
	req.IgnoreEOS = p.IgnoreEOS == nil || *p.IgnoreEOS
	x.Run = req
	hasMiddleware := req.System != "" || req.Context != "" || len(req.Injections) > 0
	if p.Kind == ExperimentBatch {
		if len(p.Arms) > 0 {
			return x, BadRequest(`remove "arms", or use "kind": "ablate"`, `"arms" belong to the overhead study ("kind": "ablate"); a batch runs the payload's own request`)
		}
		return x, nil
	}
	// The study: the bare query against each middleware configuration.
	arms := p.Arms
	switch {
	case len(arms) > 0 && hasMiddleware:
		return x, BadRequest(`move the system prompt, context and injections into an arm, or remove "arms"`,
			`give the middleware either in system_prompt, conversation_context and injections (one arm, "middleware") or in "arms", not both`)
	case len(arms) == 0 && !hasMiddleware:
		return x, BadRequest("add a system prompt, a conversation context or an injection (or \"arms\")",
			"the overhead study compares the bare query with middleware, and none is given")
	case len(arms) == 0:
		arms = []armPayload{{Name: "middleware", SystemPrompt: req.System, ConversationContext: req.Context, Injections: req.Injections}}
	case len(arms) > MaxExperimentArms:
		return x, BadRequest("", "%d arms: the limit is %d", len(arms), MaxExperimentArms)
	}
	x.Run.System, x.Run.Context, x.Run.Injections, x.Run.Preset = "", "", nil, ""
	seen := map[string]bool{experiment.Bare: true}
	for i, a := range arms {
		name := strings.TrimSpace(a.Name)
		if name == "" {
			name = fmt.Sprintf("arm %d", i+1)
		}
		if len(name) > 64 {
			return x, BadRequest("", "arm %d: its name is longer than 64 characters", i+1)
		}
		if seen[name] {
			return x, BadRequest("give every arm its own name (\"bare\" is the query alone)", "arm %d: the name %q is taken", i+1, name)
		}
		seen[name] = true
		if a.SystemPrompt == "" && a.ConversationContext == "" && len(a.Injections) == 0 {
			return x, BadRequest("give the arm a system_prompt, a conversation_context or injections", "arm %q has no middleware", name)
		}
		if len(a.Injections) > MaxInjections {
			return x, BadRequest("", "arm %q: %d injections: the limit is %d", name, len(a.Injections), MaxInjections)
		}
		parts := []string{req.User, a.SystemPrompt, a.ConversationContext}
		for _, in := range a.Injections {
			parts = append(parts, in.Description, in.Content)
		}
		if err := checkSize(parts...); err != nil {
			_, m, hint := statusOf(err)
			return x, BadRequest(hint, "arm %q: %s", name, m)
		}
		x.Arms = append(x.Arms, ExperimentArm{Name: name, System: a.SystemPrompt, Context: a.ConversationContext, Injections: a.Injections})
	}
	return x, nil
}

// startExperiment decodes an experiment payload and starts it.
func (k *socket) startExperiment(data []byte) {
	req, err := decodeExperiment(data)
	if err != nil {
		k.send(errorMsg(err, labels{}))
		return
	}
	if !k.launch(func(ctx context.Context) { k.experiment(ctx, req) }) {
		k.send(msg{"error": "an experiment is already in progress on this socket: send {\"command\": \"cancel\"} first, or open another socket", "done": true, "rejected": true})
	}
}

func (k *socket) experiment(ctx context.Context, req ExperimentRequest) {
	hooks := ExperimentHooks{
		Log:      func(s string) { k.send(msg{"log": s}) },
		Ready:    func(r ExperimentReady) { k.send(msg{"started": r}) },
		Progress: func(p experiment.Progress) { k.send(msg{"progress": progressMsg(p)}) },
	}
	out, err := k.s.b.RunExperiment(ctx, req, hooks)
	var m msg
	switch {
	case err != nil && ctx.Err() != nil && !out.Stored:
		m = msg{"done": true, "cancelled": true, "stopped": true, "stored": false,
			"note": "cancelled before the first run finished: nothing was stored"}
	case err != nil:
		m = errorMsg(err, labels{})
	case out.Stopped:
		m = msg{"done": true, "cancelled": true, "stopped": true,
			"note": "stopped: the statistics cover the runs that finished; they and the experiment are stored"}
	default:
		m = msg{"done": true, "stopped": false}
	}
	if out.Stored {
		m["experiment_id"], m["kind"], m["seed"], m["result"], m["stored"] = out.ID, out.Kind, out.Seed, out.Result, true
	}
	k.send(m)
}

// progressMsg is the progress message's body.
func progressMsg(p experiment.Progress) msg {
	m := msg{"done": p.Done, "total": p.Total, "arm": p.Arm, "warmup": p.Warmup,
		"elapsed_s": p.Elapsed.Seconds(), "eta_s": p.ETA.Seconds()}
	if r := p.Last; r != nil {
		last := msg{"id": r.ID, "status": r.Status, "total_wh": r.Energy.TotalWh, "kind": r.Energy.Source,
			"input_tokens": r.Tokens.Input, "output_tokens": r.Tokens.Output}
		if r.Error != "" {
			last["error"] = r.Error
		}
		m["last"] = last
	}
	return m
}

func (s *Server) experimentRoutes() {
	s.mux.HandleFunc("GET /ws/experiment", s.experimentSocket)
	s.mux.HandleFunc("GET /api/experiments", s.get(func(r *http.Request) (any, error) {
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return nil, BadRequest("", "limit=%q: want a whole number between 1 and 1000", v)
			}
			limit = n
		}
		rows, err := s.b.Experiments(r.Context(), limit)
		if err != nil {
			return nil, err
		}
		out := make([]map[string]any, 0, len(rows))
		for _, e := range rows {
			out = append(out, map[string]any{"id": e.ID, "kind": e.Kind, "created_at": e.CreatedAt, "summary": e.Summary,
				"url": "/api/experiments/" + e.ID, "runs_url": "/api/runs?session=" + e.ID})
		}
		return map[string]any{"experiments": out}, nil
	}))
	s.mux.HandleFunc("GET /api/experiments/{id}", s.get(func(r *http.Request) (any, error) {
		return s.b.Experiment(r.Context(), r.PathValue("id"))
	}))
	// The experiment's charts, by the names its report gives them
	// (energy-per-run, overhead, token-breakdown, crossover).
	s.mux.HandleFunc("GET /api/experiments/{id}/charts/{chart}", func(w http.ResponseWriter, r *http.Request) {
		doc, err := s.b.Report(r.Context(), r.PathValue("id"), "")
		if err != nil {
			writeError(w, err)
			return
		}
		name := strings.TrimSuffix(r.PathValue("chart"), ".svg")
		var names []string
		for _, sec := range doc.Sections {
			for _, c := range sec.Charts {
				if c.Name == name {
					w.Header().Set("Content-Type", "image/svg+xml")
					w.Header().Set("Cache-Control", "no-store")
					w.Write(c.SVG)
					return
				}
				names = append(names, c.Name+".svg")
			}
		}
		writeError(w, NotFound(strings.Join(names, ", "), "this experiment has no chart %q", r.PathValue("chart")))
	})
	// The report as a self-contained HTML download (the CLI also writes
	// Markdown); session=S reports a session's runs instead.
	s.mux.HandleFunc("GET /api/experiments/{id}/report", func(w http.ResponseWriter, r *http.Request) {
		s.htmlReport(w, r, r.PathValue("id"), "")
	})
	s.mux.HandleFunc("GET /api/session-report", func(w http.ResponseWriter, r *http.Request) {
		s.htmlReport(w, r, "", s.session(r.URL.Query().Get("session")))
	})
	s.mux.HandleFunc("POST /api/rapl-calibrate", s.post(func(r *http.Request, body []byte) (any, error) {
		var req struct {
			Model    string `json:"model_name"`
			Provider string `json:"provider"`
			Runs     *int   `json:"runs"`
		}
		if err := decodeStrict(body, &req); err != nil {
			return nil, err
		}
		runs, err := intIn("runs", req.Runs, 1, 1, MaxCalibrationRuns)
		if err != nil {
			return nil, err
		}
		model := ""
		if req.Model != "" || req.Provider != "" {
			if model, err = modelName(req.Provider, req.Model); err != nil {
				return nil, err
			}
		}
		s.track(1)
		defer s.track(-1)
		return s.b.Calibrate(r.Context(), model, runs)
	}))
}

func (s *Server) htmlReport(w http.ResponseWriter, r *http.Request, experiment, session string) {
	doc, err := s.b.Report(r.Context(), experiment, session)
	if err != nil {
		writeError(w, err)
		return
	}
	var buf bytes.Buffer
	if err := doc.HTML(&buf); err != nil {
		writeError(w, err)
		return
	}
	name := experiment
	if name == "" {
		name = "session-" + safeName(session)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "energylab-"+safeName(name)+".html"))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
