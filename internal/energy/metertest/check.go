package metertest

import (
	"fmt"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// The checks below are pure: they return the problems they find, so that
// the suite can report them and its own tests can feed them broken input.

// checkInfo returns the problems of a meter's description.
func checkInfo(info energy.Info) []string {
	var probs []string
	if info.Name == "" {
		probs = append(probs, "Info.Name is empty")
	}
	switch info.Source {
	case energy.Measured, energy.Modelled, energy.Estimated:
	default:
		probs = append(probs, fmt.Sprintf("Info.Source %q is not measured, modelled or estimated", info.Source))
	}
	if info.Boundary == "" {
		probs = append(probs, "Info.Boundary is empty")
	}
	if info.Description == "" {
		probs = append(probs, "Info.Description is empty")
	}
	if info.Source == energy.Modelled && len(info.Assumptions) == 0 {
		probs = append(probs, "a modelled meter states no Info.Assumptions")
	}
	if info.Resolution < 0 {
		probs = append(probs, fmt.Sprintf("Info.Resolution %d µJ is negative", info.Resolution))
	}
	if info.UpdatePeriod < 0 {
		probs = append(probs, fmt.Sprintf("Info.UpdatePeriod %v is negative", info.UpdatePeriod))
	}
	if len(info.Domains) == 0 {
		probs = append(probs, "Info.Domains is empty")
	}
	seen := map[string]bool{}
	for i, d := range info.Domains {
		switch {
		case d.ID == "":
			probs = append(probs, fmt.Sprintf("domain %d has an empty ID", i))
		case seen[d.ID]:
			probs = append(probs, fmt.Sprintf("domain ID %q appears twice", d.ID))
		}
		seen[d.ID] = true
		if d.Name == "" {
			probs = append(probs, fmt.Sprintf("domain %q has an empty Name", d.ID))
		}
		if d.Boundary == "" {
			probs = append(probs, fmt.Sprintf("domain %q has an empty Boundary", d.ID))
		}
		if d.MaxEnergy < 0 {
			probs = append(probs, fmt.Sprintf("domain %q has a negative MaxEnergy %d µJ", d.ID, d.MaxEnergy))
		}
	}
	return probs
}

// checkReading returns the problems of one reading against the meter's
// description: one counter per domain, in Info order, with matching IDs and
// values within the domain's range.
func checkReading(info energy.Info, r energy.Reading) []string {
	var probs []string
	if r.Time.IsZero() {
		probs = append(probs, "Reading.Time is zero")
	}
	if len(r.Counters) != len(info.Domains) {
		return append(probs, fmt.Sprintf("reading has %d counters for %d domains", len(r.Counters), len(info.Domains)))
	}
	for i, c := range r.Counters {
		d := info.Domains[i]
		if c.Domain != d.ID {
			probs = append(probs, fmt.Sprintf("counter %d is for domain %q, want %q (Info order)", i, c.Domain, d.ID))
		}
		if c.Energy < 0 {
			probs = append(probs, fmt.Sprintf("counter %q is negative: %d µJ", d.ID, c.Energy))
		}
		if d.MaxEnergy > 0 && c.Energy > d.MaxEnergy {
			probs = append(probs, fmt.Sprintf("counter %q = %d µJ exceeds its MaxEnergy %d µJ", d.ID, c.Energy, d.MaxEnergy))
		}
	}
	return probs
}

// checkStep returns the problems between two consecutive readings (both
// already passed checkReading): time must not go backwards, and a counter
// may decrease only by a wrap, which needs a positive MaxEnergy that both
// values lie within. wraps counts the wraps seen.
func checkStep(info energy.Info, prev, cur energy.Reading) (probs []string, wraps int) {
	if cur.Time.Before(prev.Time) {
		probs = append(probs, fmt.Sprintf("Reading.Time went backwards from %v to %v", prev.Time, cur.Time))
	}
	if len(prev.Counters) != len(info.Domains) || len(cur.Counters) != len(info.Domains) {
		return probs, 0
	}
	for i, d := range info.Domains {
		p, c := prev.Counters[i].Energy, cur.Counters[i].Energy
		if c >= p {
			continue
		}
		if d.MaxEnergy > 0 && p <= d.MaxEnergy && c <= d.MaxEnergy {
			wraps++
			continue
		}
		probs = append(probs, fmt.Sprintf("counter %q went backwards from %d to %d µJ, which its MaxEnergy (%d µJ) does not explain", d.ID, p, c, d.MaxEnergy))
	}
	return probs, wraps
}
