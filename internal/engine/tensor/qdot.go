package tensor

import (
	"encoding/binary"
	"math"
)

// This file holds the integer dot-product kernels of the block types, in
// portable Go. As in ggml, a matrix×vector product with block-quantised
// weights first quantises the activation vector, once, to 8-bit blocks: to
// Q8_0-like blocks of 32 for Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL
// weights, to Q8_K-like blocks of 256 for K-quant weights. The only
// difference from ggml's q8_0 and q8_K activations is the scale: a float32
// d = max|x|/127 per block (ggml's q8_0 rounds d to binary16), so the values
// lie in [−127, 127]. Weight types with a per-block offset (Q4_K, Q5_K,
// Q4_1, Q5_1) also need the sum of each 32 activation values; those are
// computed once per product, by the quantiser, not once per row (for the
// blocks of 32 the quantiser also multiplies each sum by its block's scale,
// as ggml's q8_1 stores it).
//
// A weight row's dot product with such a vector is then exact integer
// arithmetic inside each block followed by a few float32 operations per
// block. The order of those float32 operations is the kernels' canonical
// order, which the AVX2 kernels (kernels_quant_amd64.s) reproduce bit for
// bit:
//
//   - Each block yields eight int32 "lane" sums, lane i holding the products
//     of the elements 32g+4i .. 32g+4i+3 of every 32-element group g of the
//     block, each multiplied by its sub-block scale where the type has one
//     (the eight 32-bit lanes of a 256-bit register after VPMADDUBSW and
//     VPMADDWD). For the types whose 32 values are stored as 16 bytes of
//     nibbles (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL), element j < 16 is the low
//     nibble of byte j and element j+16 its high nibble.
//   - The block's combined scale s = d_w·d_x is one float32 product; each
//     lane's accumulator gets acc[i] += float32(s·float32(lane[i])), the
//     product rounded before the sum (no fused multiply-add).
//   - Q4_K and Q5_K also have a mins term: four int32 lanes per block,
//     lane i = m[2i]·S[2i] + m[2i+1]·S[2i+1] with S[j] the sum of
//     sub-block j's activations, accumulated in four float32 lanes as
//     accm[i] += float32(dmin_w·d_x · float32(lane i)).
//   - Q4_1 and Q5_1 have an offset term: one float32 accumulator gets
//     accm += float32(m_w·s_x) per block, where s_x = float32(d_x·float32(S))
//     is the block's activation sum S times its scale, computed by the
//     quantiser.
//   - At the end of the row, h[i] = acc[i]+acc[i+4], then
//     (h[0]+h[2]) + (h[1]+h[3]); Q4_K and Q5_K subtract
//     (accm[0]+accm[2]) + (accm[1]+accm[3]) from that, Q4_1 and Q5_1 add
//     accm to it.
//
// The explicit float32 conversions are what keep the Go compiler from fusing
// a product and a sum into one multiply-add on architectures that have one,
// which would change the rounding.

// qact is an activation vector (or several, one after another) quantised
// for the integer kernels: values qs in [−127, 127], one float32 scale d per
// block of 32 or 256 values and, when the weights need them, the sum of
// every 32 values in sums and, for blocks of 32, s[b] = d[b]·sums[b].
type qact struct {
	qs   []int8
	d    []float32
	sums []int16
	s    []float32
}

// quantize quantises x in blocks of block (32 or 256) elements into a,
// reusing a's memory where it is large enough; with sums it also fills
// a.sums and (for blocks of 32) a.s.
func (a *qact) quantize(x []float32, block int, sums bool) {
	n := len(x)
	nb := n / block
	a.qs = grow(a.qs, n)
	a.d = grow(a.d, nb)
	a.sums, a.s = a.sums[:0], a.s[:0]
	if sums {
		a.sums = grow(a.sums, n/32)
	}
	if nb > 0 && useSIMD {
		quantizeActSIMD(x[:nb*block], block, a.qs, a.d, a.sums)
	} else {
		for b := range nb {
			quantizeBlock(x[b*block:(b+1)*block], a.qs[b*block:(b+1)*block], &a.d[b])
		}
		for g := range len(a.sums) {
			var s int16
			for _, v := range a.qs[32*g : 32*g+32] {
				s += int16(v)
			}
			a.sums[g] = s
		}
	}
	if sums && block == 32 {
		a.s = grow(a.s, nb)
		for b := range nb {
			a.s[b] = a.d[b] * float32(a.sums[b])
		}
	}
}

