package carbon

//go:generate go run ./gen -in ../../../shared/data/emissions.json -out grid_factors.json

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Codes and methods of factors that do not come from the table row of a
// country.
const (
	// GlobalCode is the code of the world-average factor.
	GlobalCode = "GLOBAL"
	// CustomCode is the code of a user-supplied factor.
	CustomCode = "CUSTOM"
	// MethodLocationBased is the method of every bundled factor: the
	// location-based annual average of the grid's emissions per kWh.
	MethodLocationBased = "location-based, annual average"
	// MethodUserSupplied is the method and source of a factor from Custom.
	MethodUserSupplied = "user-supplied"
)

// MaxKgPerKWh is the largest factor Custom accepts, in kg CO2e per kWh. The
// most carbon-intensive national grids are about 1.0 to 1.2 (lignite and oil
// generation); anything above 2 is taken to be a unit mistake, such as g/kWh
// typed for kg/kWh.
const MaxKgPerKWh = 2.0

// Bounds of power usage effectiveness accepted by ValidatePUE.
const (
	// MinPUE is a facility with no overhead at all: every watt reaches IT.
	MinPUE = 1.0
	// MaxPUE is far above any real data centre (typically 1.1 to 2.0);
	// larger values are taken to be mistakes.
	MaxPUE = 3.0
)

// ErrUnknownGrid marks a grid name or code the table does not have. Errors
// wrapping it are *UnknownGridError values carrying suggestions.
var ErrUnknownGrid = errors.New("unknown grid")

// ErrNoData marks a grid the table lists without an emission factor (the
// source records 0 for it, which means no data). The fix is to pass a factor
// directly (--grid-factor).
var ErrNoData = errors.New("no emission factor")

// Factor is a grid's carbon intensity with its provenance.
type Factor struct {
	// Code is the ISO 3166-1 alpha-2 code ("FR"), GlobalCode or CustomCode.
	Code string `json:"code"`
	// Name is the country name as the source spells it.
	Name string `json:"name"`
	// KgPerKWh is the emission factor in kg CO2e per kWh, which is the same
	// number as g CO2e per Wh. It is 0 only when Missing is true or when a
	// user supplied 0.
	KgPerKWh float64 `json:"kg_per_kwh"`
	// Source names the publication the factor comes from.
	Source string `json:"source"`
	// Year is the year the factor applies to; 0 when the source gives none.
	Year int `json:"year,omitempty"`
	// Method says how the factor was derived: MethodLocationBased or
	// MethodUserSupplied.
	Method string `json:"method"`
	// Missing is true when the source has no factor for this grid. Such a
	// Factor must not be used to compute emissions.
	Missing bool `json:"missing,omitempty"`
}

// String formats f for humans, e.g. "France (FR) 0.047 kg CO2e/kWh".
func (f Factor) String() string {
	if f.Missing {
		return fmt.Sprintf("%s (%s) no data", f.Name, f.Code)
	}
	return fmt.Sprintf("%s (%s) %.3g kg CO2e/kWh", f.Name, f.Code, f.KgPerKWh)
}

//go:embed grid_factors.json
var tableJSON []byte

// table is the parsed embedded data. The committed file is checked by the
// package tests, so a parse failure here is a build defect, not a runtime
// condition: it panics.
var table = sync.OnceValue(func() []Factor {
	fs, err := parseTable(tableJSON)
	if err != nil {
		panic("carbon: embedded grid_factors.json: " + err.Error())
	}
	return fs
})

// fileLayout is the layout of grid_factors.json written by ./gen.
type fileLayout struct {
	Description string   `json:"description"`
	Units       string   `json:"units"`
	Input       string   `json:"input"`
	Factors     []Factor `json:"factors"`
}

// parseTable parses grid_factors.json and checks what the rest of the package
// relies on: unique non-empty codes, factors in range, zero exactly when
// missing, and a GLOBAL entry.
func parseTable(b []byte) ([]Factor, error) {
	var f fileLayout
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse grid factors: %w", err)
	}
	seen := make(map[string]bool, len(f.Factors))
	for i, e := range f.Factors {
		if e.Code == "" || e.Name == "" {
			return nil, fmt.Errorf("parse grid factors: entry %d: empty code or name", i)
		}
		key := strings.ToUpper(e.Code)
		if seen[key] {
			return nil, fmt.Errorf("parse grid factors: duplicate code %s", e.Code)
		}
		seen[key] = true
		if math.IsNaN(e.KgPerKWh) || e.KgPerKWh < 0 || e.KgPerKWh > MaxKgPerKWh {
			return nil, fmt.Errorf("parse grid factors: %s: factor %v kg/kWh out of range", e.Code, e.KgPerKWh)
		}
		if (e.KgPerKWh == 0) != e.Missing {
			return nil, fmt.Errorf("parse grid factors: %s: factor %v inconsistent with missing=%v", e.Code, e.KgPerKWh, e.Missing)
		}
	}
	if !seen[GlobalCode] {
		return nil, errors.New("parse grid factors: no GLOBAL entry")
	}
	return f.Factors, nil
}

// All returns every bundled factor, the GLOBAL average first and then the
// countries in the source's order (alphabetical by name), missing ones
// included. The slice is a copy.
func All() []Factor {
	t := table()
	out := make([]Factor, len(t))
	copy(out, t)
	return out
}

// Default returns the world-average factor, 0.445 kg CO2e/kWh (IEA
// Electricity 2025), used when no grid is configured.
func Default() Factor {
	for _, f := range table() {
		if f.Code == GlobalCode {
			return f
		}
	}
	panic("carbon: no GLOBAL entry") // parseTable guarantees one.
}

// aliases maps common non-ISO codes to the table's code. "UK" is reserved in
// ISO 3166-1 for the United Kingdom, whose code is GB.
var aliases = map[string]string{"UK": "GB"}

