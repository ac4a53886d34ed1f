//go:build amd64 && !purego

#include "textflag.h"

// Integer dot-product kernels of the block types (AVX2 + F16C), the
// activation quantiser, and the fused F16/BF16 matrix×vector kernels. See
// qdot.go for the canonical order the block kernels follow, which the
// portable Go kernels reproduce bit for bit: eight int32 lanes per block
// (lane i: elements 32g+4i..32g+4i+3 of each 32-element group g), converted
// to float32, multiplied by the block scale d_w·d_x (VMULPS) and added to an
// 8-lane accumulator (VADDPS: no fused multiply-add), which is reduced at
// the end of the row as REDUCE8 does.
//
// The block kernels share one signature:
//
//	func rowsXxxAVX2(dst *float32, npairs int, w *byte, stride int,
//		xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off, d2off int)
//
// and compute two rows at a time: for each of npairs pairs p they compute
// row A at w + p·stride into dst[p] and row B, w2off bytes further on, into
// the float32 d2off bytes after dst[p], with the activation values xqs,
// their per-block float32 scales xd and the sums xs the type needs (Q4_K,
// Q5_K: the int16 sum of each 32 values; Q4_1, Q5_1: the float32 d·sum of
// each block of 32); nb ≥ 1 blocks per row, npairs ≥ 1. Rows A and B come
// from distant parts of the matrix (see run in matmul.go), so each core
// streams two separate runs of memory, which, with the software
// prefetches, reads about 20–30% faster than one (both on one core and on
// two). With w2off = d2off = 0 both rows are the same row: that is how an
// odd row is computed.
//
// Register use in the block kernels: DI dst, R9 pairs left, R10 row A, R14
// stride, SI and R8 the blocks of rows A and B, CX blocks left, R11, R12
// and R13 the activation values, scales and sums, AX, BX and DX scratch
// (w2off and d2off are read from the arguments when needed); Y0 the lane
// accumulators of row A.

// PFDIST is how far ahead of the block being multiplied the kernels
// prefetch weights, in bytes. One core's hardware prefetchers alone do not
// keep enough cache-line reads in flight to stream at memory speed;
// prefetching 1.5–3 KiB ahead roughly doubled the Q8_0 output-head
// bandwidth on the 2-core development machine (AMD EPYC).
#define PFDIST 4096

// q6shuf holds, for each 32-element group k of a Q6_K half block (its 8
// int16 scales in both lanes), the VPSHUFB mask that broadcasts scale 2k
// to the low lane and scale 2k+1 to the high lane.
DATA q6shuf<>+0(SB)/8, $0x0100010001000100
DATA q6shuf<>+8(SB)/8, $0x0100010001000100
DATA q6shuf<>+16(SB)/8, $0x0302030203020302
DATA q6shuf<>+24(SB)/8, $0x0302030203020302
DATA q6shuf<>+32(SB)/8, $0x0504050405040504
DATA q6shuf<>+40(SB)/8, $0x0504050405040504
DATA q6shuf<>+48(SB)/8, $0x0706070607060706
DATA q6shuf<>+56(SB)/8, $0x0706070607060706
DATA q6shuf<>+64(SB)/8, $0x0908090809080908
DATA q6shuf<>+72(SB)/8, $0x0908090809080908
DATA q6shuf<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6shuf<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6shuf<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6shuf<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6shuf<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q6shuf<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q6shuf<>(SB), RODATA|NOPTR, $128

// REDUCE8 sums the 8 lanes of ya (xa is its lower half, xt scratch) into the
// low lane of xa: h[i] = a[i]+a[i+4], then (h0+h2)+(h1+h3).
#define REDUCE8(ya, xa, xt) \
	VEXTRACTF128 $1, ya, xt \
	VADDPS       xt, xa, xa \
	VMOVHLPS     xa, xa, xt \
	VADDPS       xt, xa, xa \
	VMOVSHDUP    xa, xt     \
	VADDSS       xt, xa, xa

// BROADCASTBYTE fills ymm register y with copies of the 4 bytes c (via AX).
#define BROADCASTBYTE(c, x, y) \
	MOVL         c, AX \
	VMOVD        AX, x \
	VPBROADCASTD x, y

// HALFSCALE loads the binary16 at mem, converts it and multiplies it by the
// float32 at xmem into the low lane of xs.
#define HALFSCALE(mem, xmem, xs) \
	MOVWLZX   mem, AX \
	VMOVD     AX, xs  \
	VCVTPH2PS xs, xs  \
	VMULSS    xmem, xs, xs

// SIGNEDDOT replaces the signed bytes yw by the 8 int32 lane sums of yw
// times the signed bytes yx (|yx| ≤ 127): VPMADDUBSW needs an unsigned
// operand, so it multiplies |w| by x·sign(w). Y15 holds int16 ones; yx is
// kept and yt clobbered.
#define SIGNEDDOT(yw, yx, yt) \
	VPSIGNB    yw, yw, yt \
	VPSIGNB    yw, yx, yw \
	VPMADDUBSW yw, yt, yt \
	VPMADDWD   Y15, yt, yw

// ACCUMULATE converts the int32 lanes yl to float32, multiplies them by the
// scale in the low lane of xs (ys is its register) and adds them to acc.
#define ACCUMULATE(yl, xs, ys, acc) \
	VBROADCASTSS xs, ys     \
	VCVTDQ2PS    yl, yl     \
	VMULPS       ys, yl, yl \
	VADDPS       yl, acc, acc

// PAIRSTART loads the arguments of a block kernel.
#define PAIRSTART \
	MOVQ dst+0(FP), DI     \
	MOVQ npairs+8(FP), R9  \
	MOVQ w+16(FP), R10     \
	MOVQ stride+24(FP), R14

// ROWSTART points SI and R8 at rows A and B and the activation pointers at
// their starts.
#define ROWSTART \
	MOVQ R10, SI          \
	MOVQ w2off+64(FP), R8 \
	ADDQ R10, R8          \
	MOVQ xqs+32(FP), R11  \
	MOVQ xd+40(FP), R12   \
	MOVQ xs+48(FP), R13   \
	MOVQ nb+56(FP), CX

