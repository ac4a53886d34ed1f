//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// REDUCE sums the 16 lanes of accumulators ya and yb (xa is ya's lower
// half; xt is scratch) into the low lane of xa, in the fixed order every
// kernel uses.
#define REDUCE(ya, yb, xa, xt) \
	VADDPS       yb, ya, ya \
	VEXTRACTF128 $1, ya, xt \
	VADDPS       xt, xa, xa \
	VMOVHLPS     xa, xa, xt \
	VADDPS       xt, xa, xa \
	VMOVSHDUP    xa, xt     \
	VADDSS       xt, xa, xa

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

dotloop:
	VMOVUPS     (SI)(AX*1), Y2
	VMOVUPS     32(SI)(AX*1), Y3
	VFMADD231PS (DI)(AX*1), Y2, Y0
	VFMADD231PS 32(DI)(AX*1), Y3, Y1
	ADDQ        $64, AX
	CMPQ        AX, CX
	JLT         dotloop

	REDUCE(Y0, Y1, X0, X2)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dot4x1AVX2(w0, w1, w2, w3, x *float32, n int, out *[4]float32)
TEXT ·dot4x1AVX2(SB), NOSPLIT, $0-56
	MOVQ w0+0(FP), SI
	MOVQ w1+8(FP), DI
	MOVQ w2+16(FP), R8
	MOVQ w3+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ out+48(FP), R11
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop4x1:
	VMOVUPS     (R10)(AX*1), Y8
	VMOVUPS     32(R10)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS 32(SI)(AX*1), Y9, Y1
	VFMADD231PS (DI)(AX*1), Y8, Y2
	VFMADD231PS 32(DI)(AX*1), Y9, Y3
	VFMADD231PS (R8)(AX*1), Y8, Y4
	VFMADD231PS 32(R8)(AX*1), Y9, Y5
	VFMADD231PS (R9)(AX*1), Y8, Y6
	VFMADD231PS 32(R9)(AX*1), Y9, Y7
	ADDQ        $64, AX
	CMPQ        AX, CX
	JLT         loop4x1

	REDUCE(Y0, Y1, X0, X8)
	MOVSS X0, 0(R11)
	REDUCE(Y2, Y3, X2, X8)
	MOVSS X2, 4(R11)
	REDUCE(Y4, Y5, X4, X8)
	MOVSS X4, 8(R11)
	REDUCE(Y6, Y7, X6, X8)
	MOVSS X6, 12(R11)
	VZEROUPPER
	RET

// func dot2x2AVX2(w0, w1, x0, x1 *float32, n int, out *[4]float32)
// out = {w0·x0, w0·x1, w1·x0, w1·x1}.
TEXT ·dot2x2AVX2(SB), NOSPLIT, $0-48
	MOVQ w0+0(FP), SI
	MOVQ w1+8(FP), DI
	MOVQ x0+16(FP), R8
	MOVQ x1+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), R11
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop2x2:
	VMOVUPS     (R8)(AX*1), Y8
	VMOVUPS     32(R8)(AX*1), Y9
	VMOVUPS     (R9)(AX*1), Y10
	VMOVUPS     32(R9)(AX*1), Y11
	VMOVUPS     (SI)(AX*1), Y12
	VMOVUPS     32(SI)(AX*1), Y13
	VFMADD231PS Y12, Y8, Y0
	VFMADD231PS Y13, Y9, Y1
	VFMADD231PS Y12, Y10, Y2
	VFMADD231PS Y13, Y11, Y3
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     32(DI)(AX*1), Y13
	VFMADD231PS Y12, Y8, Y4
	VFMADD231PS Y13, Y9, Y5
	VFMADD231PS Y12, Y10, Y6
	VFMADD231PS Y13, Y11, Y7
	ADDQ        $64, AX
	CMPQ        AX, CX
	JLT         loop2x2

	REDUCE(Y0, Y1, X0, X8)
	MOVSS X0, 0(R11)
	REDUCE(Y2, Y3, X2, X8)
	MOVSS X2, 4(R11)
	REDUCE(Y4, Y5, X4, X8)
	MOVSS X4, 8(R11)
	REDUCE(Y6, Y7, X6, X8)
	MOVSS X6, 12(R11)
	VZEROUPPER
	RET

