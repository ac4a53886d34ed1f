package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

func fp(v float64) *float64 { return &v }

func studyFixture() (experiment.AblationResult, []lab.Record) {
	var recs []lab.Record
	var outs []experiment.Outcome
	for i, arm := range []string{experiment.Bare, "<script>alert(1)</script>", experiment.Bare, "<script>alert(1)</script>"} {
		r := lab.Record{ID: string(rune('a' + i)), Status: lab.StatusOK, Model: "builtin/synthetic-tiny"}
		r.Energy.Source, r.Energy.Meter, r.Energy.Boundary = energy.Modelled, "cpu-model", "cpu-time"
		r.Energy.TotalWh, r.Energy.PrefillWh, r.Energy.DecodeWh = fp(0.3), fp(0.1), fp(0.2)
		r.Tokens.Input, r.Tokens.Output = 50, 10
		r.Tokens.Breakdown = lab.Breakdown{User: 10, Template: 5}
		if arm != experiment.Bare {
			r.Tokens.Breakdown.System = 35
		}
		recs = append(recs, r)
		outs = append(outs, experiment.Outcome{ID: r.ID, Trial: experiment.Trial{Arm: arm}, Status: lab.StatusOK, Record: r})
	}
	res := experiment.AblationResult{ID: "ablate-x", Query: "what? *bold* | pipe", Outcomes: outs, CacheControl: "none",
		Arms: []experiment.ArmResult{
			{Name: experiment.Bare, Stats: experiment.Summarise(outs[:1], stats.Options{})},
			{Name: "<script>alert(1)</script>", Overhead: stats.Ratio{Value: 1.5, Low: 1.2, High: 1.8}, Verdict: "costly",
				MarginalWhPer1k: &experiment.Interval{Value: 1, Low: 0.5, High: 1.5}},
		}}
	return res, recs
}

func TestHTMLReportIsSelfContainedAndEscaped(t *testing.T) {
	res, recs := studyFixture()
	var b bytes.Buffer
	if err := ForAblation(res, recs).HTML(&b); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if strings.Contains(h, "<script>alert") || !strings.Contains(h, "&lt;script&gt;") {
		t.Error("user text reaches the HTML unescaped")
	}
	if strings.Count(h, "<svg") != 2 || strings.Contains(h, "src=\"http") || strings.Contains(h, "<link") {
		t.Errorf("want two inline charts and nothing fetched; %d svg", strings.Count(h, "<svg"))
	}
	// Each inline chart is well-formed XML.
	for _, part := range strings.Split(h, "<svg")[1:] {
		doc := "<svg" + part[:strings.Index(part, "</svg>")+len("</svg>")]
		dec := xml.NewDecoder(strings.NewReader(doc))
		for {
			if _, err := dec.Token(); err != nil {
				if err != io.EOF {
					t.Fatalf("chart is not XML: %v", err)
				}
				break
			}
		}
	}
	for _, want := range []string{"1.5× [1.2, 1.8]", "costly", "Prompt cache control: none"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestMarkdownReportWritesChartFiles(t *testing.T) {
	res, recs := studyFixture()
	var b bytes.Buffer
	files, err := ForAblation(res, recs).Markdown(&b, "study-charts")
	if err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if len(files) != 2 || !bytes.HasPrefix(files["study-charts/overhead.svg"], []byte("<svg")) {
		t.Fatalf("files %v", len(files))
	}
	if !strings.Contains(md, "](study-charts/overhead.svg)") || !strings.Contains(md, `\*bold\*`) || !strings.Contains(md, "&lt;script&gt;") {
		t.Errorf("markdown:\n%s", md)
	}
	if strings.Contains(md, "<script>") {
		t.Error("raw HTML in the Markdown")
	}
}

func TestCrossoverChartMarksTheCrossover(t *testing.T) {
	res := experiment.SweepResult{Output: 20, Crossover: fp(3600),
		PrefillFit: &stats.Fit{Coef: []float64{0.02, 5e-5, 0}}, DecodeFit: &stats.Fit{Coef: []float64{0.2, 0}}}
	for _, n := range []int{0, 500, 2000, 8000} {
		res.Points = append(res.Points, experiment.SweepPoint{InputTokens: n, PrefillWh: fp(0.02 + 5e-5*float64(n)), DecodeWh: fp(0.2)})
	}
	c := CrossoverChart(res)
	if len(c.Series) != 4 || len(c.Marks) != 1 || c.Marks[0].X != 3600 {
		t.Fatalf("series %d marks %+v", len(c.Series), c.Marks)
	}
	// The fitted curves cross at the mark.
	fp, fd := c.Series[2], c.Series[3]
	for i, x := range fp.X {
		if math.Abs(x-3600) < 250 && math.Abs(fp.Y[i]-fd.Y[i]) > 0.02 {
			t.Errorf("at %.0f tokens the fits differ by %v", x, fp.Y[i]-fd.Y[i])
		}
	}
	var b bytes.Buffer
	if err := c.SVG(&b); err != nil || !strings.Contains(b.String(), "crossover") {
		t.Errorf("svg: %v", err)
	}
}
