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
