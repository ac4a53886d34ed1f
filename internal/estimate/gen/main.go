// Command gen converts the published benchmark figures in shared/data into
// the estimate package's embedded data file, families.json.
//
// It is run by go generate in internal/estimate:
//
//	go run ./gen -data ../../../shared/data -out families.json
//
// It reads hugging_face.json (AI Energy Score), jegham_table4.csv (Jegham et
// al. 2025, Table 4), jegham_et_al.json (only to check that the
// predecessor's one-shape view agrees with the table) and
// mlenergy_v3_llm.csv (ML.ENERGY Leaderboard v3), keeps only what the
// families need, records the source, version, boundary and method of each
// family, and does the arithmetic that turns the published figures into
// per-token coefficients: the AI Energy Score per-input-token rate, the
// exact three-shape fit of each Jegham row with its covariance, and the
// ML.ENERGY joules per output token in Wh.
//
// The output depends only on the input: rows keep the input's order and are
// written with a fixed layout, so the same input always gives a
// byte-identical file.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Input file names inside the data directory.
const (
	aesFile      = "hugging_face.json"
	jeghamFile   = "jegham_table4.csv"
	jeghamOld    = "jegham_et_al.json"
	mlenergyFile = "mlenergy_v3_llm.csv"
	// maxInput caps each input file; the largest real one is about 130 KB.
	maxInput = 8 << 20
)

// aesTokensPer1000Queries is the number of input tokens in the AI Energy
// Score text-generation dataset of 1,000 queries.
const aesTokensPer1000Queries = 369139

// Inputs holds the bytes of the shared data files, keyed by nothing but
// their role, so convert stays pure.
type Inputs struct {
	AES, Jegham, JeghamOld, MLEnergy []byte
}

func main() {
	data := flag.String("data", "", "directory holding the shared reference data")
	out := flag.String("out", "", "output file (families.json)")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	if dir == "" || out == "" {
		return errors.New("both -data and -out are required")
	}
	in, err := ReadInputs(dir)
	if err != nil {
		return err
	}
	b, err := convert(in)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// ReadInputs reads the four input files from dir, each capped at maxInput
// bytes.
func ReadInputs(dir string) (Inputs, error) {
	var in Inputs
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{
		{aesFile, &in.AES}, {jeghamFile, &in.Jegham}, {jeghamOld, &in.JeghamOld}, {mlenergyFile, &in.MLEnergy},
	} {
		b, err := readCapped(filepath.Join(dir, f.name))
		if err != nil {
			return Inputs{}, err
		}
		*f.dst = b
	}
	return in, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxInput)
	}
	return b, nil
}

// File is the layout of families.json. The estimate package reads the same
// field names (its dataFile type).
type File struct {
	Note     string   `json:"note"`
	Inputs   []string `json:"inputs"`
	Families []Family `json:"families"`
}

// Family is one benchmark family with its provenance.
type Family struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Source      string `json:"source"`
	URL         string `json:"url"`
	Version     string `json:"version"`
	Boundary    string `json:"boundary"`
	PUEIncluded bool   `json:"pue_included"`
	Hardware    string `json:"hardware"`
	Method      string `json:"method"`
	Formula     string `json:"formula"`
	DefaultTask string `json:"default_task,omitempty"`
	Rows        []Row  `json:"rows"`
}

// Row is one model (and, for ML.ENERGY, one serving configuration).
type Row struct {
	ID       string  `json:"id"`
	Model    string  `json:"model"`
	SourceID string  `json:"source_id,omitempty"`
	Class    string  `json:"class,omitempty"`
	FixedWh  float64 `json:"fixed_wh"`
	InputWh  float64 `json:"input_wh_per_token"`
	OutputWh float64 `json:"output_wh_per_token"`
	// Cov is the covariance of (fixed, input, output) in Wh², Wh²/token and
	// Wh²/token²; absent when the source gives no spread.
	Cov       *[3][3]float64 `json:"cov,omitempty"`
	Published *Figure        `json:"published,omitempty"`
	Shapes    []Shape        `json:"shapes,omitempty"`
	Coverage  *Coverage      `json:"coverage,omitempty"`
	Serving   *Serving       `json:"serving,omitempty"`
	Note      string         `json:"note,omitempty"`
}

