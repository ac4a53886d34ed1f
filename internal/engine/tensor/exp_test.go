package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns how many float32 steps apart a and b are.
func ulps(a, b float32) int64 {
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if d := ia - ib; d < 0 {
		return -d
	} else {
		return d
	}
}

func TestExp32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	worst := int64(0)
	check := func(x float32) {
		want := float32(math.Exp(float64(x)))
		got := Exp32(x)
		if want < math.SmallestNonzeroFloat32*(1<<23) { // below the normal range: flushed
			if got != 0 && ulps(got, want) > 2 {
				t.Fatalf("Exp32(%v) = %v, want %v or 0", x, got, want)
			}
			return
		}
		if u := ulps(got, want); u > worst {
			worst = u
		}
		if u := ulps(got, want); u > 2 {
			t.Fatalf("Exp32(%v) = %v, math.Exp %v: %d ulps apart", x, got, want, u)
		}
	}
	for range 200000 {
		check(float32(r.Float64()*176 - 88))
	}
	for _, x := range []float32{0, -0, 1, -1, 0.5, 1e-8, -1e-8, 88.7, -87.3, 10, -10} {
		check(x)
	}
	t.Logf("worst error %d ulps", worst)
	if Exp32(0) != 1 || Exp32(89) != float32(math.Inf(1)) || Exp32(-104) != 0 || !math.IsNaN(float64(Exp32(float32(math.NaN())))) {
		t.Error("special values")
	}
	x := float32(88.72)
	if v := Exp32(x); math.IsInf(float64(v), 0) || ulps(v, float32(math.Exp(float64(x)))) > 2 {
		t.Errorf("Exp32(88.72) = %v", v)
	}
}

func TestSiLUExtremes(t *testing.T) {
	for _, x := range []float32{-200, -50, -1, 0, 1, 50, 200} {
		got := SiLU(x)
		want := float32(float64(x) / (1 + math.Exp(-float64(x))))
		if math.IsNaN(float64(got)) || math.Abs(float64(got-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
			t.Errorf("SiLU(%v) = %v, want %v", x, got, want)
		}
	}
}

func BenchmarkExp32(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(i)/64 - 8
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += Exp32(x)
		}
	}
	_ = s
}

func BenchmarkExp64(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(i)/64 - 8
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += float32(math.Exp(float64(x)))
		}
	}
	_ = s
}
