package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The coverage tests simulate many samples from distributions with a known
// mean, compute the bootstrap CI of each, and check that the fraction of
// intervals containing the truth is near the nominal level. They use fixed
// seeds, so they are deterministic. Each band spans roughly ±2.5–3 binomial
// standard errors (≈ 0.013 for 400 trials, ≈ 0.018 for 200) around the
// coverage a percentile bootstrap actually achieves at these sample sizes,
// which is slightly under nominal, more so for skewed data; the expected
// values quoted below were measured with 4000 trials of the same set-up
// (standard error ≈ 0.004). An interval that were too narrow or too wide,
// off-centre, or ignored Options.Level would fall outside the bands. Trials
// and resamples are kept small enough for the whole set to take well under a
// second (a few seconds with -race).

const (
	covTrials      = 400 // main cases
	covTrialsExtra = 200 // supplementary cases
	covResamples   = 300
)

// coverage returns the fraction of trials whose interval contains truth.
func coverage(trials int, seed uint64, truth float64, ci func(rng *rand.Rand, trial int) (lo, hi float64)) float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	hits := 0
	for i := range trials {
		lo, hi := ci(rng, i)
		if lo <= truth && truth <= hi {
			hits++
		}
	}
	return float64(hits) / float64(trials)
}

func sample(rng *rand.Rand, n int, draw func(*rand.Rand) float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = draw(rng)
	}
	return xs
}

func normal(mu, sigma float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return mu + sigma*r.NormFloat64() }
}

func exponential(mean float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return mean * r.ExpFloat64() }
}

func lognormal(mu, sigma float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return math.Exp(mu + sigma*r.NormFloat64()) }
}

func TestDescribeCICoverage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		draw     func(*rand.Rand) float64
		truth    float64
		level    float64
		trials   int
		min, max float64
	}{
		// Expected ≈ 0.93 (theory: P(|t₂₉| < 1.96·sqrt(29/30)) ≈ 0.936).
		{"normal 95%", normal(10, 2), 10, 0.95, covTrials, 0.90, 0.98},
		// Expected ≈ 0.78 (theory: P(|t₂₉| < 1.2816·sqrt(29/30)) ≈ 0.78).
		{"normal 80%", normal(10, 2), 10, 0.80, covTrialsExtra, 0.70, 0.86},
		// Skewed (skewness 2): expected ≈ 0.92.
		{"exponential 95%", exponential(3), 3, 0.95, covTrials, 0.87, 0.98},
		// Strongly skewed (skewness ≈ 6.2): expected ≈ 0.87.
		{"lognormal 95%", lognormal(0, 1), math.Exp(0.5), 0.95, covTrialsExtra, 0.80, 0.96},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cov := coverage(c.trials, uint64(100+ci), c.truth, func(rng *rand.Rand, i int) (float64, float64) {
				s := Describe(sample(rng, 30, c.draw), Options{Resamples: covResamples, Seed: uint64(i), Level: c.level})
				return s.CILow, s.CIHigh
			})
			t.Logf("coverage %.4f (nominal %.2f)", cov, c.level)
			if cov < c.min || cov > c.max {
				t.Errorf("coverage %.4f outside [%.2f, %.2f] at nominal %.2f", cov, c.min, c.max, c.level)
			}
		})
	}
}

func TestRatioOfMeansCICoverage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		a, b     func(*rand.Rand) float64
		na, nb   int
		truth    float64
		trials   int
		min, max float64
	}{
		// Expected ≈ 0.93 for both.
		{"normal", normal(10, 2), normal(5, 1), 30, 25, 2, covTrials, 0.90, 0.98},
		{"exponential", exponential(6), exponential(2), 30, 30, 3, covTrialsExtra, 0.85, 0.98},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cov := coverage(c.trials, uint64(200+ci), c.truth, func(rng *rand.Rand, i int) (float64, float64) {
				r := RatioOfMeans(sample(rng, c.na, c.a), sample(rng, c.nb, c.b), Options{Resamples: covResamples, Seed: uint64(i)})
				return r.Low, r.High
			})
			t.Logf("coverage %.4f", cov)
			if cov < c.min || cov > c.max {
				t.Errorf("coverage %.4f outside [%.2f, %.2f]", cov, c.min, c.max)
			}
		})
	}
}

func TestDiffOfMeansCICoverage(t *testing.T) {
	t.Parallel()
	// Unequal spreads and sizes; expected ≈ 0.93.
	cov := coverage(covTrialsExtra, 300, 1.5, func(rng *rand.Rand, i int) (float64, float64) {
		d := DiffOfMeans(sample(rng, 30, normal(11.5, 3)), sample(rng, 20, normal(10, 1)), Options{Resamples: covResamples, Seed: uint64(i)})
		return d.Low, d.High
	})
	t.Logf("coverage %.4f", cov)
	if cov < 0.87 || cov > 0.98 {
		t.Errorf("coverage %.4f outside [0.87, 0.98]", cov)
	}
}

// Under H0 (equal means, unequal variances and sizes, where the pooled
// t-test would be wrong) Welch's p-values should be uniform: about 5% below
// 0.05 and about 20% below 0.2.
func TestWelchNullCalibration(t *testing.T) {
	t.Parallel()
	const trials = 4000
	rng := rand.New(rand.NewPCG(400, 1))
	var below05, below20 int
	for range trials {
		_, _, p := WelchTTest(sample(rng, 8, normal(5, 4)), sample(rng, 25, normal(5, 1)))
		if p < 0.05 {
			below05++
		}
		if p < 0.2 {
			below20++
		}
	}
	f05, f20 := float64(below05)/trials, float64(below20)/trials
	t.Logf("P(p<0.05) = %.4f, P(p<0.2) = %.4f", f05, f20)
	// Binomial SEs: 0.0034 and 0.0063; Welch's approximation is itself
	// slightly off at n = 8, so allow about 4 SE.
	if f05 < 0.035 || f05 > 0.065 {
		t.Errorf("P(p < 0.05) = %.4f, want about 0.05", f05)
	}
	if f20 < 0.175 || f20 > 0.225 {
		t.Errorf("P(p < 0.2) = %.4f, want about 0.2", f20)
	}
}
