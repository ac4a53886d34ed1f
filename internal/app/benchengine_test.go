package app

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchEngineCommand runs bench-engine on the tiny synthetic model and
// checks what it prints: the table, the phase breakdown of a decoded token
// and a verdict per model, and the same figures as JSON.
func TestBenchEngineCommand(t *testing.T) {
	home := t.TempDir()
	args := []string{"bench-engine", "-shape", "synthetic-tiny", "-quants", "q8_0,q4_0", "-prompt", "8", "-decode", "4", "-long-prompt", "0", "-threads", "2"}
	out, errs, code := runMain(t, home, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"memory bandwidth", "synthetic-tiny:q8_0", "synthetic-tiny:q4_0", "per decoded token", "weight products", "attention", "the efficiency target"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errs, code = runMain(t, home, append(args, "-json")...)
	if code != 0 {
		t.Fatalf("-json: exit %d: %s", code, errs)
	}
	var rep struct {
		Results []struct {
			Quant     string `json:"quant"`
			Breakdown struct {
				TotalMs          float64 `json:"total_ms"`
				WeightProductsMs float64 `json:"weight_products_ms"`
			} `json:"decode_breakdown"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Results) != 2 || rep.Results[1].Quant != "q4_0" || rep.Results[0].Breakdown.WeightProductsMs <= 0 || rep.Results[0].Breakdown.TotalMs < rep.Results[0].Breakdown.WeightProductsMs {
		t.Errorf("JSON results %+v", rep.Results)
	}
	if _, errs, code := runMain(t, home, "bench-engine", "-quants", "q3_k", "-shape", "synthetic-tiny"); code == 0 || !strings.Contains(errs, "q3_k") {
		t.Errorf("an unknown storage tag: exit %d: %s", code, errs)
	}
}
