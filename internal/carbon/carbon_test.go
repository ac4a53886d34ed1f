package carbon

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

const countrySource = "CaDI country grid emission factors, derived from the fuel mix, as collected by the predecessor LLM Energy Lab"

func TestEmbeddedTable(t *testing.T) {
	fs, err := parseTable(tableJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 209 {
		t.Errorf("got %d entries, want 209", len(fs))
	}
	seen := map[string]bool{}
	missing := 0
	for _, f := range fs {
		if seen[f.Code] {
			t.Errorf("duplicate code %s", f.Code)
		}
		seen[f.Code] = true
		if f.Source == "" || f.Method != MethodLocationBased {
			t.Errorf("%s: provenance source=%q method=%q", f.Code, f.Source, f.Method)
		}
		if f.Missing {
			missing++
		}
	}
	if missing != 12 {
		t.Errorf("got %d missing entries, want 12", missing)
	}
	want := Factor{Code: "GLOBAL", Name: "Global Average", KgPerKWh: 0.445, Source: "IEA Electricity 2025", Year: 2025, Method: MethodLocationBased}
	if d := cmp.Diff(want, Default()); d != "" {
		t.Errorf("Default() (-want +got):\n%s", d)
	}
	if d := cmp.Diff(fs, All()); d != "" {
		t.Errorf("All() differs from the table:\n%s", d)
	}
	All()[0].KgPerKWh = 99
	if Default().KgPerKWh != 0.445 {
		t.Error("All() returned the table itself, not a copy")
	}
}

func TestLookup(t *testing.T) {
	france := Factor{Code: "FR", Name: "France", KgPerKWh: 0.047044192, Source: countrySource, Year: 2025, Method: MethodLocationBased}
	uk := Factor{Code: "GB", Name: "United Kingdom", KgPerKWh: 0.177, Source: countrySource, Year: 2025, Method: MethodLocationBased}
	tests := []struct {
		q    string
		want Factor
	}{
		{"FR", france},
		{"fr", france},
		{" Fr ", france},
		{"France", france},
		{"FRANCE", france},
		{"GB", uk},
		{"gb", uk},
		{"UK", uk},
		{"united kingdom", uk},
		{"global", Default()},
		{"Global Average", Default()},
		{"Congo [DRC]", Factor{Code: "CD", Name: "Congo [DRC]", KgPerKWh: 0, Source: countrySource, Year: 2025, Method: MethodLocationBased, Missing: true}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got, err := Lookup(tt.q)
			if tt.want.Missing {
				if !errors.Is(err, ErrNoData) {
					t.Fatalf("Lookup(%q) error = %v, want ErrNoData", tt.q, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Lookup(%q) (-want +got):\n%s", tt.q, d)
			}
		})
	}
}

func TestLookupMissingData(t *testing.T) {
	for _, q := range []string{"IS", "NP", "AL", "BT", "CF", "CD", "ET", "XK", "LS", "SZ", "TL", "ZW", "iceland", "Nepal"} {
		t.Run(q, func(t *testing.T) {
			f, err := Lookup(q)
			if !errors.Is(err, ErrNoData) {
				t.Fatalf("Lookup(%q) error = %v, want ErrNoData", q, err)
			}
			if errors.Is(err, ErrUnknownGrid) {
				t.Error("a missing-data grid must not read as unknown")
			}
			if !f.Missing || f.KgPerKWh != 0 || f.Code == "" {
				t.Errorf("Lookup(%q) = %+v, want the entry with Missing set", q, f)
			}
			if msg := err.Error(); !strings.Contains(msg, "--grid-factor") || !strings.Contains(msg, f.Code) {
				t.Errorf("error %q should name the grid and the --grid-factor fix", msg)
			}
			if g := Grams(energy.WattHour, f, 1); !math.IsNaN(g) {
				t.Errorf("Grams with a missing factor = %v, want NaN", g)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	tests := []struct {
		q    string
		want []string // suggested codes
	}{
		{"Frnace", []string{"FR"}},
		{"united", []string{"AE", "GB", "US"}},
		{"Congo", []string{"CD", "CG"}},
		{"guin", []string{"GN", "GW", "GQ", "PG"}},
		{"saint", []string{"SH", "KN", "LC", "PM", "VC"}},
		{"ZZ", nil},
		{"", nil},
		{"Atlantis", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			_, err := Lookup(tt.q)
			if !errors.Is(err, ErrUnknownGrid) {
				t.Fatalf("Lookup(%q) error = %v, want ErrUnknownGrid", tt.q, err)
			}
			var ue *UnknownGridError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T is not *UnknownGridError", err)
			}
			var got []string
			for _, s := range ue.Suggestions {
				got = append(got, s.Code)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("suggestions (-want +got):\n%s", d)
			}
			if !strings.Contains(err.Error(), "--grid-factor") {
				t.Errorf("error %q lacks the --grid-factor hint", err)
			}
		})
	}
}

func TestGrams(t *testing.T) {
	fr, err := Lookup("FR")
	if err != nil {
		t.Fatal(err)
	}
	custom, err := Custom(0.4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		e    energy.Energy
		f    Factor
		pue  float64
		want float64 // g CO2e
	}{
		// 0.5 Wh × 0.047044192 g/Wh × 1.2 = 0.0282265152 g.
		{"half Wh in France at PUE 1.2", energy.WattHour / 2, fr, 1.2, 0.0282265152},
		// 1 Wh × 0.445 g/Wh × 1.0 = 0.445 g.
		{"one Wh global average", energy.WattHour, Default(), 1, 0.445},
		// 3600 J = 1 Wh; 1 kWh × 0.4 kg/kWh × 1.5 = 0.6 kg = 600 g.
		{"one kWh custom at PUE 1.5", 1000 * energy.WattHour, custom, 1.5, 600},
		// 36 J = 0.01 Wh; × 0.177 × 1.1 = 0.001947 g.
		{"36 J in the UK at PUE 1.1", 36 * energy.Joule, mustLookup(t, "GB"), 1.1, 0.001947},
		{"zero energy", 0, fr, 1.2, 0},
		// Active energy below baseline stays negative: -1 Wh × 0.445 = -0.445 g.
		{"negative energy", -energy.WattHour, Default(), 1, -0.445},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Grams(tt.e, tt.f, tt.pue)
			if math.Abs(got-tt.want) > 1e-12*math.Max(1, math.Abs(tt.want)) {
				t.Errorf("Grams(%v, %s, %v) = %.12g g, want %.12g g", tt.e, tt.f, tt.pue, got, tt.want)
			}
		})
	}
}

func mustLookup(t *testing.T, q string) Factor {
	t.Helper()
	f, err := Lookup(q)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCustom(t *testing.T) {
	tests := []struct {
		in      float64
		wantErr string
	}{
		{0.3, ""},
		{0, ""},
		{2, ""},
		{-0.1, "negative"},
		{2.01, "g/kWh"},
		{450, "g/kWh"},
		{math.NaN(), "not a number"},
		{math.Inf(1), "not a number"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			f, err := Custom(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Custom(%v) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Factor{Code: CustomCode, Name: "user-supplied factor", KgPerKWh: tt.in, Source: MethodUserSupplied, Method: MethodUserSupplied}
			if d := cmp.Diff(want, f); d != "" {
				t.Errorf("Custom(%v) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestValidatePUE(t *testing.T) {
	tests := []struct {
		pue float64
		ok  bool
	}{
		{1.0, true}, {1.2, true}, {3.0, true},
		{0.99, false}, {0, false}, {-1, false}, {3.01, false}, {math.NaN(), false}, {math.Inf(1), false},
	}
	for _, tt := range tests {
		err := ValidatePUE(tt.pue)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePUE(%v) = %v, want ok=%v", tt.pue, err, tt.ok)
		}
	}
}

func TestParseTableRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `{`, "parse grid factors"},
		{"no global", `{"factors":[{"code":"FR","name":"France","kg_per_kwh":0.05}]}`, "no GLOBAL"},
		{"duplicate", `{"factors":[{"code":"GLOBAL","name":"G","kg_per_kwh":0.4},{"code":"global","name":"G2","kg_per_kwh":0.4}]}`, "duplicate"},
		{"zero not marked missing", `{"factors":[{"code":"GLOBAL","name":"G","kg_per_kwh":0}]}`, "inconsistent"},
		{"out of range", `{"factors":[{"code":"GLOBAL","name":"G","kg_per_kwh":7}]}`, "out of range"},
		{"empty name", `{"factors":[{"code":"GLOBAL","name":"","kg_per_kwh":0.4}]}`, "empty code or name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTable([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseTable() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseTable(f *testing.F) {
	f.Add(tableJSON)
	f.Add([]byte(`{"factors":[{"code":"GLOBAL","name":"G","kg_per_kwh":0.4}]}`))
	f.Add([]byte(`{"factors":[{"code":"GLOBAL","name":"G","kg_per_kwh":0}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := parseTable(b)
		if err != nil {
			return
		}
		for _, x := range fs {
			if x.Missing != (x.KgPerKWh == 0) || x.KgPerKWh < 0 || x.KgPerKWh > MaxKgPerKWh {
				t.Fatalf("accepted an invalid entry %+v", x)
			}
		}
	})
}
