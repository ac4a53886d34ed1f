package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// The reference dequantisers below are written from ggml's block layouts
// (ggml-common.h) and dequantize_row_* (ggml-quants.c) as directly as
// possible, sharing no code with the package: byte offsets spelled out,
// binary16 decoded by refF16. Each returns the element values and, for the
// matrix tests, a magnitude per element (|scale part| + |offset part|) that
// bounds the rounding error of computing it.

// refHalf decodes the little-endian binary16 at b[off].
func refHalf(b []byte, off int) float32 {
	return float32(refF16(uint16(b[off]) | uint16(b[off+1])<<8))
}

// refScaleMinK4 is ggml's get_scale_min_k4.
func refScaleMinK4(j int, q []byte) (d, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return (q[j+4] & 0xF) | ((q[j-4] >> 6) << 4), (q[j+4] >> 4) | ((q[j-0] >> 6) << 4)
}

// refDequantize decodes n elements of type t from src. Every float32
// product is rounded on its own, as ggml's C does without contraction.
func refDequantize(t DType, src []byte, n int) (y, mag []float32) {
	y = make([]float32, n)
	mag = make([]float32, n)
	switch t {
	case F32:
		for i := range n {
			y[i] = math.Float32frombits(uint32(src[4*i]) | uint32(src[4*i+1])<<8 | uint32(src[4*i+2])<<16 | uint32(src[4*i+3])<<24)
		}
	case F16:
		for i := range n {
			y[i] = refHalf(src, 2*i)
		}
	case BF16:
		for i := range n {
			y[i] = math.Float32frombits((uint32(src[2*i]) | uint32(src[2*i+1])<<8) << 16)
		}
	case Q8_0:
		for i := range n / 32 {
			x := src[34*i:]
			d := refHalf(x, 0)
			for j := range 32 {
				y[32*i+j] = float32(int8(x[2+j])) * d
			}
		}
	case Q4_0:
		for i := range n / 32 {
			x := src[18*i:]
			d := refHalf(x, 0)
			for j := range 16 {
				x0 := int(x[2+j]&0x0F) - 8
				x1 := int(x[2+j]>>4) - 8
				y[32*i+j] = float32(x0) * d
				y[32*i+j+16] = float32(x1) * d
			}
		}
	case Q4_1:
		for i := range n / 32 {
			x := src[20*i:]
			d, m := refHalf(x, 0), refHalf(x, 2)
			for j := range 16 {
				x0 := int(x[4+j] & 0x0F)
				x1 := int(x[4+j] >> 4)
				y[32*i+j] = float32(float32(x0)*d) + m
				y[32*i+j+16] = float32(float32(x1)*d) + m
				mag[32*i+j] = abs32(float32(x0)*d) + abs32(m)
				mag[32*i+j+16] = abs32(float32(x1)*d) + abs32(m)
			}
		}
	case Q5_0, Q5_1:
		size, qhOff, qsOff := 22, 2, 6
		if t == Q5_1 {
			size, qhOff, qsOff = 24, 4, 8
		}
		for i := range n / 32 {
			x := src[size*i:]
			d := refHalf(x, 0)
			qh := uint32(x[qhOff]) | uint32(x[qhOff+1])<<8 | uint32(x[qhOff+2])<<16 | uint32(x[qhOff+3])<<24
			for j := range 16 {
				xh0 := byte((qh>>uint(j))<<4) & 0x10
				xh1 := byte(qh>>uint(j+12)) & 0x10
				x0 := int((x[qsOff+j] & 0x0F) | xh0)
				x1 := int((x[qsOff+j] >> 4) | xh1)
				if t == Q5_0 {
					y[32*i+j] = float32(x0-16) * d
					y[32*i+j+16] = float32(x1-16) * d
				} else {
					m := refHalf(x, 2)
					y[32*i+j] = float32(float32(x0)*d) + m
					y[32*i+j+16] = float32(float32(x1)*d) + m
					mag[32*i+j] = abs32(float32(x0)*d) + abs32(m)
					mag[32*i+j+16] = abs32(float32(x1)*d) + abs32(m)
				}
			}
		}
	case IQ4_NL:
		kvalues := [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}
		for i := range n / 32 {
			x := src[18*i:]
			d := refHalf(x, 0)
			for j := range 16 {
				y[32*i+j] = d * float32(kvalues[x[2+j]&0xf])
				y[32*i+j+16] = d * float32(kvalues[x[2+j]>>4])
			}
		}
	case Q4_K, Q5_K:
		size := 144
		if t == Q5_K {
			size = 176
		}
		for i := range n / 256 {
			x := src[size*i : size*(i+1)]
			d, min := refHalf(x, 0), refHalf(x, 2)
			scales := x[4:16]
			var ql, qh []byte
			if t == Q4_K {
				ql = x[16:144]
			} else {
				qh, ql = x[16:48], x[48:176]
			}
			out := 256 * i
			is := 0
			u1, u2 := byte(1), byte(2)
			for j := 0; j < 256; j += 64 {
				sc, m := refScaleMinK4(is+0, scales)
				d1, m1 := d*float32(sc), float32(min*float32(m))
				sc, m = refScaleMinK4(is+1, scales)
				d2, m2 := d*float32(sc), float32(min*float32(m))
				for l := range 32 {
					q := float32(ql[l] & 0xF)
					if qh != nil && qh[l]&u1 != 0 {
						q += 16
					}
					y[out] = float32(d1*q) - m1
					mag[out] = abs32(d1*q) + abs32(m1)
					out++
				}
				for l := range 32 {
					q := float32(ql[l] >> 4)
					if qh != nil && qh[l]&u2 != 0 {
						q += 16
					}
					y[out] = float32(d2*q) - m2
					mag[out] = abs32(d2*q) + abs32(m2)
					out++
				}
				ql = ql[32:]
				is += 2
				u1 <<= 2
				u2 <<= 2
			}
		}
	case Q6_K:
		for i := range n / 256 {
			x := src[210*i : 210*(i+1)]
			d := refHalf(x, 208)
			ql, qh, sc := x[0:128], x[128:192], x[192:208]
			yy := y[256*i:]
			for h := 0; h < 256; h += 128 {
				for l := range 32 {
					is := l / 16
					q1 := int8((ql[l+0]&0xF)|(((qh[l]>>0)&3)<<4)) - 32
					q2 := int8((ql[l+32]&0xF)|(((qh[l]>>2)&3)<<4)) - 32
					q3 := int8((ql[l+0]>>4)|(((qh[l]>>4)&3)<<4)) - 32
					q4 := int8((ql[l+32]>>4)|(((qh[l]>>6)&3)<<4)) - 32
					yy[l+0] = float32(d*float32(int8(sc[is+0]))) * float32(q1)
					yy[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
					yy[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
					yy[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
				}
				yy = yy[128:]
				ql = ql[64:]
				qh = qh[32:]
				sc = sc[8:]
			}
		}
	case Q8_K:
		for i := range n / 256 {
			x := src[292*i:]
			d := math.Float32frombits(uint32(x[0]) | uint32(x[1])<<8 | uint32(x[2])<<16 | uint32(x[3])<<24)
			for j := range 256 {
				y[256*i+j] = d * float32(int8(x[4+j]))
			}
		}
	default:
		panic("no reference for " + t.String())
	}
	for i := range mag {
		if mag[i] == 0 {
			mag[i] = abs32(y[i])
		}
	}
	return y, mag
}

// allTypes are the supported types, in test order.
var allTypes = []DType{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K, Q8_K}

// blockTypes are the supported block types.
var blockTypes = []DType{Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K, Q8_K}

// randScale returns binary16 bits of a random scale of either sign with
// magnitude in [2^-10, 2^-4).
func randScale(r *rand.Rand) uint16 {
	f := float32(math.Ldexp(1+r.Float64(), -10+r.IntN(6)))
	if r.IntN(2) == 0 {
		f = -f
	}
	return Float32ToF16(f)
}

// randBlocks returns n elements of type t as random bytes: every quant and
// scale byte random, with the scale fields replaced by finite random
// scales (and float types filled from finite random values in [-1, 1]).
func randBlocks(r *rand.Rand, t DType, n int) []byte {
	size, _ := t.RowBytes(int64(n))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	put := func(off int, h uint16) { binary.LittleEndian.PutUint16(b[off:], h) }
	switch t {
	case F32, F16, BF16:
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32()*2 - 1
		}
		q, err := Quantize(t, v)
		if err != nil {
			panic(err)
		}
		return q
	case Q8_0, Q4_0, Q5_0, IQ4_NL:
		for o := 0; o < len(b); o += t.TypeSize() {
			put(o, randScale(r))
		}
	case Q4_1, Q5_1, Q4_K, Q5_K:
		for o := 0; o < len(b); o += t.TypeSize() {
			put(o, randScale(r))
			put(o+2, randScale(r))
		}
	case Q6_K:
		for o := 0; o < len(b); o += t.TypeSize() {
			put(o+208, randScale(r))
		}
	case Q8_K:
		for o := 0; o < len(b); o += t.TypeSize() {
			binary.LittleEndian.PutUint32(b[o:], math.Float32bits(F16ToFloat32(randScale(r))))
		}
	}
	return b
}

func TestDequantizeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			n := 4 * 256
			src := randBlocks(r, typ, n)
			if typ == F16 || typ == BF16 {
				// Every bit pattern, NaNs and infinities included.
				for i := range n {
					binary.LittleEndian.PutUint16(src[2*i:], uint16(r.Uint32()))
				}
			}
			want, _ := refDequantize(typ, src, n)
			got := make([]float32, n)
			if err := Dequantize(typ, src, got); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
				if g != w && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
					t.Fatalf("element %d: %g (%#08x), reference %g (%#08x)", i, got[i], g, want[i], w)
				}
			}
		})
	}
}

func TestDequantizeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		t    DType
		src  int
		dst  int
	}{
		{"unsupported type", Q2_K, 84, 256},
		{"unsupported IQ type", IQ4_XS, 136, 256},
		{"partial block", Q8_0, 34, 31},
		{"short source", Q4_K, 143, 256},
		{"long source", Q6_K, 211, 256},
		{"F16 short source", F16, 3, 2},
	} {
		if err := Dequantize(c.t, make([]byte, c.src), make([]float32, c.dst)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		t    DType
		src  []float32
	}{
		{"unsupported type", IQ2_XXS, make([]float32, 256)},
		{"unknown type", DType(99), make([]float32, 32)},
		{"partial block", Q4_K, make([]float32, 255)},
		{"NaN", Q8_0, append(make([]float32, 31), float32(math.NaN()))},
		{"infinity", Q6_K, append(make([]float32, 255), float32(math.Inf(-1)))},
		{"scale overflows binary16", Q8_0, append(make([]float32, 31), 1e10)},
	} {
		if _, err := Quantize(c.t, c.src); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestQuantizeRoundTrip quantises Gaussian data and checks the error of
// dequantising it again:
//
//   - F32 is exact; F16 and BF16 are within half a unit in the last place
//     (2^-11 and 2^-8 relative, or 2^-25 absolute for F16 subnormals).
//   - Q8_0 and Q8_K: every element within half a step, max|x|/254 of its
//     block of 32 or 256, times 1+2^-10 for Q8_0's binary16 scale.
//   - Q4_0: every element within one step, max|x|/8 of its block (the
//     element opposite the largest one is clamped from +8 to 7 steps);
//     Q5_0 likewise within max|x|/16.
//   - Q4_1 and Q5_1: within half a step, (max−min)/15 or /31 of the block
//     (see offsetTol).
//   - IQ4_NL: within half the widest gap of the table that the scale
//     spans: 14 levels at the end of its range from 113 to the 127 an
//     element opposite the largest one may map to, so 14/127 of the block's
//     max|x|; RMS error / RMS at most 0.10 (measured 0.080 with this
//     seed: the table is coarser than ggml's searched scales make it).
//   - K-quants, whose scales this package chooses by a simple search (see
//     Quantize): the RMS error relative to the data's RMS at most 0.10 for
//     Q4_K, 0.05 for Q5_K and 0.03 for Q6_K (measured 0.075, 0.036 and
//     0.019 with this seed), and every element within 0.15, 0.08 and 0.04
//     times its block's max|x| (measured 0.064, 0.039, 0.016).
func TestQuantizeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	const n = 64 * 256
	x := make([]float32, n)
	for i := range x {
		// Gaussian, with the scale varying from block to block.
		x[i] = float32(r.NormFloat64() * math.Ldexp(1, i/256%7-3))
	}
	blockMax := func(i, size int) float64 {
		var m float64
		for _, v := range x[i/size*size : i/size*size+size] {
			m = max(m, math.Abs(float64(v)))
		}
		return m
	}
	// offsetTol bounds the error of Q4_1 and Q5_1 (nmax levels): half a
	// step, (max−min)/nmax/2 for the block of 32, or, for elements below the
	// binary16 rounding of the block's min (clamped to level 0), that
	// rounding, 2^-11·|min|; with room for the rounding of the step.
	offsetTol := func(i, nmax int) float64 {
		b := i / 32 * 32
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range x[b : b+32] {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
		return max((hi-lo)/float64(2*nmax)*(1+math.Ldexp(1, -9)), math.Ldexp(math.Abs(lo), -11)) + 1e-7*blockMax(i, 32)
	}
	for _, c := range []struct {
		t       DType
		elemTol func(i int) float64 // max |error| of element i
		relRMS  float64             // max RMS error / RMS, 0 for none
	}{
		{F32, func(int) float64 { return 0 }, 0},
		{F16, func(i int) float64 { return max(math.Abs(float64(x[i]))*math.Ldexp(1, -11), math.Ldexp(1, -25)) }, 0},
		{BF16, func(i int) float64 { return math.Abs(float64(x[i])) * math.Ldexp(1, -8) }, 0},
		{Q8_0, func(i int) float64 { return blockMax(i, 32) / 254 * (1 + math.Ldexp(1, -10)) }, 0},
		{Q8_K, func(i int) float64 { return blockMax(i, 256) / 254 * (1 + 1e-6) }, 0},
		{Q4_0, func(i int) float64 { return blockMax(i, 32) / 8 * (1 + math.Ldexp(1, -10)) }, 0},
		{Q5_0, func(i int) float64 { return blockMax(i, 32) / 16 * (1 + math.Ldexp(1, -10)) }, 0},
		{Q4_1, func(i int) float64 { return offsetTol(i, 15) }, 0},
		{Q5_1, func(i int) float64 { return offsetTol(i, 31) }, 0},
		{IQ4_NL, func(i int) float64 { return blockMax(i, 32) * 14 / 127 * (1 + math.Ldexp(1, -10)) }, 0.10},
		{Q4_K, func(i int) float64 { return blockMax(i, 256) * 0.15 }, 0.10},
		{Q5_K, func(i int) float64 { return blockMax(i, 256) * 0.08 }, 0.05},
		{Q6_K, func(i int) float64 { return blockMax(i, 256) * 0.04 }, 0.03},
	} {
		t.Run(c.t.String(), func(t *testing.T) {
			q, err := Quantize(c.t, x)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := c.t.RowBytes(n); int64(len(q)) != want {
				t.Fatalf("%d bytes, want %d", len(q), want)
			}
			y := make([]float32, n)
			if err := Dequantize(c.t, q, y); err != nil {
				t.Fatal(err)
			}
			var se, ss, worst float64
			for i := range x {
				e := math.Abs(float64(y[i]) - float64(x[i]))
				se += e * e
				ss += float64(x[i]) * float64(x[i])
				if tol := c.elemTol(i); e > tol {
					t.Fatalf("element %d: %g became %g, error %g > %g", i, x[i], y[i], e, tol)
				}
				worst = max(worst, e/blockMax(i, 256))
			}
			rel := math.Sqrt(se / ss)
			t.Logf("RMS error / RMS = %.4f, worst error / block max = %.4f", rel, worst)
			if c.relRMS > 0 && rel > c.relRMS {
				t.Errorf("RMS error / RMS = %.4f > %.4f", rel, c.relRMS)
			}
		})
	}
}

// TestQ8KBlockSums checks the bsums of a quantised Q8_K block.
func TestQ8KBlockSums(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	q, err := Quantize(Q8_K, randVec(r, 512))
	if err != nil {
		t.Fatal(err)
	}
	for b := range 2 {
		blk := q[292*b:]
		for g := range 16 {
			var s int
			for i := range 16 {
				s += int(int8(blk[4+16*g+i]))
			}
			if got := int(int16(binary.LittleEndian.Uint16(blk[260+2*g:]))); got != s {
				t.Errorf("block %d group %d: bsum %d, want %d", b, g, got, s)
			}
		}
	}
}

func TestNewMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			const rows, cols = 3, 512
			data := randBlocks(r, typ, rows*cols)
			m, err := NewMatrix(rows, cols, typ, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if m.Bytes() != int64(len(data)) {
				t.Errorf("Bytes() = %d, want %d", m.Bytes(), len(data))
			}
			// The matrix aliases data: no copy.
			if typ == F32 {
				if unsafe.Pointer(&m.F32[0]) != unsafe.Pointer(&data[0]) {
					t.Error("F32 data was copied")
				}
			} else if &m.Data[0] != &data[0] {
				t.Error("data was copied")
			}
			want, _ := refDequantize(typ, data, rows*cols)
			for row := range rows {
				got := make([]float32, cols)
				m.Row(row, got)
				if diff := cmp.Diff(want[row*cols:(row+1)*cols], got); diff != "" {
					t.Fatalf("Row(%d) (-want +got):\n%s", row, diff)
				}
			}
		})
	}
}

