package tensor

import (
	"fmt"
	"math"
)

// RMSNorm writes x normalised by its root mean square and scaled by weight
// into dst: dst[i] = x[i] / sqrt(mean(x²) + eps) * weight[i] (Zhang &
// Sennrich 2019, "Root Mean Square Layer Normalization"; ggml_rms_norm
// followed by the weight multiply). The sum of squares is accumulated in
// float64, in four interleaved partial sums (element i in sum i mod 4,
// then (s0+s1)+(s2+s3)): one running sum made each addition wait for the
// last, and a decoded token normalises some 140,000 values. dst may alias
// x.
func RMSNorm(dst, x, weight []float32, eps float32) {
	n := len(x)
	if len(dst) != n || len(weight) != n {
		panic(fmt.Sprintf("tensor: RMSNorm of %d elements with weight[%d] into dst[%d]", n, len(weight), len(dst)))
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0]) * float64(v[0])
		s1 += float64(v[1]) * float64(v[1])
		s2 += float64(v[2]) * float64(v[2])
		s3 += float64(v[3]) * float64(v[3])
	}
	for j := 0; i < n; i, j = i+1, j+1 {
		p := float64(x[i]) * float64(x[i])
		switch j {
		case 0:
			s0 += p
		case 1:
			s1 += p
		default:
			s2 += p
		}
	}
	ss := (s0 + s1) + (s2 + s3)
	scale := float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
	for i, v := range x {
		dst[i] = v * scale * weight[i]
	}
}

// Softmax replaces x with exp(x[i]-max) / Σ exp(x[j]-max), the numerically
// stable softmax. The exponentials are Exp32's; their sum is kept in
// float64.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	expSub(x, m)
	var sum float64
	for _, e := range x {
		sum += float64(e)
	}
	inv := 1 / sum
	for i, v := range x {
		x[i] = float32(float64(v) * inv)
	}
}

// SiLU returns x·σ(x) = x / (1 + e^-x), the sigmoid linear unit (Elfwing et
// al. 2017; "swish" with β = 1), in float32 with Exp32.
func SiLU(x float32) float32 {
	return x / (1 + Exp32(-x))
}

// SwiGLU replaces gate with SiLU(gate[i]) * up[i], the gated activation of
// the SwiGLU feed-forward (Shazeer 2020, "GLU Variants Improve Transformer").
func SwiGLU(gate, up []float32) {
	up = up[:len(gate)]
	i := 0
	if useSIMD && len(gate) >= 8 {
		i = len(gate) &^ 7
		swigluSIMD(gate[:i], up[:i])
	}
	for ; i < len(gate); i++ {
		gate[i] = SiLU(gate[i]) * up[i]
	}
}

// expSub replaces x[i] with Exp32(x[i] - m).
func expSub(x []float32, m float32) {
	i := 0
	if useSIMD && len(x) >= 8 {
		i = len(x) &^ 7
		expSubSIMD(x[:i], m)
	}
	for ; i < len(x); i++ {
		x[i] = Exp32(x[i] - m)
	}
}

