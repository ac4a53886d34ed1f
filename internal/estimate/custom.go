package estimate

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

const customMethod = "User-defined figures: E = fixed Wh + input tokens / 1,000 × Wh per 1,000 input tokens + " +
	"output tokens / 1,000 × Wh per 1,000 output tokens. The numbers, their boundary and what they mean are " +
	"the user's statement; the lab checks only that they are finite, non-negative and named. Unlike the " +
	"predecessor, no input rate is derived from the output rate (its 0.25 × rule): a rate the user leaves at " +
	"zero costs nothing."

const customFormula = "E = fixed + input/1000 × Wh per 1k input + output/1000 × Wh per 1k output (user-defined)"

func customFamily() *Family {
	return &Family{
		ID:       FamilyCustom,
		Name:     "Custom (user-defined)",
		Source:   "the user",
		URL:      "-",
		Version:  "-",
		Boundary: BoundaryStated,
		Hardware: "as stated by the user",
		Method:   customMethod,
		Formula:  customFormula,
	}
}

// Custom is a user-defined row before validation. Rates are Wh per 1,000
// tokens, the lab's e-token unit.
type Custom struct {
	// Name names the row; it becomes the row's model and, slugged, its ID.
	Name string
	// InputWhPer1k is Wh per 1,000 input tokens.
	InputWhPer1k float64
	// OutputWhPer1k is Wh per 1,000 output tokens.
	OutputWhPer1k float64
	// FixedWh is an optional per-request energy in Wh.
	FixedWh float64
	// Boundary is what the figures cover; empty means BoundaryStated, which
	// requires BoundaryText.
	Boundary Boundary
	// BoundaryText describes the boundary in the user's words ("whole
	// laptop at the wall, idle subtracted").
	BoundaryText string
	// PUEIncluded is true when the figures already include a PUE.
	PUEIncluded bool
	// Hardware is what the figures were measured on, if known.
	Hardware string
	// Note is free text shown with every estimate.
	Note string
}

// Validate checks c: a non-empty name, finite non-negative figures, at
// least one of them positive, and a known boundary (a stated boundary needs
// its text). It joins every problem into one error.
func (c Custom) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, errors.New("name is empty"))
	} else if slug(c.Name) == "" {
		errs = append(errs, fmt.Errorf("name %q has no letters or digits", c.Name))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"input Wh per 1k", c.InputWhPer1k}, {"output Wh per 1k", c.OutputWhPer1k}, {"fixed Wh", c.FixedWh}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %v, want a finite number ≥ 0", f.name, f.v))
		}
	}
	if c.InputWhPer1k == 0 && c.OutputWhPer1k == 0 && c.FixedWh == 0 {
		errs = append(errs, errors.New("every figure is zero"))
	}
	b := c.Boundary
	if b == "" {
		b = BoundaryStated
	}
	switch {
	case !b.Valid():
		errs = append(errs, fmt.Errorf("boundary %q is not one of %v", c.Boundary, Boundaries()))
	case b == BoundaryStated && strings.TrimSpace(c.BoundaryText) == "":
		errs = append(errs, errors.New("a stated boundary needs its text"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("custom benchmark %q: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

// NewCustom validates c and returns it as a row of the custom family.
func NewCustom(c Custom) (Row, error) {
	if err := c.Validate(); err != nil {
		return Row{}, err
	}
	b := c.Boundary
	if b == "" {
		b = BoundaryStated
	}
	return Row{
		Family:           FamilyCustom,
		ID:               slug(c.Name),
		Model:            strings.TrimSpace(c.Name),
		Hardware:         c.Hardware,
		Boundary:         b,
		BoundaryNote:     c.BoundaryText,
		PUEIncluded:      c.PUEIncluded,
		FixedWh:          c.FixedWh,
		InputWhPerToken:  c.InputWhPer1k / 1000,
		OutputWhPerToken: c.OutputWhPer1k / 1000,
		PhaseSplit:       true,
		Method:           customFormula,
		Note:             c.Note,
	}, nil
}
