package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Block layouts of the supported types, as ggml defines them
// (ggml/src/ggml-common.h; dequantisation as in ggml-quants.c). All
// multi-byte fields are little-endian; "half" is an IEEE binary16 scale.
// QK_K = 256 is the K-quant super-block.
//
//	F32   4 bytes per element.
//	F16   2 bytes per element (IEEE binary16).
//	BF16  2 bytes per element (the top half of a float32).
//	Q8_0  32 elements in 34 bytes: d half, qs[32] int8.
//	      y[i] = d·qs[i].
//	Q4_0  32 elements in 18 bytes: d half, qs[16] nibbles.
//	      y[j] = d·((qs[j]&15)−8), y[j+16] = d·((qs[j]>>4)−8), j < 16.
//	Q4_1  32 elements in 20 bytes: d half, m half, qs[16] nibbles (as
//	      Q4_0). y[j] = d·q + m with q the nibble (0..15).
//	Q5_0  32 elements in 22 bytes: d half, qh[4], qs[16] nibbles. qh is a
//	      little-endian uint32 whose bit j is the fifth bit of element j;
//	      the nibbles are ordered as Q4_0's. y[j] = d·(q−16), q in 0..31.
//	Q5_1  32 elements in 24 bytes: d half, m half, qh[4], qs[16], as Q5_0
//	      without the offset: y[j] = d·q + m, q in 0..31.
//	IQ4_NL 32 elements in 18 bytes: d half, qs[16] 4-bit indices (ordered
//	      as Q4_0's nibbles) into the non-linear table iq4nlValues:
//	      y[j] = d·iq4nlValues[q].
//	Q4_K  256 elements in 144 bytes: d half, dmin half, scales[12] (eight
//	      6-bit scales sc and eight 6-bit mins m, packed as below), qs[128].
//	      Sub-block j (32 elements) is y = d·sc[j]·q − dmin·m[j]; in each
//	      64 elements 64c..64c+63 the 32 bytes qs[32c..32c+31] give the
//	      low nibbles of sub-block 2c and the high nibbles of 2c+1.
//	Q5_K  256 elements in 176 bytes: d, dmin half, scales[12] as Q4_K,
//	      qh[32], qs[128]. As Q4_K with a fifth bit: element l of sub-block
//	      j adds 16 when bit j of qh[l] is set.
//	Q6_K  256 elements in 210 bytes: ql[128], qh[64], scales[16] int8,
//	      d half. Sixteen sub-blocks of 16, y = d·scales[s]·(q−32) with q a
//	      6-bit value: for each 128 elements h (ql += 64h, qh += 32h) and
//	      l < 32, element l takes ql[l]&15 and bits 0–1 of qh[l], l+32
//	      ql[l+32]&15 and bits 2–3, l+64 ql[l]>>4 and bits 4–5, l+96
//	      ql[l+32]>>4 and bits 6–7 (as bits 4–5 of q).
//	Q8_K  256 elements in 292 bytes: d float32, qs[256] int8, bsums[16]
//	      int16 (the sums of each 16 qs). y[i] = d·qs[i].
//
// The 12 scale bytes q of Q4_K and Q5_K hold, for j < 4, sc[j] = q[j]&63
// and m[j] = q[j+4]&63, and for j ≥ 4 sc[j] = q[j+4]&15 | (q[j−4]>>6)<<4
// and m[j] = q[j+4]>>4 | (q[j]>>6)<<4 (ggml's get_scale_min_k4).

// Byte sizes of the supported block types' blocks, and the K-quant
// super-block's element count.
const (
	qk     = 256
	q8_0B  = 34
	q4_0B  = 18
	q4_1B  = 20
	q5_0B  = 22
	q5_1B  = 24
	iq4nlB = 18
	q4_KB  = 144
	q5_KB  = 176
	q6_KB  = 210
	q8_KB  = 292
	qkHalf = qk / 2
)

