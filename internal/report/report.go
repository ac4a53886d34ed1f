package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Wh formats an energy in watt-hours with four significant figures, or
// "absent".
func Wh(v *float64) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprintf("%.4g Wh", *v)
}

func num(v *float64, format, unit string) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprintf(format, *v) + unit
}

// Run writes the report of one run.
func Run(w io.Writer, rec lab.Record) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	status := string(rec.Status)
	if rec.Error != "" {
		status += ": " + rec.Error
	}
	p("run %s · %s · %s\n", rec.ID, rec.Model, status)
	if rec.Response.Meaningless {
		p("  (synthetic model: the text above is meaningless; the compute is real)\n")
	}

	e := rec.Energy
	p("\nenergy  %s", e.Source)
	if e.Meter != "" {
		p(" · meter %s · %s", e.Meter, e.Boundary)
	}
	p("\n")
	for _, a := range e.Assumptions {
		p("  assumption: %s\n", a)
	}
	if e.AbsentReason != "" {
		p("  absent: %s\n", e.AbsentReason)
	} else {
		act := "active (idle-subtracted)"
		if b := e.Active.Baseline; b != nil {
			reused := "sampled now"
			if b.Reused {
				reused = "reused"
			}
			act = fmt.Sprintf("active (idle %.2f W, %s)", b.Watts, reused)
		}
		p("  %-9s %16s   %s\n", "", "gross", act)
		row := func(name string, g, a *float64) { p("  %-9s %16s   %s\n", name, Wh(g), Wh(a)) }
		row("prefill", e.PrefillWh, e.Active.PrefillWh)
		row("decode", e.DecodeWh, e.Active.DecodeWh)
		row("total", e.TotalWh, e.Active.TotalWh)
		if e.Active.AbsentReason != "" {
			p("  active absent: %s\n", e.Active.AbsentReason)
		}
		if len(e.Domains) > 1 {
			var parts []string
			for _, d := range e.Domains {
				parts = append(parts, fmt.Sprintf("%s %s (%s) %s", d.ID, d.Name, d.Boundary, Wh(d.TotalWh)))
			}
			p("  domains: %s\n", strings.Join(parts, " · "))
		}
	}

	t := rec.Tokens
	x := rec.ETokens
	if e.AbsentReason == "" {
		p("\ne-tokens (gross)\n")
		p("  e-token-i  %-22s total Wh x 1000 / %d input tokens\n", num(x.WhPer1kInput, "%.4g", " Wh/1k"), t.Input)
		p("  e-token-o  %-22s total Wh x 1000 / %d output tokens\n", num(x.WhPer1kOutput, "%.4g", " Wh/1k"), t.Output)
		p("  prefill    %-22s prefill Wh x 1000 / input tokens\n", num(x.PrefillWhPer1kInput, "%.4g", " Wh/1k in"))
		p("  decode     %-22s decode Wh x 1000 / output tokens\n", num(x.DecodeWhPer1kOutput, "%.4g", " Wh/1k out"))
		p("  J/token    %-22s J/output token %s\n", num(x.JPerToken, "%.4g", " J"), num(x.JPerOutputToken, "%.4g", " J"))
		if a := x.Active; a != nil {
			p("  active: e-token-i %s · e-token-o %s\n", num(a.WhPer1kInput, "%.4g", " Wh/1k"), num(a.WhPer1kOutput, "%.4g", " Wh/1k"))
		}
	}

	c := rec.Carbon
	p("\ncarbon  ")
	if c.GCO2e != nil {
		p("%.4g g CO2e", *c.GCO2e)
		if c.ActiveGCO2e != nil {
			p(" (active %.4g g)", *c.ActiveGCO2e)
		}
	} else {
		p("absent: %s", c.AbsentReason)
	}
	g := c.Grid
	year := ""
	if y := fmt.Sprint(g.Year); g.Year != 0 && !strings.Contains(g.Source, y) {
		year = " " + y
	}
	factor := fmt.Sprintf("%.4g kg/kWh", g.FactorKgPerKWh)
	if c.GCO2e == nil && g.FactorKgPerKWh == 0 {
		factor = "no factor"
	}
	p("\n  grid %s %s %s (%s%s; %s) · PUE %.2f\n", g.Code, g.Name, factor, g.Source, year, g.Method, c.PUE)

	b := t.Breakdown
	p("\ntokens  input %d · output %d", t.Input, t.Output)
	if t.Cached != nil {
		p(" · cached %d", *t.Cached)
	}
	p(" (from %s)\n", t.Source)
	p("  input:  user %d · system %d · context %d · injections %d · template %d → middleware %d (%s)\n",
		b.User, b.System, b.Context, b.Injections, b.Template, b.Middleware, b.Method)
	p("  output: thinking %d · answer %d\n", b.Thinking, b.Answer)
	if b.Note != "" {
		p("  note: %s\n", b.Note)
	}

	tm := rec.Timing
	p("\ntiming  TTFT %s · decode %s · %s · total %s\n",
		num(tm.TTFTMs, "%.1f", " ms"), num(tm.DecodeMs, "%.1f", " ms"), num(tm.TokensPerSecond, "%.1f", " tok/s"), fmt.Sprintf("%.1f ms", tm.TotalMs))
	if l := tm.ITLMs; l != nil {
		p("  inter-token latency: mean %.2f ms · p50 %.2f ms · p95 %.2f ms (n=%d)\n", l.Mean, l.P50, l.P95, l.N)
	}
	s := tm.Server
	if s.PromptEvalMs != nil || s.EvalMs != nil {
		p("  server's own: prompt eval %s (%s) · eval %s (%s) · load %s\n",
			num(s.PromptEvalMs, "%.1f", " ms"), num(s.PromptTokensPerSecond, "%.1f", " tok/s"),
			num(s.EvalMs, "%.1f", " ms"), num(s.EvalTokensPerSecond, "%.1f", " tok/s"), num(s.LoadMs, "%.1f", " ms"))
	}

	for _, est := range rec.Estimates {
		p("\n")
		mb := ""
		if rec.Energy.Source != energy.Estimated && rec.Energy.TotalWh != nil {
			mb = rec.Energy.Boundary
		}
		Estimate(w, est, mb)
	}

	if len(rec.Flags) > 0 {
		p("\nflags\n")
		for _, f := range rec.Flags {
			mark := "i"
			if f.Severity == lab.Warn {
				mark = "!"
			}
			p("  %s %s: %s\n", mark, f.Code, f.Message)
		}
	}
}

