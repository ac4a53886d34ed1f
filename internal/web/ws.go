package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/report"
)

// msg is one server-to-client message.
type msg map[string]any

// socketKind says which protocol a socket speaks.
type socketKind int

const (
	energyKind socketKind = iota
	behaviourKind
	experimentKind
)

// socket is one WebSocket client: at most one run at a time, each ending
// with exactly one terminal message (done: true).
type socket struct {
	s    *Server
	c    *websocket.Conn
	kind socketKind
	ctx  context.Context
	// out is the writer's queue; power readings are dropped when it is
	// full, nothing else is.
	out chan msg

	mu        sync.Mutex
	cancelRun context.CancelFunc
	runDone   chan struct{}
}

func (s *Server) energySocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, energyKind)
}
func (s *Server) behaviourSocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, behaviourKind)
}
func (s *Server) experimentSocket(w http.ResponseWriter, r *http.Request) {
	s.serveSocket(w, r, experimentKind)
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request, kind socketKind) {
	// Accept refuses (403) a page from another origin than this server's
	// or the configured patterns.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.opt.OriginPatterns})
	if err != nil {
		return
	}
	c.SetReadLimit(MaxFrame)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	k := &socket{s: s, c: c, kind: kind, ctx: ctx, out: make(chan msg, 1024)}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		k.writer(cancel)
	}()
	k.readLoop()
	// The client went away (or broke the protocol): cancel its run, let
	// the run send its terminal message into the queue, then close.
	k.mu.Lock()
	if k.cancelRun != nil {
		k.cancelRun()
	}
	done := k.runDone
	k.mu.Unlock()
	if done != nil {
		<-done
	}
	close(k.out)
	<-writerDone
	c.Close(websocket.StatusNormalClosure, "")
}

func (k *socket) writer(cancel context.CancelFunc) {
	broken := false
	for m := range k.out {
		if broken {
			continue // drain so senders never block on a dead client
		}
		b, err := json.Marshal(m)
		if err != nil {
			b, _ = json.Marshal(msg{"error": "encode message: " + err.Error(), "done": true})
		}
		// Not k.ctx: the terminal message of a run cancelled by a
		// shutdown must still go out.
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		err = k.c.Write(ctx, websocket.MessageText, b)
		c()
		if err != nil {
			broken = true
			cancel()
			k.c.CloseNow()
		}
	}
}

func (k *socket) send(m msg) { k.out <- m }

// sendDroppable queues a message that may be lost when the client is slow.
func (k *socket) sendDroppable(m msg) {
	select {
	case k.out <- m:
	default:
	}
}

func (k *socket) readLoop() {
	for {
		typ, data, err := k.c.Read(k.ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			k.send(msg{"error": "binary frames are not understood: send JSON text", "done": true})
			continue
		}
		var cmd struct {
			Command string `json:"command"`
		}
		if err := json.Unmarshal(data, &cmd); err != nil {
			k.send(msg{"error": "Invalid JSON: " + err.Error(), "done": true, "hint": "send one JSON object per message"})
			continue
		}
		switch cmd.Command {
		case "":
			k.start(data)
		case "cancel":
			k.mu.Lock()
			cancel := k.cancelRun
			k.mu.Unlock()
			if cancel == nil {
				k.send(msg{"log": "cancel: no run in progress"})
			} else {
				cancel()
			}
		default:
			k.send(msg{"error": fmt.Sprintf("unknown command %q: the only command is \"cancel\"", cmd.Command), "done": true})
		}
	}
}

// start decodes a run payload and starts the run.
func (k *socket) start(data []byte) {
	if k.kind == experimentKind {
		k.startExperiment(data)
		return
	}
	var (
		req   RunRequest
		label labels
		err   error
	)
	if k.kind == energyKind {
		req, label, err = decodeEnergy(data)
	} else {
		req, label, err = decodeBehaviour(data)
	}
	if err != nil {
		k.send(errorMsg(err, label))
		return
	}
	req.Session = k.s.opt.Session
	if !k.launch(func(ctx context.Context) { k.run(ctx, req, label) }) {
		out := msg{"error": "a run is already in progress on this socket: send {\"command\": \"cancel\"} first, or open another socket", "done": true, "rejected": true}
		label.decorate(out)
		k.send(out)
	}
}

