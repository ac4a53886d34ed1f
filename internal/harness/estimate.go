package harness

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/estimate"
	"github.com/llm-energy-lab/energylab/internal/etokens"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// FamilyAuto asks for the first family that has a row for the model.
const FamilyAuto = "auto"

// EstimateSelection says which estimate family a run is shown against.
type EstimateSelection struct {
	// Family is a family ID, or FamilyAuto.
	Family string
	// Families are the families to choose from: the built-in ones with the
	// user's custom and calibrated rows added.
	Families []*estimate.Family
	// Setting narrows families with several rows per model (ML.ENERGY's
	// batch size, task and GPU).
	Setting estimate.Setting
}

// autoOrder is the order in which FamilyAuto tries families: for a model
// this host measures, the user's own calibration first, then the open-model
// benchmarks closest to single-user serving; for a cloud model, Jegham et
// al.'s per-model figures for commercial APIs first.
func autoOrder(metered bool) []string {
	if metered {
		return []string{estimate.FamilyCalibrated, estimate.FamilyAES, estimate.FamilyMLEnergy, estimate.FamilyJegham}
	}
	return []string{estimate.FamilyJegham, estimate.FamilyAES, estimate.FamilyMLEnergy, estimate.FamilyCalibrated}
}

// ApplyEstimate estimates rec's token counts with the selected family and
// puts the result in rec.Estimates (replacing what was there), with its
// carbon at the run's grid factor and PUE (PUE 1 when the family's figure
// already includes it). When the run had no meter (a cloud API), the
// estimate also becomes the run's energy, labelled estimated with the
// family's boundary, and e-tokens and carbon follow from it; measured
// figures are never touched.
func ApplyEstimate(rec *lab.Record, sel EstimateSelection, grid carbon.Factor, gridErr error, pue float64) {
	metered := rec.Energy.Source != energy.Estimated
	paramsB := paramsBillions(rec)
	est := lab.Estimate{Input: rec.Tokens.Input, Output: rec.Tokens.Output}
	var fam *estimate.Family
	var m estimate.Match
	var err error
	switch sel.Family {
	case FamilyAuto, "":
		var reasons []string
		for _, id := range autoOrder(metered) {
			f := findFamily(sel.Families, id)
			if f == nil {
				continue
			}
			if m, err = f.MatchSetting(rec.Model, paramsB, sel.Setting); err == nil {
				fam = f
				break
			}
			reasons = append(reasons, id+": "+shortReason(err))
		}
		est.Selection = "auto: the first family with a row for this model, in the order " + strings.Join(autoOrder(metered), ", ")
		if fam == nil {
			est.Family = FamilyAuto
			est.AbsentReason = "no estimate family has a row for " + rec.Model + " (" + strings.Join(reasons, "; ") + ")"
		}
	default:
		est.Selection = "requested"
		fam = findFamily(sel.Families, sel.Family)
		if fam == nil {
			est.Family = sel.Family
			est.AbsentReason = fmt.Sprintf("unknown estimate family %q", sel.Family)
		} else if m, err = fam.MatchSetting(rec.Model, paramsB, sel.Setting); err != nil {
			est.Family, est.FamilyName = fam.ID, fam.Name
			est.AbsentReason = err.Error()
		}
	}
	if fam != nil && est.AbsentReason == "" {
		fillEstimate(&est, fam, m, grid, gridErr, pue)
	}
	rec.Estimates = []lab.Estimate{est}
	if !metered {
		energyFromEstimate(rec, est, grid, gridErr)
	}
}

