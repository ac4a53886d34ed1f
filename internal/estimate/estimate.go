package estimate

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Boundary says which hardware an energy figure covers and whether it was
// metered or modelled. Figures with different boundaries are not
// comparable without a conversion the lab does not make: a GPU-only figure
// leaves out the CPU, memory and the data centre; a node × PUE figure
// includes them all.
type Boundary string

// The boundaries a family or row can have.
const (
	// BoundaryGPU is the GPU board energy only, metered (NVML, Zeus,
	// CodeCarbon). CPU, DRAM, networking and cooling (PUE) are outside it.
	BoundaryGPU Boundary = "gpu"
	// BoundaryNodePUE is the whole serving node (GPUs and the rest) times
	// the data centre's power usage effectiveness, modelled from API
	// latency rather than metered. PUE is already inside such a figure.
	BoundaryNodePUE Boundary = "node-pue"
	// BoundaryCPUDRAM is CPU package plus DRAM energy measured on this host
	// (RAPL package and dram domains).
	BoundaryCPUDRAM Boundary = "cpu-dram"
	// BoundaryCPUTime is energy modelled on this host from CPU time and a
	// power model, not read from a counter.
	BoundaryCPUTime Boundary = "cpu-time"
	// BoundaryStated is a boundary the user describes in words (custom rows
	// only); Row.BoundaryNote holds the description.
	BoundaryStated Boundary = "stated"
)

// Boundaries lists every valid boundary in a fixed order.
func Boundaries() []Boundary {
	return []Boundary{BoundaryGPU, BoundaryNodePUE, BoundaryCPUDRAM, BoundaryCPUTime, BoundaryStated}
}

// Valid reports whether b is one of the defined boundaries.
func (b Boundary) Valid() bool {
	switch b {
	case BoundaryGPU, BoundaryNodePUE, BoundaryCPUDRAM, BoundaryCPUTime, BoundaryStated:
		return true
	}
	return false
}

// Describe returns a one-line description of b for reports.
func (b Boundary) Describe() string {
	switch b {
	case BoundaryGPU:
		return "GPU only (metered; no CPU, memory or PUE)"
	case BoundaryNodePUE:
		return "node × PUE (modelled, not metered; PUE included)"
	case BoundaryCPUDRAM:
		return "CPU package + DRAM (measured here)"
	case BoundaryCPUTime:
		return "modelled from CPU time (here)"
	case BoundaryStated:
		return "as stated by the user"
	}
	return fmt.Sprintf("unknown boundary %q", string(b))
}

// Family IDs of the built-in and user-defined families.
const (
	// FamilyAES is the Hugging Face AI Energy Score (text generation): GPU
	// energy per query on one H100 at batch 1, as Wh per 1,000 input tokens
	// = Wh per 1,000 queries × 1,000 / 369,139. That rate amortises the
	// whole query (prefill and decode) over its input tokens, and output
	// tokens do not enter an estimate, because the source fixed the answer
	// length (about 100 tokens) instead of varying it: long answers are
	// underestimated, short answers to long prompts overestimated.
	FamilyAES = "aes"
	// FamilyJegham is Jegham et al. 2025, "How Hungry is AI?" (arXiv
	// 2505.09598), Table 4: modelled Wh per query (node × PUE, PUE included)
	// at three prompt shapes.
	//
	// What its per-token figures mean. The predecessor's jegham_et_al.json
	// put each model's 1k-in/1k-out Wh per query (GPT-4o: 1.215) into both
	// its "Wh per 1,000 input e-tokens" and its "Wh per 1,000 output
	// e-tokens" field, while its documentation said to divide that figure
	// by the query's 2,000 tokens and scale to 1,000 (0.6075): the two
	// disagree by a factor of 2, and both spread a whole query over tokens
	// rather than cost them. Here InputWhPerToken (b) and OutputWhPerToken
	// (c) are marginal costs from the fit E = a + b·input + c·output: b is
	// the extra Wh of one more input token at a fixed output, c the extra Wh
	// of one more output token at a fixed input, and a (FixedWh) the
	// per-query energy no token count explains. For GPT-4o a ≈ 0.121 Wh,
	// b ≈ 0.131 Wh and c ≈ 0.963 Wh per 1,000 tokens, and a + 1000b + 1000c
	// is the published 1.215 Wh. The lab's e-tokens for a run (Wh per 1,000
	// input or output tokens, each amortising the whole run) come from an
	// Estimate's total, E / input × 1000 and E / output × 1000, never from
	// b or c alone.
	FamilyJegham = "jegham"
	// FamilyMLEnergy is the ML.ENERGY Leaderboard v3: measured GPU joules
	// per output token in vLLM's steady state, by batch size and task.
	// Input tokens do not enter an estimate: the figure is decode-dominated,
	// with the task's prefill already folded into it.
	FamilyMLEnergy = "mlenergy"
	// FamilyCustom holds user-defined rows (see NewCustom).
	FamilyCustom = "custom"
	// FamilyCalibrated holds rows fitted from the user's own measured runs
	// (see Calibrate).
	FamilyCalibrated = "calibrated"
)