// NEXTPAIR stores the results in xa (row A) and xb (row B) and moves to the
// next pair, jumping to label while pairs are left.
#define NEXTPAIR(xa, xb, label) \
	VMOVSS xa, (DI)       \
	MOVQ   d2off+72(FP), AX \
	VMOVSS xb, (DI)(AX*1) \
	ADDQ   $4, DI         \
	ADDQ   R14, R10       \
	DECQ   R9             \
	JNZ    label

// func rowsQ8_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ8_0AVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	MOVL         $0x00010001, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15

q80row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7

q80blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	VMOVDQU    (R11), Y2
	HALFSCALE((SI), (R12), X5)
	VMOVDQU    2(SI), Y1
	SIGNEDDOT(Y1, Y2, Y3)
	ACCUMULATE(Y1, X5, Y5, Y0)
	HALFSCALE((R8), (R12), X6)
	VMOVDQU    2(R8), Y4
	SIGNEDDOT(Y4, Y2, Y3)
	ACCUMULATE(Y4, X6, Y6, Y7)
	ADDQ       $34, SI
	ADDQ       $34, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	DECQ       CX
	JNZ        q80blk

	REDUCE8(Y0, X0, X1)
	REDUCE8(Y7, X7, X1)
	NEXTPAIR(X0, X7, q80row)
	VZEROUPPER
	RET

// Q40LOAD loads the 32 4-bit values of the Q4_0 block at base as signed
// bytes q−8 into y (x is its lower half, xt scratch): low nibbles are
// elements 0..15, high nibbles 16..31. Y14 holds 0x0f bytes, Y13 0x08.
#define Q40LOAD(base, x, y, xt) \
	VMOVDQU     2(base), x   \
	VPSRLW      $4, x, xt    \
	VINSERTI128 $1, xt, y, y \
	VPAND       Y14, y, y    \
	VPSUBB      Y13, y, y

// func rowsQ4_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ4_0AVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	MOVL         $0x00010001, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)
	BROADCASTBYTE($0x08080808, X13, Y13)

q40row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7

q40blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	VMOVDQU    (R11), Y2
	HALFSCALE((SI), (R12), X5)
	Q40LOAD(SI, X1, Y1, X3)
	SIGNEDDOT(Y1, Y2, Y3)
	ACCUMULATE(Y1, X5, Y5, Y0)
	HALFSCALE((R8), (R12), X6)
	Q40LOAD(R8, X4, Y4, X3)
	SIGNEDDOT(Y4, Y2, Y3)
	ACCUMULATE(Y4, X6, Y6, Y7)
	ADDQ       $18, SI
	ADDQ       $18, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	DECQ       CX
	JNZ        q40blk

	REDUCE8(Y0, X0, X1)
	REDUCE8(Y7, X7, X1)
	NEXTPAIR(X0, X7, q40row)
	VZEROUPPER
	RET

// NIBLOAD loads the 16 bytes of 4-bit values at off(base) of a block of
// 32 (Q4_1, Q5_0, Q5_1, IQ4_NL) into y as 32 unsigned bytes: the low
// nibbles (elements 0..15) in the low lane, the high nibbles (elements
// 16..31) in the high lane (x is y's lower half, xt scratch). Y14 holds
// 0x0f bytes.
#define NIBLOAD(base, off, x, y, xt) \
	VMOVDQU     off(base), x \
	VPSRLW      $4, x, xt    \
	VINSERTI128 $1, xt, y, y \
	VPAND       Y14, y, y

// kqhshuf spreads a 32-bit qh broadcast to every dword over 32 bytes: byte
// k of the low lane takes qh byte k/8, byte k of the high lane qh byte
// 2+k/8; kbitsel then selects bit k%8 of it, so that byte j of NIBLOAD's
// layout meets the fifth bit of its element.
DATA kqhshuf<>+0(SB)/8, $0x0000000000000000
DATA kqhshuf<>+8(SB)/8, $0x0101010101010101
DATA kqhshuf<>+16(SB)/8, $0x0202020202020202
DATA kqhshuf<>+24(SB)/8, $0x0303030303030303
GLOBL kqhshuf<>(SB), RODATA|NOPTR, $32
DATA kbitsel<>+0(SB)/8, $0x8040201008040201
DATA kbitsel<>+8(SB)/8, $0x8040201008040201
DATA kbitsel<>+16(SB)/8, $0x8040201008040201
DATA kbitsel<>+24(SB)/8, $0x8040201008040201
GLOBL kbitsel<>(SB), RODATA|NOPTR, $32

