package stats

import (
	"math"
	"slices"
	"testing"
)

func oneToTen() []float64 {
	return []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
}

func TestDescribeKnownData(t *testing.T) {
	xs := oneToTen()
	// Shuffle so that Describe has to sort.
	in := []float64{7, 3, 10, 1, 5, 9, 2, 8, 4, 6}
	orig := slices.Clone(in)
	s := Describe(in, Options{Seed: 1})
	if !slices.Equal(in, orig) {
		t.Errorf("Describe modified its input: %v", in)
	}
	if s.N != 10 {
		t.Errorf("N = %d, want 10", s.N)
	}
	checkClose(t, "Mean", s.Mean, 5.5, 1e-15)
	checkClose(t, "Median", s.Median, 5.5, 1e-15)
	checkClose(t, "SD", s.SD, 3.0276503540974917, 1e-15)
	checkClose(t, "Min", s.Min, 1, 0)
	checkClose(t, "Max", s.Max, 10, 0)
	checkClose(t, "P5", s.P5, 1.45, 1e-13)
	checkClose(t, "P95", s.P95, 9.55, 1e-13)
	checkClose(t, "CV", s.CV, 3.0276503540974917/5.5, 1e-15)

	// The percentile bootstrap interval of a mean is close to
	// mean ± z·s·sqrt((n−1)/n)/sqrt(n) for near-symmetric data.
	if !(s.CILow < s.Mean && s.Mean < s.CIHigh) {
		t.Fatalf("CI [%v, %v] does not contain the mean %v", s.CILow, s.CIHigh, s.Mean)
	}
	half := 1.959964 * s.SD * math.Sqrt(0.9) / math.Sqrt(10)
	for _, e := range []struct {
		name      string
		got, want float64
	}{{"CILow", s.CILow, 5.5 - half}, {"CIHigh", s.CIHigh, 5.5 + half}} {
		if math.Abs(e.got-e.want) > 0.1*half {
			t.Errorf("%s = %v, want about %v (normal approximation)", e.name, e.got, e.want)
		}
	}
	if got := Describe(xs, Options{Seed: 1}); got != s {
		t.Errorf("order of input changed the summary: %+v vs %+v", got, s)
	}
}

func TestDescribeSingleValue(t *testing.T) {
	s := Describe([]float64{4.2}, Options{})
	if s.N != 1 {
		t.Fatalf("N = %d, want 1", s.N)
	}
	for name, v := range map[string]float64{"Mean": s.Mean, "Median": s.Median, "Min": s.Min, "Max": s.Max, "P5": s.P5, "P95": s.P95} {
		checkClose(t, name, v, 4.2, 0)
	}
	if s.SD != 0 || s.CV != 0 {
		t.Errorf("SD, CV = %v, %v; want 0, 0", s.SD, s.CV)
	}
	checkNaN(t, "CILow", s.CILow)
	checkNaN(t, "CIHigh", s.CIHigh)
}

func TestDescribeEmpty(t *testing.T) {
	for _, in := range [][]float64{nil, {}, {math.NaN(), math.Inf(1), math.Inf(-1)}} {
		s := Describe(in, Options{})
		if s.N != 0 {
			t.Errorf("Describe(%v).N = %d, want 0", in, s.N)
		}
		for name, v := range map[string]float64{
			"Mean": s.Mean, "Median": s.Median, "SD": s.SD, "Min": s.Min, "Max": s.Max,
			"P5": s.P5, "P95": s.P95, "CV": s.CV, "CILow": s.CILow, "CIHigh": s.CIHigh,
		} {
			checkNaN(t, name, v)
		}
	}
}

func TestDescribeIgnoresNonFinite(t *testing.T) {
	clean := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	dirty := []float64{3, math.NaN(), 1, 4, math.Inf(1), 1, 5, math.Inf(-1), 9, 2, math.NaN(), 6}
	opt := Options{Seed: 7, Resamples: 500}
	a, b := Describe(clean, opt), Describe(dirty, opt)
	if a != b {
		t.Errorf("non-finite values not ignored:\n clean %+v\n dirty %+v", a, b)
	}
	if b.N != 8 {
		t.Errorf("N = %d, want 8", b.N)
	}
}

func TestDescribeZeroMeanCV(t *testing.T) {
	s := Describe([]float64{-2, -1, 1, 2}, Options{})
	checkNaN(t, "CV", s.CV)
	checkClose(t, "Mean", s.Mean, 0, 0)
}

