package estimate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// whTol is the tolerance for comparing watt-hours: an Estimate rounds to
// the microjoule (1.4e-10 Wh), well inside it.
const whTol = 1e-9

func mustRow(t *testing.T, family, id string) Row {
	t.Helper()
	f, err := Lookup(family)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Row(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustEstimate(t *testing.T, r Row, in, out int) Estimate {
	t.Helper()
	e, err := r.Estimate(in, out)
	if err != nil {
		t.Fatalf("%s.Estimate(%d, %d): %v", r.ID, in, out, err)
	}
	return e
}

// TestJeghamReproducesTable4 checks that the fitted two-phase model passes
// through every published mean of Table 4, and that the propagated band
// equals the published SD there. The figures are typed in from the paper
// (arXiv 2505.09598v6, Table 4), not read from the data.
func TestJeghamReproducesTable4(t *testing.T) {
	type shape struct {
		in, out  int
		mean, sd float64
	}
	tests := []struct {
		id     string
		shapes []shape
	}{
		{"gpt-4o-mar-25", []shape{{100, 300, 0.423, 0.085}, {1000, 1000, 1.215, 0.241}, {10000, 1500, 2.875, 0.421}}},
		{"llama-3.1-8b", []shape{{100, 300, 0.052, 0.008}, {1000, 1000, 0.172, 0.015}, {10000, 1500, 0.443, 0.028}}},
		// Negative input coefficient: the fit still passes through all three.
		{"o4-mini-high", []shape{{100, 300, 3.649, 1.468}, {1000, 1000, 7.380, 2.177}, {10000, 1500, 7.237, 1.674}}},
		{"deepseek-r1-ds", []shape{{100, 300, 19.251, 9.449}, {1000, 1000, 24.596, 9.400}, {10000, 1500, 29.078, 9.725}}},
		// Two shapes only: a = 0, and the two reported points are still exact.
		{"gpt-4", []shape{{100, 300, 1.797, 0.259}, {1000, 1000, 6.925, 1.553}}},
		{"llama-3-8b", []shape{{100, 300, 0.108, 0.002}, {1000, 1000, 0.370, 0.005}}},
		{"llama-3-70b", []shape{{100, 300, 0.861, 0.022}, {1000, 1000, 2.871, 0.094}}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := mustRow(t, FamilyJegham, tt.id)
			if len(r.Shapes) != len(tt.shapes) {
				t.Fatalf("row has %d shapes, want %d", len(r.Shapes), len(tt.shapes))
			}
			for _, s := range tt.shapes {
				e := mustEstimate(t, r, s.in, s.out)
				if got := e.WattHours(); math.Abs(got-s.mean) > whTol {
					t.Errorf("%d in / %d out: %.12f Wh, want the published mean %.3f", s.in, s.out, got, s.mean)
				}
				if !e.Uncertain {
					t.Fatalf("%d in / %d out: no uncertainty", s.in, s.out)
				}
				if got := e.SD.WattHours(); math.Abs(got-s.sd) > whTol {
					t.Errorf("%d in / %d out: SD %.12f Wh, want the published %.3f", s.in, s.out, got, s.sd)
				}
				if got, want := e.High.WattHours(), s.mean+s.sd; math.Abs(got-want) > whTol {
					t.Errorf("%d in / %d out: high %.12f, want mean + SD %.3f", s.in, s.out, got, want)
				}
				if e.Extrapolated {
					t.Errorf("%d in / %d out: flagged extrapolated at a published shape", s.in, s.out)
				}
			}
		})
	}
}

// TestJeghamCoefficients pins GPT-4o's fit and states what the per-token
// coefficients mean: marginal costs whose sum at 1k/1k, plus the fixed term,
// is the published 1.215 Wh, unlike the predecessor's e-token figures.
func TestJeghamCoefficients(t *testing.T) {
	r := mustRow(t, FamilyJegham, "gpt-4o-mar-25")
	// The exact solution through the three published means, by Cramer's rule
	// (independent of the generator's adjugate inverse): a ≈ 0.121 Wh,
	// b ≈ 1.31e-4 Wh and c ≈ 9.63e-4 Wh per token.
	a, b, c := solve3(t, [3][3]float64{{1, 100, 300}, {1, 1000, 1000}, {1, 10000, 1500}}, [3]float64{0.423, 1.215, 2.875})
	for _, x := range []struct {
		name      string
		got, want float64
	}{{"fixed", r.FixedWh, a}, {"input", r.InputWhPerToken, b}, {"output", r.OutputWhPerToken, c}} {
		if math.Abs(x.got-x.want) > 1e-12*math.Max(1, math.Abs(x.want)) {
			t.Errorf("%s coefficient %.15g, want %.15g", x.name, x.got, x.want)
		}
	}
	if r.FixedWh <= 0 || r.InputWhPerToken <= 0 || r.OutputWhPerToken <= 0 {
		t.Errorf("GPT-4o's fit should be all positive: a=%g b=%g c=%g", r.FixedWh, r.InputWhPerToken, r.OutputWhPerToken)
	}
	// The predecessor used 1.215 as both Wh per 1k input and per 1k output
	// tokens (its docs said 1.215 / 2); the marginal rates are neither.
	if got := r.FixedWh + r.InputWhPer1k() + r.OutputWhPer1k(); math.Abs(got-1.215) > whTol {
		t.Errorf("a + 1000b + 1000c = %.12f, want 1.215", got)
	}
	if r.InputWhPer1k() >= 1.215/2 || r.OutputWhPer1k() >= 1.215 {
		t.Errorf("per-1k rates %.4f in, %.4f out should be below the whole-query figures", r.InputWhPer1k(), r.OutputWhPer1k())
	}
	if !r.PUEIncluded || r.Boundary != BoundaryNodePUE || !r.PhaseSplit {
		t.Errorf("row: PUEIncluded %v, boundary %s, PhaseSplit %v; want true, node-pue, true", r.PUEIncluded, r.Boundary, r.PhaseSplit)
	}
}

// solve3 solves m·x = y by Cramer's rule, independently of the generator's
// adjugate inverse.
func solve3(t *testing.T, m [3][3]float64, y [3]float64) (float64, float64, float64) {
	t.Helper()
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	var x [3]float64
	for k := range 3 {
		mk := m
		for i := range 3 {
			mk[i][k] = y[i]
		}
		x[k] = det(mk) / d
	}
	return x[0], x[1], x[2]
}

// TestJeghamMissingShapes checks how the three rows without a 10k/1.5k
// figure degrade: a = 0, the note says so, the coverage stops at 1k input.
func TestJeghamMissingShapes(t *testing.T) {
	f, err := Lookup(FamilyJegham)
	if err != nil {
		t.Fatal(err)
	}
	var two []string
	for _, r := range f.Rows {
		switch len(r.Shapes) {
		case 3:
		case 2:
			two = append(two, r.ID)
			if r.FixedWh != 0 {
				t.Errorf("%s: fixed %g, want 0 with two shapes", r.ID, r.FixedWh)
			}
			if !strings.Contains(r.Note, "10000 in / 1500 out") || !strings.Contains(r.Note, "assumed to be 0") {
				t.Errorf("%s: note %q does not explain the missing shape", r.ID, r.Note)
			}
			if r.Coverage.InputMax != 1000 || r.Coverage.OutputMax != 1000 {
				t.Errorf("%s: coverage %+v, want up to 1000/1000", r.ID, *r.Coverage)
			}
			e := mustEstimate(t, r, 10000, 1500)
			if !e.Extrapolated || !strings.Contains(e.Note, "Extrapolated") {
				t.Errorf("%s at 10k/1.5k: Extrapolated %v, note %q", r.ID, e.Extrapolated, e.Note)
			}
		default:
			t.Errorf("%s: %d shapes", r.ID, len(r.Shapes))
		}
	}
	want := []string{"gpt-4", "llama-3-8b", "llama-3-70b"}
	if strings.Join(two, ",") != strings.Join(want, ",") {
		t.Errorf("rows with two shapes %v, want %v", two, want)
	}
}

// TestAESLlama checks the AI Energy Score conversion on Meta-Llama-3.1-8B:
// 17.38 Wh per 1,000 queries (17.376 in the data) becomes 17.376 × 1000 /
// 369139 Wh per 1,000 input tokens, and output tokens do not count.
func TestAESLlama(t *testing.T) {
	r := mustRow(t, FamilyAES, "meta-llama-3.1-8b")
	if r.Model != "meta-llama/Meta-Llama-3.1-8B" || r.SourceID != "meta-llama/Meta-Llama-3.1-8 B" {
		t.Errorf("model %q (source %q), want the id with its stray space removed", r.Model, r.SourceID)
	}
	if r.Published == nil || math.Round(r.Published.Value*100)/100 != 17.38 || r.Published.Unit != "Wh per 1,000 queries" {
		t.Fatalf("published %+v, want 17.38 Wh per 1,000 queries at two decimals", r.Published)
	}
	want := r.Published.Value * 1000 / 369139
	if got := r.InputWhPer1k(); math.Abs(got-want) > 1e-15 {
		t.Errorf("Wh per 1k input tokens %.17g, want %.17g", got, want)
	}
	// At the published precision: 17.38 ± 0.005 Wh per 1,000 queries.
	if got := r.InputWhPer1k(); math.Abs(got-17.38*1000/369139) > 0.005*1000/369139 {
		t.Errorf("Wh per 1k input tokens %.6f, want 17.38 × 1000 / 369139 = %.6f", got, 17.38*1000/369139)
	}
	if r.OutputWhPerToken != 0 || r.FixedWh != 0 || r.PhaseSplit {
		t.Errorf("output %g, fixed %g, PhaseSplit %v; want 0, 0, false", r.OutputWhPerToken, r.FixedWh, r.PhaseSplit)
	}
	// One average query (369.139 input tokens) costs the per-query figure.
	short, long := mustEstimate(t, r, 369139, 0), mustEstimate(t, r, 369139, 100000)
	if got := short.WattHours(); math.Abs(got-17.376) > whTol {
		t.Errorf("1,000 queries' input: %.9f Wh, want 17.376", got)
	}
	if short.Energy != long.Energy {
		t.Errorf("output tokens changed the estimate: %v vs %v", short.Energy, long.Energy)
	}
	if short.Uncertain || short.Boundary != BoundaryGPU || short.PUEIncluded {
		t.Errorf("estimate: uncertain %v, boundary %s, PUE %v; want false, gpu, false", short.Uncertain, short.Boundary, short.PUEIncluded)
	}
}

// TestMLEnergyLlama checks the ML.ENERGY row for Llama-3.1-8B-Instruct on
// one H100 at batch 8 in chat: 0.455 J per output token as published, the
// CSV's 0.4547982611462042 exactly.
func TestMLEnergyLlama(t *testing.T) {
	r := mustRow(t, FamilyMLEnergy, "llama-3.1-8b-instruct.h100x1.b8.lm-arena-chat")
	if r.Published == nil || r.Published.Unit != "J per output token" {
		t.Fatalf("published %+v", r.Published)
	}
	if got := r.Published.Value; got != 0.4547982611462042 || math.Round(got*1000)/1000 != 0.455 {
		t.Errorf("J per token %.16g, want 0.4547982611462042 (0.455 at three decimals)", got)
	}
	s := r.Serving
	if s == nil || s.Task != "lm-arena-chat" || s.GPU != "H100" || s.GPUs != 1 || s.Batch != 8 || s.Run != 1 {
		t.Fatalf("serving %+v", s)
	}
	e := mustEstimate(t, r, 5000, 1000)
	if got, want := e.Energy.Joules(), 1000*0.4547982611462042; math.Abs(got-want) > 1e-6 {
		t.Errorf("1,000 output tokens: %.6f J, want %.6f", got, want)
	}
	if e.InputPart != 0 || mustEstimate(t, r, 0, 1000).Energy != e.Energy {
		t.Errorf("input tokens changed the estimate")
	}
	if e.Boundary != BoundaryGPU || e.PUEIncluded || e.PhaseSplit {
		t.Errorf("boundary %s, PUE %v, PhaseSplit %v", e.Boundary, e.PUEIncluded, e.PhaseSplit)
	}
}

func TestEstimateErrors(t *testing.T) {
	gpt := mustRow(t, FamilyJegham, "gpt-4o-mar-25")
	o4 := mustRow(t, FamilyJegham, "o4-mini-high") // b < 0
	tests := []struct {
		name    string
		row     Row
		in, out int
		want    string
		is      error
	}{
		{"negative input", gpt, -1, 10, "negative token count", nil},
		{"negative output", gpt, 10, -1, "negative token count", nil},
		{"fit goes negative far outside its shapes", o4, 100000, 0, "estimate is negative", ErrNegative},
		{"not finite", Row{Family: "custom", ID: "x", OutputWhPerToken: math.NaN()}, 1, 1, "not finite", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.row.Estimate(tt.in, tt.out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Estimate(%d, %d) error = %v, want one containing %q", tt.in, tt.out, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestEstimateBand(t *testing.T) {
	r := mustRow(t, FamilyJegham, "gpt-4.1-nano")
	// A one-token query: the SD (≈ the intercept's, 0.086 Wh) exceeds the
	// mean (0.049 Wh), so the band's lower edge is clamped at zero and says so.
	e := mustEstimate(t, r, 1, 1)
	if e.Low != 0 || !strings.Contains(e.Note, "clamped at zero") || !e.Extrapolated {
		t.Errorf("low %v, extrapolated %v, note %q", e.Low, e.Extrapolated, e.Note)
	}
	if e.High <= e.Energy || e.SD <= 0 {
		t.Errorf("energy %v, high %v, SD %v", e.Energy, e.High, e.SD)
	}
	if e.Family != FamilyJegham || e.Row != "gpt-4.1-nano" || e.Model != "GPT-4.1 nano" || e.Method == "" {
		t.Errorf("provenance %q %q %q %q", e.Family, e.Row, e.Model, e.Method)
	}
	// The parts are the formula's terms.
	m := mustEstimate(t, r, 1000, 1000)
	if d := m.Fixed + m.InputPart + m.OutputPart - m.Energy; d < -2 || d > 2 {
		t.Errorf("parts differ from the total by %d µJ", d)
	}
	if got, want := m.Fixed, energy.WattHoursOf(r.FixedWh); got != want {
		t.Errorf("fixed part %v, want %v", got, want)
	}
}

func TestLookup(t *testing.T) {
	var ids []string
	for _, f := range Families() {
		ids = append(ids, f.ID)
	}
	if got, want := strings.Join(ids, ","), "aes,jegham,mlenergy,custom,calibrated"; got != want {
		t.Errorf("family IDs %s, want %s", got, want)
	}
	_, err := Lookup("hf")
	if err == nil || !strings.Contains(err.Error(), `"hf"`) || !strings.Contains(err.Error(), "aes, jegham, mlenergy, custom, calibrated") {
		t.Errorf("Lookup(hf) error = %v, want one naming the id and listing the known ones", err)
	}
	// Copies are independent.
	a, _ := Lookup(FamilyJegham)
	a.Rows[0].FixedWh = 99
	a.Rows[0].Cov[0][0] = 99
	b, _ := Lookup(FamilyJegham)
	if b.Rows[0].FixedWh == 99 || b.Rows[0].Cov[0][0] == 99 {
		t.Error("changing one family's copy changed another's")
	}
	if _, err := b.Row("nope"); err == nil {
		t.Error("Row(nope) succeeded")
	}
}

func TestFamilyBoundaries(t *testing.T) {
	want := map[string]struct {
		b   Boundary
		pue bool
	}{
		FamilyAES: {BoundaryGPU, false}, FamilyJegham: {BoundaryNodePUE, true}, FamilyMLEnergy: {BoundaryGPU, false},
		FamilyCustom: {BoundaryStated, false}, FamilyCalibrated: {BoundaryCPUDRAM, false},
	}
	for _, f := range Families() {
		w := want[f.ID]
		if f.Boundary != w.b || f.PUEIncluded != w.pue {
			t.Errorf("%s: boundary %s, PUE %v; want %s, %v", f.ID, f.Boundary, f.PUEIncluded, w.b, w.pue)
		}
		if strings.HasPrefix(f.Boundary.Describe(), "unknown") {
			t.Errorf("%s: boundary %q has no description", f.ID, f.Boundary)
		}
	}
	if Boundary("wall").Valid() || !strings.HasPrefix(Boundary("wall").Describe(), "unknown") {
		t.Error("an unknown boundary is accepted")
	}
}
