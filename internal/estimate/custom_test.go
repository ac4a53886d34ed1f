package estimate

import (
	"math"
	"strings"
	"testing"
)

func TestNewCustom(t *testing.T) {
	r, err := NewCustom(Custom{
		Name: "My laptop (wall meter)", InputWhPer1k: 0.01, OutputWhPer1k: 0.0311, FixedWh: 0.002,
		BoundaryText: "whole laptop at the wall, idle subtracted", Note: "measured with a plug meter",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "my-laptop-wall-meter" || r.Family != FamilyCustom || r.Boundary != BoundaryStated || !r.PhaseSplit {
		t.Errorf("row %+v", r)
	}
	e, err := r.Estimate(2000, 500)
	if err != nil {
		t.Fatal(err)
	}
	// 0.002 + 2 × 0.01 + 0.5 × 0.0311 = 0.03755 Wh.
	if got := e.WattHours(); math.Abs(got-0.03755) > whTol {
		t.Errorf("estimate %.9f Wh, want 0.03755", got)
	}
	if e.Note != "measured with a plug meter" || e.Uncertain || e.Boundary != BoundaryStated {
		t.Errorf("estimate %+v", e)
	}
	// Unlike the predecessor, an input rate of zero stays zero.
	r2, err := NewCustom(Custom{Name: "out only", OutputWhPer1k: 1, Boundary: BoundaryGPU})
	if err != nil {
		t.Fatal(err)
	}
	if r2.InputWhPerToken != 0 {
		t.Errorf("input rate %g, want 0", r2.InputWhPerToken)
	}
	fam, _ := Lookup(FamilyCustom)
	fam, err = fam.WithRows(r, r2)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := fam.Match("out only", 0); err != nil || m.Row.ID != "out-only" {
		t.Errorf("match custom row: %v %v", m.Row.ID, err)
	}
	other, _ := Lookup(FamilyJegham)
	if _, err := other.WithRows(r); err == nil || !strings.Contains(err.Error(), "belongs to family") {
		t.Errorf("a custom row joined jegham: %v", err)
	}
}

func TestCustomValidate(t *testing.T) {
	ok := Custom{Name: "x", OutputWhPer1k: 1, Boundary: BoundaryCPUDRAM}
	tests := []struct {
		name string
		edit func(*Custom)
		want string
	}{
		{"no name", func(c *Custom) { c.Name = "  " }, "name is empty"},
		{"punctuation name", func(c *Custom) { c.Name = "!!" }, "no letters or digits"},
		{"negative input", func(c *Custom) { c.InputWhPer1k = -1 }, "input Wh per 1k is -1"},
		{"NaN output", func(c *Custom) { c.OutputWhPer1k = math.NaN() }, "output Wh per 1k is NaN"},
		{"infinite fixed", func(c *Custom) { c.FixedWh = math.Inf(1) }, "fixed Wh is +Inf"},
		{"all zero", func(c *Custom) { c.OutputWhPer1k = 0 }, "every figure is zero"},
		{"unknown boundary", func(c *Custom) { c.Boundary = "wall" }, `boundary "wall"`},
		{"stated without text", func(c *Custom) { c.Boundary = BoundaryStated }, "needs its text"},
		{"default boundary without text", func(c *Custom) { c.Boundary = "" }, "needs its text"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid custom rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			if _, err := NewCustom(c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewCustom() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
