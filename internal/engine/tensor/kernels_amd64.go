//go:build amd64 && !purego

package tensor

// simdWidth is the block of elements the AVX2 kernels consume per loop
// iteration: two 8-lane float32 registers per output.
const simdWidth = 16

// useSIMD is true when the CPU and OS support AVX2 and FMA (checked once at
// start-up with CPUID and XGETBV). Tests may switch it off to exercise the
// portable kernels.
var useSIMD = hasAVX2FMA()

// SIMD reports whether the AVX2/FMA kernels are in use (false: the portable
// Go kernels).
func SIMD() bool { return useSIMD }

// cpuid executes CPUID with the given leaf and sub-leaf.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0, the state components the OS saves on context switch.
func xgetbv() (eax, edx uint32)

// hasAVX2FMA follows Intel's SDM §14.3 ("Detection of AVX instructions"):
// CPUID.1:ECX reports FMA (bit 12), OSXSAVE (bit 27) and AVX (bit 28); XCR0
// bits 1 and 2 say the OS saves XMM and YMM state; CPUID.(7,0):EBX bit 5
// reports AVX2.
func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<5) != 0
}

// The AVX2 kernels take whole blocks: every slice has the same length, a
// positive multiple of simdWidth. For each output they keep two 8-lane
// accumulators — elements 16k..16k+7 go to the first, 16k+8..16k+15 to the
// second, each lane updated by a fused multiply-add in order of k — and
// reduce them identically: the two accumulators added lane-wise, the upper
// 128 bits added to the lower, then lanes (0+2, 1+3), then (0)+(1).

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func dot4x1AVX2(w0, w1, w2, w3, x *float32, n int, out *[4]float32)

//go:noescape
func dot2x2AVX2(w0, w1, x0, x1 *float32, n int, out *[4]float32)

func dotSIMD(a, b []float32) float32 { return dotAVX2(&a[0], &b[0], len(a)) }

func dot4x1SIMD(w0, w1, w2, w3, x []float32, out *[4]float32) {
	n := len(x)
	_, _, _, _ = w0[n-1], w1[n-1], w2[n-1], w3[n-1]
	dot4x1AVX2(&w0[0], &w1[0], &w2[0], &w3[0], &x[0], n, out)
}

func dot2x2SIMD(w0, w1, x0, x1 []float32, out *[4]float32) {
	n := len(x0)
	_, _, _ = w0[n-1], w1[n-1], x1[n-1]
	dot2x2AVX2(&w0[0], &w1[0], &x0[0], &x1[0], n, out)
}

//go:noescape
func axpyAVX2(dst, x *float32, n int, a float32)

func axpySIMD(dst, x []float32, a float32) {
	_ = x[len(dst)-1]
	axpyAVX2(&dst[0], &x[0], len(dst), a)
}