// func axpyAVX2(dst, x *float32, n int, a float32)
// dst[i] += a*x[i] for i < n, n a positive multiple of 16, one fused
// multiply-add per element.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	SHLQ         $2, CX
	XORQ         AX, AX

axpyloop:
	VMOVUPS     (DI)(AX*1), Y1
	VMOVUPS     32(DI)(AX*1), Y2
	VFMADD231PS (SI)(AX*1), Y0, Y1
	VFMADD231PS 32(SI)(AX*1), Y0, Y2
	VMOVUPS     Y1, (DI)(AX*1)
	VMOVUPS     Y2, 32(DI)(AX*1)
	ADDQ        $64, AX
	CMPQ        AX, CX
	JLT         axpyloop

	VZEROUPPER
	RET

// func axpy4AVX2(dst, x0, x1, x2, x3 *float32, n int, a *[4]float32)
// dst += a[0]·x0 + a[1]·x1 + a[2]·x2 + a[3]·x3, as four fused multiply-adds
// per element in that order: exactly four axpyAVX2 calls, with dst loaded
// and stored once instead of four times. n is a multiple of 16.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-56
	MOVQ         dst+0(FP), DI
	MOVQ         x0+8(FP), SI
	MOVQ         x1+16(FP), R8
	MOVQ         x2+24(FP), R9
	MOVQ         x3+32(FP), R10
	MOVQ         n+40(FP), CX
	MOVQ         a+48(FP), DX
	VBROADCASTSS 0(DX), Y0
	VBROADCASTSS 4(DX), Y1
	VBROADCASTSS 8(DX), Y2
	VBROADCASTSS 12(DX), Y3
	SHLQ         $2, CX
	XORQ         AX, AX

axpy4loop:
	VMOVUPS     (DI)(AX*1), Y4
	VMOVUPS     32(DI)(AX*1), Y5
	VFMADD231PS (SI)(AX*1), Y0, Y4
	VFMADD231PS 32(SI)(AX*1), Y0, Y5
	VFMADD231PS (R8)(AX*1), Y1, Y4
	VFMADD231PS 32(R8)(AX*1), Y1, Y5
	VFMADD231PS (R9)(AX*1), Y2, Y4
	VFMADD231PS 32(R9)(AX*1), Y2, Y5
	VFMADD231PS (R10)(AX*1), Y3, Y4
	VFMADD231PS 32(R10)(AX*1), Y3, Y5
	VMOVUPS     Y4, (DI)(AX*1)
	VMOVUPS     Y5, 32(DI)(AX*1)
	ADDQ        $64, AX
	CMPQ        AX, CX
	JLT         axpy4loop

	VZEROUPPER
	RET