// iq4nlValues is IQ4_NL's table of the 16 levels a 4-bit index stands for
// (ggml's kvalues_iq4nl).
var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// Dequantize converts the elements of src, stored as t, into dst: it
// decodes len(dst) elements, which must be a whole number of t's blocks,
// from exactly t.RowBytes(len(dst)) bytes. Floating-point operations are
// those of ggml's dequantize_row_* functions, each rounded to float32
// (never fused), so the results are the same on every architecture.
func Dequantize(t DType, src []byte, dst []float32) error {
	if !Supported(t) {
		return fmt.Errorf("dequantize: type %s is not supported", t)
	}
	want, ok := t.RowBytes(int64(len(dst)))
	if !ok {
		return fmt.Errorf("dequantize %s: %d elements are not a whole number of %d-element blocks", t, len(dst), t.BlockSize())
	}
	if int64(len(src)) != want {
		return fmt.Errorf("dequantize %d %s elements: %d bytes, want %d", len(dst), t, len(src), want)
	}
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case Q8_0:
		for b := range len(dst) / 32 {
			blk := src[b*q8_0B : (b+1)*q8_0B]
			d := half(blk)
			y := dst[b*32 : b*32+32]
			for i, q := range blk[2:34] {
				y[i] = d * float32(int8(q))
			}
		}
	case Q4_0:
		for b := range len(dst) / 32 {
			blk := src[b*q4_0B : (b+1)*q4_0B]
			d := half(blk)
			y := dst[b*32 : b*32+32]
			for j, q := range blk[2:18] {
				y[j] = d * float32(int(q&15)-8)
				y[j+16] = d * float32(int(q>>4)-8)
			}
		}
	case Q4_1, Q5_0, Q5_1, IQ4_NL:
		ts := t.TypeSize()
		for b := range len(dst) / 32 {
			dequantize32(t, src[b*ts:(b+1)*ts], (*[32]float32)(dst[b*32:b*32+32]))
		}
	case Q4_K, Q5_K:
		bs := q4_KB
		if t == Q5_K {
			bs = q5_KB
		}
		for b := range len(dst) / qk {
			blk := src[b*bs : (b+1)*bs]
			d, dmin := half(blk), half(blk[2:])
			sc, mn := kScales(blk[4:16])
			qs, qh := blk[16:144], []byte(nil)
			if t == Q5_K {
				qh, qs = blk[16:48], blk[48:176]
			}
			y := dst[b*qk : (b+1)*qk]
			for c := range 4 {
				// Every product is rounded on its own (float32(...)
				// forbids fusing it into a multiply-add).
				d1, m1 := d*float32(sc[2*c]), float32(dmin*float32(mn[2*c]))
				d2, m2 := d*float32(sc[2*c+1]), float32(dmin*float32(mn[2*c+1]))
				q := qs[32*c : 32*c+32]
				lo, hi := y[64*c:64*c+32], y[64*c+32:64*c+64]
				for l, v := range q {
					q1, q2 := int(v&15), int(v>>4)
					if qh != nil {
						q1 |= int(qh[l]>>(2*c)&1) << 4
						q2 |= int(qh[l]>>(2*c+1)&1) << 4
					}
					lo[l] = float32(d1*float32(q1)) - m1
					hi[l] = float32(d2*float32(q2)) - m2
				}
			}
		}
	case Q6_K:
		for b := range len(dst) / qk {
			blk := src[b*q6_KB : (b+1)*q6_KB]
			d := half(blk[208:])
			y := dst[b*qk : (b+1)*qk]
			for h := range 2 {
				ql, qh, sc := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32], blk[192+8*h:192+8*h+8]
				yh := y[128*h : 128*h+128]
				for l := range 32 {
					is := l / 16
					q1 := int(ql[l]&15|(qh[l]&3)<<4) - 32
					q2 := int(ql[l+32]&15|(qh[l]>>2&3)<<4) - 32
					q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
					q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
					yh[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
					yh[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
					yh[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
					yh[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
				}
			}
		}
	case Q8_K:
		for b := range len(dst) / qk {
			blk := src[b*q8_KB : (b+1)*q8_KB]
			d := math.Float32frombits(binary.LittleEndian.Uint32(blk))
			y := dst[b*qk : (b+1)*qk]
			for i, q := range blk[4 : 4+qk] {
				y[i] = d * float32(int8(q))
			}
		}
	}
	return nil
}

// dequantize32 decodes one block of 32 elements of Q4_1, Q5_0, Q5_1 or
// IQ4_NL. As everywhere in Dequantize, each product is rounded before it is
// added (d·q + m is never fused).
func dequantize32(t DType, blk []byte, y *[32]float32) {
	d := half(blk)
	switch t {
	case Q4_1:
		m := half(blk[2:])
		for j, q := range blk[4:20] {
			y[j] = float32(d*float32(q&15)) + m
			y[j+16] = float32(d*float32(q>>4)) + m
		}
	case Q5_0, Q5_1:
		var m float32
		qh, qs := blk[2:6], blk[6:22]
		if t == Q5_1 {
			m, qh, qs = half(blk[2:]), blk[4:8], blk[8:24]
		}
		h := binary.LittleEndian.Uint32(qh)
		for j, q := range qs {
			q0 := int(q&15) | int(h>>j&1)<<4
			q1 := int(q>>4) | int(h>>(j+16)&1)<<4
			if t == Q5_0 {
				y[j] = d * float32(q0-16)
				y[j+16] = d * float32(q1-16)
			} else {
				y[j] = float32(d*float32(q0)) + m
				y[j+16] = float32(d*float32(q1)) + m
			}
		}
	case IQ4_NL:
		for j, q := range blk[2:18] {
			y[j] = d * float32(iq4nlValues[q&15])
			y[j+16] = d * float32(iq4nlValues[q>>4])
		}
	}
}

// half returns the binary16 number in the first two bytes of b.
func half(b []byte) float32 { return F16ToFloat32(uint16(b[0]) | uint16(b[1])<<8) }

// kScales unpacks the twelve scale bytes of a Q4_K or Q5_K block into its
// eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4).
func kScales(q []byte) (sc, mn [8]uint8) {
	q = q[:12]
	for j := range 4 {
		sc[j] = q[j] & 63
		mn[j] = q[j+4] & 63
		sc[j+4] = q[j+8]&15 | (q[j]>>6)<<4
		mn[j+4] = q[j+8]>>4 | (q[j+4]>>6)<<4
	}
	return sc, mn
}

// Quantize encodes src as type t and returns the bytes (t.RowBytes(len(src))
// of them); len(src) must be a whole number of t's blocks. Float types are
// converted with round-to-nearest-even. Block types are quantised with
// round-to-nearest (ties to even) as ggml lays them out, but the scales are
// chosen by this package's own straightforward search, not by ggml's
// optimisers (make_qkx2_quants, make_qx_quants with importance weights), so
// the bytes differ from llama-quantize's and the error is somewhat larger.
// Quantize is meant for synthetic models and tests: it runs on one thread at
// some 10–40 ns per element (K-quants the slowest); callers may quantise
// rows in parallel, as blocks never straddle rows.
//
//   - Q8_0: d = max|x|/127 per block of 32 (as ggml).
//   - Q4_0: d = −x/8 for the x of largest magnitude (as ggml), so that
//     element maps to −8 and its opposite is clamped to 7.
//   - Q5_0: likewise d = −x/16 (levels −16..15).
//   - Q4_1, Q5_1: m = min x (as ggml), rounded to binary16, then
//     d = (max x − m)/15 (or /31), and q = (x−m)/d rounded and clamped to
//     0..15 (0..31); ggml computes d from the unrounded min.
//   - IQ4_NL: the element of largest magnitude, v, is mapped either to the
//     table's −127 (d = −v/127) or to its 113 (d = v/113), whichever gives
//     the block the smaller squared error, and every element to the table
//     level nearest x/d. ggml searches more scales and weights the error.
//   - Q8_K: d = max|x|/127 in float32 (ggml uses −128/max), bsums filled.
//   - Q4_K, Q5_K: each sub-block of 32 gets the min min(0, min x) and the
//     step covering its range; the mins and steps are quantised to 6 bits
//     against the block's largest (dmin, d); each 6-bit scale is then the
//     one of its rounding neighbours that minimises the sub-block's squared
//     error.
//   - Q6_K: each sub-block of 16 gets the step −x/32 for its x of largest
//     magnitude, quantised to int8 against the block's largest step, again
//     choosing among neighbouring scales by squared error.
//
// It fails if t is not Supported, if len(src) is not a whole number of
// blocks, if a block type's input holds a NaN or infinity, or if a block's
// scale overflows binary16.
func Quantize(t DType, src []float32) ([]byte, error) {
	if !Supported(t) {
		return nil, fmt.Errorf("quantize: type %s is not supported", t)
	}
	n, ok := t.RowBytes(int64(len(src)))
	if !ok {
		return nil, fmt.Errorf("quantize %s: %d elements are not a whole number of %d-element blocks", t, len(src), t.BlockSize())
	}
	dst := make([]byte, n)
	switch t {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		return dst, nil
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToF16(v))
		}
		return dst, nil
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToBF16(v))
		}
		return dst, nil
	}
	for i, v := range src {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("quantize %s: element %d is %g", t, i, v)
		}
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	for b := range len(src) / bs {
		x := src[b*bs : (b+1)*bs]
		blk := dst[b*ts : (b+1)*ts]
		var err error
		switch t {
		case Q8_0:
			err = quantizeQ8_0(x, blk)
		case Q4_0:
			err = quantizeQ4_0(x, blk)
		case Q5_0:
			err = quantizeQ5_0(x, blk)
		case Q4_1:
			err = quantizeQ1(x, blk, 15)
		case Q5_1:
			err = quantizeQ1(x, blk, 31)
		case IQ4_NL:
			err = quantizeIQ4NL(x, blk)
		case Q4_K:
			err = quantizeQ45K(x, blk, false)
		case Q5_K:
			err = quantizeQ45K(x, blk, true)
		case Q6_K:
			err = quantizeQ6K(x, blk)
		case Q8_K:
			quantizeQ8K(x, blk)
		}
		if err != nil {
			return nil, fmt.Errorf("quantize %s block %d: %w", t, b, err)
		}
	}
	return dst, nil
}