func fillEstimate(est *lab.Estimate, fam *estimate.Family, m estimate.Match, grid carbon.Factor, gridErr error, pue float64) {
	est.Family, est.FamilyName = fam.ID, fam.Name
	est.Row, est.RowModel = m.Row.ID, m.Row.Model
	est.Match, est.MatchExplanation = m.Quality.String(), m.Explanation
	e, err := m.Row.Estimate(est.Input, est.Output)
	if err != nil {
		est.AbsentReason = err.Error()
		return
	}
	est.Boundary, est.BoundaryNote, est.PUEIncluded = string(e.Boundary), boundaryText(e), e.PUEIncluded
	est.Hardware, est.Extrapolated, est.Method, est.Note = e.Hardware, e.Extrapolated, e.Method, e.Note
	est.Wh = etokens.Wh(e.Energy)
	if e.Uncertain {
		est.LowWh, est.HighWh = etokens.Wh(e.Low), etokens.Wh(e.High)
	}
	if e.PhaseSplit {
		est.PrefillWh, est.DecodeWh = etokens.Wh(e.Fixed+e.InputPart), etokens.Wh(e.OutputPart)
	}
	if gridErr == nil {
		p := pue
		if e.PUEIncluded {
			p = 1
		}
		g := carbon.Grams(e.Energy, grid, p)
		est.GCO2e = &g
	}
}

func boundaryText(e estimate.Estimate) string {
	if e.BoundaryNote != "" {
		return e.BoundaryNote
	}
	return e.Boundary.Describe()
}

// energyFromEstimate makes an unmetered run's energy the estimate.
func energyFromEstimate(rec *lab.Record, est lab.Estimate, grid carbon.Factor, gridErr error) {
	e := &rec.Energy
	// Why there is no measurement: the manifest keeps it, so that a
	// recalculation finds it again.
	notMetered := rec.Manifest.MeterNote
	if notMetered == "" {
		notMetered = "no meter ran for this request"
	}
	*e = lab.Energy{Source: energy.Estimated}
	e.Active.AbsentReason = "an estimate has no idle baseline: " + notMetered
	rec.ETokens = lab.ETokens{}
	if est.Wh == nil {
		e.AbsentReason = notMetered + "; and " + est.AbsentReason
		rec.Carbon.GCO2e, rec.Carbon.ActiveGCO2e = nil, nil
		rec.Carbon.AbsentReason = "no energy figure to convert: " + e.AbsentReason
		return
	}
	e.Boundary = est.Boundary + ": " + est.BoundaryNote
	e.Assumptions = []string{
		notMetered,
		fmt.Sprintf("estimated with %s, row %s (%s match): %s", est.FamilyName, est.RowModel, est.Match, est.Method),
	}
	e.TotalWh, e.PrefillWh, e.DecodeWh = est.Wh, est.PrefillWh, est.DecodeWh
	ph := etokens.Phases{Total: energy.WattHoursOf(*est.Wh)}
	if est.PrefillWh != nil && est.DecodeWh != nil {
		ph.Split, ph.Prefill, ph.Decode = true, energy.WattHoursOf(*est.PrefillWh), energy.WattHoursOf(*est.DecodeWh)
	}
	rec.ETokens.ETokenSet = etokens.Set(ph, rec.Tokens.Input, rec.Tokens.Output)
	rec.Carbon.GCO2e, rec.Carbon.ActiveGCO2e = est.GCO2e, nil
	rec.Carbon.AbsentReason = ""
	if gridErr != nil {
		rec.Carbon.AbsentReason = gridErr.Error()
	}
	if est.PUEIncluded {
		rec.Carbon.PUE = 1
		e.Assumptions = append(e.Assumptions, "the family's figure already includes datacentre overhead (PUE): carbon applies none on top")
	}
}

func findFamily(fs []*estimate.Family, id string) *estimate.Family {
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// shortReason is an error's first clause, for a list of reasons.
func shortReason(err error) string {
	var nm *estimate.NoMatchError
	if errors.As(err, &nm) && nm.Reason != "" {
		return nm.Reason
	}
	s := err.Error()
	if i := strings.Index(s, ";"); i > 0 {
		return s[:i]
	}
	return s
}

// paramsBillions returns the run's model size in billions of parameters,
// 0 when unknown.
func paramsBillions(rec *lab.Record) float64 {
	mi := rec.Manifest.Model
	if mi.Parameters > 0 {
		return float64(mi.Parameters) / 1e9
	}
	s := strings.TrimSpace(strings.ToUpper(mi.ParameterSize))
	mult := map[string]float64{"B": 1, "M": 1e-3, "K": 1e-6}
	for suf, m := range mult {
		if v, ok := strings.CutSuffix(s, suf); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f > 0 {
				return f * m
			}
		}
	}
	return 0
}
