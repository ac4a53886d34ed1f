package harness

import (
	"fmt"
	"time"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/etokens"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/sampler"
)

// Inputs are what Compute needs besides the Result.
type Inputs struct {
	Model provider.ModelInfo
	// Grid is the carbon intensity; GridErr, when set, says why there is
	// none (a country without data) and carbon is then absent.
	Grid    carbon.Factor
	GridErr error
	PUE     float64
	// ExpectedPromptTokens is the prompt's size counted with the model's
	// own tokenizer, or -1.
	ExpectedPromptTokens int
	// EstimatedPromptTokens is a characters-based guess at the prompt's
	// size, used only when nothing better exists.
	EstimatedPromptTokens int
	// PreviousPromptTokens is the largest prompt count the same model
	// reported for the same prompt before, or 0.
	PreviousPromptTokens int
	// Breakdown splits the input tokens by origin, given the prompt count.
	Breakdown func(promptTokens int) lab.Breakdown
	// NotMetered says why the run has no meter (a cloud API).
	NotMetered string
}

// ColdLoadThreshold is the server-reported load time above which a request
// is flagged as containing a cold model load (Quirence's threshold).
const ColdLoadThreshold = 100 * time.Millisecond

// AssumedMaxPower bounds a domain's power when checking that polls were
// frequent enough to see every counter wrap.
const AssumedMaxPower = 1000 * energy.Watt