// putHalf stores v as binary16 in b and returns the stored value; it fails
// when v overflows binary16.
func putHalf(b []byte, v float32) (float32, error) {
	h := Float32ToF16(v)
	if h&0x7c00 == 0x7c00 {
		return 0, fmt.Errorf("scale %g overflows binary16", v)
	}
	binary.LittleEndian.PutUint16(b, h)
	return F16ToFloat32(h), nil
}

// roundClamp returns v rounded to the nearest integer (ties to even) and
// clamped to [lo, hi]; NaN gives lo. lo and hi must lie within ±2^22.
func roundClamp(v float32, lo, hi int) int {
	if !(v > float32(lo)) {
		return lo
	}
	if !(v < float32(hi)) {
		return hi
	}
	// |v| < 2^22: adding 1.5·2^23 leaves round(v) in the low mantissa bits.
	return int(int32(math.Float32bits(v+roundMagic)) - roundMagicBits)
}

func quantizeQ8_0(x []float32, blk []byte) error {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d, err := putHalf(blk, amax/127)
	if err != nil {
		return err
	}
	for i, v := range x {
		q := 0
		if d != 0 {
			q = roundClamp(v/d, -127, 127)
		}
		blk[2+i] = byte(int8(q))
	}
	return nil
}

func quantizeQ4_0(x []float32, blk []byte) error {
	var vmax float32 // the element of largest magnitude, with its sign
	for _, v := range x {
		if abs32(v) > abs32(vmax) {
			vmax = v
		}
	}
	d, err := putHalf(blk, vmax/-8)
	if err != nil {
		return err
	}
	for j := range 16 {
		q0, q1 := 8, 8
		if d != 0 {
			q0 = roundClamp(x[j]/d+8, 0, 15)
			q1 = roundClamp(x[j+16]/d+8, 0, 15)
		}
		blk[2+j] = byte(q0 | q1<<4)
	}
	return nil
}

