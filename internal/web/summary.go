package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Sum is a total over the runs that have a figure, with the ratio-of-sums
// intensities (total Wh x 1000 / total tokens of those same runs), which is
// what an average per token should be (not a mean of per-run ratios).
type Sum struct {
	// Runs is how many runs contributed.
	Runs         int      `json:"runs"`
	TotalWh      *float64 `json:"total_wh"`
	PrefillWh    *float64 `json:"prefill_wh,omitempty"`
	DecodeWh     *float64 `json:"decode_wh,omitempty"`
	InputTokens  int      `json:"input_tokens"`
	OutputTokens int      `json:"output_tokens"`
	// WhPer1kInput and WhPer1kOutput are e-token-i and e-token-o of the
	// session: total Wh x 1000 / total input (output) tokens.
	WhPer1kInput  *float64 `json:"wh_per_1000_input_tokens"`
	WhPer1kOutput *float64 `json:"wh_per_1000_output_tokens"`
	GCO2e         *float64 `json:"g_co2e"`
	// Kinds lists what the figures are (measured, modelled, or the
	// estimate families) and Boundaries what they cover: a sum over
	// unlike boundaries is labelled as such, never hidden.
	Kinds      []string `json:"kinds"`
	Boundaries []string `json:"boundaries"`
}

// Summary is /api/session-summary.
type Summary struct {
	Session         string  `json:"session"`
	SessionStart    string  `json:"session_start,omitempty"`
	DurationSeconds float64 `json:"session_duration_seconds"`
	// TotalReadings is the original's name for the number of runs.
	TotalReadings int `json:"total_readings"`
	OK            int `json:"runs_ok"`
	Failed        int `json:"runs_failed"`
	Cancelled     int `json:"runs_cancelled"`
	TotalTokens   int `json:"total_tokens"`
	// Energy sums the runs' own energy (measured or modelled, never
	// estimated) over completed runs; Estimated sums the estimates shown
	// beside them.
	Energy    Sum `json:"energy"`
	Estimated Sum `json:"estimated"`
	// The original's fields, from Energy: total Wh, Wh per 1,000 output
	// tokens ("energy weight"), per 1,000 input tokens, carbon, and mean
	// latency per token (s).
	TotalEnergyWh       *float64 `json:"total_energy_wh"`
	AvgPer1kTokens      *float64 `json:"average_energy_per_1000_tokens"`
	AvgPer1kInputTokens *float64 `json:"average_energy_per_1000_input_tokens"`
	TotalCarbonG        *float64 `json:"total_carbon_gco2"`
	AvgLatencyPerToken  *float64 `json:"average_latency_per_token"`
	BenchmarkUsed       string   `json:"benchmark_used,omitempty"`
	Readings            []RunRow `json:"readings"`
}

// Summarise totals a session's runs (given oldest first).
func Summarise(session string, recs []lab.Record) Summary {
	s := Summary{Session: session, TotalReadings: len(recs), Readings: []RunRow{}}
	var eAcc, xAcc sumAcc
	var latency float64
	var latTokens int
	for _, r := range recs {
		switch r.Status {
		case lab.StatusOK:
			s.OK++
		case lab.StatusFailed:
			s.Failed++
		case lab.StatusCancelled:
			s.Cancelled++
		}
		s.TotalTokens += r.Tokens.Input + r.Tokens.Output
		if r.Status != lab.StatusOK {
			continue
		}
		latency += r.Timing.TotalMs / 1000
		latTokens += r.Tokens.Output
		if r.Energy.TotalWh != nil {
			eAcc.add(r, *r.Energy.TotalWh, r.Energy.PrefillWh, r.Energy.DecodeWh, r.Carbon.GCO2e, string(r.Energy.Source), r.Energy.Boundary)
		}
		for _, e := range r.Estimates {
			if e.Wh != nil {
				xAcc.add(r, *e.Wh, e.PrefillWh, e.DecodeWh, e.GCO2e, "estimated: "+e.FamilyName, e.Boundary)
				s.BenchmarkUsed = e.Family
				break
			}
		}
	}
	if len(recs) > 0 {
		first, last := recs[0].CreatedAt, recs[len(recs)-1].CreatedAt
		s.SessionStart = first.UTC().Format(time.RFC3339)
		s.DurationSeconds = last.Sub(first).Seconds() + recs[len(recs)-1].Timing.TotalMs/1000
	}
	s.Energy, s.Estimated = eAcc.sum(), xAcc.sum()
	s.TotalEnergyWh, s.AvgPer1kTokens, s.AvgPer1kInputTokens, s.TotalCarbonG = s.Energy.TotalWh, s.Energy.WhPer1kOutput, s.Energy.WhPer1kInput, s.Energy.GCO2e
	if latTokens > 0 {
		v := latency / float64(latTokens)
		s.AvgLatencyPerToken = &v
	}
	for i := len(recs) - 1; i >= 0 && len(s.Readings) < 10; i-- {
		s.Readings = append(s.Readings, rowOf(recs[i]))
	}
	return s
}