// Figure is a number as the source published it.
type Figure struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Shape is one published prompt shape of Jegham et al.
type Shape struct {
	Input  int     `json:"input"`
	Output int     `json:"output"`
	MeanWh float64 `json:"mean_wh"`
	SDWh   float64 `json:"sd_wh"`
}

// Coverage is the range of token counts the row's figures cover.
type Coverage struct {
	InputMin  int `json:"input_min"`
	InputMax  int `json:"input_max"`
	OutputMin int `json:"output_min"`
	OutputMax int `json:"output_max"`
}

// Serving is the ML.ENERGY measurement configuration of a row.
type Serving struct {
	Task             string  `json:"task"`
	GPU              string  `json:"gpu"`
	GPUs             int     `json:"gpus"`
	Batch            int     `json:"batch"`
	Precision        string  `json:"precision"`
	ParamsB          float64 `json:"params_b"`
	ActiveParamsB    float64 `json:"active_params_b"`
	MeanOutputTokens float64 `json:"mean_output_tokens"`
	Run              int     `json:"run"`
}

// convert turns the input bytes into the bytes of families.json. It is pure
// and deterministic.
func convert(in Inputs) ([]byte, error) {
	aes, err := convertAES(in.AES)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", aesFile, err)
	}
	jeg, err := convertJegham(in.Jegham)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", jeghamFile, err)
	}
	if err := checkJeghamOld(in.JeghamOld, jeg); err != nil {
		return nil, fmt.Errorf("check %s: %w", jeghamOld, err)
	}
	mle, err := convertMLEnergy(in.MLEnergy)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", mlenergyFile, err)
	}
	f := File{
		Note: "Published LLM inference energy figures turned into per-token coefficients. " +
			"Generated by internal/estimate/gen from shared/data; do not edit.",
		Inputs:   []string{aesFile, jeghamFile, jeghamOld + " (consistency check only)", mlenergyFile},
		Families: []Family{aes, jeg, mle},
	}
	return encode(f)
}

// encode writes f with one row per line, so diffs of regenerated data stay
// readable.
func encode(f File) ([]byte, error) {
	var b bytes.Buffer
	head := func(k string, v any) error {
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%q: %s", k, j)
		return nil
	}
	b.WriteString("{\n  ")
	if err := head("note", f.Note); err != nil {
		return nil, err
	}
	b.WriteString(",\n  ")
	if err := head("inputs", f.Inputs); err != nil {
		return nil, err
	}
	b.WriteString(",\n  \"families\": [")
	for i, fam := range f.Families {
		if i > 0 {
			b.WriteString(",")
		}
		rows := fam.Rows
		fam.Rows = nil
		hj, err := json.MarshalIndent(fam, "    ", "  ")
		if err != nil {
			return nil, err
		}
		// Replace the trailing `"rows": null\n    }` with the row lines.
		h := strings.TrimSuffix(string(hj), "\n    }")
		h = strings.TrimSuffix(h, `"rows": null`)
		b.WriteString("\n    ")
		b.WriteString(h)
		b.WriteString("\"rows\": [")
		for j, r := range rows {
			rj, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("family %s row %s: %w", fam.ID, r.ID, err)
			}
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n        ")
			b.Write(rj)
		}
		b.WriteString("\n      ]\n    }")
	}
	b.WriteString("\n  ]\n}\n")
	// Check the hand-built layout is valid JSON that round-trips.
	var back File
	dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		return nil, fmt.Errorf("encode: output does not parse: %w", err)
	}
	return b.Bytes(), nil
}

// --- AI Energy Score ---

type aesInput struct {
	DataSource    string     `json:"data_source"`
	Task          string     `json:"task"`
	TokensPer1000 float64    `json:"input_tokens_per_1000_queries"`
	Factor        float64    `json:"wh_per_1000_tokens_factor"`
	Definition    string     `json:"wh_per_1000_queries_definition"`
	EnergyUnit    string     `json:"energy_unit"`
	Models        []aesModel `json:"models"`
}