func quantizeQ5_0(x []float32, blk []byte) error {
	var vmax float32
	for _, v := range x {
		if abs32(v) > abs32(vmax) {
			vmax = v
		}
	}
	d, err := putHalf(blk, vmax/-16)
	if err != nil {
		return err
	}
	var h uint32
	for j := range 16 {
		q0, q1 := 16, 16
		if d != 0 {
			q0 = roundClamp(x[j]/d+16, 0, 31)
			q1 = roundClamp(x[j+16]/d+16, 0, 31)
		}
		blk[6+j] = byte(q0&15 | (q1&15)<<4)
		h |= uint32(q0>>4)<<j | uint32(q1>>4)<<(j+16)
	}
	binary.LittleEndian.PutUint32(blk[2:], h)
	return nil
}

// quantizeQ1 fills a Q4_1 block (nmax 15) or a Q5_1 block (nmax 31).
func quantizeQ1(x []float32, blk []byte, nmax int) error {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	m, err := putHalf(blk[2:], lo)
	if err != nil {
		return err
	}
	d, err := putHalf(blk, max(0, hi-m)/float32(nmax))
	if err != nil {
		return err
	}
	var q [32]int
	for i, v := range x {
		if d != 0 {
			q[i] = roundClamp((v-m)/d, 0, nmax)
		}
	}
	qs := blk[4:20]
	if nmax == 31 {
		var h uint32
		for j := range 32 {
			h |= uint32(q[j]>>4) << j
		}
		binary.LittleEndian.PutUint32(blk[4:], h)
		qs = blk[8:24]
	}
	for j := range 16 {
		qs[j] = byte(q[j]&15 | (q[j+16]&15)<<4)
	}
	return nil
}

