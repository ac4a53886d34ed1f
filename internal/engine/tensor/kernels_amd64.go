//go:build amd64 && !purego

package tensor

// simdWidth is the block of elements the AVX2 kernels consume per loop
// iteration: two 8-lane float32 registers per output.
const simdWidth = 16

// useSIMD is true when the CPU and OS support AVX2, FMA and F16C (checked
// once at start-up with CPUID and XGETBV). Tests may switch it off to
// exercise the portable kernels.
var useSIMD = hasAVX2FMAF16C()

// SIMD reports whether the AVX2/FMA/F16C kernels are in use (false: the
// portable Go kernels).
func SIMD() bool { return useSIMD }

// cpuid executes CPUID with the given leaf and sub-leaf.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0, the state components the OS saves on context switch.
func xgetbv() (eax, edx uint32)

// hasAVX2FMAF16C follows Intel's SDM §14.3 ("Detection of AVX
// instructions"): CPUID.1:ECX reports FMA (bit 12), OSXSAVE (bit 27), AVX
// (bit 28) and F16C (bit 29); XCR0 bits 1 and 2 say the OS saves XMM and
// YMM state; CPUID.(7,0):EBX bit 5 reports AVX2. (Every CPU with AVX2 so far
// has F16C, which the block kernels use to convert binary16 scales.)
func hasAVX2FMAF16C() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx, _ := cpuid(1, 0)
	const fma, osxsave, avx, f16c = 1 << 12, 1 << 27, 1 << 28, 1 << 29
	if ecx&(fma|osxsave|avx|f16c) != fma|osxsave|avx|f16c {
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

//go:noescape
func axpy4AVX2(dst, x0, x1, x2, x3 *float32, n int, a *[4]float32)

func axpy4SIMD(dst, x0, x1, x2, x3 []float32, a *[4]float32) {
	n := len(dst)
	_, _, _, _ = x0[n-1], x1[n-1], x2[n-1], x3[n-1]
	axpy4AVX2(&dst[0], &x0[0], &x1[0], &x2[0], &x3[0], n, a)
}

// The block-type kernels (kernels_quant_amd64.s) compute two rows at a
// time, A and B, w2off bytes apart in the weights and d2off bytes apart in
// dst; see qdot.go for the other arguments' meaning and the order of their
// float32 operations.

//go:noescape
func rowsQ8_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int)

//go:noescape
func rowsQ4_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int)

//go:noescape
func rowsQ4_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int)

//go:noescape
func rowsQ5_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int)

//go:noescape
func rowsQ6_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int)

// rowsAsm adapts an assembly block kernel to a rowsFunc; block is the
// activation block size the kernel expects. Of the n rows, row i is paired
// with row i+n/2, so that the kernel streams two distant runs of memory; an
// odd last row is paired with itself.
func rowsAsm(f func(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xbs *int16, nb int, w2off int, d2off int), block int) rowsFunc {
	return func(dst []float32, w []byte, rowBytes int, x *qact) {
		n, nb := len(dst), len(x.d)
		if n == 0 || nb == 0 {
			return
		}
		_ = w[n*rowBytes-1]
		_ = x.qs[nb*block-1]
		var bs *int16
		if block == qk {
			_ = x.bsums[nb*16-1]
			bs = &x.bsums[0]
		}
		if q := n / 2; q > 0 {
			f(&dst[0], q, &w[0], rowBytes, &x.qs[0], &x.d[0], bs, nb, q*rowBytes, 4*q)
		}
		if n%2 == 1 {
			f(&dst[n-1], 1, &w[(n-1)*rowBytes], rowBytes, &x.qs[0], &x.d[0], bs, nb, 0, 0)
		}
	}
}

// simdKernels are the AVX2 kernels of the block types that have one.
var simdKernels = map[DType]rowsFunc{
	Q8_0: rowsAsm(rowsQ8_0AVX2, 32),
	Q4_0: rowsAsm(rowsQ4_0AVX2, 32),
	Q4_K: rowsAsm(rowsQ4_KAVX2, qk),
	Q5_K: rowsAsm(rowsQ5_KAVX2, qk),
	Q6_K: rowsAsm(rowsQ6_KAVX2, qk),
}

//go:noescape
func dot4x1F16AVX2(w *byte, stride int, x *float32, n int, out *[4]float32)

//go:noescape
func dot4x1BF16AVX2(w *byte, stride int, x *float32, n int, out *[4]float32)

// halfDot4 computes out[i] = row i · x for four F16 or BF16 rows of stride
// bytes at the start of w, over the first len(x) elements (a positive
// multiple of simdWidth), in the order of dot4x1's SIMD part.
type halfDot4 func(w []byte, stride int, x []float32, out *[4]float32)

// halfSIMD returns the fused kernel for t (F16 or BF16), nil when the SIMD
// kernels are off.
func halfSIMD(t DType) halfDot4 {
	if !useSIMD {
		return nil
	}
	f := dot4x1F16AVX2
	if t == BF16 {
		f = dot4x1BF16AVX2
	}
	return func(w []byte, stride int, x []float32, out *[4]float32) {
		n := len(x)
		_ = w[3*stride+2*n-1]
		f(&w[0], stride, &x[0], n, out)
	}
}

//go:noescape
func quantizeActAVX2(x *float32, nb int, block int, qs *int8, d *float32, bsums *int16)

// quantizeActSIMD quantises x (a whole number of blocks) as quantizeBlock
// does, block by block, into qs and d, and, when bsums is not empty, stores
// the sum of every 16 values in it.
func quantizeActSIMD(x []float32, block int, qs []int8, d []float32, bsums []int16) {
	nb := len(x) / block
	_, _ = qs[len(x)-1], d[nb-1]
	var bs *int16
	if len(bsums) > 0 {
		_ = bsums[len(x)/16-1]
		bs = &bsums[0]
	}
	quantizeActAVX2(&x[0], nb, block, &qs[0], &d[0], bs)
}