// errorMsg is the terminal message of a request refused before it ran.
func errorMsg(err error, l labels) msg {
	_, m, hint := statusOf(err)
	out := msg{"error": m, "done": true}
	if hint != "" {
		out["hint"] = hint
	}
	l.decorate(out)
	return out
}

// launch runs f in the socket's one run slot, with a context that a cancel
// command or the client's departure ends; it returns false, running
// nothing, when the slot is taken.
func (k *socket) launch(f func(ctx context.Context)) bool {
	k.mu.Lock()
	if k.cancelRun != nil {
		k.mu.Unlock()
		return false
	}
	ctx, cancel := context.WithCancel(k.ctx)
	done := make(chan struct{})
	k.cancelRun, k.runDone = cancel, done
	k.mu.Unlock()
	k.s.track(1)
	go func() {
		defer func() {
			k.s.track(-1)
			k.mu.Lock()
			k.cancelRun, k.runDone = nil, nil
			k.mu.Unlock()
			cancel()
			close(done)
		}()
		f(ctx)
	}()
	return true
}

// labels are what the client's messages are tagged with.
type labels struct {
	model, strategy, key, pane string
}

func (l labels) decorate(m msg) {
	if l.model != "" {
		m["model"] = l.model
	}
	if l.strategy != "" {
		m["strategy"] = l.strategy
	}
	if l.key != "" {
		m["model"] = l.key
	}
	if l.pane != "" {
		m["pane"] = l.pane
	}
}

func (k *socket) run(ctx context.Context, req RunRequest, l labels) {
	var start time.Time
	tag := func(m msg) msg { l.decorate(m); return m }
	hooks := Hooks{
		Log: func(s string) { k.send(tag(msg{"log": s})) },
		Prepared: func(info provider.ModelInfo, meterNote string) {
			k.send(tag(msg{"started": msg{"model": info, "meter_note": meterNote, "session": req.Session}}))
		},
		Event: func(e harness.Event) {
			switch e.Kind {
			case harness.EventToken:
				k.send(tag(msg{"token": e.Text, "thinking": false, "done": false}))
			case harness.EventThinking:
				k.send(tag(msg{"token": e.Text, "thinking": true, "done": false}))
			case harness.EventLog:
				k.send(tag(msg{"log": e.Text}))
			case harness.EventMark:
				if e.Mark == harness.MarkStart {
					start = e.Time
				}
				off := 0.0
				if !start.IsZero() {
					off = float64(e.Time.Sub(start)) / float64(time.Millisecond)
				}
				k.send(tag(msg{"log": fmt.Sprintf("snapshot: %s at %.0f ms", strings.ReplaceAll(e.Mark, "_", " "), off), "mark": e.Mark, "offset_ms": off}))
			case harness.EventPower:
				if !start.IsZero() {
					k.sendDroppable(tag(msg{"power": msg{"offset_ms": float64(e.Time.Sub(start)) / float64(time.Millisecond), "watts": e.Watts}}))
				}
			}
		},
	}
	rec, err := k.s.b.Measure(ctx, req, hooks)
	switch {
	case err != nil && ctx.Err() != nil:
		k.send(tag(msg{"token": "[CANCELLED]", "done": true, "cancelled": true, "stored": false,
			"note": "cancelled before the request was prepared: nothing was measured or stored"}))
	case err != nil:
		k.send(errorMsg(err, l))
	default:
		k.send(tag(terminal(rec, k.kind)))
	}
}

// terminal is the one message that ends a stored run.
func terminal(rec lab.Record, kind socketKind) msg {
	var m msg
	switch rec.Status {
	case lab.StatusOK:
		m = msg{"token": "[DONE]", "done": true}
	case lab.StatusCancelled:
		m = msg{"token": "[CANCELLED]", "done": true, "cancelled": true}
	default:
		m = msg{"error": rec.Error, "done": true, "failed": true}
	}
	m["run_id"] = rec.ID
	m["stored"] = true
	if kind == behaviourKind {
		m["metrics"] = basicMetrics(rec)
		m["energy"] = paneEnergy(rec)
		m["record"] = rec
		return m
	}
	m["basic_metrics"] = basicMetrics(rec)
	m["token_metrics"] = msg{"breakdown": rec.Tokens.Breakdown, "input": rec.Tokens.Input, "output": rec.Tokens.Output, "cached": rec.Tokens.Cached, "source": rec.Tokens.Source}
	m["energy_metrics"] = energyMetrics(rec)
	m["live_power_metrics"] = livePowerMetrics(rec)
	m["record"] = rec
	return m
}