func TestNewMatrixUnalignedF32(t *testing.T) {
	buf := make([]byte, 4*6+1)
	data := buf[1:]
	v := []float32{1, -2, 3.5, 0, 1e-3, 7}
	for i, f := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(f))
	}
	m, err := NewMatrix(2, 3, F32, data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, m.F32); diff != "" {
		t.Errorf("elements (-want +got):\n%s", diff)
	}
}

func TestNewMatrixErrors(t *testing.T) {
	for _, c := range []struct {
		name       string
		rows, cols int
		t          DType
		bytes      int
	}{
		{"unsupported type", 1, 256, Q3_K, 110},
		{"unknown type", 1, 32, DType(99), 34},
		{"zero rows", 0, 32, Q8_0, 0},
		{"negative cols", 1, -32, Q8_0, 34},
		{"partial block", 2, 48, Q4_0, 54},
		{"too few bytes", 2, 256, Q4_K, 287},
		{"too many bytes", 2, 4, F32, 33},
	} {
		if _, err := NewMatrix(c.rows, c.cols, c.t, make([]byte, c.bytes)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	m := &Matrix{Rows: 2, Cols: 256, Type: Q4_K, Data: make([]byte, 287)}
	if err := m.Validate(); err == nil {
		t.Error("Validate accepted 287 bytes for a 2×256 Q4_K matrix")
	}
}

func TestSupported(t *testing.T) {
	var got []string
	for typ := range DType(40) {
		if Supported(typ) {
			got = append(got, typ.String())
		}
	}
	want := []string{"F32", "F16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ4_NL", "BF16"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("supported types (-want +got):\n%s", diff)
	}
}

// TestTypeLayouts checks every type a GGUF file may name against the block
// sizes of ggml's type traits (ggml.c, ggml-common.h's block structs).
func TestTypeLayouts(t *testing.T) {
	for _, c := range []struct {
		t           DType
		name        string
		block, size int
	}{
		{0, "F32", 1, 4}, {1, "F16", 1, 2}, {2, "Q4_0", 32, 18}, {3, "Q4_1", 32, 20},
		{6, "Q5_0", 32, 22}, {7, "Q5_1", 32, 24}, {8, "Q8_0", 32, 34}, {9, "Q8_1", 32, 36},
		{10, "Q2_K", 256, 84}, {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
		{14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292}, {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
		{18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50}, {20, "IQ4_NL", 32, 18}, {21, "IQ3_S", 256, 110},
		{22, "IQ2_S", 256, 82}, {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1}, {25, "I16", 1, 2},
		{26, "I32", 1, 4}, {27, "I64", 1, 8}, {28, "F64", 1, 8}, {29, "IQ1_M", 256, 56},
		{30, "BF16", 1, 2}, {34, "TQ1_0", 256, 54}, {35, "TQ2_0", 256, 66}, {39, "MXFP4", 32, 17},
	} {
		if !c.t.Known() || c.t.String() != c.name || c.t.BlockSize() != c.block || c.t.TypeSize() != c.size {
			t.Errorf("type %d: known %v, %s, %d elements in %d bytes; want %s, %d in %d",
				uint32(c.t), c.t.Known(), c.t, c.t.BlockSize(), c.t.TypeSize(), c.name, c.block, c.size)
		}
	}
	for _, u := range []DType{4, 5, 31, 32, 33, 36, 37, 38, 40, 1 << 31} {
		if u.Known() {
			t.Errorf("type %d is known", uint32(u))
		}
	}
}

func TestRowBytes(t *testing.T) {
	for _, c := range []struct {
		t    DType
		n    int64
		want int64
		ok   bool
	}{
		{Q4_K, 512, 288, true},
		{Q4_K, 255, 0, false},
		{Q4_K, -256, 0, false},
		{MXFP4, 64, 34, true},
		{F32, math.MaxInt64 / 4, math.MaxInt64 / 4 * 4, true},
		{F32, math.MaxInt64/4 + 1, 0, false},
		{I64, math.MaxInt64, 0, false},
		{Q8_0, math.MaxInt64 / 32 * 32, 0, false},
		{Q8_0, math.MaxInt64 / 34 * 32, math.MaxInt64 / 34 * 34, true},
	} {
		got, ok := c.t.RowBytes(c.n)
		if got != c.want || ok != c.ok {
			t.Errorf("%s.RowBytes(%d) = %d, %v; want %d, %v", c.t, c.n, got, ok, c.want, c.ok)
		}
	}
}

// FuzzDequantize decodes arbitrary bytes as every supported type and
// compares the result with the reference dequantiser, bit for bit (NaNs
// only as NaNs). Seeded from random blocks of each type.
func FuzzDequantize(f *testing.F) {
	r := rand.New(rand.NewPCG(39, 40))
	for _, typ := range allTypes {
		f.Add(randBlocks(r, typ, 256))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range allTypes {
			n := len(data) / typ.TypeSize() * typ.BlockSize()
			src := data[:n/typ.BlockSize()*typ.TypeSize()]
			got := make([]float32, n)
			if err := Dequantize(typ, src, got); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			want, _ := refDequantize(typ, src, n)
			for i := range got {
				g, w := got[i], want[i]
				if math.Float32bits(g) != math.Float32bits(w) && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
					t.Fatalf("%s element %d: %g, reference %g", typ, i, g, w)
				}
			}
		}
	})
}