type aesModel struct {
	ModelID          string  `json:"model_id"`
	Class            string  `json:"class"`
	PerQueryWh       float64 `json:"total_gpu_energy_per_query_wh"`
	Per1000QueriesWh float64 `json:"wh_per_1000_queries"`
	Per1000InputWh   float64 `json:"wh_per_1000_input_etokens"`
}

var spaces = regexp.MustCompile(`\s+`)

// normaliseHFID removes the stray spaces the predecessor's scrape left
// inside Hugging Face repository ids ("Meta-Llama-3.1-8 B"): repository ids
// never contain white space, so removing all of it restores them.
func normaliseHFID(s string) string { return spaces.ReplaceAllString(strings.TrimSpace(s), "") }

func convertAES(b []byte) (Family, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in aesInput
	if err := dec.Decode(&in); err != nil {
		return Family{}, fmt.Errorf("parse: %w", err)
	}
	if in.TokensPer1000 != aesTokensPer1000Queries {
		return Family{}, fmt.Errorf("input_tokens_per_1000_queries is %v, want %d", in.TokensPer1000, aesTokensPer1000Queries)
	}
	if in.EnergyUnit != "watt_hours" {
		return Family{}, fmt.Errorf("energy_unit is %q, want watt_hours", in.EnergyUnit)
	}
	if len(in.Models) == 0 {
		return Family{}, errors.New("no models")
	}
	fam := Family{
		ID:       "aes",
		Name:     "Hugging Face AI Energy Score (text generation)",
		Source:   "Hugging Face AI Energy Score leaderboard, text generation task (AIEnergyScore/Leaderboard, data/energy/text_generation.csv), as transcribed by the predecessor LLM Energy Lab",
		URL:      "https://huggingface.co/spaces/AIEnergyScore/Leaderboard",
		Version:  "2025 leaderboard (rows from several update rounds)",
		Boundary: "gpu",
		Hardware: "one NVIDIA H100 80GB, batch 1 (transformers back end)",
		Method: "GPU energy per query, measured with CodeCarbon (NVML) on one NVIDIA H100 80GB at batch 1 and averaged over 10 runs " +
			"of a 1,000-query text-generation dataset holding 369,139 input tokens (about 369 per query) with about 100 output " +
			"tokens per query (the scenario default, not guaranteed for every row). GPU only: CPU, memory, networking and cooling " +
			"(PUE) are outside the figure. The per-1,000-input-token rate is Wh per 1,000 queries × 1,000 / 369,139; it amortises " +
			"the whole query, prefill and decode, over the input tokens, so it is an e-token-i figure, not the cost of prefill. " +
			"An estimate is input tokens / 1,000 × that rate and output tokens do not enter, because the source held the output " +
			"length near 100 tokens instead of varying it: nothing in the data separates decode from prefill. The estimate " +
			"therefore assumes the dataset's ratio of about 100 output tokens per 369 input tokens; a long answer to a short " +
			"prompt is underestimated (its decode energy is missing), a short answer to a long prompt is overestimated. Rows " +
			"from different leaderboard rounds and back ends are not mutually comparable (Meta-Llama-3-70B 1,720 Wh per 1,000 " +
			"queries against DeepSeek-R1-Distill-Llama-70B 49.5).",
		Formula: "E = input/1000 × Wh per 1k input tokens (whole query amortised on input; output ignored); GPU only, H100, batch 1",
	}
	seen := map[string]string{}
	for i, m := range in.Models {
		id := normaliseHFID(m.ModelID)
		if id == "" {
			return Family{}, fmt.Errorf("model %d: empty model_id", i)
		}
		v := m.Per1000QueriesWh
		if !positive(v) {
			return Family{}, fmt.Errorf("model %s: wh_per_1000_queries %v is not a positive number", id, v)
		}
		if math.Abs(m.PerQueryWh*1000-v) > 1e-9*v {
			return Family{}, fmt.Errorf("model %s: per-query %v Wh × 1000 is not the per-1000-queries %v Wh", id, m.PerQueryWh, v)
		}
		rate := v / aesTokensPer1000Queries // Wh per input token
		if math.Abs(rate*1000-m.Per1000InputWh) > 1e-9*m.Per1000InputWh {
			return Family{}, fmt.Errorf("model %s: the input's e-token figure %v disagrees with %v × 1000 / %d", id, m.Per1000InputWh, v, aesTokensPer1000Queries)
		}
		switch m.Class {
		case "A", "B", "C":
		default:
			return Family{}, fmt.Errorf("model %s: class %q is not A, B or C", id, m.Class)
		}
		rid := slug(lastSegment(id))
		if prev, ok := seen[rid]; ok {
			return Family{}, fmt.Errorf("model %s: row id %s already used by %s", id, rid, prev)
		}
		seen[rid] = id
		r := Row{
			ID:        rid,
			Model:     id,
			Class:     m.Class,
			InputWh:   rate,
			Published: &Figure{Value: v, Unit: "Wh per 1,000 queries"},
			Note: fmt.Sprintf("Class %s (%s). %.4g Wh per 1,000 queries = %.6g Wh per 1,000 input tokens.",
				m.Class, aesClass(m.Class), v, rate*1000),
		}
		if id != m.ModelID {
			r.SourceID = m.ModelID
			r.Note += fmt.Sprintf(" The source spells the id %q (stray spaces removed).", m.ModelID)
		}
		fam.Rows = append(fam.Rows, r)
	}
	return fam, nil
}