func ms2s(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return f(*p / 1000)
}

func basicMetrics(r lab.Record) msg {
	return msg{
		"prompt_tokens": r.Tokens.Input, "completion_tokens": r.Tokens.Output, "total_tokens": r.Tokens.Input + r.Tokens.Output,
		"latency": r.Timing.TotalMs / 1000, "tokens_per_second": r.Timing.TokensPerSecond, "ttft_seconds": ms2s(r.Timing.TTFTMs),
	}
}

// energyMetrics is the original's estimate block: the benchmark-based
// figures, labelled with their family, row and boundary.
func energyMetrics(r lab.Record) msg {
	e := report.ShownEstimate(r)
	if e == nil {
		return msg{"benchmark_used": nil, "watt_hours_consumed": nil, "absent_reason": "no estimate family was applied"}
	}
	per := func(wh *float64, n int) *float64 {
		if wh == nil || n <= 0 {
			return nil
		}
		return f(*wh * 1000 / float64(n))
	}
	return msg{
		"kind": "estimated", "benchmark_used": e.Family + "/" + e.Row, "family": e.FamilyName, "row_model": e.RowModel,
		"match": e.Match, "boundary": e.Boundary, "boundary_note": e.BoundaryNote, "hardware": e.Hardware,
		"watt_hours_consumed": e.Wh, "low_wh": e.LowWh, "high_wh": e.HighWh, "carbon_grams_co2": e.GCO2e,
		"energy_efficiency_wh_per_1000_etokens_o": per(e.Wh, r.Tokens.Output),
		"energy_efficiency_wh_per_1000_etokens_i": per(e.Wh, r.Tokens.Input),
		"absent_reason": e.AbsentReason,
	}
}

// livePowerMetrics is the original's measurement block, from the meter:
// null figures are absent (absent_reason says why), never zero.
func livePowerMetrics(r lab.Record) msg {
	en := r.Energy
	m := msg{
		"enabled": en.Meter != "", "kind": en.Source, "meter": en.Meter, "boundary": en.Boundary, "assumptions": en.Assumptions,
		"prefill_wh": en.PrefillWh, "decode_wh": en.DecodeWh, "total_wh": en.TotalWh,
		"prefill_wh_active": en.Active.PrefillWh, "decode_wh_active": en.Active.DecodeWh, "total_wh_active": en.Active.TotalWh,
		"measured_wh_per_1000_etokens_o": r.ETokens.WhPer1kOutput, "measured_wh_per_1000_etokens_i": r.ETokens.WhPer1kInput,
		"prefill_wh_per_1000_input_tokens": r.ETokens.PrefillWhPer1kInput, "decode_wh_per_1000_output_tokens": r.ETokens.DecodeWhPer1kOutput,
		"ttft_seconds": ms2s(r.Timing.TTFTMs), "decode_duration_seconds": ms2s(r.Timing.DecodeMs), "run_duration_seconds": r.Timing.TotalMs / 1000,
		"carbon_grams_co2": r.Carbon.GCO2e, "absent_reason": en.AbsentReason, "active_absent_reason": en.Active.AbsentReason,
	}
	if b := en.Active.Baseline; b != nil {
		m["baseline_watts"] = b.Watts
	} else {
		m["baseline_watts"] = nil
	}
	if en.Active.TotalWh != nil && r.ETokens.Active != nil {
		m["prefill_active_per_1000_input_tokens"] = r.ETokens.Active.PrefillWhPer1kInput
		m["decode_active_per_1000_output_tokens"] = r.ETokens.Active.DecodeWhPer1kOutput
	}
	return m
}