// Family is one benchmark source: what it measured, on what hardware, how,
// and the rows (models) it covers. Families are values the package builds;
// Families and Lookup return fresh copies, so a caller may change one
// without affecting others.
type Family struct {
	// ID is short and stable: "aes", "jegham", "mlenergy", "custom" or
	// "calibrated".
	ID string
	// Name is the display name.
	Name string
	// Source cites the publication or dataset; URL points at it.
	Source, URL string
	// Version is the year or release of the source.
	Version string
	// Boundary is what the family's figures cover (custom rows may differ;
	// each Row carries its own).
	Boundary Boundary
	// PUEIncluded is true when the figures already include the data
	// centre's power usage effectiveness, so a carbon calculation must not
	// multiply by PUE again.
	PUEIncluded bool
	// Hardware describes what the source ran on.
	Hardware string
	// Method explains, in full sentences, how the source measured or
	// modelled energy and how this package turns token counts into energy.
	Method string
	// Formula is Method in one line, copied into every Estimate.
	Formula string
	// DefaultTask is the task Match picks when the rows vary by task and
	// the caller names none ("lm-arena-chat" for ML.ENERGY); empty for
	// families whose rows have no task.
	DefaultTask string
	// Rows are the models the family covers, in the source's order.
	Rows []Row
}

// Row is one model of a family (for ML.ENERGY, one model in one serving
// configuration) with the coefficients that turn token counts into energy:
//
//	E (Wh) = FixedWh + InputWhPerToken × input + OutputWhPerToken × output
//
// The coefficients are float64 watt-hours rather than energy.Energy because
// fitted ones can be negative fractions far below a microjoule's resolution
// when multiplied out (Jegham's exact fits); Estimate converts the result
// to energy.Energy.
type Row struct {
	// Family is the ID of the family the row belongs to.
	Family string
	// ID is unique and stable within the family (for example
	// "meta-llama-3.1-8b" or "llama-3.1-8b-instruct.h100x1.b8.lm-arena-chat").
	ID string
	// Model is the model as the family names it ("meta-llama/Meta-Llama-3.1-8B",
	// "GPT-4o (Mar ’25)"); for calibrated rows, the lab's model name.
	Model string
	// SourceID is the source's own spelling when Model normalises it (AI
	// Energy Score ids with stray spaces, Jegham names with footnote marks).
	SourceID string
	// Class is the AI Energy Score size class (A, B or C); empty elsewhere.
	Class string
	// Hardware is what the row was measured or modelled on.
	Hardware string
	// Boundary is what the row's energy covers.
	Boundary Boundary
	// BoundaryNote describes the boundary in the user's words (custom) or
	// names the meter (calibrated).
	BoundaryNote string
	// PUEIncluded is true when the row's energy already includes PUE.
	PUEIncluded bool
	// FixedWh is the energy per query independent of token counts, in Wh.
	FixedWh float64
	// InputWhPerToken is the energy per input token, in Wh.
	InputWhPerToken float64
	// OutputWhPerToken is the energy per output token, in Wh.
	OutputWhPerToken float64
	// Cov is the covariance of (FixedWh, InputWhPerToken, OutputWhPerToken),
	// in Wh², Wh²/token and Wh²/token², or nil when the row has no
	// uncertainty. Estimate's band is ±sqrt(wᵀ Cov w), w = (1, input, output).
	Cov *[3][3]float64
	// Published is the figure as the source printed it (AI Energy Score Wh
	// per 1,000 queries, ML.ENERGY J per output token); nil otherwise.
	Published *Figure
	// Shapes are Jegham's published prompt shapes the fit passes through.
	Shapes []Shape
	// Coverage is the token range the row's data cover; nil when unknown.
	Coverage *Coverage
	// Serving is ML.ENERGY's measurement configuration; nil elsewhere.
	Serving *Serving
	// Fit describes a calibrated row's regressions; nil elsewhere.
	Fit *Fit
	// PhaseSplit is true when the input and output terms may be read as
	// prefill and decode energy (Jegham's two-phase fit, custom and
	// calibrated rows); false when one side's rate amortises the whole
	// query (AI Energy Score, ML.ENERGY).
	PhaseSplit bool
	// Method is the family's method in one line.
	Method string
	// Note is what is particular to this row: missing shapes, negative
	// fitted coefficients, duplicate measurements, fit quality.
	Note string
}

