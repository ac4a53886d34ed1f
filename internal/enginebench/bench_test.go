package enginebench

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// TestRunTiny runs the whole benchmark on the tiny synthetic model and
// checks that the figures hang together: the bytes a token reads are the
// Q8_0 size of its matrices, the weight bandwidth is bytes × tokens/s, and
// the efficiencies divide it by the measured bandwidths.
func TestRunTiny(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		Shape: "synthetic-tiny", Quants: []string{"q8_0", "f32"}, PromptTokens: 16, DecodeTokens: 8, LongPromptTokens: 64, Repeats: 3,
		Threads: 2, CacheDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Bandwidth.ReadGBs <= 0 || rep.Bandwidth.CopyGBs <= 0 || rep.Threads != 2 {
		t.Fatalf("report %+v", rep)
	}
	q8, f32 := rep.Results[0], rep.Results[1]
	// synthetic-tiny: 4 blocks of q,k,v,o,gate,up,down plus a 4096×256
	// output head; Q8_0 stores 32 weights in 34 bytes.
	const weights = 4*(256*256+128*256+128*256+256*256+3*768*256) + 4096*256
	if want := int64(weights) * 34 / 32; q8.WeightBytesPerToken != want {
		t.Errorf("q8_0 weight bytes per token %d, want %d", q8.WeightBytesPerToken, want)
	}
	if want := int64(weights) * 4; f32.WeightBytesPerToken != want {
		t.Errorf("f32 weight bytes per token %d, want %d", f32.WeightBytesPerToken, want)
	}
	for _, r := range rep.Results {
		if r.PrefillTokensPerSecond <= 0 || r.DecodeTokensPerSecond <= 0 || r.LoadSeconds <= 0 || r.GenerateSeconds <= 0 || r.LongPromptTokens != 64 || r.LongPrefillTokensPerSecond <= 0 {
			t.Errorf("%s: %+v", r.Quant, r)
		}
		if got := float64(r.WeightBytesPerToken) * r.DecodeTokensPerSecond / 1e9; math.Abs(got-r.WeightGBs) > 1e-9*got {
			t.Errorf("%s: weight GB/s %v, want %v", r.Quant, r.WeightGBs, got)
		}
		if len(r.Passes) != 3 {
			t.Fatalf("%s: %d passes, want 3", r.Quant, len(r.Passes))
		}
		var median *Pass
		for i, p := range r.Passes {
			if math.Abs(p.Efficiency-p.WeightGBs/p.ReadGBs) > 1e-12 || p.ReadGBs <= 0 || p.ReadGBs > rep.Bandwidth.ReadGBs {
				t.Errorf("%s pass %d: %+v", r.Quant, i, p)
			}
			if p.Efficiency == r.DecodeEfficiency {
				median = &r.Passes[i]
			}
		}
		if median == nil || r.DecodeEfficiencyRange[0] > r.DecodeEfficiency || r.DecodeEfficiencyRange[1] < r.DecodeEfficiency ||
			r.DecodeTokensPerSecond != median.DecodeTokensPerSecond {
			t.Errorf("%s: median efficiency %v range %v passes %+v", r.Quant, r.DecodeEfficiency, r.DecodeEfficiencyRange, r.Passes)
		}
		if wantKV := int64(24) * 4 * 2 * 128 * 2; r.KVCacheBytes != wantKV { // binary16
			t.Errorf("%s: KV cache %d bytes, want %d", r.Quant, r.KVCacheBytes, wantKV)
		}
		// The phase-timed pass: its parts add up to its total, and the
		// weight products' rate is the bytes over their own time.
		b := r.Breakdown
		if b.TotalMs <= 0 || b.WeightProductsMs <= 0 || b.AttentionMs <= 0 || b.OtherMs < 0 ||
			math.Abs(b.WeightProductsMs+b.AttentionMs+b.OtherMs-b.TotalMs) > 1e-9*b.TotalMs {
			t.Errorf("%s: breakdown %+v", r.Quant, b)
		}
		if want := float64(r.WeightBytesPerToken) / (b.WeightProductsMs / 1e3) / 1e9; math.Abs(b.ProductsGBs-want) > 1e-6*want {
			t.Errorf("%s: weight products %.3f GB/s, want %.3f", r.Quant, b.ProductsGBs, want)
		}
		if runtime.GOOS == "linux" && (r.PeakRSSBytes <= 0 || r.RSSRatio <= 0) {
			t.Errorf("%s: peak RSS %d ratio %v", r.Quant, r.PeakRSSBytes, r.RSSRatio)
		}
	}
	if _, err := Run(context.Background(), Options{Shape: "synthetic-tiny", Quants: []string{"q3_k"}, CacheDir: t.TempDir()}); err == nil {
		t.Error("an unknown storage tag was accepted")
	}
}

func TestMeasureBandwidth(t *testing.T) {
	b := MeasureBandwidth(tensor.NewPool(2), 8<<20, 2)
	if b.ReadGBs <= 0.1 || b.CopyGBs <= 0.1 || b.Bytes != 8<<20 {
		t.Fatalf("%+v", b)
	}
}