// paneEnergy is a comparison pane's energy line.
func paneEnergy(r lab.Record) msg {
	m := msg{
		"kind": r.Energy.Source, "meter": r.Energy.Meter, "boundary": r.Energy.Boundary, "total_wh": r.Energy.TotalWh,
		"prefill_wh": r.Energy.PrefillWh, "decode_wh": r.Energy.DecodeWh,
		"wh_per_1000_input_tokens": r.ETokens.WhPer1kInput, "wh_per_1000_output_tokens": r.ETokens.WhPer1kOutput,
		"g_co2e": r.Carbon.GCO2e, "absent_reason": r.Energy.AbsentReason,
	}
	if e := report.ShownEstimate(r); e != nil {
		m["estimate"] = msg{"family": e.FamilyName, "row_model": e.RowModel, "boundary": e.Boundary, "wh": e.Wh, "absent_reason": e.AbsentReason}
	}
	return m
}

// knownProviders are the lab's model-name prefixes.
var knownProviders = []string{"builtin/", "ollama/", "openai/", "groq/"}

// modelName turns the original's (provider, model_name) into a lab name.
func modelName(provider, model string) (string, error) {
	model = strings.TrimSpace(model)
	switch provider {
	case "", "local", "cloud", "builtin", "ollama", "openai", "groq":
	default:
		return "", BadRequest("provider is local, cloud, or omitted with a provider/model name", "unknown provider %q", provider)
	}
	if model == "" {
		return "", BadRequest("pick a model, e.g. builtin/synthetic-tiny (GET /api/models lists them)", "No model selected. Please choose a model.")
	}
	for _, p := range knownProviders {
		if rest, ok := strings.CutPrefix(model, p); ok {
			if strings.TrimSpace(rest) == "" {
				return "", BadRequest("e.g. builtin/synthetic-tiny", "model_name %q names a provider but no model", model)
			}
			return model, nil
		}
	}
	switch provider {
	case "local", "ollama":
		return "ollama/" + model, nil
	case "cloud", "groq":
		return "groq/" + model, nil
	case "builtin", "openai":
		return provider + "/" + model, nil
	}
	return "", BadRequest("prefix the model with its provider: builtin/, ollama/, openai/ or groq/", "model_name %q has no provider", model)
}

func checkSize(parts ...string) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > MaxPrompt {
		return BadRequest("shorten the prompt or middleware", "the prompt and middleware are %d KiB together; the limit is %d KiB", n>>10, MaxPrompt>>10)
	}
	return nil
}

