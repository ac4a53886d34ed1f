package report

import (
	"fmt"
	"math"
	"sort"

	"github.com/llm-energy-lab/energylab/internal/chart"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/load"
)

// RunsChart draws each included run's energy, prefill under decode, in run
// order.
func RunsChart(title string, recs []lab.Record, excluded map[string]string) chart.BarChart {
	c := chart.BarChart{Title: title, YLabel: "energy (Wh)"}
	pre, dec := chart.Stack{Name: "prefill"}, chart.Stack{Name: "decode"}
	for i, r := range recs {
		if excluded[r.ID] != "" || r.Energy.PrefillWh == nil || r.Energy.DecodeWh == nil {
			continue
		}
		c.Categories = append(c.Categories, fmt.Sprint(i+1))
		pre.Values = append(pre.Values, math.Max(0, *r.Energy.PrefillWh))
		dec.Values = append(dec.Values, math.Max(0, *r.Energy.DecodeWh))
	}
	c.Stacks = []chart.Stack{pre, dec}
	return c
}

// OverheadChart draws each middleware configuration's energy relative to
// the bare query, with the 95% interval as error bars; the bare arm is the
// reference at 1.
func OverheadChart(res experiment.AblationResult) chart.BarChart {
	c := chart.BarChart{Title: "Energy with middleware ÷ energy bare (95% interval)", YLabel: "overhead ratio (×)", Horizontal: true}
	s := chart.Stack{Name: "overhead"}
	for _, a := range res.Arms {
		c.Categories = append(c.Categories, a.Name)
		if a.Name == experiment.Bare {
			s.Values = append(s.Values, 1)
			c.Low, c.High = append(c.Low, math.NaN()), append(c.High, math.NaN())
			continue
		}
		s.Values = append(s.Values, a.Overhead.Value)
		c.Low, c.High = append(c.Low, a.Overhead.Low), append(c.High, a.Overhead.High)
	}
	c.Stacks = []chart.Stack{s}
	return c
}

// ArmBreakdownChart draws the mean input tokens of each arm by where they
// came from (user, system, context, injections, template), from its
// included runs.
func ArmBreakdownChart(res experiment.AblationResult, recs []lab.Record) chart.BarChart {
	byID := map[string]lab.Record{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	names := []string{"user", "system", "context", "injections", "template"}
	stacks := make([]chart.Stack, len(names))
	for i, n := range names {
		stacks[i].Name = n
	}
	c := chart.BarChart{Title: "Input tokens by origin (mean per run)", YLabel: "tokens", Horizontal: true}
	for _, a := range res.Arms {
		var sums [5]float64
		n := 0
		for _, o := range res.Outcomes {
			r, ok := byID[o.ID]
			if o.Trial.Arm != a.Name || o.Trial.Warmup || o.Excluded != "" || !ok {
				continue
			}
			b := r.Tokens.Breakdown
			for i, v := range []int{b.User, b.System, b.Context, b.Injections, b.Template} {
				sums[i] += float64(v)
			}
			n++
		}
		if n == 0 {
			continue
		}
		c.Categories = append(c.Categories, a.Name)
		for i := range stacks {
			stacks[i].Values = append(stacks[i].Values, math.Max(0, sums[i]/float64(n)))
		}
	}
	c.Stacks = stacks
	return c
}

// CrossoverChart draws the sweep's measured prefill and decode energy
// against input tokens, the fitted curves, and the crossover.
func CrossoverChart(res experiment.SweepResult) chart.LineChart {
	c := chart.LineChart{Title: fmt.Sprintf("Prefill vs decode energy at %d output tokens", res.Output), XLabel: "input tokens", YLabel: "energy (Wh)", YFromZero: true}
	pts := append([]experiment.SweepPoint(nil), res.Points...)
	sort.Slice(pts, func(i, j int) bool { return pts[i].InputTokens < pts[j].InputTokens })
	pre, dec := chart.Series{Name: "prefill (measured)"}, chart.Series{Name: "decode (measured)"}
	hi := 0.0
	for _, p := range pts {
		if p.Excluded != "" || p.PrefillWh == nil || p.DecodeWh == nil {
			continue
		}
		x := float64(p.InputTokens)
		hi = math.Max(hi, x)
		pre.X, pre.Y = append(pre.X, x), append(pre.Y, *p.PrefillWh)
		dec.X, dec.Y = append(dec.X, x), append(dec.Y, *p.DecodeWh)
	}
	c.Series = []chart.Series{pre, dec}
	if res.PrefillFit != nil && res.DecodeFit != nil {
		if res.Crossover != nil {
			hi = math.Max(hi, *res.Crossover*1.1)
		}
		fp, fd := chart.Series{Name: "prefill fit (quadratic)"}, chart.Series{Name: "decode fit (linear)"}
		for i := 0; i <= 40; i++ {
			x := hi * float64(i) / 40
			cp, cd := res.PrefillFit.Coef, res.DecodeFit.Coef
			fp.X, fp.Y = append(fp.X, x), append(fp.Y, cp[0]+cp[1]*x+cp[2]*x*x)
			fd.X, fd.Y = append(fd.X, x), append(fd.Y, cd[0]+cd[1]*x)
		}
		c.Series = append(c.Series, fp, fd)
		if res.Crossover != nil {
			c.Marks = []chart.Mark{{X: *res.Crossover, Label: fmt.Sprintf("crossover ≈ %.0f tokens", *res.Crossover)}}
		}
	}
	return c
}

// LoadCharts draws a load test: throughput, and energy per output token,
// against concurrency.
func LoadCharts(levels []load.Level) (chart.LineChart, chart.LineChart) {
	tp := chart.LineChart{Title: "Throughput against concurrency", XLabel: "concurrent requests", YLabel: "output tokens per second", YFromZero: true}
	jt := chart.LineChart{Title: "Energy per output token against concurrency", XLabel: "concurrent requests", YLabel: "energy per output token (J)", YFromZero: true}
	s1, s2 := chart.Series{Name: "throughput"}, chart.Series{Name: "J per output token"}
	for _, l := range levels {
		s1.X, s1.Y = append(s1.X, float64(l.Concurrency)), append(s1.Y, l.Throughput)
		if l.JPerToken != nil {
			s2.X, s2.Y = append(s2.X, float64(l.Concurrency)), append(s2.Y, *l.JPerToken)
		}
	}
	tp.Series, jt.Series = []chart.Series{s1}, []chart.Series{s2}
	return tp, jt
}