// quantizeBlock quantises one block of activations: d = max|x|/127 and
// q = x·(127/max|x|) rounded to the nearest integer, ties to even (the
// rounding of VCVTPS2DQ, which the SIMD version uses). The activations must
// be finite: with a NaN or an infinity the results are unspecified (and may
// differ between the kernel sets).
func quantizeBlock(xs []float32, q []int8, d *float32) {
	q = q[:len(xs)]
	var amax float32
	for _, v := range xs {
		if a := abs32(v); a > amax {
			amax = a
		}
	}
	var id float32
	if amax > 0 {
		id = 127 / amax
	}
	*d = amax / 127
	for i, v := range xs {
		// |v·id| ≤ 127 (to within rounding), so adding 1.5·2^23 leaves
		// round(v·id), ties to even, in the low mantissa bits.
		q[i] = int8(int32(math.Float32bits(float32(v*id)+roundMagic)) - roundMagicBits)
	}
}

// roundMagic is 1.5·2^23: adding it to a float32 of magnitude below 2^22
// rounds it to an integer (ties to even) held in the low mantissa bits of
// the sum, whose bits are roundMagicBits plus that integer.
const (
	roundMagic     = 1.5 * (1 << 23)
	roundMagicBits = 0x4b400000
)

// row returns the part of a that belongs to input row t of cols elements.
func (a *qact) row(t, cols, block int) qact {
	r := qact{qs: a.qs[t*cols : (t+1)*cols], d: a.d[t*cols/block : (t+1)*cols/block]}
	if len(a.sums) > 0 {
		r.sums = a.sums[t*cols/32 : (t+1)*cols/32]
	}
	if len(a.s) > 0 {
		r.s = a.s[t*cols/32 : (t+1)*cols/32]
	}
	return r
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// rowsFunc computes dst[r] = (row r of w)·x for len(dst) rows of rowBytes
// bytes each, w holding exactly those rows.
type rowsFunc func(dst []float32, w []byte, rowBytes int, x *qact)

// pairsFunc computes two runs of len(dstA) rows each: dstA[r] = (row r of
// wA)·x and dstB[r] = (row r of wB)·x, wA and wB each holding at least
// len(dstA) rows of rowBytes bytes. The SIMD kernels compute the two runs
// together, streaming two distant parts of a matrix at once; dstB and wB
// may be dstA and wA (one row computed alone).
type pairsFunc func(dstA, dstB []float32, wA, wB []byte, rowBytes int, x *qact)

// qkernel is the dot-product kernel set of one block type.
type qkernel struct {
	block     int       // activation block: 32 (Q8_0-like) or 256 (Q8_K-like)
	sums      bool      // whether the kernels need the activation sums
	goRows    rowsFunc  // portable kernel
	simd      rowsFunc  // AVX2 kernel, nil where there is none
	simdPairs pairsFunc // the AVX2 kernel on two runs, nil where there is none
}

// rows returns the kernel in use for k.
func (k *qkernel) rows() rowsFunc {
	if useSIMD && k.simd != nil {
		return k.simd
	}
	return k.goRows
}

// pairs returns the two-run kernel in use for k.
func (k *qkernel) pairs() pairsFunc {
	if useSIMD && k.simdPairs != nil {
		return k.simdPairs
	}
	rows := k.goRows
	return func(dstA, dstB []float32, wA, wB []byte, rowBytes int, x *qact) {
		n := len(dstA)
		rows(dstA, wA[:n*rowBytes], rowBytes, x)
		if &dstB[0] != &dstA[0] {
			rows(dstB[:n], wB[:n*rowBytes], rowBytes, x)
		}
	}
}

// qkernels maps each block type to its kernels; simdKernels (per
// architecture) fills in the SIMD ones.
var qkernels = func() map[DType]*qkernel {
	m := map[DType]*qkernel{
		Q8_0:   {block: 32, goRows: rowsQ8_0Go},
		Q4_0:   {block: 32, goRows: rowsQ4_0Go},
		Q4_1:   {block: 32, sums: true, goRows: rowsQ4_1Go},
		Q5_0:   {block: 32, goRows: rowsQ5_0Go},
		Q5_1:   {block: 32, sums: true, goRows: rowsQ5_1Go},
		IQ4_NL: {block: 32, goRows: rowsIQ4NLGo},
		Q4_K:   {block: qk, sums: true, goRows: rowsQ4_KGo},
		Q5_K:   {block: qk, sums: true, goRows: rowsQ5_KGo},
		Q6_K:   {block: qk, goRows: rowsQ6_KGo},
		Q8_K:   {block: qk, goRows: rowsQ8_KGo},
	}
	for t, f := range simdKernels {
		m[t].simd, m[t].simdPairs = f.rows, f.pairs
	}
	return m
}()

// lanes8 is the float part of the canonical order: the eight lane
// accumulators of one row.
type lanes8 struct{ a0, a1, a2, a3, a4, a5, a6, a7 float32 }

// add accumulates a block's lanes l scaled by s.
func (acc *lanes8) add(s float32, l *[8]int32) {
	acc.a0 += float32(s * float32(l[0]))
	acc.a1 += float32(s * float32(l[1]))
	acc.a2 += float32(s * float32(l[2]))
	acc.a3 += float32(s * float32(l[3]))
	acc.a4 += float32(s * float32(l[4]))
	acc.a5 += float32(s * float32(l[5]))
	acc.a6 += float32(s * float32(l[6]))
	acc.a7 += float32(s * float32(l[7]))
}

// sum reduces the accumulators in the order of the AVX2 kernels.
func (acc *lanes8) sum() float32 {
	h0, h1, h2, h3 := acc.a0+acc.a4, acc.a1+acc.a5, acc.a2+acc.a6, acc.a3+acc.a7
	return (h0 + h2) + (h1 + h3)
}

// dot4 returns the dot product of four weights and four activations.
func dot4(w [4]int32, x []int8) int32 {
	x = x[:4]
	return w[0]*int32(x[0]) + w[1]*int32(x[1]) + w[2]*int32(x[2]) + w[3]*int32(x[3])
}

// The rowsXxxGo functions are the portable kernels of each block type (see
// rowsFunc), following the canonical order above.

func rowsQ8_0Go(dst []float32, w []byte, rowBytes int, x *qact) {
	nb := len(x.d)
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		for b := range nb {
			blk := row[b*q8_0B : (b+1)*q8_0B]
			s := half(blk) * x.d[b]
			l := lanes((*[32]byte)(blk[2:34]), (*[32]int8)(x.qs[b*32:b*32+32]))
			acc.add(s, &l)
		}
		dst[r] = acc.sum()
	}
}