// energyPayload is /ws's run message: the original's fields, plus the
// lab's own (meter, system_preset, grid, grid_factor, pue, top_p).
type energyPayload struct {
	SystemPrompt        string          `json:"system_prompt"`
	UserPrompt          string          `json:"user_prompt"`
	ConversationContext string          `json:"conversation_context"`
	Injections          []lab.Injection `json:"injections"`
	System              string          `json:"system"`
	User                string          `json:"user"`
	ModelName           string          `json:"model_name"`
	StrategyName        string          `json:"strategy_name"`
	EnergyBenchmark     string          `json:"energy_benchmark"`
	TestType            string          `json:"test_type"`
	InjectionType       string          `json:"injection_type"`
	InjectionParams     json.RawMessage `json:"injection_params"`
	ToolMethod          string          `json:"tool_integration_method"`
	ToolConfig          json.RawMessage `json:"tool_config"`
	Temp                *float64        `json:"temp"`
	MaxTokens           *int            `json:"max_tokens"`
	Seed                *int64          `json:"seed"`
	TopP                *float64        `json:"top_p"`
	LivePower           *bool           `json:"enable_live_power_monitoring"`
	IncludeThinking     *bool           `json:"include_thinking"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	Provider            string          `json:"provider"`
	Meter               string          `json:"meter"`
	SystemPreset        string          `json:"system_preset"`
	Grid                string          `json:"grid"`
	GridFactor          *float64        `json:"grid_factor"`
	PUE                 *float64        `json:"pue"`
}

// families are the estimate family IDs a payload may name.
var families = []string{"auto", "aes", "jegham", "mlenergy", "custom", "calibrated"}

func decodeEnergy(data []byte) (RunRequest, labels, error) {
	var p energyPayload
	if err := decodeStrict(data, &p); err != nil {
		return RunRequest{}, labels{}, err
	}
	return p.request()
}

// request validates the payload and turns it into a run request.
func (p energyPayload) request() (RunRequest, labels, error) {
	l := labels{strategy: p.StrategyName}
	if l.strategy == "" {
		l.strategy = "baseline"
	}
	model, err := modelName(p.Provider, p.ModelName)
	if err != nil {
		return RunRequest{}, l, err
	}
	l.model = model
	if p.ToolMethod != "" && p.ToolMethod != "none" {
		return RunRequest{}, l, BadRequest("paste the tool schemas as an injection to measure what they cost",
			"tool_integration_method %q is not supported", p.ToolMethod)
	}
	if len(p.Injections) > MaxInjections {
		return RunRequest{}, l, BadRequest("", "%d injections: the limit is %d", len(p.Injections), MaxInjections)
	}
	sys, user := p.SystemPrompt, p.UserPrompt
	if sys == "" {
		sys = p.System
	}
	if user == "" {
		user = p.User
	}
	parts := []string{sys, user, p.ConversationContext}
	for _, in := range p.Injections {
		parts = append(parts, in.Description, in.Content)
	}
	if err := checkSize(parts...); err != nil {
		return RunRequest{}, l, err
	}
	req := RunRequest{Model: model, System: sys, User: user, Context: p.ConversationContext, Injections: p.Injections,
		Preset: p.SystemPreset, Temperature: p.Temp, MaxTokens: p.MaxTokens, Seed: p.Seed, TopP: p.TopP, Think: p.IncludeThinking, IgnoreEOS: p.IgnoreEOS,
		Meter: p.Meter, Grid: p.Grid, GridFactor: p.GridFactor, PUE: p.PUE}
	if req.Meter == "" && p.LivePower != nil && !*p.LivePower {
		req.Meter = "none"
	}
	for _, fam := range families {
		if p.EnergyBenchmark == fam {
			req.Family = fam
		}
	}
	if p.EnergyBenchmark != "" && req.Family == "" {
		return RunRequest{}, l, BadRequest("energy_benchmark is one of "+strings.Join(families, ", ")+" (GET /api/energy-benchmarks lists their rows)",
			"unknown estimate family %q", p.EnergyBenchmark)
	}
	return req, l, nil
}

// behaviourPayload is /ws/behaviour's run message (a comparison pane).
type behaviourPayload struct {
	System        string   `json:"system"`
	User          string   `json:"user"`
	Template      string   `json:"template"`
	UseBaseModel  bool     `json:"use_base_model"`
	ModelName     string   `json:"model_name"`
	ModelKey      string   `json:"model_key"`
	Pane          string   `json:"pane"`
	Temp          *float64 `json:"temp"`
	TopP          *float64 `json:"top_p"`
	RepeatPenalty *float64 `json:"repeat_penalty"`
	MaxTokens     *int     `json:"max_tokens"`
	Stop          []string `json:"stop"`
	Seed          *int64   `json:"seed"`
	IgnoreEOS     bool     `json:"ignore_eos"`
	Provider      string   `json:"provider"`
	// Measure (default true) meters the pane: measured runs take turns
	// on this host; false runs panes at once with estimates only.
	Measure *bool `json:"measure"`
}

func decodeBehaviour(data []byte) (RunRequest, labels, error) {
	var p behaviourPayload
	if err := decodeStrict(data, &p); err != nil {
		return RunRequest{}, labels{}, err
	}
	l := labels{key: p.ModelKey, pane: p.Pane}
	if l.key == "" {
		l.key = "instruct"
		if p.UseBaseModel {
			l.key = "base"
		}
	}
	model, err := modelName(p.Provider, p.ModelName)
	if err != nil {
		return RunRequest{}, l, err
	}
	if len(p.Stop) > 0 {
		return RunRequest{}, l, BadRequest("remove \"stop\"", "stop sequences are not supported yet (the original accepted them and silently ignored them)")
	}
	if err := checkSize(p.System, p.User); err != nil {
		return RunRequest{}, l, err
	}
	req := RunRequest{Model: model, System: p.System, User: p.User, Temperature: p.Temp, TopP: p.TopP, MaxTokens: p.MaxTokens, Seed: p.Seed, IgnoreEOS: p.IgnoreEOS}
	if p.Measure != nil && !*p.Measure {
		req.Meter = "none"
	}
	return req, l, nil
}
