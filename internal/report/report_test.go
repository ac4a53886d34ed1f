package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

func f(v float64) *float64 { return &v }

func TestRunMeasured(t *testing.T) {
	rec := lab.Record{
		ID: "abc", Model: "builtin/synthetic-tiny", Status: lab.StatusOK,
		Response: lab.ResponseRecord{Meaningless: true},
		Energy: lab.Energy{Source: energy.Measured, Meter: "rapl", Boundary: "cpu-package+dram (2 sockets)",
			TotalWh: f(0.012), PrefillWh: f(0.004), DecodeWh: f(0.008),
			Active:  lab.ActiveEnergy{TotalWh: f(0.0053), Baseline: &lab.Baseline{Watts: 12}, AbsentReason: ""},
			Domains: []lab.DomainEnergy{{ID: "intel-rapl:0", Name: "package-0", TotalWh: f(0.01)}, {ID: "intel-rapl:0:0", Name: "dram", TotalWh: f(0.002)}}},
		ETokens: lab.ETokens{ETokenSet: lab.ETokenSet{WhPer1kInput: f(0.02), WhPer1kOutput: f(0.06)}},
		Carbon:  lab.Carbon{GCO2e: f(0.00534), Grid: lab.Grid{Code: "GLOBAL", FactorKgPerKWh: 0.445, Source: "IEA Electricity 2025", Year: 2025}, PUE: 1},
		Tokens:  lab.Tokens{Input: 600, Output: 200, Source: "provider", Breakdown: lab.Breakdown{Method: "counted", User: 10, System: 500, Template: 90, Middleware: 590, Answer: 200}},
		Flags:   []lab.Flag{{Code: lab.FlagColdLoad, Severity: lab.Warn, Message: "loaded"}},
	}
	var b bytes.Buffer
	Run(&b, rec)
	out := b.String()
	for _, want := range []string{
		"measured · meter rapl · cpu-package+dram (2 sockets)", "0.012 Wh", "0.004 Wh", "idle 12.00 W",
		"intel-rapl:0:0 dram", "e-token-i  0.02 Wh/1k", "600 input tokens", "0.00534 g CO2e",
		"middleware 590 (counted)", "! cold_model_load", "meaningless",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "2025 2025") {
		t.Errorf("year repeated:\n%s", out)
	}
}

func TestRunAbsentFigures(t *testing.T) {
	rec := lab.Record{
		ID: "x", Model: "groq/m", Status: lab.StatusFailed, Error: "stream cut",
		Energy: lab.Energy{Source: energy.Estimated, AbsentReason: "groq runs on another machine"},
		Carbon: lab.Carbon{AbsentReason: "no energy figure to convert", Grid: lab.Grid{Code: "IS"}},
		Tokens: lab.Tokens{Breakdown: lab.Breakdown{Method: "estimated", Note: "split by characters"}},
	}
	var b bytes.Buffer
	Run(&b, rec)
	out := b.String()
	for _, want := range []string{"failed: stream cut", "absent: groq runs on another machine", "carbon  absent: no energy figure", "no factor", "TTFT absent", "note: split by characters"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "e-token-i") || strings.Contains(out, "0 Wh") {
		t.Errorf("absent energy rendered as figures:\n%s", out)
	}
}