// InputWhPer1k returns the energy per 1,000 input tokens in Wh.
func (r Row) InputWhPer1k() float64 { return r.InputWhPerToken * 1000 }

// OutputWhPer1k returns the energy per 1,000 output tokens in Wh.
func (r Row) OutputWhPer1k() float64 { return r.OutputWhPerToken * 1000 }

// Figure is a number as its source published it, with its unit in words.
type Figure struct {
	Value float64
	Unit  string
}

// Shape is one prompt shape of Jegham et al.'s Table 4: the token counts
// and the published mean and standard deviation of Wh per query.
type Shape struct {
	Input, Output int
	MeanWh, SDWh  float64
}

// Coverage is the range of token counts a row's data span. Estimates
// outside it are extrapolations and are flagged.
type Coverage struct {
	InputMin, InputMax   int
	OutputMin, OutputMax int
}

// Contains reports whether input and output lie within c.
func (c Coverage) Contains(input, output int) bool {
	return input >= c.InputMin && input <= c.InputMax && output >= c.OutputMin && output <= c.OutputMax
}

// Serving is the ML.ENERGY configuration a row was measured in.
type Serving struct {
	// Task is lm-arena-chat, gpqa or sourcegraph-fim.
	Task string
	// GPU is the GPU model (H100 or B200) and GPUs how many served.
	GPU  string
	GPUs int
	// Batch is vLLM's max_num_seqs: the most requests served at once.
	Batch int
	// Precision is the weight format (bfloat16, fp8, mxfp4).
	Precision string
	// ParamsB and ActiveParamsB are the total and per-token activated
	// parameters in billions.
	ParamsB, ActiveParamsB float64
	// MeanOutputTokens is the task's mean answer length in this run.
	MeanOutputTokens float64
	// Run is 1, or 2 for the source's second measurement of the same
	// configuration.
	Run int
}

// Estimate is an energy estimate for one request, with everything a run
// record needs to show it beside a measurement.
type Estimate struct {
	// Family and Row are the IDs of the family and row used; Model is the
	// model as the family names it.
	Family, Row, Model string
	// Input and Output are the token counts estimated for.
	Input, Output int
	// Energy is the central estimate.
	Energy energy.Energy
	// Fixed, InputPart and OutputPart are the three terms of the row's
	// formula (a, b·input, c·output). Each is rounded to a microjoule
	// on its own, so their sum can differ from Energy by a microjoule or two.
	Fixed, InputPart, OutputPart energy.Energy
	// PhaseSplit is true when InputPart and OutputPart may be read as
	// prefill and decode energy (see Row.PhaseSplit).
	PhaseSplit bool
	// Uncertain is true when the row has an uncertainty; then SD is one
	// standard deviation and Low and High are Energy ∓ SD, Low clamped at
	// zero.
	Uncertain     bool
	SD, Low, High energy.Energy
	// Boundary is what the energy covers, BoundaryNote the user's or the
	// meter's description of it, and PUEIncluded says PUE is inside it.
	Boundary     Boundary
	BoundaryNote string
	PUEIncluded  bool
	// Hardware is what the row's figures were measured or modelled on.
	Hardware string
	// Extrapolated is true when the token counts lie outside the row's
	// Coverage.
	Extrapolated bool
	// Method is the family's formula in one line.
	Method string
	// Note carries the row's note and anything particular to this estimate.
	Note string
}