// quantizeIQ4NL fills an IQ4_NL block.
func quantizeIQ4NL(x []float32, blk []byte) error {
	var vmax float32
	for _, v := range x {
		if abs32(v) > abs32(vmax) {
			vmax = v
		}
	}
	bestErr, found := math.Inf(1), false
	var err error
	for _, level := range []float32{-127, 113} {
		var scale [2]byte
		var d float32
		if d, err = putHalf(scale[:], vmax/level); err != nil {
			continue
		}
		var idx [32]byte
		var e float64
		for i, v := range x {
			var t float32
			if d != 0 {
				t = v / d
			}
			idx[i] = nearestIQ4NL(t)
			y := d * float32(iq4nlValues[idx[i]])
			e += float64(v-y) * float64(v-y)
		}
		if !found || e < bestErr {
			bestErr, found = e, true
			blk[0], blk[1] = scale[0], scale[1]
			for j := range 16 {
				blk[2+j] = idx[j] | idx[j+16]<<4
			}
		}
	}
	if !found {
		return err
	}
	return nil
}

// nearestIQ4NL returns the index of the IQ4_NL level nearest v (the lower
// one on a tie).
func nearestIQ4NL(v float32) byte {
	best, bestD := 0, float32(math.Inf(1))
	for i, l := range iq4nlValues {
		if d := abs32(v - float32(l)); d < bestD {
			best, bestD = i, d
		}
	}
	return byte(best)
}

func quantizeQ8K(x []float32, blk []byte) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	binary.LittleEndian.PutUint32(blk, math.Float32bits(d))
	for g := range qk / 16 {
		var sum int
		for i := 16 * g; i < 16*g+16; i++ {
			q := 0
			if d != 0 {
				q = roundClamp(x[i]/d, -127, 127)
			}
			blk[4+i] = byte(int8(q))
			sum += q
		}
		binary.LittleEndian.PutUint16(blk[4+qk+2*g:], uint16(int16(sum)))
	}
}

// subErr returns the squared error of quantising x to levels
// q ∈ [lo, hi] as y = step·q − off, rounding to nearest; a zero step
// reconstructs every element as −off.
func subErr(x []float32, step, off float32, lo, hi int) float64 {
	var e float64
	for _, v := range x {
		y := -off
		if step != 0 {
			y = float32(step*float32(roundClamp((v+off)/step, lo, hi))) - off
		}
		e += float64(v-y) * float64(v-y)
	}
	return e
}

// bestScale returns the integer scale s in [smin, smax], among want's two
// integer neighbours and the next ones out, that minimises the squared error
// of x quantised to levels [lo, hi] with step d·s and offset off.
func bestScale(x []float32, want float32, d, off float32, lo, hi, smin, smax int) int {
	base := int(math.Floor(float64(want)))
	best, bestErr := -1, math.Inf(1)
	for s := base - 1; s <= base+2; s++ {
		if s < smin || s > smax {
			continue
		}
		if e := subErr(x, float32(d*float32(s)), off, lo, hi); e < bestErr {
			best, bestErr = s, e
		}
	}
	if best < 0 {
		best = min(max(base, smin), smax)
	}
	return best
}

