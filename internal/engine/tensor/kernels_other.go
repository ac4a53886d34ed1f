//go:build !amd64 || purego

package tensor

// simdWidth is unused without SIMD kernels.
const simdWidth = 16

// useSIMD is false: this build has only the portable Go kernels.
var useSIMD = false

// SIMD reports whether SIMD kernels are in use; this build has none.
func SIMD() bool { return useSIMD }

func dotSIMD(a, b []float32) float32 { panic("tensor: no SIMD kernels in this build") }

func dot4x1SIMD(w0, w1, w2, w3, x []float32, out *[4]float32) {
	panic("tensor: no SIMD kernels in this build")
}

func dot2x2SIMD(w0, w1, x0, x1 []float32, out *[4]float32) {
	panic("tensor: no SIMD kernels in this build")
}

func axpySIMD(dst, x []float32, a float32) { panic("tensor: no SIMD kernels in this build") }

// simdKernel is a type's SIMD kernel as a rowsFunc and as a pairsFunc.
type simdKernel struct {
	rows  rowsFunc
	pairs pairsFunc
}

// simdKernels is empty: no block type has a SIMD kernel in this build.
var simdKernels = map[DType]simdKernel{}

// halfDot4 is the signature of the fused F16/BF16 kernels, which this
// build lacks.
type halfDot4 func(w []byte, stride int, x []float32, out *[4]float32)

// halfSIMD returns nil: this build has no fused F16/BF16 kernels.
func halfSIMD(DType) halfDot4 { return nil }

func quantizeActSIMD(x []float32, block int, qs []int8, d []float32, sums []int16) {
	panic("tensor: no SIMD kernels in this build")
}

func axpy4SIMD(dst, x0, x1, x2, x3 []float32, a *[4]float32) {
	panic("tensor: no SIMD kernels in this build")
}

func rowsSIMD(int) bool { return false }

func expSubSIMD(x []float32, m float32) { panic("tensor: no SIMD kernels in this build") }

func swigluSIMD(gate, up []float32) { panic("tensor: no SIMD kernels in this build") }

func float32sToF16SIMD(dst []uint16, src []float32) { panic("tensor: no SIMD kernels in this build") }

func dotRowsF16SIMD(out, x []float32, k []uint16, stride int) {
	panic("tensor: no SIMD kernels in this build")
}

func axpyRowsF16SIMD(dst []float32, v []uint16, stride int, w []float32) {
	panic("tensor: no SIMD kernels in this build")
}