func aesClass(c string) string {
	switch c {
	case "A":
		return "up to 20B parameters"
	case "B":
		return "20B to 66B parameters, one H100"
	default:
		return "over 66B parameters, several H100s"
	}
}

// --- Jegham et al. ---

// jeghamShapes are the three prompt shapes of Table 4, in column order.
var jeghamShapes = [3][2]int{{100, 300}, {1000, 1000}, {10000, 1500}}

var jeghamHeader = []string{
	"model",
	"wh_100in_300out_mean", "wh_100in_300out_sd",
	"wh_1kin_1kout_mean", "wh_1kin_1kout_sd",
	"wh_10kin_1500out_mean", "wh_10kin_1500out_sd",
}

func convertJegham(b []byte) (Family, error) {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return Family{}, fmt.Errorf("parse: %w", err)
	}
	if len(recs) < 2 {
		return Family{}, errors.New("no rows")
	}
	if strings.Join(recs[0], ",") != strings.Join(jeghamHeader, ",") {
		return Family{}, fmt.Errorf("header is %q, want %q", recs[0], jeghamHeader)
	}
	fam := Family{
		ID:     "jegham",
		Name:   "Jegham et al. 2025, \"How Hungry is AI?\" (Table 4)",
		Source: "N. Jegham, M. Abdelatti, L. Elmoubarki, A. Hendawi, \"How Hungry is AI? Benchmarking Energy, Water, and Carbon Footprint of LLM Inference\", arXiv:2505.09598 (v6), Table 4",
		URL:    "https://arxiv.org/abs/2505.09598",
		// The predecessor's docs cite the same paper under another title; the
		// stored v6 page is titled "How Hungry is AI?".
		Version:     "2025 (arXiv v6)",
		Boundary:    "node-pue",
		PUEIncluded: true,
		Hardware:    "provider deployments inferred from API latency (H100, H200 or A100 DGX-class nodes per provider); not metered",
		Method: "Modelled, not metered: per query, E = (latency + output tokens / throughput) / 3600 × (GPU power × GPU " +
			"utilisation + non-GPU power × non-GPU utilisation) × PUE, with hardware inferred per provider from public API " +
			"latency and throughput. The whole node and the data-centre overhead (PUE) are inside the figure, so a carbon " +
			"step must not multiply it by PUE again. Table 4 gives mean ± SD Wh per query at three prompt shapes (100 in / " +
			"300 out, 1,000 / 1,000, 10,000 / 1,500 tokens). Each row is fitted with the two-phase model E = a + b·input + " +
			"c·output through the published means exactly (a 3×3 solve): a is Wh per query at zero tokens, b the marginal " +
			"Wh of one more input token at fixed output, c the marginal Wh of one more output token at fixed input. The " +
			"uncertainty band is ±1 SD propagated from the three shapes' SDs through the linear fit, assuming the shapes' " +
			"errors are independent; at each published shape the fit returns the published mean and SD. Where a shape is " +
			"missing the fit degrades (two shapes: a = 0 assumed; one shape: a = 0 and b = c) and the row's note says so. " +
			"An exact fit through three noisy means can have negative coefficients; such rows are flagged and an estimate " +
			"whose central value goes negative is refused rather than clamped.",
		Formula: "E = a + b·input + c·output, exact fit through Table 4's three prompt shapes (modelled node × PUE; ±1 SD propagated)",
	}
	seen := map[string]string{}
	for i, rec := range recs[1:] {
		// The table's footnote marks (* DeepSeek host, † Azure) are not part
		// of the name; the note records the host.
		raw := strings.TrimSpace(rec[0])
		name := strings.TrimSpace(strings.TrimRight(raw, "*†"))
		if name == "" {
			return Family{}, fmt.Errorf("row %d: empty model", i+1)
		}
		var shapes []Shape
		var missing []string
		for k, sh := range jeghamShapes {
			ms, ss := strings.TrimSpace(rec[1+2*k]), strings.TrimSpace(rec[2+2*k])
			label := fmt.Sprintf("%d in / %d out", sh[0], sh[1])
			if ms == "" && ss == "" {
				missing = append(missing, label)
				continue
			}
			mean, err1 := strconv.ParseFloat(ms, 64)
			sd, err2 := strconv.ParseFloat(ss, 64)
			if err1 != nil || err2 != nil {
				return Family{}, fmt.Errorf("row %s: shape %s: mean %q and SD %q must both be numbers or both empty", name, label, ms, ss)
			}
			if !positive(mean) || !positive(sd) {
				return Family{}, fmt.Errorf("row %s: shape %s: mean %v and SD %v must be positive", name, label, mean, sd)
			}
			shapes = append(shapes, Shape{Input: sh[0], Output: sh[1], MeanWh: mean, SDWh: sd})
		}
		if len(shapes) == 0 {
			return Family{}, fmt.Errorf("row %s: no shape reported", name)
		}
		fit, err := fitShapes(shapes)
		if err != nil {
			return Family{}, fmt.Errorf("row %s: %w", name, err)
		}
		rid := slug(name)
		if prev, ok := seen[rid]; ok {
			return Family{}, fmt.Errorf("row %s: id %s already used by %s", name, rid, prev)
		}
		seen[rid] = name
		r := Row{
			ID: rid, Model: name,
			FixedWh: fit.coef[0], InputWh: fit.coef[1], OutputWh: fit.coef[2],
			Cov:      &fit.cov,
			Shapes:   shapes,
			Coverage: coverage(shapes),
			Note:     jeghamNote(name, shapes, missing, fit),
		}
		if raw != name {
			r.SourceID = raw
		}
		fam.Rows = append(fam.Rows, r)
	}
	return fam, nil
}