// kf0 holds 0xf0 bytes.
DATA kf0<>+0(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+8(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+16(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+24(SB)/8, $0xf0f0f0f0f0f0f0f0
GLOBL kf0<>(SB), RODATA|NOPTR, $32

// kiq4nl is IQ4_NL's table of levels (iq4nlValues), as signed bytes.
DATA kiq4nl<>+0(SB)/8, $0xf6eaddcfbfad9881
DATA kiq4nl<>+8(SB)/8, $0x7159453526190d01
GLOBL kiq4nl<>(SB), RODATA|NOPTR, $16

// FIFTHBITS sets byte j of y to 0xff where the element at byte j of
// NIBLOAD's layout has its fifth bit set in the little-endian uint32 qh at
// mem, and to 0 elsewhere.
#define FIFTHBITS(mem, y) \
	VPBROADCASTD mem, y                \
	VPSHUFB      kqhshuf<>(SB), y, y   \
	VPAND        kbitsel<>(SB), y, y   \
	VPCMPEQB     kbitsel<>(SB), y, y

// OFFSCALES computes, for the Q4_1 or Q5_1 block at base (d and m binary16
// at 0(base)) and X8 = [d_x, s_x], X5 = [d·d_x, m·s_x] and adds m·s_x to
// the offset accumulator accm (lane 0). Clobbers X9.
#define OFFSCALES(base, accm) \
	VMOVD     (base), X5 \
	VCVTPH2PS X5, X5     \
	VMULPS    X8, X5, X5 \
	VMOVSHDUP X5, X9     \
	VADDSS    X9, accm, accm

// XSCALES loads X8 = [d_x, s_x] for the offset types.
#define XSCALES \
	VMOVSS    (R12), X8 \
	VINSERTPS $0x10, (R13), X8, X8

// UNSIGNEDDOT replaces the unsigned bytes yw (below 32) by the 8 int32
// lane sums of yw times the activations at (R11). Y15 holds int16 ones.
#define UNSIGNEDDOT(yw) \
	VPMADDUBSW (R11), yw, yw \
	VPMADDWD   Y15, yw, yw

// Q41BLOCK adds the Q4_1 block at base to acc and its offset term to accm.
#define Q41BLOCK(base, acc, accm) \
	OFFSCALES(base, accm)        \
	NIBLOAD(base, 4, X1, Y1, X3) \
	UNSIGNEDDOT(Y1)              \
	ACCUMULATE(Y1, X5, Y5, acc)

// Q51BLOCK adds the Q5_1 block at base to acc and its offset term to accm.
#define Q51BLOCK(base, acc, accm) \
	OFFSCALES(base, accm)        \
	NIBLOAD(base, 8, X1, Y1, X3) \
	FIFTHBITS(4(base), Y3)       \
	VPAND k10<>(SB), Y3, Y3      \
	VPOR  Y3, Y1, Y1             \
	UNSIGNEDDOT(Y1)              \
	ACCUMULATE(Y1, X5, Y5, acc)

// Q50BLOCK adds the Q5_0 block at base to acc, with the activations in Y2:
// a value whose fifth bit is clear gets 0xf0 or'ed in, which makes the
// signed byte q−16 of every value.
#define Q50BLOCK(base, acc) \
	HALFSCALE((base), (R12), X5)   \
	NIBLOAD(base, 6, X1, Y1, X3)   \
	FIFTHBITS(2(base), Y3)         \
	VPANDN kf0<>(SB), Y3, Y3       \
	VPOR   Y3, Y1, Y1              \
	SIGNEDDOT(Y1, Y2, Y3)          \
	ACCUMULATE(Y1, X5, Y5, acc)

// IQ4NLBLOCK adds the IQ4_NL block at base to acc, with the activations in
// Y2 and the table of levels in both lanes of Y13.
#define IQ4NLBLOCK(base, acc) \
	HALFSCALE((base), (R12), X5)   \
	NIBLOAD(base, 2, X1, Y1, X3)   \
	VPSHUFB Y1, Y13, Y1            \
	SIGNEDDOT(Y1, Y2, Y3)          \
	ACCUMULATE(Y1, X5, Y5, acc)

// ONES16 fills y (x its lower half) with int16 ones.
#define ONES16(x, y) \
	MOVL         $0x00010001, AX \
	VMOVD        AX, x           \
	VPBROADCASTD x, y

// func rowsQ4_1AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ4_1AVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	ONES16(X15, Y15)
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)

q41row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7
	VXORPS X4, X4, X4
	VXORPS X10, X10, X10

q41blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	XSCALES
	Q41BLOCK(SI, Y0, X4)
	Q41BLOCK(R8, Y7, X10)
	ADDQ       $20, SI
	ADDQ       $20, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	ADDQ       $4, R13
	DECQ       CX
	JNZ        q41blk

	REDUCE8(Y0, X0, X1)
	VADDSS X4, X0, X0
	REDUCE8(Y7, X7, X1)
	VADDSS X10, X7, X7
	NEXTPAIR(X0, X7, q41row)
	VZEROUPPER
	RET

// func rowsQ5_1AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ5_1AVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	ONES16(X15, Y15)
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)

q51row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7
	VXORPS X4, X4, X4
	VXORPS X10, X10, X10

q51blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	XSCALES
	Q51BLOCK(SI, Y0, X4)
	Q51BLOCK(R8, Y7, X10)
	ADDQ       $24, SI
	ADDQ       $24, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	ADDQ       $4, R13
	DECQ       CX
	JNZ        q51blk

	REDUCE8(Y0, X0, X1)
	VADDSS X4, X0, X0
	REDUCE8(Y7, X7, X1)
	VADDSS X10, X7, X7
	NEXTPAIR(X0, X7, q51row)
	VZEROUPPER
	RET

// func rowsQ5_0AVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ5_0AVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	ONES16(X15, Y15)
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)

q50row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7

q50blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	VMOVDQU    (R11), Y2
	Q50BLOCK(SI, Y0)
	Q50BLOCK(R8, Y7)
	ADDQ       $22, SI
	ADDQ       $22, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	DECQ       CX
	JNZ        q50blk

	REDUCE8(Y0, X0, X1)
	REDUCE8(Y7, X7, X1)
	NEXTPAIR(X0, X7, q50row)
	VZEROUPPER
	RET

// func rowsIQ4NLAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsIQ4NLAVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	ONES16(X15, Y15)
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)
	VBROADCASTI128 kiq4nl<>(SB), Y13

iq4row:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7

iq4blk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST(R8)
	VMOVDQU    (R11), Y2
	IQ4NLBLOCK(SI, Y0)
	IQ4NLBLOCK(R8, Y7)
	ADDQ       $18, SI
	ADDQ       $18, R8
	ADDQ       $32, R11
	ADDQ       $4, R12
	DECQ       CX
	JNZ        iq4blk

	REDUCE8(Y0, X0, X1)
	REDUCE8(Y7, X7, X1)
	NEXTPAIR(X0, X7, iq4row)
	VZEROUPPER
	RET

// k10 holds 0x10 bytes (the fifth bit of a Q5_K value).
DATA k10<>+0(SB)/8, $0x1010101010101010
DATA k10<>+8(SB)/8, $0x1010101010101010
DATA k10<>+16(SB)/8, $0x1010101010101010
DATA k10<>+24(SB)/8, $0x1010101010101010
GLOBL k10<>(SB), RODATA|NOPTR, $32

// KFINISH subtracts the mins accumulator xm, reduced as (l0+l2)+(l1+l3),
// from the reduced lane accumulator in xa. Clobbers X1.
#define KFINISH(xm, xa) \
	VMOVHLPS  xm, xm, X1 \
	VADDPS    X1, xm, xm \
	VMOVSHDUP xm, X1     \
	VADDSS    X1, xm, xm \
	VSUBSS    xm, xa, xa