// Compute turns a Result into the record's measured sections: tokens,
// energy, e-tokens, carbon, timing, snapshots and flags. Identity, request
// and manifest are the caller's.
func Compute(res Result, in Inputs) lab.Record {
	rec := lab.Record{
		Status:    res.Status,
		Model:     in.Model.Name,
		Provider:  in.Model.Provider,
		Flags:     []lab.Flag{},
		Estimates: []lab.Estimate{},
	}
	if res.Err != nil {
		rec.Error = res.Err.Error()
	}
	flag := func(code string, sev lab.Severity, format string, a ...any) {
		rec.Flags = append(rec.Flags, lab.Flag{Code: code, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}

	// Tokens.
	rec.Tokens, rec.Response = tokens(res, in, flag)
	if in.Model.Synthetic {
		rec.Response.Meaningless = true
		flag(lab.FlagSyntheticModel, lab.Info, "%s is a synthetic model: random weights, so its text is meaningless; its compute is real", in.Model.Name)
	}

	// Timing.
	rec.Timing = timing(res, rec.Tokens.Output)

	// Energy.
	phases, ok := energyOf(res, in, &rec, flag)

	// E-tokens and carbon.
	if ok {
		rec.ETokens.ETokenSet = etokens.Set(phases.gross, rec.Tokens.Input, rec.Tokens.Output)
		if phases.hasActive {
			a := etokens.Set(phases.active, rec.Tokens.Input, rec.Tokens.Output)
			rec.ETokens.Active = &a
		}
	}
	rec.Carbon = carbonOf(phases, ok, in, rec.Energy.AbsentReason)

	// Quality flags that depend on the provider's report.
	qualityFlags(res, in, rec.Tokens, flag)
	return rec
}

type phaseSet struct {
	gross, active etokens.Phases
	hasActive     bool
}

func tokens(res Result, in Inputs, flag func(string, lab.Severity, string, ...any)) (lab.Tokens, lab.ResponseRecord) {
	t := lab.Tokens{Source: "provider"}
	u := res.Usage
	switch {
	case u.PromptTokens >= 0:
		t.Input = u.PromptTokens
	case in.ExpectedPromptTokens >= 0:
		t.Input = in.ExpectedPromptTokens
		t.Source = "tokenizer"
	default:
		t.Input = in.EstimatedPromptTokens
		t.Source = "estimated"
		flag(lab.FlagCountsFromStream, lab.Warn, "the provider reported no prompt count; input tokens (%d) are estimated from characters", t.Input)
	}
	chunks := res.ThinkingChunks + res.AnswerChunks
	switch {
	case u.CompletionTokens >= 0:
		t.Output = u.CompletionTokens
	default:
		t.Output = chunks
		if t.Source == "provider" {
			t.Source = "stream"
		}
		flag(lab.FlagCountsFromStream, lab.Warn, "the provider reported no output count; output tokens (%d) are the streamed chunks counted here", t.Output)
	}
	if u.CachedPromptTokens >= 0 {
		c := u.CachedPromptTokens
		t.Cached = &c
	}
	if in.Breakdown != nil {
		t.Breakdown = in.Breakdown(t.Input)
	}
	middleware.SplitOutput(&t.Breakdown, t.Output, u.ThinkingTokens, res.ThinkingChunks, res.AnswerChunks)
	return t, lab.ResponseRecord{Text: res.Text, Thinking: res.Thinking, DoneReason: u.DoneReason}
}

func timing(res Result, out int) lab.Timing {
	var t lab.Timing
	total := res.End.Sub(res.Start)
	t.TotalMs = float64(total) / float64(time.Millisecond)
	if !res.FirstToken.IsZero() {
		t.TTFTMs = etokens.Ms(res.FirstToken.Sub(res.Start))
		decode := res.End.Sub(res.FirstToken)
		t.DecodeMs = etokens.Ms(decode)
		t.TokensPerSecond = etokens.DecodeRate(out, decode)
	}
	if out > 0 {
		t.EndToEndTokensPerSecond = etokens.Rate(out, total)
	}
	t.ITLMs = etokens.Latency(etokens.Gaps(res.ChunkTimes))
	u := res.Usage
	if u.PromptEvalDuration > 0 {
		t.Server.PromptEvalMs = etokens.Ms(u.PromptEvalDuration)
		if u.PromptTokens > 0 {
			t.Server.PromptTokensPerSecond = etokens.Rate(u.PromptTokens, u.PromptEvalDuration)
		}
	}
	if u.EvalDuration > 0 {
		t.Server.EvalMs = etokens.Ms(u.EvalDuration)
		if u.CompletionTokens > 0 {
			t.Server.EvalTokensPerSecond = etokens.Rate(u.CompletionTokens, u.EvalDuration)
		}
	}
	if u.LoadDuration > 0 {
		t.Server.LoadMs = etokens.Ms(u.LoadDuration)
	}
	if u.TotalDuration > 0 {
		t.Server.TotalMs = etokens.Ms(u.TotalDuration)
	}
	return t
}

func energyOf(res Result, in Inputs, rec *lab.Record, flag func(string, lab.Severity, string, ...any)) (phaseSet, bool) {
	e := &rec.Energy
	if res.MeterInfo == nil {
		e.Source = energy.Estimated
		e.AbsentReason = in.NotMetered
		if e.AbsentReason == "" {
			e.AbsentReason = "no meter ran for this request"
		}
		e.Active.AbsentReason = e.AbsentReason
		flag(lab.FlagNoMeter, lab.Info, "%s", e.AbsentReason)
		return phaseSet{}, false
	}
	info := res.MeterInfo
	e.Source, e.Meter, e.Boundary = info.Source, info.Name, info.Boundary
	e.Assumptions = info.Assumptions
	snaps := map[string]sampler.Snapshot{}
	for _, s := range res.Snapshots {
		snaps[s.Mark] = s
	}
	start, okS := snaps[MarkStart]
	end, okE := snaps[MarkEnd]
	if !okS || !okE {
		e.AbsentReason = "the meter could not be read at both ends of the request"
		e.Active.AbsentReason = e.AbsentReason
		return phaseSet{}, false
	}
	first, split := snaps[MarkFirstToken]
	var ps phaseSet
	ps.gross.Split = split
	ps.gross.Total = end.Total() - start.Total()
	e.TotalWh = etokens.Wh(ps.gross.Total)
	if split {
		ps.gross.Prefill = first.Total() - start.Total()
		ps.gross.Decode = end.Total() - first.Total()
		e.PrefillWh = etokens.Wh(ps.gross.Prefill)
		e.DecodeWh = etokens.Wh(ps.gross.Decode)
	}
	for _, d := range info.Domains {
		de := lab.DomainEnergy{ID: d.ID, Name: d.Name, Boundary: d.Boundary}
		de.TotalWh = etokens.Wh(end.Totals[d.ID] - start.Totals[d.ID])
		if split {
			de.PrefillWh = etokens.Wh(first.Totals[d.ID] - start.Totals[d.ID])
			de.DecodeWh = etokens.Wh(end.Totals[d.ID] - first.Totals[d.ID])
		}
		e.Domains = append(e.Domains, de)
	}
	for _, s := range res.Snapshots {
		ts := map[string]int64{}
		for id, v := range s.Totals {
			ts[id] = int64(v)
		}
		rec.Snapshots = append(rec.Snapshots, lab.Snapshot{
			Mark: s.Mark, Time: s.Time, OffsetMs: float64(s.Time.Sub(start.Time)) / float64(time.Millisecond),
			Raw: s.Raw.Counters, TotalUJ: ts,
		})
	}

	// Active energy.
	if b := res.Baseline; b != nil {
		e.Active.Baseline = b
		w := energy.WattsOf(b.Watts)
		ps.hasActive = true
		ps.active.Split = split
		ps.active.Total = etokens.Active(ps.gross.Total, w, end.Time.Sub(start.Time))
		e.Active.TotalWh = etokens.Wh(ps.active.Total)
		if split {
			ps.active.Prefill = etokens.Active(ps.gross.Prefill, w, first.Time.Sub(start.Time))
			ps.active.Decode = etokens.Active(ps.gross.Decode, w, end.Time.Sub(first.Time))
			e.Active.PrefillWh = etokens.Wh(ps.active.Prefill)
			e.Active.DecodeWh = etokens.Wh(ps.active.Decode)
		}
		if ps.active.Total < 0 {
			flag(lab.FlagActiveNegative, lab.Warn, "the request drew less than the idle baseline (%.2f W): active energy is negative, within noise", b.Watts)
		}
		if b.Disturbed {
			flag(lab.FlagIdleDisturbed, lab.Warn, "the idle sample varied too much (CV %.2f): active energy is unreliable; rerun on a quieter machine", b.CV)
		}
	} else {
		e.Active.AbsentReason = res.BaselineNote
		if e.Active.AbsentReason == "" {
			e.Active.AbsentReason = "no idle baseline was taken"
		}
	}

	// Counter quality.
	if res.Timeline.Wraps > 0 {
		flag(lab.FlagCounterWrap, lab.Info, "%d counter wrap(s) inside the window were unfolded with max_energy_range_uj", res.Timeline.Wraps)
	}
	if res.Timeline.Resets > 0 {
		flag(lab.FlagCounterReset, lab.Warn, "%d counter(s) went backwards without a wrap range to explain it: energy in that interval is lost", res.Timeline.Resets)
	}
	if safe := safeInterval(info.Domains); safe > 0 && res.Timeline.MaxGap > safe {
		flag(lab.FlagPollGap, lab.Warn, "the meter went unread for %s, longer than the %s in which a counter can wrap twice at %v", res.Timeline.MaxGap.Round(time.Millisecond), safe.Round(time.Millisecond), AssumedMaxPower)
	}
	if p := info.UpdatePeriod; p > 0 && split {
		for _, w := range []struct {
			name string
			d    time.Duration
		}{{"prefill", first.Time.Sub(start.Time)}, {"decode", end.Time.Sub(first.Time)}} {
			if w.d < 2*p {
				flag(lab.FlagShortWindow, lab.Warn, "the %s window (%s) is shorter than twice the %s meter's update period (%s): its energy is below the counter's resolution", w.name, w.d.Round(time.Microsecond), info.Name, p)
			}
		}
	}
	return ps, true
}

func safeInterval(domains []energy.Domain) time.Duration {
	var out time.Duration
	for _, d := range domains {
		if s := energy.SafeInterval(d.MaxEnergy, AssumedMaxPower); s > 0 && (out == 0 || s < out) {
			out = s
		}
	}
	return out
}

func carbonOf(ps phaseSet, ok bool, in Inputs, energyAbsent string) lab.Carbon {
	c := lab.Carbon{PUE: in.PUE, Grid: GridOf(in.Grid)}
	switch {
	case in.GridErr != nil:
		c.AbsentReason = in.GridErr.Error()
	case !ok:
		c.AbsentReason = "no energy figure to convert"
		if energyAbsent != "" {
			c.AbsentReason += ": " + energyAbsent
		}
	default:
		g := carbon.Grams(ps.gross.Total, in.Grid, in.PUE)
		c.GCO2e = &g
		if ps.hasActive {
			a := carbon.Grams(ps.active.Total, in.Grid, in.PUE)
			c.ActiveGCO2e = &a
		}
	}
	return c
}

// GridOf converts a carbon factor to the record's grid description.
func GridOf(f carbon.Factor) lab.Grid {
	return lab.Grid{Code: f.Code, Name: f.Name, FactorKgPerKWh: f.KgPerKWh, Source: f.Source, Year: f.Year, Method: f.Method}
}

func qualityFlags(res Result, in Inputs, t lab.Tokens, flag func(string, lab.Severity, string, ...any)) {
	u := res.Usage
	if u.LoadDuration > ColdLoadThreshold {
		flag(lab.FlagColdLoad, lab.Warn, "the server spent %s loading the model inside this request: that load is in the prefill energy and TTFT", u.LoadDuration.Round(time.Millisecond))
	}
	switch {
	case u.CachedPromptTokens > 0:
		flag(lab.FlagCacheHit, lab.Warn, "the server served %d prompt tokens from its cache: prefill energy covers only the tokens it evaluated", u.CachedPromptTokens)
	case u.PromptTokens >= 0 && in.ExpectedPromptTokens > u.PromptTokens:
		flag(lab.FlagCacheHit, lab.Warn, "the server evaluated %d of the prompt's %d tokens: the rest came from its prompt cache", u.PromptTokens, in.ExpectedPromptTokens)
	case u.PromptTokens >= 0 && in.PreviousPromptTokens > u.PromptTokens:
		flag(lab.FlagCacheHit, lab.Warn, "the server evaluated %d prompt tokens where an earlier run of the same prompt evaluated %d: part of the prompt was probably served from its cache", u.PromptTokens, in.PreviousPromptTokens)
	}
	if t.Output == 0 && res.Status == lab.StatusOK {
		flag(lab.FlagNoTokens, lab.Warn, "no tokens were generated: there is no decode phase and no per-output-token figure")
	}
}
