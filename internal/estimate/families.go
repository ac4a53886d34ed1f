package estimate

//go:generate go run ./gen -data ../../../shared/data -out families.json

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

//go:embed families.json
var familiesJSON []byte

// dataFile is the layout of families.json written by ./gen.
type dataFile struct {
	Note     string       `json:"note"`
	Inputs   []string     `json:"inputs"`
	Families []dataFamily `json:"families"`
}

type dataFamily struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Source      string    `json:"source"`
	URL         string    `json:"url"`
	Version     string    `json:"version"`
	Boundary    Boundary  `json:"boundary"`
	PUEIncluded bool      `json:"pue_included"`
	Hardware    string    `json:"hardware"`
	Method      string    `json:"method"`
	Formula     string    `json:"formula"`
	DefaultTask string    `json:"default_task"`
	Rows        []dataRow `json:"rows"`
}

type dataRow struct {
	ID        string         `json:"id"`
	Model     string         `json:"model"`
	SourceID  string         `json:"source_id"`
	Class     string         `json:"class"`
	FixedWh   float64        `json:"fixed_wh"`
	InputWh   float64        `json:"input_wh_per_token"`
	OutputWh  float64        `json:"output_wh_per_token"`
	Cov       *[3][3]float64 `json:"cov"`
	Published *struct {
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
	} `json:"published"`
	Shapes []struct {
		Input  int     `json:"input"`
		Output int     `json:"output"`
		MeanWh float64 `json:"mean_wh"`
		SDWh   float64 `json:"sd_wh"`
	} `json:"shapes"`
	Coverage *struct {
		InputMin  int `json:"input_min"`
		InputMax  int `json:"input_max"`
		OutputMin int `json:"output_min"`
		OutputMax int `json:"output_max"`
	} `json:"coverage"`
	Serving *struct {
		Task             string  `json:"task"`
		GPU              string  `json:"gpu"`
		GPUs             int     `json:"gpus"`
		Batch            int     `json:"batch"`
		Precision        string  `json:"precision"`
		ParamsB          float64 `json:"params_b"`
		ActiveParamsB    float64 `json:"active_params_b"`
		MeanOutputTokens float64 `json:"mean_output_tokens"`
		Run              int     `json:"run"`
	} `json:"serving"`
	Note string `json:"note"`
}

// parseFamilies decodes families.json and checks what the rest of the
// package relies on: known boundaries, unique family and row IDs, finite
// coefficients, a method and source on every family.
func parseFamilies(b []byte) ([]*Family, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f dataFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse families.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse families.json: trailing data")
	}
	var fams []*Family
	ids := map[string]bool{}
	for _, df := range f.Families {
		if ids[df.ID] {
			return nil, fmt.Errorf("parse families.json: duplicate family %q", df.ID)
		}
		ids[df.ID] = true
		if !df.Boundary.Valid() {
			return nil, fmt.Errorf("parse families.json: family %s: unknown boundary %q", df.ID, df.Boundary)
		}
		for k, v := range map[string]string{"id": df.ID, "name": df.Name, "source": df.Source, "url": df.URL,
			"version": df.Version, "hardware": df.Hardware, "method": df.Method, "formula": df.Formula} {
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("parse families.json: family %q: empty %s", df.ID, k)
			}
		}
		fam := &Family{
			ID: df.ID, Name: df.Name, Source: df.Source, URL: df.URL, Version: df.Version,
			Boundary: df.Boundary, PUEIncluded: df.PUEIncluded, Hardware: df.Hardware,
			Method: df.Method, Formula: df.Formula, DefaultTask: df.DefaultTask,
		}
		rowIDs := map[string]bool{}
		for _, dr := range df.Rows {
			if dr.ID == "" || dr.Model == "" {
				return nil, fmt.Errorf("parse families.json: family %s: row with empty id or model", df.ID)
			}
			if rowIDs[dr.ID] {
				return nil, fmt.Errorf("parse families.json: family %s: duplicate row %q", df.ID, dr.ID)
			}
			rowIDs[dr.ID] = true
			r := Row{
				Family: df.ID, ID: dr.ID, Model: dr.Model, SourceID: dr.SourceID, Class: dr.Class,
				Boundary: df.Boundary, PUEIncluded: df.PUEIncluded, Hardware: df.Hardware,
				FixedWh: dr.FixedWh, InputWhPerToken: dr.InputWh, OutputWhPerToken: dr.OutputWh,
				Cov:        dr.Cov,
				PhaseSplit: df.ID == FamilyJegham,
				Method:     df.Formula, Note: dr.Note,
			}
			if dr.Published != nil {
				r.Published = &Figure{Value: dr.Published.Value, Unit: dr.Published.Unit}
			}
			for _, s := range dr.Shapes {
				r.Shapes = append(r.Shapes, Shape{Input: s.Input, Output: s.Output, MeanWh: s.MeanWh, SDWh: s.SDWh})
			}
			if c := dr.Coverage; c != nil {
				r.Coverage = &Coverage{InputMin: c.InputMin, InputMax: c.InputMax, OutputMin: c.OutputMin, OutputMax: c.OutputMax}
			}
			if s := dr.Serving; s != nil {
				if r.Published == nil {
					return nil, fmt.Errorf("parse families.json: row %s/%s: a serving configuration without its published figure", df.ID, dr.ID)
				}
				r.Serving = &Serving{Task: s.Task, GPU: s.GPU, GPUs: s.GPUs, Batch: s.Batch, Precision: s.Precision,
					ParamsB: s.ParamsB, ActiveParamsB: s.ActiveParamsB, MeanOutputTokens: s.MeanOutputTokens, Run: s.Run}
				r.Hardware = fmt.Sprintf("%d× NVIDIA %s, vLLM 0.11 at max_num_seqs %d, %s weights", s.GPUs, s.GPU, s.Batch, s.Precision)
				r.Note = strings.TrimSpace(fmt.Sprintf("Task %s; %.4g J per output token over a mean %.0f-token answer. %s",
					s.Task, r.Published.Value, s.MeanOutputTokens, r.Note))
			}
			if err := checkFinite(r); err != nil {
				return nil, fmt.Errorf("parse families.json: %w", err)
			}
			fam.Rows = append(fam.Rows, r)
		}
		fams = append(fams, fam)
	}
	return fams, nil
}