// EXP8 replaces the 8 float32 lanes of Y0 by Exp32 of them, lane by lane,
// bit for bit: the same float32 operations in the same order (separate
// multiplies and adds, no fused multiply-add). t = x·log2e; k = t ± 0.5
// truncated toward zero (−0.5 where t has its sign bit set, which for
// t = −0 gives the same k = 0 as Exp32's +0.5); n = float32(k);
// r = (x − n·c1) − n·c2; z = r·r; the polynomial p by Horner's rule;
// y = (p·z + r) + 1; then y·2^k, or (y·2)·2^(k−1) where k = 128; and last
// +Inf where x > hi, 0 where x < lo and x itself where x is NaN. R8 points
// at expConsts (see exp.go for the offsets). Clobbers Y1 to Y7.
#define EXP8 \
	VBROADCASTSS 8(R8), Y1         \
	VMULPS       Y1, Y0, Y1        \
	VBROADCASTSS 60(R8), Y2        \
	VANDPS       Y2, Y1, Y2        \
	VBROADCASTSS 24(R8), Y3        \
	VORPS        Y3, Y2, Y2        \
	VADDPS       Y2, Y1, Y1        \
	VCVTTPS2DQ   Y1, Y1            \
	VCVTDQ2PS    Y1, Y2            \
	VBROADCASTSS 12(R8), Y3        \
	VMULPS       Y3, Y2, Y3        \
	VSUBPS       Y3, Y0, Y3        \
	VBROADCASTSS 16(R8), Y4        \
	VMULPS       Y4, Y2, Y4        \
	VSUBPS       Y4, Y3, Y3        \
	VMULPS       Y3, Y3, Y4        \
	VBROADCASTSS 28(R8), Y5        \
	VMULPS       Y3, Y5, Y5        \
	VBROADCASTSS 32(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VMULPS       Y3, Y5, Y5        \
	VBROADCASTSS 36(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VMULPS       Y3, Y5, Y5        \
	VBROADCASTSS 40(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VMULPS       Y3, Y5, Y5        \
	VBROADCASTSS 44(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VMULPS       Y3, Y5, Y5        \
	VBROADCASTSS 48(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VMULPS       Y4, Y5, Y5        \
	VADDPS       Y3, Y5, Y5        \
	VBROADCASTSS 52(R8), Y6        \
	VADDPS       Y6, Y5, Y5        \
	VPBROADCASTD 64(R8), Y7        \
	VPCMPGTD     Y7, Y1, Y2        \
	VPADDD       Y2, Y1, Y1        \
	VBROADCASTSS 56(R8), Y3        \
	VBLENDVPS    Y2, Y3, Y6, Y3    \
	VMULPS       Y3, Y5, Y5        \
	VPADDD       Y7, Y1, Y1        \
	VPSLLD       $23, Y1, Y1       \
	VMULPS       Y1, Y5, Y5        \
	VBROADCASTSS (R8), Y1          \
	VCMPPS       $0x1e, Y1, Y0, Y1 \
	VPCMPEQD     Y2, Y2, Y2        \
	VPSLLD       $24, Y2, Y2       \
	VPSRLD       $1, Y2, Y2        \
	VBLENDVPS    Y1, Y2, Y5, Y5    \
	VBROADCASTSS 4(R8), Y1         \
	VCMPPS       $0x11, Y1, Y0, Y1 \
	VXORPS       Y2, Y2, Y2        \
	VBLENDVPS    Y1, Y2, Y5, Y5    \
	VCMPPS       $0x03, Y0, Y0, Y1 \
	VBLENDVPS    Y1, Y0, Y5, Y0

// func expSubAVX2(x *float32, n int, m float32, c *[17]float32)
// x[i] = Exp32(x[i] − m) for i < n, n a positive multiple of 8.
TEXT ·expSubAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y8
	MOVQ         c+24(FP), R8

expsubloop:
	VMOVUPS (DI), Y0
	VSUBPS  Y8, Y0, Y0
	EXP8
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     expsubloop
	VZEROUPPER
	RET

// func swigluAVX2(gate, up *float32, n int, c *[17]float32)
// gate[i] = (gate[i] / (1 + Exp32(−gate[i]))) · up[i] for i < n, n a
// positive multiple of 8: SiLU(gate[i])·up[i] as SwiGLU computes it.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ gate+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+24(FP), R8

swigluloop:
	VMOVUPS      (DI), Y9
	VBROADCASTSS 60(R8), Y0
	VXORPS       Y9, Y0, Y0
	EXP8
	VBROADCASTSS 52(R8), Y1
	VADDPS       Y1, Y0, Y0
	VDIVPS       Y0, Y9, Y0
	VMULPS       (SI), Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          swigluloop
	VZEROUPPER
	RET

// func float32sToF16AVX2(dst *uint16, src *float32, n int)
// dst[i] = Float32ToF16(src[i]) for i < n, a positive multiple of 8.
TEXT ·float32sToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

tof16loop:
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU   X1, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       tof16loop
	VZEROUPPER
	RET

// func dotRowsF16AVX2(x *float32, k *uint16, stride, rows, n int, out *float32)
// out[j] = x · k[j·stride : j·stride+n] for j < rows over binary16 rows
// (stride in elements), each converted as it is loaded, in exactly
// dotAVX2's order (two 8-lane accumulators over 16-element steps, then
// REDUCE): what dotAVX2 gives for x and the converted row; n is a positive
// multiple of 16. DotRowsF16 takes rows four at a time with dot4x1F16AVX2
// and leaves this the rest.
TEXT ·dotRowsF16AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ k+8(FP), DI
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ rows+24(FP), R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	MOVQ out+40(FP), DX

dotf16row:
	XORQ   AX, AX
	XORQ   BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

dotf16loop:
	VCVTPH2PS   (DI)(BX*1), Y4
	VCVTPH2PS   16(DI)(BX*1), Y5
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS 32(SI)(AX*1), Y5, Y1
	ADDQ        $64, AX
	ADDQ        $32, BX
	CMPQ        AX, CX
	JLT         dotf16loop

	REDUCE(Y0, Y1, X0, X2)
	MOVSS X0, (DX)
	ADDQ  $4, DX
	ADDQ  R8, DI
	DECQ  R9
	JNZ   dotf16row
	VZEROUPPER
	RET

// AXPYF16 adds the broadcast weight in Y8 times the 8 binary16 values at
// off(R10), converted into yt, to acc.
#define AXPYF16(off, yt, acc) \
	VCVTPH2PS   off(R10), yt \
	VFMADD231PS yt, Y8, acc

// axpyGroup is how many rows axpyRowsF16AVX2 takes through every chunk of
// the output before moving on: its 16 rows of 128 binary16 values are 4 KiB
// read in order, where one chunk at a time over every row would read each
// row in separate passes.
#define axpyGroup 16

// func axpyRowsF16AVX2(dst *float32, v *uint16, stride, rows, n int, w *float32)
// dst += w[0]·v[0:n] + w[1]·v[stride:stride+n] + ... over binary16 rows
// (stride in elements), each converted as it is loaded, one fused
// multiply-add per element and row, rows in order: exactly what rows calls
// of axpyAVX2 give on the converted rows; n is a positive multiple of 16.
// The rows go in groups of
// axpyGroup; within a group, chunks of 64 outputs (16 at the end) are
// kept in registers across the group's rows.
TEXT ·axpyRowsF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ rows+24(FP), R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	MOVQ w+40(FP), DX

axpyf16group:
	MOVQ R9, R13
	CMPQ R13, $axpyGroup
	JLE  axpyf16sized
	MOVQ $axpyGroup, R13

axpyf16sized:
	XORQ AX, AX

axpyf16chunk:
	// Elements AX/4.. of the output; their binary16 values start AX/2
	// bytes into each row.
	MOVQ    AX, R10
	SHRQ    $1, R10
	ADDQ    SI, R10
	MOVQ    DX, R11
	MOVQ    R13, R12
	MOVQ    CX, BX
	SUBQ    AX, BX
	CMPQ    BX, $256
	JLT     axpyf16small
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	VMOVUPS 128(DI)(AX*1), Y4
	VMOVUPS 160(DI)(AX*1), Y5
	VMOVUPS 192(DI)(AX*1), Y6
	VMOVUPS 224(DI)(AX*1), Y7

axpyf16row:
	VBROADCASTSS (R11), Y8
	AXPYF16(0, Y9, Y0)
	AXPYF16(16, Y10, Y1)
	AXPYF16(32, Y11, Y2)
	AXPYF16(48, Y12, Y3)
	AXPYF16(64, Y13, Y4)
	AXPYF16(80, Y14, Y5)
	AXPYF16(96, Y15, Y6)
	AXPYF16(112, Y9, Y7)
	ADDQ         $4, R11
	ADDQ         R8, R10
	DECQ         R12
	JNZ          axpyf16row

	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	VMOVUPS Y4, 128(DI)(AX*1)
	VMOVUPS Y5, 160(DI)(AX*1)
	VMOVUPS Y6, 192(DI)(AX*1)
	VMOVUPS Y7, 224(DI)(AX*1)
	ADDQ    $256, AX
	CMPQ    AX, CX
	JLT     axpyf16chunk
	JMP     axpyf16next

axpyf16small:
	// A 16-element chunk.
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1

axpyf16smallrow:
	VBROADCASTSS (R11), Y8
	AXPYF16(0, Y9, Y0)
	AXPYF16(16, Y10, Y1)
	ADDQ         $4, R11
	ADDQ         R8, R10
	DECQ         R12
	JNZ          axpyf16smallrow

	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, CX
	JLT     axpyf16chunk

axpyf16next:
	// The next group: R13 rows on.
	MOVQ  R13, BX
	IMULQ R8, BX
	ADDQ  BX, SI
	LEAQ  (DX)(R13*4), DX
	SUBQ  R13, R9
	JNZ   axpyf16group
	VZEROUPPER
	RET