// UnknownGridError reports a grid Lookup could not find, with the closest
// entries it has.
type UnknownGridError struct {
	// Query is what was looked up.
	Query string
	// Suggestions are up to five close entries, best first.
	Suggestions []Factor
}

func (e *UnknownGridError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown grid %q", e.Query)
	if len(e.Suggestions) > 0 {
		b.WriteString(" (did you mean ")
		for i, s := range e.Suggestions {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", s.Name, s.Code)
		}
		b.WriteString("?)")
	}
	b.WriteString("; give an ISO country code such as FR, a country name, or pass a factor directly with --grid-factor KG_PER_KWH")
	return b.String()
}

// Unwrap lets errors.Is match ErrUnknownGrid.
func (e *UnknownGridError) Unwrap() error { return ErrUnknownGrid }

// Lookup finds a grid by ISO 3166-1 alpha-2 code ("fr", "GB"), by GLOBAL, or
// by the country's exact name ("france"), all case-insensitively; "UK" is
// accepted for GB.
//
// An unknown query returns an *UnknownGridError (wrapping ErrUnknownGrid)
// with up to five suggestions. A country the source has no factor for
// returns its Factor with Missing set and an error wrapping ErrNoData: the
// caller must ask for a factor, never use zero or the global average in its
// place.
func Lookup(q string) (Factor, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return Factor{}, &UnknownGridError{Query: q}
	}
	code := strings.ToUpper(q)
	if a, ok := aliases[code]; ok {
		code = a
	}
	t := table()
	for _, f := range t {
		if f.Code == code || strings.EqualFold(f.Name, q) {
			if f.Missing {
				return f, fmt.Errorf("grid %s (%s): %w: the dataset records 0 for it, which means no data; pass a factor with --grid-factor KG_PER_KWH", f.Name, f.Code, ErrNoData)
			}
			return f, nil
		}
	}
	return Factor{}, &UnknownGridError{Query: q, Suggestions: suggest(t, q, 5)}
}

// suggest returns up to n entries close to q: those whose code or name starts
// with q, then those whose name contains q, then those whose name or code is
// within a small edit distance (typos), each group in table order.
func suggest(t []Factor, q string, n int) []Factor {
	lq := strings.ToLower(q)
	var out []Factor
	taken := make(map[string]bool)
	add := func(match func(code, name string) bool) {
		for _, f := range t {
			if len(out) == n {
				return
			}
			if taken[f.Code] {
				continue
			}
			if match(strings.ToLower(f.Code), strings.ToLower(f.Name)) {
				out = append(out, f)
				taken[f.Code] = true
			}
		}
	}
	add(func(code, name string) bool {
		return strings.HasPrefix(code, lq) || strings.HasPrefix(name, lq)
	})
	add(func(_, name string) bool { return strings.Contains(name, lq) })
	if len(lq) >= 4 {
		maxDist := 1 + len(lq)/6
		add(func(_, name string) bool { return editDistance(name, lq) <= maxDist })
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Custom returns a user-supplied factor in kg CO2e per kWh. It rejects NaN,
// infinities, negative values and values above MaxKgPerKWh (most likely g/kWh
// given as kg/kWh). Zero is accepted because the user chose it explicitly.
func Custom(kgPerKWh float64) (Factor, error) {
	switch {
	case math.IsNaN(kgPerKWh) || math.IsInf(kgPerKWh, 0):
		return Factor{}, fmt.Errorf("grid factor %v is not a number of kg CO2e per kWh", kgPerKWh)
	case kgPerKWh < 0:
		return Factor{}, fmt.Errorf("grid factor %v kg CO2e/kWh is negative", kgPerKWh)
	case kgPerKWh > MaxKgPerKWh:
		return Factor{}, fmt.Errorf("grid factor %v kg CO2e/kWh is above %v, higher than any real grid: is it in g/kWh? divide by 1000", kgPerKWh, MaxKgPerKWh)
	}
	return Factor{
		Code:     CustomCode,
		Name:     "user-supplied factor",
		KgPerKWh: kgPerKWh,
		Source:   MethodUserSupplied,
		Method:   MethodUserSupplied,
	}, nil
}

// ValidatePUE checks a power usage effectiveness (facility energy / IT
// energy, dimensionless): it must be a number from MinPUE (1.0) to MaxPUE
// (3.0).
func ValidatePUE(pue float64) error {
	switch {
	case math.IsNaN(pue):
		return errors.New("PUE is not a number")
	case pue < MinPUE:
		return fmt.Errorf("PUE %v is below %v: PUE is facility energy over IT energy, so at least 1.0 (use 1.0 to count the machine alone)", pue, MinPUE)
	case pue > MaxPUE:
		return fmt.Errorf("PUE %v is above %v, beyond any real data centre (typically 1.1 to 2.0)", pue, MaxPUE)
	}
	return nil
}

// Grams returns the emissions of e on grid f at power usage effectiveness
// pue, in grams of CO2e:
//
//	g = Wh × kg/kWh × PUE
//
// The units work out because 1 kg/kWh = 1000 g / 1000 Wh = 1 g/Wh. For
// example 0.5 Wh in France (0.047044192 kg/kWh) at PUE 1.2 is
// 0.5 × 0.047044192 × 1.2 = 0.0282265152 g.
//
// A negative e (active energy below baseline) gives negative grams. Grams
// does not validate pue (see ValidatePUE). For a factor with Missing set it
// returns NaN, so that a missing factor can never pass for zero emissions.
func Grams(e energy.Energy, f Factor, pue float64) float64 {
	if f.Missing {
		return math.NaN()
	}
	return e.WattHours() * f.KgPerKWh * pue
}
