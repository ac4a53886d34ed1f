//go:build amd64 && !purego

package tensor

import "unsafe"

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
// float32 operations. xs points at the activation sums the type needs
// (qact.sums for Q4_K and Q5_K, qact.s for Q4_1 and Q5_1), or is nil.

// asmKernel is the signature of the block kernels.
type asmKernel func(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ8_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ4_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ4_1AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ5_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ5_1AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsIQ4NLAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ4_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ5_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

//go:noescape
func rowsQ6_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)

// simdKernel is a type's AVX2 kernel as a rowsFunc and as a pairsFunc.
type simdKernel struct {
	rows  rowsFunc
	pairs pairsFunc
}

// Which activation sums a block kernel reads (its xs argument).
const (
	auxNone = iota
	auxSums // qact.sums, 8 per block of 256
	auxS    // qact.s, 1 per block of 32
)

// asmArgs returns the activation arguments of the block kernels, checking
// that x holds nb blocks of block values and the sums aux needs.
func asmArgs(x *qact, block, aux int) (nb int, xs unsafe.Pointer) {
	nb = len(x.d)
	_ = x.qs[nb*block-1]
	switch aux {
	case auxSums:
		_ = x.sums[nb*block/32-1]
		xs = unsafe.Pointer(&x.sums[0])
	case auxS:
		_ = x.s[nb-1]
		xs = unsafe.Pointer(&x.s[0])
	}
	return nb, xs
}

// rowsAsm adapts an assembly block kernel; block is the activation block
// size the kernel expects and aux the sums it reads. As a rowsFunc, row i
// of the n rows is paired with row i+n/2, so that the kernel streams two
// distant runs of memory; an odd last row is paired with itself.
func rowsAsm(f asmKernel, block, aux int) simdKernel {
	rows := func(dst []float32, w []byte, rowBytes int, x *qact) {
		n := len(dst)
		if n == 0 || len(x.d) == 0 {
			return
		}
		_ = w[n*rowBytes-1]
		nb, xs := asmArgs(x, block, aux)
		if q := n / 2; q > 0 {
			f(&dst[0], q, &w[0], rowBytes, &x.qs[0], &x.d[0], xs, nb, q*rowBytes, 4*q)
		}
		if n%2 == 1 {
			f(&dst[n-1], 1, &w[(n-1)*rowBytes], rowBytes, &x.qs[0], &x.d[0], xs, nb, 0, 0)
		}
	}
	pairs := func(dstA, dstB []float32, wA, wB []byte, rowBytes int, x *qact) {
		n := len(dstA)
		if n == 0 || len(x.d) == 0 {
			return
		}
		_, _, _ = dstB[n-1], wA[n*rowBytes-1], wB[n*rowBytes-1]
		nb, xs := asmArgs(x, block, aux)
		w2off := int(uintptr(unsafe.Pointer(&wB[0])) - uintptr(unsafe.Pointer(&wA[0])))
		d2off := int(uintptr(unsafe.Pointer(&dstB[0])) - uintptr(unsafe.Pointer(&dstA[0])))
		f(&dstA[0], n, &wA[0], rowBytes, &x.qs[0], &x.d[0], xs, nb, w2off, d2off)
	}
	return simdKernel{rows, pairs}
}

// simdKernels are the AVX2 kernels of the block types that have one.
var simdKernels = map[DType]simdKernel{
	Q8_0:   rowsAsm(rowsQ8_0AVX2, 32, auxNone),
	Q4_0:   rowsAsm(rowsQ4_0AVX2, 32, auxNone),
	Q4_1:   rowsAsm(rowsQ4_1AVX2, 32, auxS),
	Q5_0:   rowsAsm(rowsQ5_0AVX2, 32, auxNone),
	Q5_1:   rowsAsm(rowsQ5_1AVX2, 32, auxS),
	IQ4_NL: rowsAsm(rowsIQ4NLAVX2, 32, auxNone),
	Q4_K:   rowsAsm(rowsQ4_KAVX2, qk, auxSums),
	Q5_K:   rowsAsm(rowsQ5_KAVX2, qk, auxSums),
	Q6_K:   rowsAsm(rowsQ6_KAVX2, qk, auxNone),
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
func quantizeActAVX2(x *float32, nb int, block int, qs *int8, d *float32, sums *int16)

// quantizeActSIMD quantises x (a whole number of blocks) as quantizeBlock
// does, block by block, into qs and d, and, when sums is not empty, stores
// the sum of every 32 values in it.
func quantizeActSIMD(x []float32, block int, qs []int8, d []float32, sums []int16) {
	nb := len(x) / block
	_, _ = qs[len(x)-1], d[nb-1]
	var ps *int16
	if len(sums) > 0 {
		_ = sums[len(x)/32-1]
		ps = &sums[0]
	}
	quantizeActAVX2(&x[0], nb, block, &qs[0], &d[0], ps)
}

// rowsSIMD reports whether the strided row kernels apply to rows of n
// elements.
func rowsSIMD(n int) bool { return useSIMD && n >= simdWidth && n%simdWidth == 0 }

//go:noescape
func expSubAVX2(x *float32, n int, m float32, c *[17]float32)

//go:noescape
func swigluAVX2(gate, up *float32, n int, c *[17]float32)

// expSubSIMD is expSub's AVX2 part: len(x) is a positive multiple of 8.
func expSubSIMD(x []float32, m float32) { expSubAVX2(&x[0], len(x), m, &expConsts) }

// swigluSIMD is SwiGLU's AVX2 part: len(gate) is a positive multiple of 8
// and up at least as long.
func swigluSIMD(gate, up []float32) {
	_ = up[len(gate)-1]
	swigluAVX2(&gate[0], &up[0], len(gate), &expConsts)
}

//go:noescape
func float32sToF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func dotRowsF16AVX2(x *float32, k *uint16, stride, rows, n int, out *float32)

//go:noescape
func axpyRowsF16AVX2(dst *float32, v *uint16, stride, rows, n int, w *float32)

// float32sToF16SIMD converts len(src), a positive multiple of 8, values.
func float32sToF16SIMD(dst []uint16, src []float32) {
	_ = dst[len(src)-1]
	float32sToF16AVX2(&dst[0], &src[0], len(src))
}

// dotRowsF16SIMD takes the rows four at a time with the fused F16 kernel
// of the F16 weight matrices (dot4x1F16AVX2: four rows' chains of
// multiply-adds keep the multipliers busy, where one row's do not), and the
// rest one at a time; both give dotAVX2's result for each converted row.
func dotRowsF16SIMD(out, x []float32, k []uint16, stride int) {
	n := len(x)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&k[0])), 2*len(k))
	j := 0
	for ; j+4 <= len(out); j += 4 {
		dot4x1F16AVX2(&b[2*j*stride], 2*stride, &x[0], n, (*[4]float32)(out[j:j+4]))
	}
	if j < len(out) {
		dotRowsF16AVX2(&x[0], &k[j*stride], stride, len(out)-j, n, &out[j])
	}
}

func axpyRowsF16SIMD(dst []float32, v []uint16, stride int, w []float32) {
	axpyRowsF16AVX2(&dst[0], &v[0], stride, len(w), len(dst), &w[0])
}
