package tensor

import "math"

// Exp32 returns e^x in float32 arithmetic, within 2 units in the last place
// over the float32 range, several times faster than float64 math.Exp:
// softmax and SiLU call it tens of thousands of times per token. It reduces
// x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so the
// reduction is exact), approximates e^r with the degree-6 minimax
// polynomial of the Cephes library's expf, and scales by 2^n. Results
// below the smallest normal float32 flush to 0; above the largest, +Inf;
// NaN stays NaN.
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// n = x/ln 2 rounded to nearest (half away from zero), without the
	// cost of math.Floor.
	t := x * expLog2e
	var k int32
	if t >= 0 {
		k = int32(t + 0.5)
	} else {
		k = int32(t - 0.5)
	}
	n := float32(k)
	// The float32 conversions keep the compiler from fusing a product and
	// a sum into one multiply-add (which it may do where the CPU has one),
	// so that every build, and the AVX2 version (EXP8 in
	// kernels_amd64.s), rounds each step alike.
	r := x - float32(n*expC1)
	r -= float32(n * expC2)
	z := r * r
	p := float32(expP0)
	p = float32(p*r) + expP1
	p = float32(p*r) + expP2
	p = float32(p*r) + expP3
	p = float32(p*r) + expP4
	p = float32(p*r) + expP5
	y := float32(float32(p*z)+r) + 1
	// Scale by 2^n in two steps so that n = 128 (x near hi) cannot
	// overflow the exponent field before the multiplication.
	if k > 127 {
		return y * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(k+127)<<23)
}

// Exp32's constants.
const (
	expHi    = 88.72283905206835  // ln(MaxFloat32)
	expLo    = -87.33654475055310 // ln(smallest normal float32)
	expLog2e = 1.44269504088896341
	expC1    = 0.693359375    // ln 2, high part (exact in float32)
	expC2    = -2.12194440e-4 // ln 2 − c1
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// expConsts are Exp32's constants as the AVX2 version reads them, at byte
// offsets 0 hi, 4 lo, 8 log2e, 12 c1, 16 c2, 24 0.5, 28..48 the
// polynomial's coefficients from the highest degree down, 52 1, 56 2,
// 60 the sign bit, 64 the integer 127.
var expConsts = [17]float32{
	expHi, expLo, expLog2e, expC1, expC2, 0, 0.5,
	expP0, expP1, expP2, expP3, expP4, expP5,
	1, 2, math.Float32frombits(1 << 31), math.Float32frombits(127),
}