// Add adds src to dst element-wise.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Argmax returns the index of the largest element of x, the lowest index
// among equal maxima; -1 for an empty x.
func Argmax(x []float32) int {
	if len(x) == 0 {
		return -1
	}
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// RopeAngles writes the rotation of position pos for each of the dims/2
// frequency pairs of a head of dims elements: θ_i = pos · base^(-2i/dims),
// cos[i] = cos θ_i, sin[i] = sin θ_i (Su et al. 2021, "RoFormer"). The
// angles are computed in float64. cos and sin must have dims/2 elements.
func RopeAngles(cos, sin []float32, pos int, base float64, dims int) {
	half := dims / 2
	if len(cos) != half || len(sin) != half {
		panic(fmt.Sprintf("tensor: RopeAngles for %d dims into cos[%d], sin[%d]", dims, len(cos), len(sin)))
	}
	for i := range half {
		theta := float64(pos) * math.Pow(base, -2*float64(i)/float64(dims))
		s, c := math.Sincos(theta)
		cos[i], sin[i] = float32(c), float32(s)
	}
}

// RopeNeoX rotates each head of headDim elements in x (len(x) is a multiple
// of headDim) by the angles in cos and sin (headDim/2 each), in the
// "half-rotation" layout that GPT-NeoX, Hugging Face Llama/Qwen and GGML's
// GGML_ROPE_TYPE_NEOX use: element i is paired with element i+headDim/2,
//
//	x'[i]        = x[i]·cos θ_i − x[i+h]·sin θ_i
//	x'[i+h]      = x[i]·sin θ_i + x[i+h]·cos θ_i     (h = headDim/2)
func RopeNeoX(x []float32, headDim int, cos, sin []float32) {
	h := headDim / 2
	cos, sin = cos[:h], sin[:h]
	for o := 0; o+headDim <= len(x); o += headDim {
		a := x[o : o+h]
		b := x[o+h : o+headDim]
		for i := range h {
			x0, x1 := a[i], b[i]
			a[i] = x0*cos[i] - x1*sin[i]
			b[i] = x0*sin[i] + x1*cos[i]
		}
	}
}

// RopeInterleaved rotates each head of headDim elements in x like RopeNeoX
// but pairs adjacent elements (2i, 2i+1), the layout of the original RoPE
// and of GGML_ROPE_TYPE_NORMAL, which GGUF llama models use because
// llama.cpp's converter permutes their q and k weights for it.
func RopeInterleaved(x []float32, headDim int, cos, sin []float32) {
	h := headDim / 2
	cos, sin = cos[:h], sin[:h]
	for o := 0; o+headDim <= len(x); o += headDim {
		v := x[o : o+headDim]
		for i := range h {
			x0, x1 := v[2*i], v[2*i+1]
			v[2*i] = x0*cos[i] - x1*sin[i]
			v[2*i+1] = x0*sin[i] + x1*cos[i]
		}
	}
}

// Axpy4 adds a0·x0 + a1·x1 + a2·x2 + a3·x3 to dst: exactly what Axpy(dst,
// x0, a0) then Axpy(dst, x1, a1) and so on compute, bit for bit, with dst
// read and written once (the weighted sum of cached values in attention).
// Each x must have at least len(dst) elements.
func Axpy4(dst, x0, x1, x2, x3 []float32, a0, a1, a2, a3 float32) {
	if useSIMD && len(dst) >= simdWidth {
		n := len(dst) &^ (simdWidth - 1)
		a := [4]float32{a0, a1, a2, a3}
		axpy4SIMD(dst[:n], x0[:n], x1[:n], x2[:n], x3[:n], &a)
		if n == len(dst) {
			return
		}
		m := len(dst)
		tail := dst[n:]
		for _, p := range []struct {
			x []float32
			a float32
		}{{x0[n:m], a0}, {x1[n:m], a1}, {x2[n:m], a2}, {x3[n:m], a3}} {
			for i := range tail {
				tail[i] += p.a * p.x[i]
			}
		}
		return
	}
	Axpy(dst, x0, a0)
	Axpy(dst, x1, a1)
	Axpy(dst, x2, a2)
	Axpy(dst, x3, a3)
}

// Axpy adds a·x to dst element-wise (BLAS saxpy): dst[i] += a*x[i]. With
// SIMD kernels each element is one fused multiply-add (one rounding);
// the portable kernel rounds the product and the sum.
func Axpy(dst, x []float32, a float32) {
	x = x[:len(dst)]
	n := 0
	if useSIMD && len(dst) >= simdWidth {
		n = len(dst) &^ (simdWidth - 1)
		axpySIMD(dst[:n], x[:n], a)
	}
	for i := n; i < len(dst); i++ {
		dst[i] += a * x[i]
	}
}