// lanes returns the eight lane sums of 32 int8 weights q (as bytes) and
// activations x: lane i is the dot product of elements 4i..4i+3.
func lanes(q *[32]byte, x *[32]int8) (l [8]int32) {
	for i := range 8 {
		l[i] = int32(int8(q[4*i]))*int32(x[4*i]) + int32(int8(q[4*i+1]))*int32(x[4*i+1]) +
			int32(int8(q[4*i+2]))*int32(x[4*i+2]) + int32(int8(q[4*i+3]))*int32(x[4*i+3])
	}
	return l
}

func rowsQ4_0Go(dst []float32, w []byte, rowBytes int, x *qact) {
	nb := len(x.d)
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		for b := range nb {
			blk := row[b*q4_0B : (b+1)*q4_0B]
			s := half(blk) * x.d[b]
			q := blk[2:18]
			xs := x.qs[b*32 : b*32+32]
			var l [8]int32
			for i := range 4 {
				qq := q[4*i : 4*i+4]
				l[i] = dot4([4]int32{int32(qq[0]&15) - 8, int32(qq[1]&15) - 8, int32(qq[2]&15) - 8, int32(qq[3]&15) - 8}, xs[4*i:])
				l[i+4] = dot4([4]int32{int32(qq[0]>>4) - 8, int32(qq[1]>>4) - 8, int32(qq[2]>>4) - 8, int32(qq[3]>>4) - 8}, xs[16+4*i:])
			}
			acc.add(s, &l)
		}
		dst[r] = acc.sum()
	}
}