type sumAcc struct {
	runs                   int
	wh, prefill, decode, g float64
	hasSplit, hasG         bool
	splitMissing           bool
	in, out                int
	kinds, bounds          []string
}

func (a *sumAcc) add(r lab.Record, wh float64, prefill, decode, g *float64, kind, boundary string) {
	a.runs++
	a.wh += wh
	a.in += r.Tokens.Input
	a.out += r.Tokens.Output
	if prefill != nil && decode != nil {
		a.prefill += *prefill
		a.decode += *decode
		a.hasSplit = true
	} else {
		a.splitMissing = true
	}
	if g != nil {
		a.g += *g
		a.hasG = true
	}
	if kind != "" && !slices.Contains(a.kinds, kind) {
		a.kinds = append(a.kinds, kind)
	}
	if boundary != "" && !slices.Contains(a.bounds, boundary) {
		a.bounds = append(a.bounds, boundary)
	}
}

func (a *sumAcc) sum() Sum {
	s := Sum{Runs: a.runs, InputTokens: a.in, OutputTokens: a.out, Kinds: a.kinds, Boundaries: a.bounds}
	if s.Kinds == nil {
		s.Kinds = []string{}
	}
	if s.Boundaries == nil {
		s.Boundaries = []string{}
	}
	if a.runs == 0 {
		return s
	}
	s.TotalWh = f(a.wh)
	if a.hasSplit && !a.splitMissing {
		s.PrefillWh, s.DecodeWh = f(a.prefill), f(a.decode)
	}
	if a.hasG {
		s.GCO2e = f(a.g)
	}
	if a.in > 0 {
		s.WhPer1kInput = f(a.wh * 1000 / float64(a.in))
	}
	if a.out > 0 {
		s.WhPer1kOutput = f(a.wh * 1000 / float64(a.out))
	}
	return s
}

func f(v float64) *float64 { return &v }

func rowOf(r lab.Record) RunRow {
	return RunRow{
		ID: r.ID, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano), Status: string(r.Status), Model: r.Model,
		Session: r.Session, EnergySource: string(r.Energy.Source), Meter: r.Energy.Meter,
		InputTokens: r.Tokens.Input, OutputTokens: r.Tokens.Output,
		TotalWh: r.Energy.TotalWh, PrefillWh: r.Energy.PrefillWh, DecodeWh: r.Energy.DecodeWh,
		GCO2e: r.Carbon.GCO2e, TTFTMs: r.Timing.TTFTMs, TotalMs: r.Timing.TotalMs, Error: r.Error,
	}
}