// Estimate writes one benchmark estimate. measuredBoundary, when not empty,
// is the boundary of the run's own measurement: the estimate is then
// marked as covering something else.
func Estimate(w io.Writer, e lab.Estimate, measuredBoundary string) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	name := e.Family
	if e.FamilyName != "" {
		name = e.Family + " (" + e.FamilyName + ")"
	}
	if e.Wh == nil {
		p("estimate  %s: absent: %s\n", name, e.AbsentReason)
		return
	}
	p("estimate  %s · row %s, %s match\n", name, e.RowModel, e.Match)
	band := ""
	if e.LowWh != nil && e.HighWh != nil {
		band = fmt.Sprintf(" (±1 SD: %.4g–%.4g Wh)", *e.LowWh, *e.HighWh)
	}
	p("  %s%s for %d input and %d output tokens", Wh(e.Wh), band, e.Input, e.Output)
	if e.PrefillWh != nil && e.DecodeWh != nil {
		p(" · prefill %s · decode %s", Wh(e.PrefillWh), Wh(e.DecodeWh))
	}
	if e.GCO2e != nil {
		p(" · %.4g g CO2e", *e.GCO2e)
	}
	p("\n  boundary: %s — %s", e.Boundary, e.BoundaryNote)
	if e.PUEIncluded && !strings.Contains(e.BoundaryNote, "PUE included") {
		p(" (PUE included)")
	}
	if e.Hardware != "" {
		p("; on %s", e.Hardware)
	}
	p("\n  method: %s\n", e.Method)
	if e.MatchExplanation != "" {
		p("  match: %s\n", e.MatchExplanation)
	}
	if e.Extrapolated {
		p("  ! extrapolated beyond the token counts the row was measured or fitted at\n")
	}
	if measuredBoundary != "" {
		p("  ! covers %s, not the measured %s: the two figures are not the same quantity\n", e.Boundary, measuredBoundary)
	}
}