// quantizeQ45K fills a Q4_K block (or, with five, a Q5_K block) from 256
// elements.
func quantizeQ45K(x []float32, blk []byte, five bool) error {
	nmax := 15
	if five {
		nmax = 31
	}
	var lo, hi [8]float32 // per sub-block: min(0, min x) and max x
	var maxMin float32
	for j := range 8 {
		sub := x[32*j : 32*j+32]
		l, h := float32(0), sub[0]
		for _, v := range sub {
			l, h = min(l, v), max(h, v)
		}
		lo[j], hi[j] = l, h
		maxMin = max(maxMin, -l)
	}
	dmin, err := putHalf(blk[2:], maxMin/63)
	if err != nil {
		return err
	}
	var mn, sc [8]uint8
	var off, step [8]float32
	var maxStep float32
	for j := range 8 {
		if dmin != 0 {
			mn[j] = uint8(roundClamp(-lo[j]/dmin, 0, 63))
		}
		off[j] = float32(dmin * float32(mn[j])) // the dequantiser's m1 = dmin·m
		step[j] = max(0, (hi[j]+off[j])/float32(nmax))
		maxStep = max(maxStep, step[j])
	}
	d, err := putHalf(blk, maxStep/63)
	if err != nil {
		return err
	}
	for j := range 8 {
		if d != 0 {
			sub := x[32*j : 32*j+32]
			sc[j] = uint8(bestScale(sub, step[j]/d, d, off[j], 0, nmax, 0, 63))
		}
	}
	s := blk[4:16]
	for j := range 4 {
		s[j] = sc[j] | (sc[j+4]>>4)<<6
		s[j+4] = mn[j] | (mn[j+4]>>4)<<6
		s[j+8] = sc[j+4]&15 | (mn[j+4]&15)<<4
	}
	qs, qh := blk[16:144], []byte(nil)
	if five {
		qh, qs = blk[16:48], blk[48:176]
		clear(qh)
	}
	for c := range 4 {
		for half := range 2 {
			j := 2*c + half
			st := float32(d * float32(sc[j]))
			for l := range 32 {
				q := 0
				if st != 0 {
					q = roundClamp((x[32*j+l]+off[j])/st, 0, nmax)
				}
				qs[32*c+l] |= byte(q&15) << (4 * half)
				if five && q >= 16 {
					qh[l] |= 1 << j
				}
			}
		}
	}
	return nil
}

// quantizeQ6K fills a Q6_K block from 256 elements.
func quantizeQ6K(x []float32, blk []byte) error {
	var want [16]float32 // per sub-block of 16: the step mapping its largest element to −32
	var maxStep float32
	for s := range 16 {
		var vmax float32
		for _, v := range x[16*s : 16*s+16] {
			if abs32(v) > abs32(vmax) {
				vmax = v
			}
		}
		want[s] = vmax / -32
		maxStep = max(maxStep, abs32(want[s]))
	}
	d, err := putHalf(blk[208:], maxStep/127)
	if err != nil {
		return err
	}
	var sc [16]int8
	for s := range 16 {
		if d != 0 {
			sc[s] = int8(bestScale(x[16*s:16*s+16], want[s]/d, d, 0, -32, 31, -127, 127))
		}
		blk[192+s] = byte(sc[s])
	}
	ql, qh := blk[0:128], blk[128:192]
	clear(ql)
	clear(qh)
	for i, v := range x {
		s := i / 16
		st := float32(d * float32(sc[s]))
		q := 32
		if st != 0 {
			q = roundClamp(v/st, -32, 31) + 32
		}
		// Element i = 128h + 32k + l goes to nibble k/2 of ql[64h + 32(k%2) + l]
		// and to bits 2k, 2k+1 of qh[32h + l].
		h, k, l := i/128, i%128/32, i%32
		ql[64*h+32*(k%2)+l] |= byte(q&15) << (4 * (k / 2))
		qh[32*h+l] |= byte(q>>4) << (2 * k)
	}
	return nil
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
