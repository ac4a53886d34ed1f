package report

import (
	"math"

	"github.com/llm-energy-lab/energylab/internal/chart"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// The charts of one run and of a session, shared by the web lab, the runs
// chart command and the experiment reports.

// PowerChart draws a run's power trace with its phase boundaries.
func PowerChart(r lab.Record) chart.LineChart {
	c := chart.LineChart{Title: "Power during the run (" + kindOf(r) + ")", XLabel: "time since the request (s)", YLabel: "power (W)", YFromZero: true}
	s := chart.Series{Name: r.Energy.Meter}
	if s.Name == "" {
		s.Name = "power"
	}
	for _, p := range r.Power {
		s.X = append(s.X, p.OffsetMs/1000)
		s.Y = append(s.Y, p.Watts)
	}
	c.Series = []chart.Series{s}
	for _, sn := range r.Snapshots {
		c.Marks = append(c.Marks, chart.Mark{X: sn.OffsetMs / 1000, Label: labelOfMark(sn.Mark)})
	}
	return c
}

func labelOfMark(m string) string {
	switch m {
	case "first_token":
		return "first token"
	}
	return m
}

func kindOf(r lab.Record) string {
	if r.Energy.Source == "" {
		return "not metered"
	}
	return string(r.Energy.Source) + ", " + r.Energy.Meter
}

// BreakdownChart draws where a run's tokens came from.
func BreakdownChart(r lab.Record) chart.BarChart {
	b := r.Tokens.Breakdown
	return chart.BarChart{
		Title: "Token breakdown (" + b.Method + ")", YLabel: "tokens", Horizontal: true,
		Categories: []string{"user", "system", "context", "injections", "template", "thinking", "answer"},
		Stacks: []chart.Stack{{Name: "tokens", Values: []float64{
			float64(b.User), float64(b.System), float64(b.Context), float64(b.Injections), float64(b.Template),
			float64(b.Thinking), float64(b.Answer)}}},
	}
}

// EnergyChart draws a run's prefill and decode energy, measured (or
// modelled) beside the estimate, each category labelled with its boundary.
func EnergyChart(r lab.Record) chart.BarChart {
	nan := math.NaN()
	val := func(p *float64) float64 {
		if p == nil {
			return nan
		}
		return *p
	}
	c := chart.BarChart{Title: "Energy by phase", YLabel: "energy (Wh)"}
	pre, dec := chart.Stack{Name: "prefill"}, chart.Stack{Name: "decode"}
	if r.Energy.TotalWh != nil {
		c.Categories = append(c.Categories, string(r.Energy.Source)+" ("+r.Energy.Meter+")")
		p, d := val(r.Energy.PrefillWh), val(r.Energy.DecodeWh)
		if math.IsNaN(p) || math.IsNaN(d) {
			p, d = *r.Energy.TotalWh, 0
		}
		pre.Values, dec.Values = append(pre.Values, p), append(dec.Values, d)
		if r.Energy.Active.TotalWh != nil && r.Energy.Active.PrefillWh != nil && r.Energy.Active.DecodeWh != nil {
			c.Categories = append(c.Categories, "active (minus idle)")
			pre.Values = append(pre.Values, math.Max(0, *r.Energy.Active.PrefillWh))
			dec.Values = append(dec.Values, math.Max(0, *r.Energy.Active.DecodeWh))
		}
	}
	if e := ShownEstimate(r); e != nil && e.Wh != nil {
		c.Categories = append(c.Categories, "estimated: "+e.FamilyName+" ("+e.Boundary+")")
		if e.PrefillWh != nil && e.DecodeWh != nil {
			pre.Values, dec.Values = append(pre.Values, *e.PrefillWh), append(dec.Values, *e.DecodeWh)
		} else {
			pre.Values, dec.Values = append(pre.Values, *e.Wh), append(dec.Values, 0)
		}
	}
	c.Stacks = []chart.Stack{pre, dec}
	return c
}

// SessionChart draws each run's energy in a session, oldest first.
func SessionChart(recs []lab.Record) chart.BarChart {
	c := chart.BarChart{Title: "Energy per run", YLabel: "energy (Wh)"}
	pre, dec := chart.Stack{Name: "prefill"}, chart.Stack{Name: "decode"}
	for _, r := range recs {
		if r.Energy.PrefillWh == nil || r.Energy.DecodeWh == nil {
			continue
		}
		c.Categories = append(c.Categories, r.ID[:min(6, len(r.ID))])
		pre.Values = append(pre.Values, math.Max(0, *r.Energy.PrefillWh))
		dec.Values = append(dec.Values, math.Max(0, *r.Energy.DecodeWh))
	}
	c.Stacks = []chart.Stack{pre, dec}
	return c
}

// ShownEstimate is the estimate a run is shown against: the first with a
// figure, else the first.
func ShownEstimate(r lab.Record) *lab.Estimate {
	for i := range r.Estimates {
		if r.Estimates[i].Wh != nil {
			return &r.Estimates[i]
		}
	}
	if len(r.Estimates) > 0 {
		return &r.Estimates[0]
	}
	return nil
}
