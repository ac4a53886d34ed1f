package web

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/report"
)

func rec(id string, status lab.Status, in, out int, total *float64, est *float64) lab.Record {
	r := lab.Record{ID: id, Status: status, CreatedAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), Model: "builtin/synthetic-tiny"}
	r.Tokens.Input, r.Tokens.Output = in, out
	r.Timing.TotalMs = 1000
	if total != nil {
		r.Energy.Source, r.Energy.Meter, r.Energy.Boundary = energy.Measured, "rapl", "CPU package + DRAM"
		r.Energy.TotalWh = total
		p, d := *total/4, *total*3/4
		r.Energy.PrefillWh, r.Energy.DecodeWh = &p, &d
		g := *total * 0.4
		r.Carbon.GCO2e = &g
	}
	r.Estimates = []lab.Estimate{{Family: "jegham", FamilyName: "Jegham et al.", Boundary: "node-pue", Wh: est}}
	return r
}

func TestSummariseIsARatioOfSums(t *testing.T) {
	recs := []lab.Record{
		rec("a", lab.StatusOK, 100, 10, f(1), f(2)),
		rec("b", lab.StatusOK, 900, 90, f(3), nil),
		rec("c", lab.StatusFailed, 50, 5, f(100), f(100)), // failed: counted, not averaged
		rec("d", lab.StatusCancelled, 50, 5, nil, nil),    // cancelled
		rec("e", lab.StatusOK, 1000, 100, nil, f(4)),      // not metered: no energy, estimate only
	}
	s := Summarise("s1", recs)
	if s.TotalReadings != 5 || s.OK != 3 || s.Failed != 1 || s.Cancelled != 1 {
		t.Fatalf("counts %+v", s)
	}
	// Energy: runs a and b only. Mean of per-run ratios would be
	// (1/10 + 3/90)/2*1000 = 66.7 Wh/1k; the ratio of sums is 4/100*1000.
	e := s.Energy
	if e.Runs != 2 || *e.TotalWh != 4 || *e.WhPer1kOutput != 40 || *e.WhPer1kInput != 4 {
		t.Errorf("energy %+v", e)
	}
	if *e.PrefillWh != 1 || *e.DecodeWh != 3 || math.Abs(*e.GCO2e-1.6) > 1e-12 {
		t.Errorf("split %v %v, carbon %v", *e.PrefillWh, *e.DecodeWh, *e.GCO2e)
	}
	if len(e.Kinds) != 1 || e.Kinds[0] != "measured" || e.Boundaries[0] != "CPU package + DRAM" {
		t.Errorf("labels %v %v", e.Kinds, e.Boundaries)
	}
	// Estimates: runs a (2 Wh, 10 out) and e (4 Wh, 100 out).
	x := s.Estimated
	if x.Runs != 2 || *x.TotalWh != 6 || math.Abs(*x.WhPer1kOutput-6000.0/110) > 1e-9 {
		t.Errorf("estimated %+v", x)
	}
	if *s.TotalEnergyWh != 4 || *s.AvgPer1kTokens != 40 {
		t.Errorf("original fields %v %v", *s.TotalEnergyWh, *s.AvgPer1kTokens)
	}
	if len(s.Readings) != 5 || s.Readings[0].ID != "e" {
		t.Errorf("readings newest first: %v", s.Readings)
	}
	// Nothing measured: figures absent, not zero.
	empty := Summarise("s2", []lab.Record{rec("x", lab.StatusOK, 10, 10, nil, nil)})
	if empty.Energy.TotalWh != nil || empty.TotalEnergyWh != nil || empty.Energy.WhPer1kInput != nil {
		t.Errorf("absent energy reported as %+v", empty.Energy)
	}
}

func TestWriteCSVLeavesAbsentFiguresEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []lab.Record{rec("a", lab.StatusOK, 100, 10, f(0.5), f(2)), rec("b", lab.StatusOK, 1, 1, nil, nil)}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if len(rows[0]) != len(CSVHeader) || len(rows[1]) != len(CSVHeader) {
		t.Fatalf("ragged rows")
	}
	if rows[1][col["total_wh"]] != "0.5" || rows[1][col["estimate_wh"]] != "2" || rows[1][col["estimate_family"]] != "jegham" {
		t.Errorf("row a: %v", rows[1])
	}
	if rows[2][col["total_wh"]] != "" || rows[2][col["g_co2e"]] != "" || rows[2][col["estimate_wh"]] != "" {
		t.Errorf("absent figures must be empty cells: %v", rows[2])
	}
}

