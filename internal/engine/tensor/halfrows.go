package tensor

// Binary16 rows: a KV cache stored as binary16 (as llama.cpp and Ollama
// store theirs by default) takes half the memory of float32 and, what
// matters more for speed, half the bytes that attention reads per decoded
// token. The kernels here convert on the fly and compute exactly what Dot
// and Axpy compute on the converted values: F16ToFloat32 is exact, so only
// the rounding of Float32ToF16, when a value is stored, differs from a
// float32 cache.

// Float32sToF16 stores Float32ToF16(src[i]) in dst[i], bit for bit (the
// AVX2 version is VCVTPS2PH with round-to-nearest-even). dst must be at
// least as long as src.
func Float32sToF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if useSIMD && len(src) >= 8 {
		i = len(src) &^ 7
		float32sToF16SIMD(dst[:i], src[:i])
	}
	for ; i < len(src); i++ {
		dst[i] = Float32ToF16(src[i])
	}
}

// maxStackRow is the longest row the portable binary16 kernels convert on
// the stack (attention heads have 64 to 256 dimensions).
const maxStackRow = 256

// rowBuf returns a float32 buffer of n elements, stack for short rows.
func rowBuf(stack *[maxStackRow]float32, n int) []float32 {
	if n <= maxStackRow {
		return stack[:n]
	}
	return make([]float32, n)
}

func f16sToFloat32(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = F16ToFloat32(h)
	}
}

// DotRowsF16 sets out[j] to the dot product of x with the float32 values
// of k's row j (len(x) elements starting at j·stride), for j < len(out):
// exactly Dot(x, row) for each, in one call (a head's attention scores
// against every cached key). k must hold (len(out)-1)·stride+len(x)
// values.
func DotRowsF16(out, x []float32, k []uint16, stride int) {
	if len(out) == 0 {
		return
	}
	n := len(x)
	_ = k[(len(out)-1)*stride+n-1]
	if rowsSIMD(n) {
		dotRowsF16SIMD(out, x, k, stride)
		return
	}
	var stack [maxStackRow]float32
	row := rowBuf(&stack, n)
	for j := range out {
		f16sToFloat32(row, k[j*stride:j*stride+n])
		out[j] = Dot(x, row)
	}
}

// AxpyRowsF16 adds w[j] times the float32 values of v's row j (len(dst)
// elements starting at j·stride) to dst, for every j in order: exactly
// len(w) calls of Axpy on the converted rows, bit for bit (a head's
// weighted sum of cached values). v must hold (len(w)-1)·stride+len(dst)
// values.
func AxpyRowsF16(dst []float32, v []uint16, stride int, w []float32) {
	if len(w) == 0 {
		return
	}
	n := len(dst)
	_ = v[(len(w)-1)*stride+n-1]
	if rowsSIMD(n) {
		axpyRowsF16SIMD(dst, v, stride, w)
		return
	}
	var stack [maxStackRow]float32
	row := rowBuf(&stack, n)
	for j, a := range w {
		f16sToFloat32(row, v[j*stride:j*stride+n])
		Axpy(dst, row, a)
	}
}
