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

// expInputs are random values over Exp32's whole range and beyond, and the
// edges: the overflow and underflow thresholds, n = 128 (x near ln
// MaxFloat32), signed zeros, NaN and the infinities.
func expInputs(r *rand.Rand, n int) []float32 {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-8, -1e-8, 88.5, 88.7, 88.72, 88.7228, 88.73, 89, -87.3, -87.33, -87.34, -87.4, -103, -104,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
		0.34657359, -0.34657359, 0.34657362, 1.0397208, -1.0397208} // near ±ln2/2 and 3·ln2/2, where the rounding of n flips
	for len(xs) < n {
		switch r.IntN(3) {
		case 0:
			xs = append(xs, float32(r.Float64()*200-100))
		case 1:
			xs = append(xs, float32(r.NormFloat64()*4))
		default:
			xs = append(xs, math.Float32frombits(r.Uint32())) // any bit pattern
		}
	}
	return xs
}

// TestExpSubSIMD checks the AVX2 exponentials of Softmax against Exp32, bit
// for bit (NaN for NaN), including the scalar tail of lengths that are not
// a multiple of 8.
func TestExpSubSIMD(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels in this build or on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	xs := expInputs(r, 100003)
	for _, m := range []float32{0, 3.5, -2, 90} {
		got := append([]float32(nil), xs...)
		expSub(got, m)
		for i, x := range xs {
			want := Exp32(x - m)
			if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
				t.Fatalf("Exp32(%v − %v): AVX2 %v (%#x), scalar %v (%#x)", x, m, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
	}
}

// TestSwiGLUSIMD checks the AVX2 SwiGLU against SiLU(g)·u element by
// element, bit for bit.
func TestSwiGLUSIMD(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels in this build or on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	gate := expInputs(r, 50001)
	up := make([]float32, len(gate))
	for i := range up {
		up[i] = float32(r.NormFloat64() * 3)
	}
	got := append([]float32(nil), gate...)
	SwiGLU(got, up)
	for i, g := range gate {
		want := SiLU(g) * up[i]
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
			t.Fatalf("SwiGLU(%v, %v): AVX2 %v, scalar %v", g, up[i], got[i], want)
		}
	}
}