type fitResult struct {
	coef [3]float64
	cov  [3][3]float64
}

// fitShapes fits E = a + b·input + c·output through the shapes' means.
// Three shapes: exact 3×3 solve. Two: a = 0 and (b, c) from the 2×2 solve.
// One: a = 0 and b = c = mean / (input + output). The covariance is
// J diag(SD²) Jᵀ where J maps the means to the coefficients, which assumes
// the shapes' errors are independent.
func fitShapes(s []Shape) (fitResult, error) {
	var res fitResult
	switch len(s) {
	case 3:
		var m [3][3]float64
		for i, p := range s {
			m[i] = [3]float64{1, float64(p.Input), float64(p.Output)}
		}
		inv, ok := invert3(m)
		if !ok {
			return res, errors.New("the three shapes are collinear")
		}
		for i := range 3 {
			for k := range 3 {
				res.coef[i] += inv[i][k] * s[k].MeanWh
			}
		}
		for i := range 3 {
			for j := range 3 {
				for k := range 3 {
					res.cov[i][j] += inv[i][k] * inv[j][k] * s[k].SDWh * s[k].SDWh
				}
			}
		}
	case 2:
		x1, y1 := float64(s[0].Input), float64(s[0].Output)
		x2, y2 := float64(s[1].Input), float64(s[1].Output)
		det := x1*y2 - x2*y1
		if det == 0 {
			return res, errors.New("the two shapes have the same input:output ratio")
		}
		// inv of [[x1 y1] [x2 y2]].
		inv := [2][2]float64{{y2 / det, -y1 / det}, {-x2 / det, x1 / det}}
		for i := range 2 {
			res.coef[i+1] = inv[i][0]*s[0].MeanWh + inv[i][1]*s[1].MeanWh
			for j := range 2 {
				res.cov[i+1][j+1] = inv[i][0]*inv[j][0]*s[0].SDWh*s[0].SDWh + inv[i][1]*inv[j][1]*s[1].SDWh*s[1].SDWh
			}
		}
	case 1:
		n := float64(s[0].Input + s[0].Output)
		k := s[0].MeanWh / n
		v := s[0].SDWh * s[0].SDWh / (n * n)
		res.coef = [3]float64{0, k, k}
		res.cov[1] = [3]float64{0, v, v}
		res.cov[2] = [3]float64{0, v, v}
	default:
		return res, fmt.Errorf("%d shapes", len(s))
	}
	for _, c := range res.coef {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return res, errors.New("the fit is not finite")
		}
	}
	return res, nil
}

