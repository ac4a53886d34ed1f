package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/chart"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/load"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// Document is a report a user can attach to a paper or a ticket: sections
// of prose, tables and SVG charts, written as one self-contained HTML file
// or as Markdown with the charts beside it.
type Document struct {
	Title     string
	Generated time.Time
	// Meta are key/value lines under the title (lab version, host, model).
	Meta     [][2]string
	Sections []Section
}

// Section is one part of a report.
type Section struct {
	Heading    string
	Paragraphs []string
	Table      *Table
	Charts     []Chart
}

// Table is a plain table; cells are text.
type Table struct {
	Header []string
	Rows   [][]string
}

// Chart is a rendered chart: Name is its file name stem, SVG its document.
type Chart struct {
	Name    string
	Caption string
	SVG     []byte
}

type svgChart interface{ SVG(io.Writer) error }

// render renders c, or returns a chart saying why it could not be drawn.
func render(name, caption string, c svgChart) Chart {
	var b bytes.Buffer
	if err := c.SVG(&b); err != nil {
		b.Reset()
		chart.BarChart{Title: caption + ": " + err.Error()}.SVG(&b)
	}
	return Chart{Name: name, Caption: caption, SVG: b.Bytes()}
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg": func(b []byte) template.HTML { return template.HTML(b) }, // rendered by internal/chart, all text escaped
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; max-width: 980px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9dde5; padding-bottom: .2rem; }
.meta { color: #5b6475; font-size: .9rem; } .meta span { margin-right: 1.2rem; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: .6rem 0; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid #d9dde5; vertical-align: top; }
th { color: #5b6475; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure svg { width: 100%; height: auto; } figcaption { color: #5b6475; font-size: .85rem; }
</style></head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{range .Meta}}<span><b>{{index . 0}}</b>: {{index . 1}}</span>{{end}}<span><b>generated</b>: {{.Generated.Format "2006-01-02 15:04:05 MST"}}</span></p>
{{range .Sections}}<section>
<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{with .Table}}<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}{{range .Charts}}<figure>{{svg .SVG}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}</section>
{{end}}<p class="meta">Written by energylab. Measured figures come from the hardware counters named with them; modelled ones from CPU time × a stated power; estimated ones from the published benchmark family named, with its boundary. Absent figures are left empty, never zero.</p>
</body></html>
`))

// HTML writes the report as one self-contained HTML file (charts inline).
func (d Document) HTML(w io.Writer) error { return htmlTmpl.Execute(w, d) }

// Markdown writes the report as Markdown whose charts are the files
// chartDir/NAME.svg; it returns those files' contents by relative path, for
// the caller to write beside the Markdown.
func (d Document) Markdown(w io.Writer, chartDir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(d.Title))
	for _, m := range d.Meta {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEscape(m[0]), mdEscape(m[1]))
	}
	fmt.Fprintf(&b, "- **generated**: %s\n", d.Generated.Format("2006-01-02 15:04:05 MST"))
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "\n## %s\n\n", mdEscape(s.Heading))
		for _, p := range s.Paragraphs {
			fmt.Fprintf(&b, "%s\n\n", mdEscape(p))
		}
		if t := s.Table; t != nil {
			fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(mdCells(t.Header), " | "), strings.Repeat(" --- |", len(t.Header)))
			for _, r := range t.Rows {
				fmt.Fprintf(&b, "| %s |\n", strings.Join(mdCells(r), " | "))
			}
			b.WriteString("\n")
		}
		for _, c := range s.Charts {
			path := chartDir + "/" + c.Name + ".svg"
			files[path] = c.SVG
			fmt.Fprintf(&b, "![%s](%s)\n\n*%s*\n\n", mdEscape(c.Caption), path, mdEscape(c.Caption))
		}
	}
	b.WriteString("\n---\nWritten by energylab. Measured figures come from the hardware counters named with them; modelled ones from CPU time × a stated power; estimated ones from the published benchmark family named, with its boundary. Absent figures are left empty, never zero.\n")
	_, err := io.WriteString(w, b.String())
	return files, err
}

func mdCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(mdEscape(c), "|", `\|`)
	}
	return out
}

// mdEscape keeps user text (prompts, model names) from being read as
// Markdown or HTML.
func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "#", "\\#", "\n", " ")
	return r.Replace(s)
}

// g formats a figure with 4 significant digits; absent (NaN, nil) is "".
func g(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return fmt.Sprintf("%.4g", v)
}

func gp(v *float64) string {
	if v == nil {
		return ""
	}
	return g(*v)
}

func interval(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return ""
	}
	return fmt.Sprintf("[%s, %s]", g(lo), g(hi))
}

// statsTable is the summary table of a set of runs.
func statsTable(s experiment.Stats) *Table {
	t := &Table{Header: []string{"figure", "mean", "median", "SD", "p5", "p95", "CV", "95% CI of the mean"}}
	row := func(name string, x stats.Summary) {
		cv := ""
		if !math.IsNaN(x.CV) && !math.IsInf(x.CV, 0) {
			cv = fmt.Sprintf("%.1f%%", 100*x.CV)
		}
		t.Rows = append(t.Rows, []string{name, g(x.Mean), g(x.Median), g(x.SD), g(x.P5), g(x.P95), cv, interval(x.CILow, x.CIHigh)})
	}
	row("total Wh", s.TotalWh)
	row("prefill Wh", s.PrefillWh)
	row("decode Wh", s.DecodeWh)
	row("active Wh (minus idle)", s.ActiveWh)
	row("e-token in (Wh/1k input)", s.WhPer1kInput)
	row("e-token out (Wh/1k output)", s.WhPer1kOutput)
	row("input tokens", s.InputTokens)
	row("output tokens", s.OutputTokens)
	row("TTFT (ms)", s.TTFTMs)
	return t
}

func statsParagraphs(s experiment.Stats) []string {
	var excl []string
	for k, v := range s.Excluded {
		excl = append(excl, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(excl)
	p := []string{fmt.Sprintf("%d runs, %d included in the statistics.", s.Runs, s.Included)}
	if len(excl) > 0 {
		p = append(p, "Excluded (unreliable or incomplete): "+strings.Join(excl, ", ")+".")
	}
	if s.Included > 0 {
		kind := fmt.Sprintf("Energy is %s by %s, boundary: %s.", s.Kind, s.Meter, s.Boundary)
		if s.Mixed {
			kind += " Warning: the runs used different meters or boundaries and are not comparable."
		}
		p = append(p, kind)
		p = append(p, fmt.Sprintf("Ratio of sums (total Wh × 1000 / total tokens): e-token in %s Wh/1k, e-token out %s Wh/1k.", gp(s.RatioWhPer1kInput), gp(s.RatioWhPer1kOutput)))
	}
	return p
}

// runsTable lists runs with their manifest columns.
func runsTable(recs []lab.Record, excluded map[string]string) *Table {
	t := &Table{Header: []string{"#", "run", "status", "model", "input", "output", "kind", "total Wh", "prefill Wh", "decode Wh", "g CO2e", "excluded"}}
	for i, r := range recs {
		t.Rows = append(t.Rows, []string{fmt.Sprint(i + 1), r.ID, string(r.Status), r.Model, fmt.Sprint(r.Tokens.Input), fmt.Sprint(r.Tokens.Output),
			string(r.Energy.Source), gp(r.Energy.TotalWh), gp(r.Energy.PrefillWh), gp(r.Energy.DecodeWh), gp(r.Carbon.GCO2e), excluded[r.ID]})
	}
	return t
}

func meta(recs []lab.Record) [][2]string {
	if len(recs) == 0 {
		return nil
	}
	m := recs[0].Manifest
	out := [][2]string{{"model", recs[0].Model}, {"host", m.Host}, {"cpu", m.CPUModel}, {"lab version", m.LabVersion}}
	if m.Meter != nil {
		out = append(out, [2]string{"meter", m.Meter.Name + " (" + m.Meter.Boundary + ")"})
	}
	return out
}

func excludedByID(outs []experiment.Outcome) map[string]string {
	m := map[string]string{}
	for _, o := range outs {
		if o.Trial.Warmup {
			m[o.ID] = "warm-up"
		} else if o.Excluded != "" {
			m[o.ID] = o.Excluded
		}
	}
	return m
}

// ForBatch reports a batch (recs: its runs, oldest first).
func ForBatch(res experiment.BatchResult, recs []lab.Record) Document {
	ex := excludedByID(res.Outcomes)
	d := Document{Title: "Batch " + res.ID, Generated: time.Now(), Meta: meta(recs)}
	ps := statsParagraphs(res.Stats)
	if res.Stopped {
		ps = append([]string{"The batch was stopped before its last run: the statistics cover the runs that finished."}, ps...)
	}
	if r := res.Overhead.Ratio; r != nil {
		ps = append(ps, fmt.Sprintf("The lab's own time between runs: %.1f ms on average, %.3g × the mean run of %.1f ms.", res.Overhead.GapMs.Mean, *r, res.Overhead.RunMs.Mean))
	}
	d.Sections = append(d.Sections,
		Section{Heading: "Statistics", Paragraphs: ps, Table: statsTable(res.Stats)},
		Section{Heading: "Energy per run", Charts: []Chart{render("energy-per-run", "Energy of each included run, split at the first token", RunsChart("Energy per run", recs, ex))}},
		Section{Heading: "Runs", Table: runsTable(recs, ex)})
	return d
}

// ForAblation reports a middleware overhead study.
func ForAblation(res experiment.AblationResult, recs []lab.Record) Document {
	ex := excludedByID(res.Outcomes)
	d := Document{Title: "Middleware overhead study " + res.ID, Generated: time.Now(), Meta: meta(recs)}
	t := &Table{Header: []string{"configuration", "runs", "input tokens", "extra", "prefill Wh", "total Wh", "overhead (95% CI)", "Wh per 1k injected (95% CI)", "verdict"}}
	for _, a := range res.Arms {
		ov, marg := "1 (reference)", ""
		if a.Name != experiment.Bare {
			ov = g(a.Overhead.Value) + "× " + interval(a.Overhead.Low, a.Overhead.High)
			if m := a.MarginalWhPer1k; m != nil {
				marg = g(m.Value) + " " + interval(m.Low, m.High)
			}
		}
		t.Rows = append(t.Rows, []string{a.Name, fmt.Sprintf("%d/%d", a.Stats.Included, a.Stats.Runs), g(a.Stats.InputTokens.Mean),
			fmt.Sprintf("%+.0f", a.ExtraInputTokens), g(a.Stats.PrefillWh.Mean), g(a.Stats.TotalWh.Mean), ov, marg, a.Verdict})
	}
	ps := []string{
		fmt.Sprintf("The query %q was run bare and with each middleware configuration, %d trials in rounds that run every configuration once in a random order, so that drift affects all alike.", res.Query, len(res.Order)),
		"Prompt cache control: " + res.CacheControl + ".",
		"Overhead is mean total energy with the middleware ÷ mean total energy bare; its 95% interval is a bootstrap. A configuration is within noise when the interval of its extra energy includes zero.",
	}
	if res.Stopped {
		ps = append([]string{"The study was stopped early: the figures cover the runs that finished."}, ps...)
	}
	if len(res.Arms) > 0 && res.Arms[0].Stats.Included > 0 {
		b := res.Arms[0].Stats
		ps = append(ps, fmt.Sprintf("Energy is %s by %s, boundary: %s.", b.Kind, b.Meter, b.Boundary))
	}
	d.Sections = append(d.Sections,
		Section{Heading: "Overhead of each configuration", Paragraphs: ps, Table: t, Charts: []Chart{
			render("overhead", "Energy with middleware ÷ energy bare, with 95% intervals", OverheadChart(res)),
			render("token-breakdown", "Where each configuration's input tokens come from", ArmBreakdownChart(res, recs)),
		}},
		Section{Heading: "Runs", Table: runsTable(recs, ex)})
	return d
}

// ForSweep reports a crossover sweep.
func ForSweep(res experiment.SweepResult, recs []lab.Record) Document {
	d := Document{Title: "Prefill/decode crossover sweep " + res.ID, Generated: time.Now(), Meta: meta(recs)}
	ps := []string{fmt.Sprintf("The injected context grew over %d sizes at a fixed output of %d tokens. Energy: %s.", len(res.Points), res.Output, res.Kind)}
	if res.FitError != "" {
		ps = append(ps, "No fit: "+res.FitError+".")
	} else {
		c, f := res.PrefillFit, res.DecodeFit
		ps = append(ps, fmt.Sprintf("Prefill Wh = %s + %s·n + %s·n² (R² %.4f); decode Wh = %s + %s·n at %d output tokens (R² %.4f), n = input tokens.",
			g(c.Coef[0]), g(c.Coef[1]), g(c.Coef[2]), c.R2, g(f.Coef[0]), g(f.Coef[1]), res.Output, f.R2))
		if res.Crossover != nil {
			ps = append(ps, fmt.Sprintf("Prefill energy overtakes decode energy at about %.0f input tokens (%s).", *res.Crossover, res.CrossoverNote))
		} else {
			ps = append(ps, "No crossover: "+res.CrossoverNote+".")
		}
	}
	t := &Table{Header: []string{"context (target)", "input tokens", "output tokens", "prefill Wh", "decode Wh", "excluded"}}
	for _, p := range res.Points {
		t.Rows = append(t.Rows, []string{fmt.Sprint(p.Target), fmt.Sprint(p.InputTokens), fmt.Sprint(p.OutputTokens), gp(p.PrefillWh), gp(p.DecodeWh), p.Excluded})
	}
	d.Sections = append(d.Sections, Section{Heading: "Crossover", Paragraphs: ps, Table: t,
		Charts: []Chart{render("crossover", "Measured prefill and decode energy against input tokens, with the fits", CrossoverChart(res))}})
	return d
}

// ForSession reports a session's runs (a web lab session or any group).
func ForSession(session string, recs []lab.Record) Document {
	d := Document{Title: "Session " + session, Generated: time.Now(), Meta: meta(recs)}
	var outs []experiment.Outcome
	for _, r := range recs {
		outs = append(outs, experiment.Outcome{ID: r.ID, Status: r.Status, Record: r, Excluded: experiment.Exclusion(r, false)})
	}
	s := experiment.Summarise(outs, stats.Options{Seed: 1})
	d.Sections = append(d.Sections,
		Section{Heading: "Statistics", Paragraphs: statsParagraphs(s), Table: statsTable(s)},
		Section{Heading: "Energy per run", Charts: []Chart{render("energy-per-run", "Energy of each included run, split at the first token", RunsChart("Energy per run", recs, excludedByID(outs)))}},
		Section{Heading: "Runs", Table: runsTable(recs, excludedByID(outs))})
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		d.Sections = append(d.Sections, Section{Heading: "Token breakdown of the last run", Charts: []Chart{render("token-breakdown", "Where the last run's tokens came from", BreakdownChart(last))}})
	}
	return d
}

// ForLoad reports a load curve.
func ForLoad(id, model, meter string, levels []load.Level) Document {
	d := Document{Title: "Load curve " + id, Generated: time.Now(), Meta: [][2]string{{"model", model}, {"meter", meter}}}
	t := &Table{Header: []string{"concurrency", "requests", "errors", "output tok/s", "requests/s", "TTFT p50 ms", "TTFT p99 ms", "ITL p50 ms", "ITL p99 ms", "mean W", "J per output token", "J per request"}}
	for _, l := range levels {
		t.Rows = append(t.Rows, []string{fmt.Sprint(l.Concurrency), fmt.Sprint(l.Requests), fmt.Sprint(l.Errors), g(l.Throughput), g(l.RequestsPS),
			gp(l.TTFTMs.P50), gp(l.TTFTMs.P99), gp(l.ITLMs.P50), gp(l.ITLMs.P99), gp(l.MeanPowerW), gp(l.JPerToken), gp(l.JPerRequest)})
	}
	var ps []string
	if len(levels) > 0 {
		ps = append(ps, "Energy: "+levels[0].EnergyNote+". A level's energy is its whole window's, divided over its requests and tokens: an average, not an attribution.")
	}
	tp, jt := LoadCharts(levels)
	d.Sections = append(d.Sections, Section{Heading: "Throughput and energy by concurrency", Paragraphs: ps, Table: t, Charts: []Chart{
		render("throughput", "Output tokens per second at each concurrency", tp),
		render("energy-per-token", "Energy per output token at each concurrency", jt),
	}})
	return d
}