// NIBBLES splits the 32 bytes at qoff(base) into low nibbles (Y1) and high
// nibbles (Y2); Y14 holds 0x0f bytes.
#define NIBBLES(base, qoff) \
	VMOVDQU qoff(base), Y1 \
	VPSRLW  $4, Y1, Y2     \
	VPAND   Y14, Y1, Y1    \
	VPAND   Y14, Y2, Y2

// kq4scu masks the scale bytes q0..q7 to 6 bits and q8..q11 to their
// low nibbles.
DATA kq4scu<>+0(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA kq4scu<>+8(SB)/8, $0x000000000f0f0f0f
DATA kq4scu<>+16(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA kq4scu<>+24(SB)/8, $0x000000000f0f0f0f
GLOBL kq4scu<>(SB), RODATA|NOPTR, $32

// kq4shr holds the dword shifts [2, 2, 4, 4] of KSCALES2 (in each lane).
DATA kq4shr<>+0(SB)/8, $0x0000000200000002
DATA kq4shr<>+8(SB)/8, $0x0000000400000004
DATA kq4shr<>+16(SB)/8, $0x0000000200000002
DATA kq4shr<>+24(SB)/8, $0x0000000400000004
GLOBL kq4shr<>(SB), RODATA|NOPTR, $32

// kq4scv keeps, after the shifts, the top two bits of q0..q7 (now bits 4
// and 5) and the high nibbles of q8..q11.
DATA kq4scv<>+0(SB)/8, $0x3030303030303030
DATA kq4scv<>+8(SB)/8, $0x000000000f0f0f0f
DATA kq4scv<>+16(SB)/8, $0x3030303030303030
DATA kq4scv<>+24(SB)/8, $0x000000000f0f0f0f
GLOBL kq4scv<>(SB), RODATA|NOPTR, $32

// kq4picku gathers sc0..3, the low nibbles of sc4..7 and m0..3.
DATA kq4picku<>+0(SB)/8, $0x0b0a090803020100
DATA kq4picku<>+8(SB)/8, $0x8080808007060504
DATA kq4picku<>+16(SB)/8, $0x0b0a090803020100
DATA kq4picku<>+24(SB)/8, $0x8080808007060504
GLOBL kq4picku<>(SB), RODATA|NOPTR, $32

// kq4pickv1 gathers the top bits of sc4..7 and of m4..7.
DATA kq4pickv1<>+0(SB)/8, $0x0302010080808080
DATA kq4pickv1<>+8(SB)/8, $0x0706050480808080
DATA kq4pickv1<>+16(SB)/8, $0x0302010080808080
DATA kq4pickv1<>+24(SB)/8, $0x0706050480808080
GLOBL kq4pickv1<>(SB), RODATA|NOPTR, $32

// kq4pickv2 gathers the low bits of m4..7.
DATA kq4pickv2<>+0(SB)/8, $0x8080808080808080
DATA kq4pickv2<>+8(SB)/8, $0x0b0a090880808080
DATA kq4pickv2<>+16(SB)/8, $0x8080808080808080
DATA kq4pickv2<>+24(SB)/8, $0x0b0a090880808080
GLOBL kq4pickv2<>(SB), RODATA|NOPTR, $32

// kq4mins widens m0..7 (bytes 8..15 of each lane) to int16.
DATA kq4mins<>+0(SB)/8, $0x800b800a80098008
DATA kq4mins<>+8(SB)/8, $0x800f800e800d800c
DATA kq4mins<>+16(SB)/8, $0x800b800a80098008
DATA kq4mins<>+24(SB)/8, $0x800f800e800d800c
GLOBL kq4mins<>(SB), RODATA|NOPTR, $32

// kq4bcast holds, for each scale s of a Q4_K block (byte s of both lanes),
// the VPSHUFB mask that widens it to int16 in all 16 int16 lanes.
DATA kq4bcast<>+0(SB)/8, $0x8000800080008000
DATA kq4bcast<>+8(SB)/8, $0x8000800080008000
DATA kq4bcast<>+16(SB)/8, $0x8000800080008000
DATA kq4bcast<>+24(SB)/8, $0x8000800080008000
DATA kq4bcast<>+32(SB)/8, $0x8001800180018001
DATA kq4bcast<>+40(SB)/8, $0x8001800180018001
DATA kq4bcast<>+48(SB)/8, $0x8001800180018001
DATA kq4bcast<>+56(SB)/8, $0x8001800180018001
DATA kq4bcast<>+64(SB)/8, $0x8002800280028002
DATA kq4bcast<>+72(SB)/8, $0x8002800280028002
DATA kq4bcast<>+80(SB)/8, $0x8002800280028002
DATA kq4bcast<>+88(SB)/8, $0x8002800280028002
DATA kq4bcast<>+96(SB)/8, $0x8003800380038003
DATA kq4bcast<>+104(SB)/8, $0x8003800380038003
DATA kq4bcast<>+112(SB)/8, $0x8003800380038003
DATA kq4bcast<>+120(SB)/8, $0x8003800380038003
DATA kq4bcast<>+128(SB)/8, $0x8004800480048004
DATA kq4bcast<>+136(SB)/8, $0x8004800480048004
DATA kq4bcast<>+144(SB)/8, $0x8004800480048004
DATA kq4bcast<>+152(SB)/8, $0x8004800480048004
DATA kq4bcast<>+160(SB)/8, $0x8005800580058005
DATA kq4bcast<>+168(SB)/8, $0x8005800580058005
DATA kq4bcast<>+176(SB)/8, $0x8005800580058005
DATA kq4bcast<>+184(SB)/8, $0x8005800580058005
DATA kq4bcast<>+192(SB)/8, $0x8006800680068006
DATA kq4bcast<>+200(SB)/8, $0x8006800680068006
DATA kq4bcast<>+208(SB)/8, $0x8006800680068006
DATA kq4bcast<>+216(SB)/8, $0x8006800680068006
DATA kq4bcast<>+224(SB)/8, $0x8007800780078007
DATA kq4bcast<>+232(SB)/8, $0x8007800780078007
DATA kq4bcast<>+240(SB)/8, $0x8007800780078007
DATA kq4bcast<>+248(SB)/8, $0x8007800780078007
GLOBL kq4bcast<>(SB), RODATA|NOPTR, $256

// The Q4_K kernel (and the Q5_K one, whose blocks lay out d, dmin, the
// scales and the mins alike) works on its two rows' blocks together
// wherever they need the same work: the scale bytes of both blocks are
// unpacked in one 256-bit register (row A in the low lane, row B in the
// high one), both blocks' mins terms are computed and accumulated in one
// register (Y4: row A's four lanes low, row B's high), and the activation
// scale d_x is broadcast once. Each row's float32 operations are still
// those of the canonical order, lane by lane.

// KSCALES2 unpacks the 12 scale bytes q at 4(SI) (row A) and 4(R8) (row
// B) into Y7: in each lane, bytes 0..7 the scales sc0..7 and bytes 8..15
// the mins m0..7 (ggml's get_scale_min_k4: sc_j = q_j & 63 and
// m_j = q_{j+4} & 63 for j < 4; sc_j = (q_{j+4} & 15) | (q_{j−4} >> 6) << 4
// and m_j = (q_{j+4} >> 4) | (q_j >> 6) << 4 for j ≥ 4). Clobbers Y6, Y8.
#define KSCALES2 \
	VMOVDQU        4(SI), X6                \
	VINSERTI128    $1, 4(R8), Y6, Y6        \
	VPAND          kq4scu<>(SB), Y6, Y7     \
	VPSRLVD        kq4shr<>(SB), Y6, Y6     \
	VPAND          kq4scv<>(SB), Y6, Y6     \
	VPSHUFB        kq4picku<>(SB), Y7, Y7   \
	VPSHUFB        kq4pickv1<>(SB), Y6, Y8  \
	VPSHUFB        kq4pickv2<>(SB), Y6, Y6  \
	VPOR           Y8, Y7, Y7               \
	VPOR           Y6, Y7, Y7

// KDMIN2 converts both blocks' d and dmin (binary16 at 0(SI) and 0(R8))
// and multiplies them by d_x (at R12): X5 = [dA·d_x, dminA·d_x, dB·d_x,
// dminB·d_x]. Clobbers X8.
#define KDMIN2 \
	VBROADCASTSS (R12), X8         \
	VMOVD        (SI), X5          \
	VPINSRD      $1, (R8), X5, X5  \
	VCVTPH2PS    X5, X5            \
	VMULPS       X8, X5, X5

// KMINS2 adds dmin·d_x·(m[2i]·s[2i] + m[2i+1]·s[2i+1]) to lane i of each
// row's half of Y4, where s[j] is the sum of sub-block j's activations
// (the 8 int16 sums at R13), with the mins in bytes 8..15 of each lane of
// Y7 and dminA·d_x, dminB·d_x in lanes 1 and 3 of X5. Clobbers Y8, Y9.
#define KMINS2 \
	VPSHUFB        kq4mins<>(SB), Y7, Y8 \
	VBROADCASTI128 (R13), Y9             \
	VPMADDWD       Y9, Y8, Y8            \
	VCVTDQ2PS      Y8, Y8                \
	VMOVSHDUP      X5, X9                \
	VPERMQ         $0x50, Y9, Y9         \
	VMULPS         Y9, Y8, Y8            \
	VADDPS         Y8, Y4, Y4

// KPAIRA starts a pair of Q4_K or Q5_K blocks (rows A at SI and B at R8):
// it prefetches ahead in both rows, unpacks both blocks' scales and mins
// (Y7), converts d and dmin (X5), adds both mins terms to Y4, and leaves
// row A's scale bytes in both lanes of Y6 and its d·d_x broadcast in Y9.
#define KPAIRA \
	PREFETCHT0   PFDIST(SI)      \
	PREFETCHT0   PFDIST+64(SI)   \
	PREFETCHT0   PFDIST+128(SI)  \
	PREFETCHT0   PFDIST(R8)      \
	PREFETCHT0   PFDIST+64(R8)   \
	PREFETCHT0   PFDIST+128(R8)  \
	KSCALES2                     \
	KDMIN2                       \
	KMINS2                       \
	VPERMQ       $0x44, Y7, Y6   \
	VBROADCASTSS X5, Y9

// KPAIRB leaves row B's scale bytes in both lanes of Y6 and its d·d_x
// broadcast in Y9.
#define KPAIRB \
	VPERMQ       $0xee, Y7, Y6   \
	VMOVHLPS     X5, X5, X9      \
	VBROADCASTSS X9, Y9

// KCHUNK2 computes, in y1 and y2, the int32 lanes of one 64-element chunk
// of the block at base: its 32 bytes of nibbles at qoff(base) times the
// activations at xoff(R11) and xoff+32(R11), times the two scales
// broadcast from Y6 (the row's scale bytes in both lanes) by the kq4bcast
// masks at soff and soff+32. Y14 holds 0x0f bytes. Clobbers Y10, Y11.
#define KCHUNK2(base, qoff, xoff, soff, y1, y2) \
	VMOVDQU    qoff(base), y1                \
	VPSRLW     $4, y1, y2                    \
	VPAND      Y14, y1, y1                   \
	VPAND      Y14, y2, y2                   \
	VPMADDUBSW xoff(R11), y1, y1             \
	VPMADDUBSW xoff+32(R11), y2, y2          \
	VPSHUFB    kq4bcast<>+soff(SB), Y6, Y10  \
	VPSHUFB    kq4bcast<>+soff+32(SB), Y6, Y11 \
	VPMADDWD   Y10, y1, y1                   \
	VPMADDWD   Y11, y2, y2

// Q4KROW adds the block at base, whose scale bytes Y6 holds in both lanes,
// to acc, with the block scale d·d_x broadcast in ys. Clobbers Y1, Y2,
// Y3, Y8, Y10, Y11.
#define Q4KROW(base, ys, acc) \
	KCHUNK2(base, 16, 0, 0, Y1, Y2)      \
	VPADDD   Y1, Y2, Y3                  \
	KCHUNK2(base, 48, 64, 64, Y1, Y2)    \
	VPADDD   Y1, Y2, Y1                  \
	VPADDD   Y1, Y3, Y3                  \
	KCHUNK2(base, 80, 128, 128, Y1, Y2)  \
	VPADDD   Y1, Y2, Y1                  \
	VPADDD   Y1, Y3, Y3                  \
	KCHUNK2(base, 112, 192, 192, Y1, Y2) \
	VPADDD   Y1, Y2, Y1                  \
	VPADDD   Y1, Y3, Y3                  \
	VCVTDQ2PS Y3, Y3                     \
	VMULPS   ys, Y3, Y3                  \
	VADDPS   Y3, acc, acc

// func rowsQ4_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ4_KAVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)

q4krow:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	VXORPS Y12, Y12, Y12

q4kblk:
	KPAIRA
	Q4KROW(SI, Y9, Y0)
	KPAIRB
	Q4KROW(R8, Y9, Y12)
	ADDQ         $144, SI
	ADDQ         $144, R8
	ADDQ         $256, R11
	ADDQ         $4, R12
	ADDQ         $16, R13
	DECQ         CX
	JNZ          q4kblk

	VEXTRACTF128 $1, Y4, X13
	REDUCE8(Y0, X0, X1)
	KFINISH(X4, X0)
	REDUCE8(Y12, X12, X1)
	KFINISH(X13, X12)
	NEXTPAIR(X0, X12, q4krow)
	VZEROUPPER
	RET

// HIGHBITS ors the fifth bits of a Q5_K chunk into the nibbles Y1 and Y2:
// bit b of each qh byte (Y12) moves to bit 4 by a word shift (shlo nlo for
// the low half, shhi nhi for the high one) and a mask with 0x10 bytes.
// Clobbers Y13.
#define HIGHBITS(shlo, nlo, shhi, nhi) \
	shlo  nlo, Y12, Y13       \
	VPAND k10<>(SB), Y13, Y13 \
	VPOR  Y13, Y1, Y1         \
	shhi  nhi, Y12, Y13       \
	VPAND k10<>(SB), Y13, Y13 \
	VPOR  Y13, Y2, Y2

// Q5CHUNK computes, in Y1 and Y2, the int32 lanes of one 64-element chunk
// of the Q5_K block at base: the nibbles at qoff(base) with their fifth
// bits from Y12 (see HIGHBITS), times the activations at xoff(R11) and
// xoff+32(R11), times the two scales broadcast from Y6 by the kq4bcast
// masks at soff and soff+32. Clobbers Y10, Y11, Y13.
#define Q5CHUNK(base, qoff, xoff, soff, shlo, nlo, shhi, nhi) \
	NIBBLES(base, qoff)                           \
	HIGHBITS(shlo, nlo, shhi, nhi)                \
	VPMADDUBSW xoff(R11), Y1, Y1                  \
	VPMADDUBSW xoff+32(R11), Y2, Y2               \
	VPSHUFB    kq4bcast<>+soff(SB), Y6, Y10       \
	VPSHUFB    kq4bcast<>+soff+32(SB), Y6, Y11    \
	VPMADDWD   Y10, Y1, Y1                        \
	VPMADDWD   Y11, Y2, Y2

// Q5KROW adds the Q5_K block at base, whose scale bytes Y6 holds in both
// lanes, to acc, with the block scale d·d_x broadcast in ys. Clobbers Y1,
// Y2, Y3, Y10 to Y13.
#define Q5KROW(base, ys, acc) \
	VMOVDQU 16(base), Y12                                  \
	Q5CHUNK(base, 48, 0, 0, VPSLLW, $4, VPSLLW, $3)        \
	VPADDD  Y1, Y2, Y3                                     \
	Q5CHUNK(base, 80, 64, 64, VPSLLW, $2, VPSLLW, $1)      \
	VPADDD  Y1, Y2, Y1                                     \
	VPADDD  Y1, Y3, Y3                                     \
	Q5CHUNK(base, 112, 128, 128, VPSLLW, $0, VPSRLW, $1)   \
	VPADDD  Y1, Y2, Y1                                     \
	VPADDD  Y1, Y3, Y3                                     \
	Q5CHUNK(base, 144, 192, 192, VPSRLW, $2, VPSRLW, $3)   \
	VPADDD  Y1, Y2, Y1                                     \
	VPADDD  Y1, Y3, Y3                                     \
	VCVTDQ2PS Y3, Y3                                       \
	VMULPS  ys, Y3, Y3                                     \
	VADDPS  Y3, acc, acc

// func rowsQ5_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
// The Q5_K kernel shares the Q4_K kernel's work on the two rows' scales,
// d, dmin and mins (the two types lay those out alike); Y15 accumulates
// row B.
TEXT ·rowsQ5_KAVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)

q5krow:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	VXORPS Y15, Y15, Y15

q5kblk:
	KPAIRA
	Q5KROW(SI, Y9, Y0)
	KPAIRB
	Q5KROW(R8, Y9, Y15)
	ADDQ         $176, SI
	ADDQ         $176, R8
	ADDQ         $256, R11
	ADDQ         $4, R12
	ADDQ         $16, R13
	DECQ         CX
	JNZ          q5kblk

	VEXTRACTF128 $1, Y4, X13
	REDUCE8(Y0, X0, X1)
	KFINISH(X4, X0)
	REDUCE8(Y15, X15, X1)
	KFINISH(X13, X15)
	NEXTPAIR(X0, X15, q5krow)
	VZEROUPPER
	RET

// Q6GROUP adds to Y3 the lanes of one 32-element group of a Q6_K block:
// the 6-bit values q (unsigned), activations at xoff(R11), and the int16
// scales of its two 16-element halves broadcast from Y15 (the half block's
// 8 scales in both lanes) by the q6shuf mask at soff. Each pair sum is
// Σ q·x − 32·Σ x (Y12 holds 32s), so the lanes hold Σ sc·(q−32)·x.
#define Q6GROUP(q, xoff, soff) \
	VMOVDQU    xoff(R11), Y7             \
	VPMADDUBSW Y7, Y12, Y8               \
	VPMADDUBSW Y7, q, q                  \
	VPSUBW     Y8, q, q                  \
	VPSHUFB    q6shuf<>+soff(SB), Y15, Y9 \
	VPMADDWD   Y9, q, q                  \
	VPADDD     q, Y3, Y3

// Q6VALUES builds the 6-bit values of one 128-element half of a Q6_K block
// from ql at qloff(base) and qh at qhoff(base): elements 0..31 in Y5,
// 32..63 in Y6, 64..95 in Y1, 96..127 in Y2. Y14 holds 0x0f bytes, Y13
// 0x30 bytes.
#define Q6VALUES(base, qloff, qloff2, qhoff) \
	VMOVDQU qloff(base), Y1  \
	VMOVDQU qloff2(base), Y2 \
	VMOVDQU qhoff(base), Y4  \
	VPAND   Y14, Y1, Y5      \
	VPSLLW  $4, Y4, Y6       \
	VPAND   Y13, Y6, Y6      \
	VPOR    Y6, Y5, Y5       \
	VPAND   Y14, Y2, Y6      \
	VPSLLW  $2, Y4, Y7       \
	VPAND   Y13, Y7, Y7      \
	VPOR    Y7, Y6, Y6       \
	VPSRLW  $4, Y1, Y1       \
	VPAND   Y14, Y1, Y1      \
	VPAND   Y13, Y4, Y7      \
	VPOR    Y7, Y1, Y1       \
	VPSRLW  $4, Y2, Y2       \
	VPAND   Y14, Y2, Y2      \
	VPSRLW  $2, Y4, Y4       \
	VPAND   Y13, Y4, Y4      \
	VPOR    Y4, Y2, Y2

// Q6KBLOCK adds the Q6_K block at base to the lane accumulator acc.
#define Q6KBLOCK(base, acc) \
	VPXOR       Y3, Y3, Y3        \
	VPMOVSXBW   192(base), X15    \
	VINSERTI128 $1, X15, Y15, Y15 \
	Q6VALUES(base, 0, 32, 128)    \
	Q6GROUP(Y5, 0, 0)             \
	Q6GROUP(Y6, 32, 32)           \
	Q6GROUP(Y1, 64, 64)           \
	Q6GROUP(Y2, 96, 96)           \
	VPMOVSXBW   200(base), X15    \
	VINSERTI128 $1, X15, Y15, Y15 \
	Q6VALUES(base, 64, 96, 160)   \
	Q6GROUP(Y5, 128, 0)           \
	Q6GROUP(Y6, 160, 32)          \
	Q6GROUP(Y1, 192, 64)          \
	Q6GROUP(Y2, 224, 96)          \
	HALFSCALE(208(base), (R12), X5) \
	ACCUMULATE(Y3, X5, Y5, acc)

// func rowsQ6_KAVX2(dst *float32, npairs int, w *byte, stride int, xqs *int8, xd *float32, xs unsafe.Pointer, nb int, w2off int, d2off int)
TEXT ·rowsQ6_KAVX2(SB), NOSPLIT, $0-80
	PAIRSTART
	BROADCASTBYTE($0x0f0f0f0f, X14, Y14)
	BROADCASTBYTE($0x30303030, X13, Y13)
	BROADCASTBYTE($0x20202020, X12, Y12)

q6krow:
	ROWSTART
	VXORPS Y0, Y0, Y0
	VXORPS Y10, Y10, Y10

q6kblk:
	PREFETCHT0 PFDIST(SI)
	PREFETCHT0 PFDIST+64(SI)
	PREFETCHT0 PFDIST+128(SI)
	PREFETCHT0 PFDIST+192(SI)
	PREFETCHT0 PFDIST(R8)
	PREFETCHT0 PFDIST+64(R8)
	PREFETCHT0 PFDIST+128(R8)
	PREFETCHT0 PFDIST+192(R8)
	Q6KBLOCK(SI, Y0)
	Q6KBLOCK(R8, Y10)
	ADDQ       $210, SI
	ADDQ       $210, R8
	ADDQ       $256, R11
	ADDQ       $4, R12
	DECQ       CX
	JNZ        q6kblk

	REDUCE8(Y0, X0, X1)
	REDUCE8(Y10, X10, X1)
	NEXTPAIR(X0, X10, q6krow)
	VZEROUPPER
	RET

// REDUCE16 sums the 16 lanes of accumulators ya and yb (xa is ya's lower
// half; xt is scratch) into the low lane of xa, in the order of the F32
// kernels' REDUCE (kernels_amd64.s).
#define REDUCE16(ya, yb, xa, xt) \
	VADDPS yb, ya, ya \
	REDUCE8(ya, xa, xt)

// LOADF16 and LOADBF16 load 8 binary16 or bfloat16 weights from mem into y
// as float32.
#define LOADF16(mem, y) VCVTPH2PS mem, y
#define LOADBF16(mem, y) VPMOVZXWD mem, y; VPSLLD $16, y, y

// func dot4x1F16AVX2(w *byte, stride int, x *float32, n int, out *[4]float32)
// out[i] is row i (n binary16 weights at w + i·stride) times x, with the
// accumulators, fused multiply-adds and reduction of dot4x1AVX2 on the
// converted rows, so the results are the same; n is a positive multiple of
// 16.
TEXT ·dot4x1F16AVX2(SB), NOSPLIT, $0-40
	MOVQ   w+0(FP), SI
	MOVQ   stride+8(FP), DX
	LEAQ   (SI)(DX*1), DI
	LEAQ   (DI)(DX*1), R8
	LEAQ   (R8)(DX*1), R9
	MOVQ   x+16(FP), R10
	MOVQ   n+24(FP), CX
	MOVQ   out+32(FP), R11
	SHLQ   $2, CX
	XORQ   AX, AX
	XORQ   BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

f16loop:
	VMOVUPS     (R10)(AX*1), Y8
	VMOVUPS     32(R10)(AX*1), Y9
	LOADF16(0(SI)(BX*1), Y10)
	LOADF16(16(SI)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y9, Y1
	LOADF16(0(DI)(BX*1), Y10)
	LOADF16(16(DI)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y2
	VFMADD231PS Y11, Y9, Y3
	LOADF16(0(R8)(BX*1), Y10)
	LOADF16(16(R8)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y4
	VFMADD231PS Y11, Y9, Y5
	LOADF16(0(R9)(BX*1), Y10)
	LOADF16(16(R9)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y6
	VFMADD231PS Y11, Y9, Y7
	ADDQ        $64, AX
	ADDQ        $32, BX
	CMPQ        AX, CX
	JLT         f16loop

	REDUCE16(Y0, Y1, X0, X8)
	VMOVSS X0, 0(R11)
	REDUCE16(Y2, Y3, X2, X8)
	VMOVSS X2, 4(R11)
	REDUCE16(Y4, Y5, X4, X8)
	VMOVSS X4, 8(R11)
	REDUCE16(Y6, Y7, X6, X8)
	VMOVSS X6, 12(R11)
	VZEROUPPER
	RET

// func dot4x1BF16AVX2(w *byte, stride int, x *float32, n int, out *[4]float32)
// As dot4x1F16AVX2, for bfloat16 weights.
TEXT ·dot4x1BF16AVX2(SB), NOSPLIT, $0-40
	MOVQ   w+0(FP), SI
	MOVQ   stride+8(FP), DX
	LEAQ   (SI)(DX*1), DI
	LEAQ   (DI)(DX*1), R8
	LEAQ   (R8)(DX*1), R9
	MOVQ   x+16(FP), R10
	MOVQ   n+24(FP), CX
	MOVQ   out+32(FP), R11
	SHLQ   $2, CX
	XORQ   AX, AX
	XORQ   BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

bf16loop:
	VMOVUPS     (R10)(AX*1), Y8
	VMOVUPS     32(R10)(AX*1), Y9
	LOADBF16(0(SI)(BX*1), Y10)
	LOADBF16(16(SI)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y9, Y1
	LOADBF16(0(DI)(BX*1), Y10)
	LOADBF16(16(DI)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y2
	VFMADD231PS Y11, Y9, Y3
	LOADBF16(0(R8)(BX*1), Y10)
	LOADBF16(16(R8)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y4
	VFMADD231PS Y11, Y9, Y5
	LOADBF16(0(R9)(BX*1), Y10)
	LOADBF16(16(R9)(BX*1), Y11)
	VFMADD231PS Y10, Y8, Y6
	VFMADD231PS Y11, Y9, Y7
	ADDQ        $64, AX
	ADDQ        $32, BX
	CMPQ        AX, CX
	JLT         bf16loop

	REDUCE16(Y0, Y1, X0, X8)
	VMOVSS X0, 0(R11)
	REDUCE16(Y2, Y3, X2, X8)
	VMOVSS X2, 4(R11)
	REDUCE16(Y4, Y5, X4, X8)
	VMOVSS X4, 8(R11)
	REDUCE16(Y6, Y7, X6, X8)
	VMOVSS X6, 12(R11)
	VZEROUPPER
	RET

// permq8 undoes the lane interleaving of VPACKSSDW/VPACKSSWB.
DATA permq8<>+0(SB)/8, $0x0000000400000000
DATA permq8<>+8(SB)/8, $0x0000000500000001
DATA permq8<>+16(SB)/8, $0x0000000600000002
DATA permq8<>+24(SB)/8, $0x0000000700000003
GLOBL permq8<>(SB), RODATA|NOPTR, $32

// func quantizeActAVX2(x *float32, nb int, block int, qs *int8, d *float32, sums *int16)
// Quantises nb blocks of block float32 values (block a positive multiple of
// 32) at x to int8 at qs with one scale per block at d, exactly as
// quantizeBlock does in Go: amax = max|x|, d = amax/127, q = round-to-even
// of x·(127/amax) (0 when amax is 0). Unless sums is nil it also stores the
// sum of every 32 values there.
TEXT ·quantizeActAVX2(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), SI
	MOVQ         nb+8(FP), CX
	MOVQ         block+16(FP), R8
	MOVQ         qs+24(FP), DI
	MOVQ         d+32(FP), DX
	MOVQ         sums+40(FP), R10
	MOVL         $0x01010101, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	MOVL         $0x00010001, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x42fe0000, AX // 127.0
	VMOVD        AX, X14
	VMOVDQU      permq8<>(SB), Y13

qablk:
	VXORPS Y0, Y0, Y0
	MOVQ   R8, BX
	MOVQ   SI, R9

qamax:
	VANDPS (R9), Y15, Y1
	VMAXPS Y1, Y0, Y0
	ADDQ   $32, R9
	SUBQ   $8, BX
	JNZ    qamax

	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VDIVSS       X14, X0, X2
	VMOVSS       X2, (DX)
	VXORPS       X3, X3, X3
	VUCOMISS     X3, X0
	JLS          qazero
	VDIVSS       X0, X14, X3

qazero:
	VBROADCASTSS X3, Y3
	MOVQ         R8, BX
	MOVQ         SI, R9

qaloop:
	VMULPS    (R9), Y3, Y4
	VMULPS    32(R9), Y3, Y5
	VMULPS    64(R9), Y3, Y6
	VMULPS    96(R9), Y3, Y7
	VCVTPS2DQ Y4, Y4
	VCVTPS2DQ Y5, Y5
	VCVTPS2DQ Y6, Y6
	VCVTPS2DQ Y7, Y7
	VPACKSSDW Y5, Y4, Y4
	VPACKSSDW Y7, Y6, Y6
	VPACKSSWB Y6, Y4, Y4
	VPERMD    Y4, Y13, Y4
	VMOVDQU   Y4, (DI)
	TESTQ     R10, R10
	JZ        qanosums
	VPMADDUBSW   Y4, Y12, Y5
	VPMADDWD     Y11, Y5, Y5
	VEXTRACTI128 $1, Y5, X6
	VPADDD       X6, X5, X5
	VPHADDD      X5, X5, X5
	VPHADDD      X5, X5, X5
	VMOVD        X5, AX
	MOVW         AX, (R10)
	ADDQ         $2, R10

qanosums:
	ADDQ      $128, R9
	ADDQ      $32, DI
	SUBQ      $32, BX
	JNZ       qaloop

	MOVQ R9, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  qablk
	VZEROUPPER
	RET
