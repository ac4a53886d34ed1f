package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData is the reference data directory seen from this package's
// directory (internal/estimate/gen).
var sharedData = filepath.Join("..", "..", "..", "..", "shared", "data")

// TestCommittedFileIsCurrent regenerates families.json from the shared
// reference data and checks it parses and matches the committed file byte
// for byte. Missing reference data fails the test: the committed file could
// not be checked.
func TestCommittedFileIsCurrent(t *testing.T) {
	in, err := ReadInputs(sharedData)
	if err != nil {
		t.Fatalf("the shared reference data is needed to check families.json and could not be read "+
			"(expected at %s, i.e. ../shared/data beside the repository): %v", sharedData, err)
	}
	got, err := convert(in)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "families.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatal("internal/estimate/families.json is stale or edited by hand: run `go generate ./internal/estimate` and commit the result")
	}
	dec := json.NewDecoder(bytes.NewReader(committed))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("families.json does not parse: %v", err)
	}
	// Row counts follow the inputs: one row per AI Energy Score model, per
	// Table 4 line and per ML.ENERGY CSV line.
	lines := func(b []byte) int { return len(strings.Split(strings.TrimSpace(string(b)), "\n")) - 1 }
	var aes aesInput
	if err := json.Unmarshal(in.AES, &aes); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"aes": len(aes.Models), "jegham": lines(in.Jegham), "mlenergy": lines(in.MLEnergy)}
	for _, fam := range f.Families {
		if len(fam.Rows) != want[fam.ID] {
			t.Errorf("%s: %d rows, the input has %d", fam.ID, len(fam.Rows), want[fam.ID])
		}
	}
	if want["aes"] != 62 || want["jegham"] != 30 || want["mlenergy"] != 565 {
		t.Errorf("input sizes %v, want 62, 30 and 565", want)
	}
	again, err := convert(in)
	if err != nil || !bytes.Equal(got, again) {
		t.Errorf("convert is not deterministic (err %v)", err)
	}
}

func TestFitShapes(t *testing.T) {
	// A plane through three exact points is recovered, and the covariance
	// gives back each shape's SD there.
	a, b, c := 0.1, 2e-4, 1e-3
	mk := func(in, out int, sd float64) Shape {
		return Shape{Input: in, Output: out, MeanWh: a + b*float64(in) + c*float64(out), SDWh: sd}
	}
	three := []Shape{mk(100, 300, 0.01), mk(1000, 1000, 0.02), mk(10000, 1500, 0.03)}
	fit, err := fitShapes(three)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{a, b, c} {
		if math.Abs(fit.coef[i]-want) > 1e-12 {
			t.Errorf("coef[%d] = %.15g, want %.15g", i, fit.coef[i], want)
		}
	}
	for _, s := range three {
		w := [3]float64{1, float64(s.Input), float64(s.Output)}
		v := 0.0
		for i := range 3 {
			for j := range 3 {
				v += w[i] * fit.cov[i][j] * w[j]
			}
		}
		if math.Abs(math.Sqrt(v)-s.SDWh) > 1e-12 {
			t.Errorf("SD at %d/%d = %.15g, want %g", s.Input, s.Output, math.Sqrt(v), s.SDWh)
		}
	}
	// Two shapes: a = 0 and the two points exact.
	two := []Shape{{Input: 100, Output: 300, MeanWh: 1.797, SDWh: 0.259}, {Input: 1000, Output: 1000, MeanWh: 6.925, SDWh: 1.553}}
	fit, err = fitShapes(two)
	if err != nil {
		t.Fatal(err)
	}
	if fit.coef[0] != 0 {
		t.Errorf("two shapes: a = %g, want 0", fit.coef[0])
	}
	for _, s := range two {
		if got := fit.coef[1]*float64(s.Input) + fit.coef[2]*float64(s.Output); math.Abs(got-s.MeanWh) > 1e-12 {
			t.Errorf("two shapes at %d/%d: %.15g, want %g", s.Input, s.Output, got, s.MeanWh)
		}
	}
	// One shape: b = c = mean / (input + output), the predecessor's view.
	fit, err = fitShapes([]Shape{{Input: 1000, Output: 1000, MeanWh: 1.215, SDWh: 0.241}})
	if err != nil {
		t.Fatal(err)
	}
	if k := 1.215 / 2000; fit.coef[0] != 0 || math.Abs(fit.coef[1]-k) > 1e-18 || fit.coef[2] != fit.coef[1] {
		t.Errorf("one shape: %v", fit.coef)
	}
	// Degenerate shapes are refused.
	if _, err := fitShapes([]Shape{{Input: 100, Output: 100, MeanWh: 1, SDWh: 1}, {Input: 200, Output: 200, MeanWh: 2, SDWh: 1}}); err == nil {
		t.Error("two proportional shapes were fitted")
	}
	if _, err := fitShapes(nil); err == nil {
		t.Error("no shapes were fitted")
	}
}