// nibbleLanes returns the eight lane sums of a block of 32 4-bit values,
// element j < 16 the low nibble of byte j and element j+16 its high nibble,
// with (five) bit j of qh as the fifth bit of element j, each mapped to its
// integer level by lv, times the activations x.
func nibbleLanes(qs []byte, qh uint32, five bool, lv *[32]int32, x []int8) (l [8]int32) {
	qs, x = qs[:16], x[:32]
	for i := range 4 {
		var lo, hi [4]int32
		for k := range 4 {
			j := 4*i + k
			a, b := qs[j]&15, qs[j]>>4
			if five {
				a |= byte(qh>>j&1) << 4
				b |= byte(qh>>(j+16)&1) << 4
			}
			lo[k], hi[k] = lv[a&31], lv[b&31]
		}
		l[i] = dot4(lo, x[4*i:])
		l[i+4] = dot4(hi, x[16+4*i:])
	}
	return l
}

// Integer levels of the stored 4- or 5-bit values of the nibble types.
var (
	levelsUnsigned = func() (l [32]int32) { // Q4_1, Q5_1
		for i := range l {
			l[i] = int32(i)
		}
		return l
	}()
	levelsQ5_0 = func() (l [32]int32) {
		for i := range l {
			l[i] = int32(i) - 16
		}
		return l
	}()
	levelsIQ4NL = func() (l [32]int32) {
		for i, v := range iq4nlValues {
			l[i] = int32(v)
		}
		return l
	}()
)

// rows32 is the portable kernel of the blocks of 32 stored as nibbles:
// Q4_1 and Q5_1 (with an offset, using the activation sums), Q5_0 and
// IQ4_NL; lv maps a stored value to the weight's integer level.
func rows32(dst []float32, w []byte, rowBytes int, x *qact, t DType, lv *[32]int32) {
	nb := len(x.d)
	bs := t.TypeSize()
	offset, five := t == Q4_1 || t == Q5_1, t == Q5_0 || t == Q5_1
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		var accm float32
		for b := range nb {
			blk := row[b*bs : (b+1)*bs]
			s := half(blk) * x.d[b]
			o := 2 // the offset of qh or qs
			if offset {
				accm += float32(half(blk[2:]) * x.s[b])
				o = 4
			}
			var qh uint32
			if five {
				qh = binary.LittleEndian.Uint32(blk[o:])
				o += 4
			}
			l := nibbleLanes(blk[o:o+16], qh, five, lv, x.qs[b*32:b*32+32])
			acc.add(s, &l)
		}
		dst[r] = acc.sum() + accm
	}
}

func rowsQ4_1Go(dst []float32, w []byte, rowBytes int, x *qact) {
	rows32(dst, w, rowBytes, x, Q4_1, &levelsUnsigned)
}

func rowsQ5_1Go(dst []float32, w []byte, rowBytes int, x *qact) {
	rows32(dst, w, rowBytes, x, Q5_1, &levelsUnsigned)
}

func rowsQ5_0Go(dst []float32, w []byte, rowBytes int, x *qact) {
	rows32(dst, w, rowBytes, x, Q5_0, &levelsQ5_0)
}

func rowsIQ4NLGo(dst []float32, w []byte, rowBytes int, x *qact) {
	rows32(dst, w, rowBytes, x, IQ4_NL, &levelsIQ4NL)
}

// kMins returns the four lanes of the mins term of a Q4_K or Q5_K block:
// lane i is m[2i]·s[2i] + m[2i+1]·s[2i+1], where s[j] is the sum of the 32
// activations of sub-block j.
func kMins(mn *[8]uint8, sums []int16) (l [4]int32) {
	sums = sums[:8]
	for i := range 4 {
		l[i] = int32(mn[2*i])*int32(sums[2*i]) + int32(mn[2*i+1])*int32(sums[2*i+1])
	}
	return l
}