// invert3 inverts m by the adjugate; ok is false when m is singular.
func invert3(m [3][3]float64) (inv [3][3]float64, ok bool) {
	c := func(r0, r1, c0, c1 int) float64 { return m[r0][c0]*m[r1][c1] - m[r0][c1]*m[r1][c0] }
	cof := [3][3]float64{
		{c(1, 2, 1, 2), -c(1, 2, 0, 2), c(1, 2, 0, 1)},
		{-c(0, 2, 1, 2), c(0, 2, 0, 2), -c(0, 2, 0, 1)},
		{c(0, 1, 1, 2), -c(0, 1, 0, 2), c(0, 1, 0, 1)},
	}
	det := m[0][0]*cof[0][0] + m[0][1]*cof[0][1] + m[0][2]*cof[0][2]
	if det == 0 || math.IsNaN(det) {
		return inv, false
	}
	for i := range 3 {
		for j := range 3 {
			inv[i][j] = cof[j][i] / det
		}
	}
	return inv, true
}

func coverage(s []Shape) *Coverage {
	c := &Coverage{InputMin: s[0].Input, InputMax: s[0].Input, OutputMin: s[0].Output, OutputMax: s[0].Output}
	for _, p := range s[1:] {
		c.InputMin, c.InputMax = min(c.InputMin, p.Input), max(c.InputMax, p.Input)
		c.OutputMin, c.OutputMax = min(c.OutputMin, p.Output), max(c.OutputMax, p.Output)
	}
	return c
}

func jeghamNote(name string, shapes []Shape, missing []string, fit fitResult) string {
	var parts []string
	switch len(shapes) {
	case 3:
		parts = append(parts, "Exact fit through all three published shapes.")
	case 2:
		parts = append(parts, fmt.Sprintf("Table 4 reports no %s figure, so only two shapes are fitted: "+
			"the fixed per-query term a is assumed to be 0 and b, c come from the 2×2 solve; "+
			"estimates beyond %d input tokens extrapolate without data.",
			strings.Join(missing, " or "), coverage(shapes).InputMax))
	case 1:
		parts = append(parts, fmt.Sprintf("Table 4 reports only the %d in / %d out shape, so a = 0 and b = c "+
			"(the predecessor's one-shape view: the query's Wh spread evenly over its tokens).",
			shapes[0].Input, shapes[0].Output))
	}
	var neg []string
	for i, label := range []string{"fixed a", "input b", "output c"} {
		if fit.coef[i] < 0 {
			neg = append(neg, fmt.Sprintf("%s = %.4g", label, fit.coef[i]))
		}
	}
	if len(neg) > 0 {
		parts = append(parts, fmt.Sprintf("The exact fit has negative %s: not a physical cost but the price of "+
			"passing exactly through three modelled means; trust it inside the published shapes only.", strings.Join(neg, ", ")))
	}
	switch {
	case strings.Contains(name, "(DS)"):
		parts = append(parts, "Served by DeepSeek's own API (the table's footnote *).")
	case strings.Contains(name, "(AZ)"):
		parts = append(parts, "Served on Microsoft Azure (the table's footnote †).")
	}
	if strings.Contains(name, "(high)") {
		parts = append(parts, "Measured at high reasoning effort.")
	}
	return strings.Join(parts, " ")
}