func TestConvertRejects(t *testing.T) {
	in, err := ReadInputs(sharedData)
	if err != nil {
		t.Fatalf("reading the shared reference data: %v", err)
	}
	const jegHeader = "model,wh_100in_300out_mean,wh_100in_300out_sd,wh_1kin_1kout_mean,wh_1kin_1kout_sd,wh_10kin_1500out_mean,wh_10kin_1500out_sd\n"
	tests := []struct {
		name string
		edit func(*Inputs)
		want string
	}{
		{"aes not json", func(in *Inputs) { in.AES = []byte("{") }, "hugging_face.json: parse"},
		{"aes wrong factor", func(in *Inputs) {
			in.AES = bytes.Replace(in.AES, []byte(`"input_tokens_per_1000_queries": 369139`), []byte(`"input_tokens_per_1000_queries": 1000`), 1)
		}, "input_tokens_per_1000_queries"},
		{"aes inconsistent row", func(in *Inputs) {
			in.AES = bytes.Replace(in.AES, []byte(`"wh_per_1000_queries": 19.011`), []byte(`"wh_per_1000_queries": 19.5`), 1)
		}, "is not the per-1000-queries"},
		{"jegham header", func(in *Inputs) { in.Jegham = []byte("model,a\nx,1\n") }, "header"},
		{"jegham half a shape", func(in *Inputs) { in.Jegham = []byte(jegHeader + "X,1,,2,0.1,3,0.1\n") }, "must both be numbers or both empty"},
		{"jegham no shape", func(in *Inputs) { in.Jegham = []byte(jegHeader + "X,,,,,,\n") }, "no shape"},
		{"jegham negative", func(in *Inputs) { in.Jegham = []byte(jegHeader + "X,-1,0.1,2,0.1,3,0.1\n") }, "must be positive"},
		{"old view disagrees", func(in *Inputs) {
			in.JeghamOld = bytes.Replace(in.JeghamOld, []byte(`"wh_per_1000_output_etokens": 3.161`), []byte(`"wh_per_1000_output_etokens": 1.58`), 1)
		}, "want both the table's 1k/1k mean"},
		{"mlenergy unknown task", func(in *Inputs) {
			in.MLEnergy = bytes.Replace(in.MLEnergy, []byte("\nlm-arena-chat,"), []byte("\nchat,"), 1)
		}, `unknown task "chat"`},
		{"mlenergy zero energy", func(in *Inputs) {
			in.MLEnergy = bytes.Replace(in.MLEnergy, []byte(",0.6993091867226764,"), []byte(",0,"), 1)
		}, "energy_per_token_joules 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := in
			tt.edit(&c)
			if _, err := convert(c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("convert() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{
		"meta-llama/Meta-Llama-3.1-8 B": "meta-llama/Meta-Llama-3.1-8B",
		"microsoft/phi-1 _5":            "microsoft/phi-1_5",
		"mistralai/Mixtral-8 x7B-v0.1":  "mistralai/Mixtral-8x7B-v0.1",
		" openai-community/gpt2 ":       "openai-community/gpt2",
	} {
		if got := normaliseHFID(in); got != want {
			t.Errorf("normaliseHFID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"GPT-4o (Mar ’25)": "gpt-4o-mar-25", "o4-mini (high)": "o4-mini-high", "LLaMA-3.2 1B": "llama-3.2-1b", "phi-1_5": "phi-1_5",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadInputsMissing(t *testing.T) {
	_, err := ReadInputs(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "hugging_face.json") {
		t.Fatalf("ReadInputs(empty dir) error = %v, want one naming the missing file", err)
	}
}
