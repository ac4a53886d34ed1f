package stats

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestJSONWritesUndefinedAsNull(t *testing.T) {
	s := Describe([]float64{2}, Options{Seed: 1})
	b, err := json.Marshal(struct {
		S Summary
		R Ratio
		D Difference
		F Fit
	}{s, Ratio{Value: math.NaN(), Low: math.Inf(1)}, Difference{Value: 1, PValue: math.NaN()}, Fit{Coef: []float64{1, math.NaN()}, R2: math.NaN()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"mean":2`, `"ci_low":null`, `"value":null`, `"low":null`, `"p_value":null`, `"coef":[1,null]`, `"r2":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back Summary
	sb, _ := json.Marshal(s)
	if err := json.Unmarshal(sb, &back); err != nil || back.Mean != 2 || !math.IsNaN(back.CILow) || back.N != 1 {
		t.Errorf("round trip %+v %v", back, err)
	}
}