type jeghamOldInput struct {
	DataSource string `json:"data_source"`
	Task       string `json:"task"`
	Definition string `json:"wh_per_1000_queries_definition"`
	EnergyUnit string `json:"energy_unit"`
	Models     []struct {
		ModelID  string  `json:"model_id"`
		InputWh  float64 `json:"wh_per_1000_input_etokens"`
		OutputWh float64 `json:"wh_per_1000_output_etokens"`
	} `json:"models"`
}

// checkJeghamOld checks that the predecessor's one-shape file holds, for
// every row of the table, the 1k/1k mean in both its input and output
// e-token fields. Nothing from it is written out.
func checkJeghamOld(b []byte, fam Family) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in jeghamOldInput
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	mid := map[string]float64{}
	for _, r := range fam.Rows {
		for _, s := range r.Shapes {
			if s.Input == 1000 && s.Output == 1000 {
				mid[r.Model] = s.MeanWh
			}
		}
	}
	if len(in.Models) != len(fam.Rows) {
		return fmt.Errorf("%d models, the table has %d", len(in.Models), len(fam.Rows))
	}
	for _, m := range in.Models {
		want, ok := mid[strings.TrimSpace(m.ModelID)]
		if !ok {
			return fmt.Errorf("model %q has no 1k/1k figure in the table", m.ModelID)
		}
		if m.InputWh != want || m.OutputWh != want {
			return fmt.Errorf("model %q: input %v and output %v, want both the table's 1k/1k mean %v", m.ModelID, m.InputWh, m.OutputWh, want)
		}
	}
	return nil
}

// --- ML.ENERGY ---

var mlenergyHeader = []string{
	"task", "model_id", "nickname", "gpu_model", "num_gpus", "max_num_seqs", "avg_batch_size",
	"energy_per_token_joules", "energy_per_request_joules", "avg_output_len", "avg_power_watts",
	"output_throughput_tokens_per_sec", "median_itl_ms", "weight_precision", "total_params_billions",
	"activated_params_billions", "architecture",
}

var mlenergyTasks = map[string]string{
	"lm-arena-chat":   "LMArena chat prompts",
	"gpqa":            "GPQA reasoning questions",
	"sourcegraph-fim": "Sourcegraph code fill-in-the-middle",
}