func TestDecodeEnergyPayload(t *testing.T) {
	req, l, err := decodeEnergy([]byte(`{"system":"legacy sys","user":"legacy user","model_name":"qwen3:0.6b","provider":"local",
		"test_type":"energy","injection_type":"none","injection_params":{},"tool_integration_method":"none","tool_config":{},
		"enable_live_power_monitoring":false,"energy_benchmark":"jegham","temp":0.2,"max_tokens":64,"seed":3,"include_thinking":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Model != "ollama/qwen3:0.6b" || req.System != "legacy sys" || req.User != "legacy user" || req.Meter != "none" ||
		req.Family != "jegham" || *req.Temperature != 0.2 || *req.MaxTokens != 64 || *req.Seed != 3 || !*req.Think {
		t.Errorf("request %+v", req)
	}
	if l.strategy != "baseline" || l.model != "ollama/qwen3:0.6b" {
		t.Errorf("labels %+v", l)
	}
	// The new field names win over the legacy ones; cloud maps to groq.
	req, _, err = decodeEnergy([]byte(`{"system":"old","system_prompt":"new","user_prompt":"q","model_name":"llama-3.1-8b-instant","provider":"cloud"}`))
	if err != nil || req.System != "new" || req.Model != "groq/llama-3.1-8b-instant" || req.Meter != "" {
		t.Errorf("%+v %v", req, err)
	}
	for _, bad := range []string{
		`{"model_name":"builtin/x","user_prompt":"q","injections":` + strings.Repeat(`[`, 1) + strings.TrimSuffix(strings.Repeat(`{"content":"x"},`, MaxInjections+1), ",") + `]}`,
		`{"model_name":"builtin/x","user_prompt":"q","provider":"mars"}`,
		`{"model_name":"x","user_prompt":"q","provider":"mars"}`,
		`{"model_name":"builtin/x","user_prompt":"q"} {"again":1}`,
	} {
		if _, _, err := decodeEnergy([]byte(bad)); err == nil {
			t.Errorf("accepted %.80s", bad)
		}
	}
}

func TestRenderDocsSections(t *testing.T) {
	docs, err := renderDocs("# Title\nintro\n\n## Set-up: two commands\n```sh\n## not a heading\n```\n\n## Methodology\n| a | b |\n|---|---|\n| 1 | 2 |\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 || docs[0].ID != "overview" || docs[1].ID != "set-up-two-commands" || docs[2].ID != "methodology" {
		t.Fatalf("sections %+v", docs)
	}
	if !strings.Contains(string(docs[1].HTML), "## not a heading") || !strings.Contains(string(docs[2].HTML), "<table>") {
		t.Errorf("rendering: %s / %s", docs[1].HTML, docs[2].HTML)
	}
	if h, _ := renderDocs("<script>alert(1)</script>\n"); strings.Contains(string(h[0].HTML), "<script>") {
		t.Error("raw HTML in the docs is passed through")
	}
}

func TestEnergyChartLabelsEachBoundary(t *testing.T) {
	r := rec("a", lab.StatusOK, 100, 10, f(1), f(2))
	r.Estimates[0].PrefillWh, r.Estimates[0].DecodeWh = f(0.5), f(1.5)
	c := report.EnergyChart(r)
	if len(c.Categories) != 2 || !strings.Contains(c.Categories[0], "measured") || !strings.Contains(c.Categories[1], "node-pue") {
		t.Errorf("categories %v", c.Categories)
	}
	if c.Stacks[0].Values[0] != 0.25 || c.Stacks[1].Values[1] != 1.5 {
		t.Errorf("stacks %+v", c.Stacks)
	}
	var buf bytes.Buffer
	if err := c.SVG(&buf); err != nil || !strings.Contains(buf.String(), "energy (Wh)") {
		t.Errorf("svg: %v", err)
	}
}