func TestDescribeSeeds(t *testing.T) {
	xs := []float64{2.1, 3.5, 2.8, 4.0, 3.3, 2.9, 3.8, 3.1, 2.5, 3.6, 4.4, 2.2}
	a := Describe(xs, Options{Seed: 42})
	b := Describe(xs, Options{Seed: 42})
	if a != b {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	c := Describe(xs, Options{Seed: 43})
	if a.CILow == c.CILow && a.CIHigh == c.CIHigh {
		t.Errorf("seeds 42 and 43 gave identical CIs [%v, %v]", a.CILow, a.CIHigh)
	}
	width := a.CIHigh - a.CILow
	if math.Abs(a.CILow-c.CILow) > 0.1*width || math.Abs(a.CIHigh-c.CIHigh) > 0.1*width {
		t.Errorf("seeds 42 and 43 differ too much: [%v, %v] vs [%v, %v]", a.CILow, a.CIHigh, c.CILow, c.CIHigh)
	}
	// Everything but the CI is seed-independent.
	a.CILow, a.CIHigh, c.CILow, c.CIHigh = 0, 0, 0, 0
	if a != c {
		t.Errorf("seed changed a non-bootstrap field: %+v vs %+v", a, c)
	}
}

func TestOptionsDefaults(t *testing.T) {
	xs := []float64{5, 7, 6, 9, 4, 8, 6, 7}
	def := Describe(xs, Options{Seed: 3})
	explicit := Describe(xs, Options{Seed: 3, Resamples: DefaultResamples, Level: DefaultLevel})
	if def != explicit {
		t.Errorf("zero Options differ from explicit defaults: %+v vs %+v", def, explicit)
	}
	for _, bad := range []float64{-0.5, 1, 1.5, math.NaN()} {
		if got := Describe(xs, Options{Seed: 3, Level: bad}); got != def {
			t.Errorf("Level %v not replaced by the default", bad)
		}
	}
	narrow := Describe(xs, Options{Seed: 3, Level: 0.5})
	wide := Describe(xs, Options{Seed: 3, Level: 0.99})
	if !(wide.CILow < def.CILow && def.CILow < narrow.CILow && narrow.CIHigh < def.CIHigh && def.CIHigh < wide.CIHigh) {
		t.Errorf("CIs not nested by level: 50%% [%v,%v], 95%% [%v,%v], 99%% [%v,%v]",
			narrow.CILow, narrow.CIHigh, def.CILow, def.CIHigh, wide.CILow, wide.CIHigh)
	}
}

func TestPercentile(t *testing.T) {
	cases := []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 0.25, 1.75}, // numpy.percentile([1,2,3,4], 25)
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4}, 0.75, 3.25},
		{[]float64{15, 20, 35, 40, 50}, 0.4, 29}, // h = 1.6: 20 + 0.6·15
		{[]float64{15, 20, 35, 40, 50}, 0.5, 35},
		{[]float64{15, 20, 35, 40, 50}, 0, 15},
		{[]float64{15, 20, 35, 40, 50}, 1, 50},
		{[]float64{-3, -3, -3}, 0.37, -3},
		{[]float64{8}, 0.9, 8},
		{oneToTen(), 0.05, 1.45},
		{oneToTen(), 0.95, 9.55},
		{oneToTen(), 0.1, 1.9},
	}
	for _, c := range cases {
		checkClose(t, "Percentile", Percentile(c.xs, c.p), c.want, 1e-13)
	}
	for _, p := range []float64{-0.01, 1.01, math.NaN()} {
		checkNaN(t, "Percentile(out of range)", Percentile([]float64{1, 2}, p))
	}
	checkNaN(t, "Percentile(empty)", Percentile(nil, 0.5))
}

func TestDescribeConstantSample(t *testing.T) {
	// The plain sum of ten 0.1 is 0.9999999999999999; the corrected mean
	// is exactly 0.1 and the spread exactly zero.
	xs := slices.Repeat([]float64{0.1}, 10)
	s := Describe(xs, Options{})
	if s.Mean != 0.1 || s.Median != 0.1 || s.SD != 0 || s.CV != 0 {
		t.Errorf("Mean, Median, SD, CV = %v, %v, %v, %v; want 0.1, 0.1, 0, 0", s.Mean, s.Median, s.SD, s.CV)
	}
	if s.CILow != 0.1 || s.CIHigh != 0.1 {
		t.Errorf("CI = [%v, %v], want [0.1, 0.1]", s.CILow, s.CIHigh)
	}
}