// rowsQ45K is the portable Q4_K (or, with five, Q5_K) kernel.
func rowsQ45K(dst []float32, w []byte, rowBytes int, x *qact, five bool) {
	nb := len(x.d)
	bs := q4_KB
	if five {
		bs = q5_KB
	}
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		var m0, m1, m2, m3 float32 // the mins accumulators
		for b := range nb {
			blk := row[b*bs : (b+1)*bs]
			xd := x.d[b]
			s, sm := half(blk)*xd, half(blk[2:])*xd
			sc, mn := kScales(blk[4:16])
			ml := kMins(&mn, x.sums[8*b:])
			m0 += float32(sm * float32(ml[0]))
			m1 += float32(sm * float32(ml[1]))
			m2 += float32(sm * float32(ml[2]))
			m3 += float32(sm * float32(ml[3]))
			qs, qh := blk[16:144], []byte(nil)
			if five {
				qh, qs = blk[16:48], blk[48:176]
			}
			xs := x.qs[b*qk : (b+1)*qk]
			var l [8]int32
			for c := range 4 {
				q := qs[32*c : 32*c+32]
				xl, xh := xs[64*c:64*c+32], xs[64*c+32:64*c+64]
				s1, s2 := int32(sc[2*c]), int32(sc[2*c+1])
				for i := range 8 {
					qq := q[4*i : 4*i+4]
					lo := [4]int32{int32(qq[0] & 15), int32(qq[1] & 15), int32(qq[2] & 15), int32(qq[3] & 15)}
					hi := [4]int32{int32(qq[0] >> 4), int32(qq[1] >> 4), int32(qq[2] >> 4), int32(qq[3] >> 4)}
					if five {
						h := qh[4*i : 4*i+4]
						for k := range 4 {
							lo[k] |= int32(h[k]>>(2*c)&1) << 4
							hi[k] |= int32(h[k]>>(2*c+1)&1) << 4
						}
					}
					l[i] += s1*dot4(lo, xl[4*i:]) + s2*dot4(hi, xh[4*i:])
				}
			}
			acc.add(s, &l)
		}
		dst[r] = acc.sum() - ((m0 + m2) + (m1 + m3))
	}
}

func rowsQ4_KGo(dst []float32, w []byte, rowBytes int, x *qact) {
	rowsQ45K(dst, w, rowBytes, x, false)
}

func rowsQ5_KGo(dst []float32, w []byte, rowBytes int, x *qact) {
	rowsQ45K(dst, w, rowBytes, x, true)
}

func rowsQ6_KGo(dst []float32, w []byte, rowBytes int, x *qact) {
	nb := len(x.d)
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		for b := range nb {
			blk := row[b*q6_KB : (b+1)*q6_KB]
			s := half(blk[208:]) * x.d[b]
			var l [8]int32
			for h := range 2 {
				ql, qh, sc := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32], blk[192+8*h:192+8*h+8]
				xs := x.qs[b*qk+128*h : b*qk+128*h+128]
				for k := range 4 {
					// Group k (elements 32k..32k+31 of this half): low
					// nibbles of ql[32(k%2)..] for k < 2, high ones for
					// k ≥ 2, and bits 2k, 2k+1 of qh.
					lq := ql[32*(k%2) : 32*(k%2)+32]
					shift := 4 * (k / 2)
					xg := xs[32*k : 32*k+32]
					for i := range 8 {
						var q [4]int32
						for m := range 4 {
							e := 4*i + m
							q[m] = int32(lq[e]>>shift&15|(qh[e]>>(2*k)&3)<<4) - 32
						}
						l[i] += int32(int8(sc[2*k+i/4])) * dot4(q, xg[4*i:])
					}
				}
			}
			acc.add(s, &l)
		}
		dst[r] = acc.sum()
	}
}

func rowsQ8_KGo(dst []float32, w []byte, rowBytes int, x *qact) {
	nb := len(x.d)
	for r := range dst {
		row := w[r*rowBytes : (r+1)*rowBytes]
		var acc lanes8
		for b := range nb {
			blk := row[b*q8_KB : (b+1)*q8_KB]
			s := math.Float32frombits(binary.LittleEndian.Uint32(blk)) * x.d[b]
			q := blk[4 : 4+qk]
			xs := x.qs[b*qk : (b+1)*qk]
			var l [8]int32
			for g := range 8 {
				lg := lanes((*[32]byte)(q[32*g:32*g+32]), (*[32]int8)(xs[32*g:32*g+32]))
				for i, v := range lg {
					l[i] += v
				}
			}
			acc.add(s, &l)
		}
		dst[r] = acc.sum()
	}
}