// CSVHeader is the export's column list: one row per run, with the
// manifest's columns so a row can be audited on its own.
var CSVHeader = []string{
	"id", "created_at", "session", "status", "error", "model", "provider", "synthetic", "parameters", "quantization",
	"input_tokens", "output_tokens", "user_tokens", "middleware_tokens", "breakdown_method",
	"energy_source", "meter", "boundary", "total_wh", "prefill_wh", "decode_wh", "active_total_wh",
	"wh_per_1k_input", "wh_per_1k_output", "g_co2e", "grid", "grid_factor_kg_per_kwh", "pue",
	"ttft_ms", "decode_ms", "total_ms", "tokens_per_second",
	"estimate_family", "estimate_row", "estimate_match", "estimate_boundary", "estimate_wh",
	"flags", "host", "cpu_model", "cpus", "lab_version",
}

// WriteCSV writes recs as CSV (absent figures are empty cells, never 0).
func WriteCSV(w io.Writer, recs []lab.Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	for _, r := range recs {
		var active *float64 = r.Energy.Active.TotalWh
		var est lab.Estimate
		for _, e := range r.Estimates {
			if e.Wh != nil {
				est = e
				break
			}
		}
		var flags []string
		for _, fl := range r.Flags {
			flags = append(flags, fl.Code)
		}
		m := r.Manifest
		row := []string{
			r.ID, r.CreatedAt.UTC().Format(time.RFC3339Nano), r.Session, string(r.Status), r.Error, r.Model, r.Provider,
			strconv.FormatBool(m.Model.Synthetic), strconv.FormatInt(m.Model.Parameters, 10), m.Model.Quantization,
			strconv.Itoa(r.Tokens.Input), strconv.Itoa(r.Tokens.Output), strconv.Itoa(r.Tokens.Breakdown.User),
			strconv.Itoa(r.Tokens.Breakdown.Middleware), r.Tokens.Breakdown.Method,
			string(r.Energy.Source), r.Energy.Meter, r.Energy.Boundary, num(r.Energy.TotalWh), num(r.Energy.PrefillWh),
			num(r.Energy.DecodeWh), num(active), num(r.ETokens.WhPer1kInput), num(r.ETokens.WhPer1kOutput),
			num(r.Carbon.GCO2e), r.Carbon.Grid.Code, strconv.FormatFloat(r.Carbon.Grid.FactorKgPerKWh, 'g', -1, 64),
			strconv.FormatFloat(r.Carbon.PUE, 'g', -1, 64),
			num(r.Timing.TTFTMs), num(r.Timing.DecodeMs), strconv.FormatFloat(r.Timing.TotalMs, 'g', -1, 64), num(r.Timing.TokensPerSecond),
			est.Family, est.Row, est.Match, est.Boundary, num(est.Wh),
			strings.Join(flags, " "), m.Host, m.CPUModel, strconv.Itoa(m.CPUs), m.LabVersion,
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// export sends a session as a download (JSON or CSV). It never writes on
// the server: the original's "filepath" field is refused with a reason.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	format, session := r.URL.Query().Get("format"), r.URL.Query().Get("session")
	if r.Method == http.MethodPost {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		var req struct {
			Format   string `json:"format"`
			Session  string `json:"session"`
			Filepath string `json:"filepath"`
		}
		if err := decodeStrict(body, &req); err != nil {
			writeError(w, err)
			return
		}
		if req.Filepath != "" {
			writeError(w, BadRequest("POST {\"format\": \"json\"} (or GET /api/export-session?format=csv) and save the download",
				"the export is downloaded, never written to a server path: drop \"filepath\""))
			return
		}
		if req.Format != "" {
			format = req.Format
		}
		if req.Session != "" {
			session = req.Session
		}
	}
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		writeError(w, BadRequest("format=json or format=csv", "unknown export format %q", format))
		return
	}
	sess := s.session(session)
	if session == "all" {
		sess = ""
	}
	recs, err := s.b.SessionRecords(r.Context(), sess)
	if err != nil {
		writeError(w, err)
		return
	}
	name := "energylab-session-" + safeName(sess) + "." + format
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = WriteCSV(w, recs)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if recs == nil {
		recs = []lab.Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]any{"session": sess, "summary": Summarise(sess, recs), "runs": recs})
}

func safeName(s string) string {
	if s == "" {
		return "all"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