func checkFinite(r Row) error {
	vals := []float64{r.FixedWh, r.InputWhPerToken, r.OutputWhPerToken}
	if r.Cov != nil {
		for _, row := range r.Cov {
			vals = append(vals, row[:]...)
		}
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %s/%s: coefficient %v is not finite", r.Family, r.ID, v)
		}
	}
	return nil
}

var builtin = sync.OnceValues(func() ([]*Family, error) {
	fams, err := parseFamilies(familiesJSON)
	if err != nil {
		return nil, err
	}
	return append(fams, customFamily(), calibratedFamily()), nil
})

// mustBuiltin returns the built-in families; the embedded data is checked
// by the package's tests, so a failure here is a build defect.
func mustBuiltin() []*Family {
	fams, err := builtin()
	if err != nil {
		panic("estimate: embedded data: " + err.Error())
	}
	return fams
}

// Families returns the built-in families in a fixed order: aes, jegham,
// mlenergy (from the embedded data), then custom and calibrated with no
// rows (add the user's rows with WithRows). Each call returns fresh copies.
func Families() []*Family {
	fams := mustBuiltin()
	out := make([]*Family, len(fams))
	for i, f := range fams {
		out[i] = f.clone()
	}
	return out
}

// Lookup returns a fresh copy of the family with the given ID; an unknown
// ID is an error that lists the known ones.
func Lookup(id string) (*Family, error) {
	var known []string
	for _, f := range mustBuiltin() {
		if f.ID == id {
			return f.clone(), nil
		}
		known = append(known, f.ID)
	}
	return nil, fmt.Errorf("look up benchmark family %q: unknown; known families are %s", id, strings.Join(known, ", "))
}

// Row returns the row with the given ID; a missing ID is an error.
func (f *Family) Row(id string) (Row, error) {
	for _, r := range f.Rows {
		if r.ID == id {
			return r, nil
		}
	}
	return Row{}, fmt.Errorf("family %s: no row %q", f.ID, id)
}

// WithRows returns a copy of f with rows appended. Each row must belong to
// f (Row.Family), have a unique ID, a known boundary and finite
// coefficients; use it to put the user's custom or calibrated rows into
// their family before matching.
func (f *Family) WithRows(rows ...Row) (*Family, error) {
	g := f.clone()
	ids := map[string]bool{}
	for _, r := range g.Rows {
		ids[r.ID] = true
	}
	for _, r := range rows {
		if r.Family != f.ID {
			return nil, fmt.Errorf("add row %q to family %s: the row belongs to family %q", r.ID, f.ID, r.Family)
		}
		if r.ID == "" || r.Model == "" {
			return nil, fmt.Errorf("add row to family %s: empty id or model", f.ID)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("add row %q to family %s: the id is already used", r.ID, f.ID)
		}
		if !r.Boundary.Valid() {
			return nil, fmt.Errorf("add row %q to family %s: unknown boundary %q", r.ID, f.ID, r.Boundary)
		}
		if err := checkFinite(r); err != nil {
			return nil, fmt.Errorf("add row to family %s: %w", f.ID, err)
		}
		ids[r.ID] = true
		g.Rows = append(g.Rows, r.clone())
	}
	return g, nil
}

func (f *Family) clone() *Family {
	g := *f
	g.Rows = make([]Row, len(f.Rows))
	for i, r := range f.Rows {
		g.Rows[i] = r.clone()
	}
	return &g
}

// clone copies the row's pointed-to parts so that no two copies share
// memory.
func (r Row) clone() Row {
	if r.Cov != nil {
		c := *r.Cov
		r.Cov = &c
	}
	if r.Published != nil {
		p := *r.Published
		r.Published = &p
	}
	r.Shapes = slices.Clone(r.Shapes)
	if r.Coverage != nil {
		c := *r.Coverage
		r.Coverage = &c
	}
	if r.Serving != nil {
		s := *r.Serving
		r.Serving = &s
	}
	if r.Fit != nil {
		s := *r.Fit
		r.Fit = &s
	}
	return r
}
