package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `[
  {"country_name": "Global Average", "country_code": "GLOBAL", "emission_factor": 0.445, "year": 2025, "source": "IEA Electricity 2025"},
  {"country_name": "France", "country_code": "FR", "emission_factor": 0.047044192, "year": 2025},
  {"country_name": "Iceland", "country_code": "IS", "emission_factor": 0, "year": 2025},
  {"country_name": "Zimbabwe", "country_code": "ZW", "emission_factor": 0.0, "year": null}
]`

func TestConvert(t *testing.T) {
	got, err := convert([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(got, &f); err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Code: "GLOBAL", Name: "Global Average", KgPerKWh: 0.445, Year: 2025, Source: globalSource, Method: method},
		{Code: "FR", Name: "France", KgPerKWh: 0.047044192, Year: 2025, Source: countrySrc, Method: method},
		{Code: "IS", Name: "Iceland", Year: 2025, Source: countrySrc, Method: method, Missing: true},
		{Code: "ZW", Name: "Zimbabwe", Source: countrySrc, Method: method, Missing: true},
	}
	if d := cmp.Diff(want, f.Factors); d != "" {
		t.Errorf("factors (-want +got):\n%s", d)
	}
	again, err := convert([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("convert is not deterministic")
	}
}

func TestConvertRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", `{`, "parse"},
		{"unknown field", `[{"country_name":"X","country_code":"X","emission_factor":1,"extra":1}]`, "unknown field"},
		{"no global", `[{"country_name":"France","country_code":"FR","emission_factor":0.05,"year":2025}]`, "no GLOBAL"},
		{"duplicate", `[{"country_name":"A","country_code":"FR","emission_factor":0.05},{"country_name":"B","country_code":"FR","emission_factor":0.05}]`, "duplicate code FR"},
		{"negative", `[{"country_name":"A","country_code":"FR","emission_factor":-1}]`, "out of range"},
		{"absurd", `[{"country_name":"A","country_code":"FR","emission_factor":5}]`, "out of range"},
		{"null factor", `[{"country_name":"A","country_code":"FR","emission_factor":null}]`, "no emission_factor"},
		{"empty code", `[{"country_name":"A","country_code":" ","emission_factor":0.1}]`, "empty country code"},
		{"lower case code", `[{"country_name":"A","country_code":"fr","emission_factor":0.1}]`, "upper case"},
		{"source on country", `[{"country_name":"A","country_code":"FR","emission_factor":0.1,"source":"x"}]`, "unexpected source"},
		{"global wrong source", `[{"country_name":"G","country_code":"GLOBAL","emission_factor":0.4,"source":"x"}]`, "GLOBAL source"},
		{"trailing", `[] []`, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := convert([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("convert() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestCommittedFileIsCurrent regenerates the data file from the shared
// reference data, when it is present, and checks it matches the committed one.
func TestCommittedFileIsCurrent(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "data", "emissions.json"))
	if err != nil {
		t.Skipf("reference data not available: %v", err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "grid_factors.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := convert(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Error("grid_factors.json is stale: run go generate ./internal/carbon")
	}
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"country_name":"A","country_code":"FR","emission_factor":-1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := convert(b)
		if err != nil {
			return
		}
		var file File
		if err := json.Unmarshal(out, &file); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}
