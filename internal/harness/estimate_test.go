package harness

import (
	"math"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/estimate"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

func cloudRecord(model string, in, out int) lab.Record {
	res := Result{Status: lab.StatusOK, Usage: provider.Usage{PromptTokens: in, CompletionTokens: out, ThinkingTokens: -1, CachedPromptTokens: -1}}
	rec := Compute(res, Inputs{Model: provider.ModelInfo{Name: model, Provider: strings.SplitN(model, "/", 2)[0], Remote: true},
		Grid: carbon.Default(), PUE: 1.2, ExpectedPromptTokens: -1, NotMetered: "a cloud API"})
	rec.Manifest.MeterNote = "a cloud API"
	return rec
}

func TestApplyEstimateToCloudRun(t *testing.T) {
	fams := estimate.Families()
	rec := cloudRecord("openai/gpt-4o", 1000, 1000)
	ApplyEstimate(&rec, EstimateSelection{Family: FamilyAuto, Families: fams}, carbon.Default(), nil, 1.2)
	if len(rec.Estimates) != 1 {
		t.Fatalf("estimates %+v", rec.Estimates)
	}
	e := rec.Estimates[0]
	// Jegham et al.'s GPT-4o at 1k in / 1k out: 1.215 Wh, reproduced by
	// the fitted row.
	if e.Family != estimate.FamilyJegham || e.Wh == nil || math.Abs(*e.Wh-1.215) > 1e-6 || !e.PUEIncluded {
		t.Fatalf("estimate %+v", e)
	}
	if e.LowWh == nil || e.HighWh == nil || *e.LowWh >= *e.Wh || *e.HighWh <= *e.Wh {
		t.Errorf("band %v..%v around %v", e.LowWh, e.HighWh, *e.Wh)
	}
	// The run's energy is the estimate, labelled so; carbon without a
	// second PUE: 1.215 Wh × 0.445 g/Wh.
	en := rec.Energy
	if en.Source != energy.Estimated || en.TotalWh == nil || *en.TotalWh != *e.Wh || en.AbsentReason != "" || !strings.Contains(en.Boundary, "node-pue") {
		t.Fatalf("energy %+v", en)
	}
	if rec.Carbon.GCO2e == nil || math.Abs(*rec.Carbon.GCO2e-1.215*0.445) > 1e-6 || rec.Carbon.PUE != 1 {
		t.Errorf("carbon %+v", rec.Carbon)
	}
	if rec.ETokens.WhPer1kOutput == nil || math.Abs(*rec.ETokens.WhPer1kOutput-1.215) > 1e-6 {
		t.Errorf("e-tokens %+v", rec.ETokens.ETokenSet)
	}
	// Recalculating with another family replaces estimate and energy.
	ApplyEstimate(&rec, EstimateSelection{Family: estimate.FamilyAES, Families: fams}, carbon.Default(), nil, 1.2)
	if rec.Estimates[0].Family != estimate.FamilyAES || rec.Estimates[0].Wh != nil || rec.Energy.TotalWh != nil || !strings.Contains(rec.Energy.AbsentReason, "a cloud API") {
		t.Errorf("AES has no GPT-4o row: %+v / %+v", rec.Estimates[0], rec.Energy)
	}
}

func TestApplyEstimateLeavesMeasurementsAlone(t *testing.T) {
	rec := Compute(result(), inputs())
	rec.Model = "ollama/llama3.1:8b"
	before := *rec.Energy.TotalWh
	ApplyEstimate(&rec, EstimateSelection{Family: estimate.FamilyAES, Families: estimate.Families()}, carbon.Default(), nil, 1.2)
	e := rec.Estimates[0]
	if e.Wh == nil || e.Family != estimate.FamilyAES || e.Boundary != string(estimate.BoundaryGPU) || e.GCO2e == nil {
		t.Fatalf("estimate %+v", e)
	}
	// AES amortises its queries over input tokens: 100 input tokens.
	if want := 17.376 * 1000 / 369139 * 100 / 1000; math.Abs(*e.Wh-want) > 1e-4*want {
		t.Errorf("AES estimate %v, want about %v", *e.Wh, want)
	}
	if *rec.Energy.TotalWh != before || rec.Energy.Source != energy.Measured {
		t.Errorf("measured energy changed: %+v", rec.Energy)
	}
	if want := *e.Wh * 0.445 * 1.2; math.Abs(*e.GCO2e-want) > 1e-12 {
		t.Errorf("estimate carbon %v, want %v", *e.GCO2e, want)
	}
}

func TestApplyEstimateNoMatch(t *testing.T) {
	rec := Compute(result(), inputs())
	rec.Model = "builtin/synthetic-tiny"
	ApplyEstimate(&rec, EstimateSelection{Family: FamilyAuto, Families: estimate.Families()}, carbon.Default(), nil, 1)
	e := rec.Estimates[0]
	if e.Wh != nil || !strings.Contains(e.AbsentReason, "no estimate family has a row") {
		t.Fatalf("synthetic model estimate %+v", e)
	}
	ApplyEstimate(&rec, EstimateSelection{Family: "nope", Families: estimate.Families()}, carbon.Default(), nil, 1)
	if e := rec.Estimates[0]; e.Wh != nil || !strings.Contains(e.AbsentReason, "unknown estimate family") {
		t.Fatalf("unknown family %+v", e)
	}
}
