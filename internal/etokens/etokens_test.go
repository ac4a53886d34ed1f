package etokens

import (
	"math"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func check(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if math.IsNaN(want) {
		if got != nil {
			t.Errorf("%s = %v, want absent", name, *got)
		}
		return
	}
	if got == nil || !near(*got, want) {
		t.Errorf("%s = %v, want %v", name, deref(got), want)
	}
}

func deref(p *float64) any {
	if p == nil {
		return "absent"
	}
	return *p
}

// TestSetWorkedExamples are the README's worked examples.
func TestSetWorkedExamples(t *testing.T) {
	absent := math.NaN()
	cases := []struct {
		name    string
		p       Phases
		in, out int
		want    [6]float64 // e-i, e-o, prefill/1k-in, decode/1k-out, J/token, J/out-token
	}{
		{
			// 43.2 J = 0.012 Wh; prefill 14.4 J = 0.004 Wh; decode 28.8 J = 0.008 Wh.
			name: "README example", in: 600, out: 200,
			p:    Phases{Total: energy.JoulesOf(43.2), Prefill: energy.JoulesOf(14.4), Decode: energy.JoulesOf(28.8), Split: true},
			want: [6]float64{0.02, 0.06, 0.004 * 1000 / 600, 0.04, 0.054, 0.216},
		},
		{
			name: "no output tokens", in: 50, out: 0,
			p:    Phases{Total: energy.JoulesOf(3.6), Prefill: energy.JoulesOf(3.6), Split: true},
			want: [6]float64{0.001 * 1000 / 50, absent, 0.001 * 1000 / 50, absent, 3.6 / 50, absent},
		},
		{
			name: "no first token: no split", in: 10, out: 0,
			p:    Phases{Total: energy.JoulesOf(7.2)},
			want: [6]float64{0.2, absent, absent, absent, 0.72, absent},
		},
		{
			name: "no tokens at all", p: Phases{Total: energy.Joule},
			want: [6]float64{absent, absent, absent, absent, absent, absent},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Set(c.p, c.in, c.out)
			check(t, "e-token-i", s.WhPer1kInput, c.want[0])
			check(t, "e-token-o", s.WhPer1kOutput, c.want[1])
			check(t, "prefill per 1k input", s.PrefillWhPer1kInput, c.want[2])
			check(t, "decode per 1k output", s.DecodeWhPer1kOutput, c.want[3])
			check(t, "J per token", s.JPerToken, c.want[4])
			check(t, "J per output token", s.JPerOutputToken, c.want[5])
		})
	}
}

func TestActive(t *testing.T) {
	// 43.2 J over 2 s with a 12 W idle baseline: 43.2 − 24 = 19.2 J.
	if got := Active(energy.JoulesOf(43.2), 12*energy.Watt, 2*time.Second); got != energy.JoulesOf(19.2) {
		t.Fatalf("active = %v", got)
	}
	// A window that drew less than idle stays negative.
	if got := Active(energy.JoulesOf(10), 12*energy.Watt, time.Second); got != energy.JoulesOf(-2) {
		t.Fatalf("active = %v", got)
	}
}

func TestRates(t *testing.T) {
	check(t, "decode rate", DecodeRate(101, 2*time.Second), 50)
	check(t, "decode rate of one token", DecodeRate(1, time.Second), math.NaN())
	check(t, "decode rate without time", DecodeRate(10, 0), math.NaN())
	check(t, "rate", Rate(30, 1500*time.Millisecond), 20)
}

func TestLatencyAndPercentile(t *testing.T) {
	if Latency(nil) != nil {
		t.Fatal("latency of no gaps is not absent")
	}
	base := time.Unix(0, 0)
	var times []time.Time
	for _, ms := range []int{0, 10, 30, 60, 100, 150} { // gaps 10,20,30,40,50
		times = append(times, base.Add(time.Duration(ms)*time.Millisecond))
	}
	l := Latency(Gaps(times))
	want := lab.Latency{N: 5, Mean: 30, P50: 30, P95: 48} // rank 0.95×4 = 3.8 → 40 + 0.8×10
	if l.N != want.N || !near(l.Mean, want.Mean) || !near(l.P50, want.P50) || !near(l.P95, want.P95) {
		t.Fatalf("latency = %+v, want %+v", *l, want)
	}
	if !math.IsNaN(Percentile(nil, 50)) || Percentile([]float64{7}, 95) != 7 || Percentile([]float64{1, 2}, 100) != 2 || Percentile([]float64{1, 2}, 0) != 1 {
		t.Fatal("percentile edge cases")
	}
}