// WattHours returns the central estimate in Wh.
func (e Estimate) WattHours() float64 { return e.Energy.WattHours() }

// ErrNegative marks an estimate whose central value is negative: a fitted
// row (Jegham's exact fits, a calibration) extrapolated beyond its data.
// The package refuses such an estimate rather than clamping it to zero.
var ErrNegative = errors.New("estimate is negative")

// Estimate turns input and output token counts into energy with the row's
// formula, E = FixedWh + InputWhPerToken × input + OutputWhPerToken ×
// output (in Wh, converted to microjoules), and adds the ±1 SD band when the
// row has a covariance. Negative token counts are an error; so is a row
// whose coefficients are not finite, and a negative central value (wrapping
// ErrNegative).
func (r Row) Estimate(input, output int) (Estimate, error) {
	if input < 0 || output < 0 {
		return Estimate{}, fmt.Errorf("estimate %s/%s: negative token count (input %d, output %d)", r.Family, r.ID, input, output)
	}
	for _, c := range []float64{r.FixedWh, r.InputWhPerToken, r.OutputWhPerToken} {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return Estimate{}, fmt.Errorf("estimate %s/%s: coefficient %v is not finite", r.Family, r.ID, c)
		}
	}
	in, out := float64(input), float64(output)
	fixed, ip, op := r.FixedWh, r.InputWhPerToken*in, r.OutputWhPerToken*out
	wh := fixed + ip + op
	e := Estimate{
		Family: r.Family, Row: r.ID, Model: r.Model,
		Input: input, Output: output,
		Energy:     energy.WattHoursOf(wh),
		Fixed:      energy.WattHoursOf(fixed),
		InputPart:  energy.WattHoursOf(ip),
		OutputPart: energy.WattHoursOf(op),
		PhaseSplit: r.PhaseSplit,
		Boundary:   r.Boundary, BoundaryNote: r.BoundaryNote, PUEIncluded: r.PUEIncluded,
		Hardware: r.Hardware,
		Method:   r.Method,
	}
	var notes []string
	if r.Note != "" {
		notes = append(notes, r.Note)
	}
	if r.Coverage != nil && !r.Coverage.Contains(input, output) {
		e.Extrapolated = true
		notes = append(notes, fmt.Sprintf("Extrapolated: the row's data cover %d–%d input and %d–%d output tokens.",
			r.Coverage.InputMin, r.Coverage.InputMax, r.Coverage.OutputMin, r.Coverage.OutputMax))
	}
	if wh < 0 {
		return Estimate{}, fmt.Errorf("estimate %s/%s at %d input, %d output tokens: %w (%.4g Wh): the fitted model is used outside the data it passes through",
			r.Family, r.ID, input, output, ErrNegative, wh)
	}
	if r.Cov != nil {
		w := [3]float64{1, in, out}
		v := 0.0
		for i := range 3 {
			for j := range 3 {
				v += w[i] * r.Cov[i][j] * w[j]
			}
		}
		// Rounding can leave a tiny negative variance where it should be 0.
		sd := math.Sqrt(math.Max(v, 0))
		e.Uncertain = true
		e.SD = energy.WattHoursOf(sd)
		e.High = energy.WattHoursOf(wh + sd)
		e.Low = energy.WattHoursOf(math.Max(wh-sd, 0))
		if wh-sd < 0 {
			notes = append(notes, "The band's lower edge is clamped at zero.")
		}
	}
	e.Note = strings.Join(notes, " ")
	return e, nil
}