func convertMLEnergy(b []byte) (Family, error) {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return Family{}, fmt.Errorf("parse: %w", err)
	}
	if len(recs) < 2 {
		return Family{}, errors.New("no rows")
	}
	if strings.Join(recs[0], ",") != strings.Join(mlenergyHeader, ",") {
		return Family{}, fmt.Errorf("header is %q, want %q", recs[0], mlenergyHeader)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	fam := Family{
		ID:          "mlenergy",
		Name:        "ML.ENERGY Leaderboard v3",
		Source:      "ML.ENERGY Leaderboard v3 data (ml-energy/leaderboard, public/data/tasks/*.json), benchmark paper arXiv:2505.06371",
		URL:         "https://ml.energy/leaderboard",
		Version:     "v3.0 (vLLM 0.11, data of 2026-02)",
		Boundary:    "gpu",
		DefaultTask: "lm-arena-chat",
		Hardware:    "NVIDIA H100 or B200, 1 to 8 GPUs on one node, vLLM 0.11 at a given max_num_seqs",
		Method: "Measured GPU energy (Zeus, NVML counters) of a vLLM 0.11 server replaying a task's prompts with max_num_seqs " +
			"concurrent requests, over the steady-state window (from the moment max_num_seqs requests have produced their first " +
			"token until all but max_num_seqs + 1 have finished), divided by the output tokens generated in that window: J per " +
			"output token, GPU only. Estimate = output tokens × J per token; input tokens do not enter, because the figure is " +
			"steady-state and decode-dominated, with the prefill of the task's prompts already folded into the per-output-token " +
			"figure, so prompts much longer than the task's make the estimate too low. A row is one (model, GPU, GPU count, " +
			"batch, task); the smallest batch (8) is closest to a single user but still shares the GPUs among 8 requests, so a " +
			"batch-1 local run costs more per token.",
		Formula: "E = output × J per output token / 3600 (steady-state vLLM, GPU only; input ignored)",
	}
	type key struct {
		task, model, gpu string
		gpus, batch      int
	}
	runs := map[key]int{}
	first := map[key]string{}
	seen := map[string]bool{}
	for i, rec := range recs[1:] {
		line := i + 2
		get := func(h string) string { return strings.TrimSpace(rec[col[h]]) }
		num := func(h string) (float64, error) {
			v, err := strconv.ParseFloat(get(h), 64)
			if err != nil {
				return 0, fmt.Errorf("line %d: %s: %w", line, h, err)
			}
			return v, nil
		}
		integer := func(h string) (int, error) {
			v, err := strconv.Atoi(get(h))
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("line %d: %s %q is not a positive integer", line, h, get(h))
			}
			return v, nil
		}
		task, model, gpu, prec := get("task"), get("model_id"), get("gpu_model"), get("weight_precision")
		if _, ok := mlenergyTasks[task]; !ok {
			return Family{}, fmt.Errorf("line %d: unknown task %q", line, task)
		}
		if model == "" || gpu == "" || prec == "" {
			return Family{}, fmt.Errorf("line %d: empty model_id, gpu_model or weight_precision", line)
		}
		gpus, err := integer("num_gpus")
		if err != nil {
			return Family{}, err
		}
		batch, err := integer("max_num_seqs")
		if err != nil {
			return Family{}, err
		}
		var vals [4]float64
		for k, h := range []string{"energy_per_token_joules", "avg_output_len", "total_params_billions", "activated_params_billions"} {
			v, err := num(h)
			if err != nil {
				return Family{}, err
			}
			if !positive(v) {
				return Family{}, fmt.Errorf("line %d: %s %v is not a positive number", line, h, v)
			}
			vals[k] = v
		}
		jpt := vals[0]
		k := key{task, model, gpu, gpus, batch}
		runs[k]++
		run := runs[k]
		rid := fmt.Sprintf("%s.%sx%d.b%d.%s", slug(lastSegment(model)), strings.ToLower(gpu), gpus, batch, task)
		if run > 1 {
			rid += fmt.Sprintf(".run%d", run)
		}
		if seen[rid] {
			return Family{}, fmt.Errorf("line %d: duplicate row id %s", line, rid)
		}
		seen[rid] = true
		// The serving fields say everything else; a note is only needed for
		// configurations the source measured more than once.
		var note string
		if run > 1 {
			note = fmt.Sprintf("The source holds %d measurements of this configuration (probably different parallelism, "+
				"which the data does not record); this is number %d, %s is the first.", run, run, first[k])
		} else {
			first[k] = rid
		}
		fam.Rows = append(fam.Rows, Row{
			ID:        rid,
			Model:     model,
			OutputWh:  jpt / 3600,
			Published: &Figure{Value: jpt, Unit: "J per output token"},
			Serving: &Serving{
				Task: task, GPU: gpu, GPUs: gpus, Batch: batch, Precision: prec,
				ParamsB: vals[2], ActiveParamsB: vals[3], MeanOutputTokens: vals[1], Run: run,
			},
			Note: note,
		})
	}
	// A first run's note cannot know a later duplicate; add it now.
	for i := range fam.Rows {
		s := fam.Rows[i].Serving
		k := key{s.Task, fam.Rows[i].Model, s.GPU, s.GPUs, s.Batch}
		if n := runs[k]; n > 1 && s.Run == 1 {
			fam.Rows[i].Note = fmt.Sprintf("The source holds %d measurements of this configuration (probably different "+
				"parallelism, which the data does not record); this is the first.", n)
		}
	}
	return fam, nil
}

// --- helpers ---

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

func lastSegment(id string) string {
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

var nonSlug = regexp.MustCompile(`[^a-z0-9._]+`)

// slug lower-cases s and turns every run of other characters into one
// hyphen: "GPT-4o (Mar ’25)" → "gpt-4o-mar-25".
func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-.")
}
