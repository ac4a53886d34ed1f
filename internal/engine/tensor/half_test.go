package tensor

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// refF16 decodes binary16 bits with float64 arithmetic, straight from the
// IEEE 754 definition: (−1)^s × 2^(e−15) × 1.m, or 2^−14 × 0.m for e = 0.
func refF16(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return s * math.Ldexp(m/1024, -14)
	case 31:
		if m != 0 {
			return math.NaN()
		}
		return s * math.Inf(1)
	}
	return s * math.Ldexp(1+m/1024, e-15)
}

func TestF16KnownValues(t *testing.T) {
	for _, c := range []struct {
		name string
		f    float32
		h    uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"largest finite", 65504, 0x7bff},
		{"smallest normal", float32(math.Ldexp(1, -14)), 0x0400},
		{"smallest subnormal", float32(math.Ldexp(1, -24)), 0x0001},
		{"largest subnormal", float32(math.Ldexp(1023, -24)), 0x03ff},
		{"infinity", float32(math.Inf(1)), 0x7c00},
		{"minus infinity", float32(math.Inf(-1)), 0xfc00},
		{"one third", 1.0 / 3, 0x3555},
	} {
		if got := Float32ToF16(c.f); got != c.h {
			t.Errorf("%s: Float32ToF16(%g) = %#04x, want %#04x", c.name, c.f, got, c.h)
		}
		if c.name == "one third" {
			continue // not exactly representable
		}
		if got := F16ToFloat32(c.h); math.Float32bits(got) != math.Float32bits(c.f) {
			t.Errorf("%s: F16ToFloat32(%#04x) = %g, want %g", c.name, c.h, got, c.f)
		}
	}
}

func TestF16Rounding(t *testing.T) {
	ulp1 := math.Ldexp(1, -10) // spacing of binary16 just above 1
	for _, c := range []struct {
		name string
		f    float64
		h    uint16
	}{
		{"tie above 1 rounds to even (down)", 1 + ulp1/2, 0x3c00},
		{"tie above 1+ulp rounds to even (up)", 1 + 3*ulp1/2, 0x3c02},
		{"just above a tie rounds up", 1 + ulp1/2 + math.Ldexp(1, -20), 0x3c01},
		{"65519 rounds to 65504", 65519, 0x7bff},
		{"65520 (a tie) rounds to Inf", 65520, 0x7c00},
		{"1e6 overflows to Inf", 1e6, 0x7c00},
		{"2^-25 (a tie with 0) rounds to 0", math.Ldexp(1, -25), 0x0000},
		{"just above 2^-25 rounds to the smallest subnormal", math.Ldexp(1.5, -25), 0x0001},
		{"1.5 × 2^-24 (a tie) rounds to even 2 × 2^-24", math.Ldexp(1.5, -24), 0x0002},
		{"2.5 × 2^-24 (a tie) rounds to even 2 × 2^-24", math.Ldexp(2.5, -24), 0x0002},
		{"largest subnormal + tie rounds up to smallest normal", math.Ldexp(1023.5, -24), 0x0400},
		{"1e-10 underflows to 0", 1e-10, 0x0000},
		{"-1e-10 underflows to -0", -1e-10, 0x8000},
	} {
		if got := Float32ToF16(float32(c.f)); got != c.h {
			t.Errorf("%s: Float32ToF16(%g) = %#04x, want %#04x", c.name, c.f, got, c.h)
		}
	}
}

func TestF16NaN(t *testing.T) {
	for _, f := range []float32{float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000)} {
		h := Float32ToF16(f)
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 || h&0x200 == 0 {
			t.Errorf("Float32ToF16(NaN %#08x) = %#04x, not a quiet NaN", math.Float32bits(f), h)
		}
		if h>>15 != uint16(math.Float32bits(f)>>31) {
			t.Errorf("Float32ToF16(NaN %#08x) = %#04x lost the sign", math.Float32bits(f), h)
		}
	}
	if f := F16ToFloat32(0x7e01); !math.IsNaN(float64(f)) {
		t.Errorf("F16ToFloat32(0x7e01) = %g, want NaN", f)
	}
}

// TestF16Exhaustive decodes every binary16 value against refF16 and checks
// that encoding it again gives the same bits.
func TestF16Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		got := F16ToFloat32(h)
		want := refF16(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("F16ToFloat32(%#04x) = %g, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("F16ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
		if back := Float32ToF16(got); back != h {
			t.Fatalf("Float32ToF16(F16ToFloat32(%#04x)) = %#04x", h, back)
		}
	}
}

// TestF16RoundsToNearest checks random float32 values against the nearest
// binary16 found by binary search over the sorted finite values.
func TestF16RoundsToNearest(t *testing.T) {
	var vals []float64 // non-negative finite binary16 values, by bits 0..0x7bff
	for h := range 0x7c00 {
		vals = append(vals, refF16(uint16(h)))
	}
	r := rand.New(rand.NewPCG(21, 22))
	for range 200000 {
		// Exponents from deep subnormal to overflow.
		f := float32(math.Ldexp(r.Float64()+0.5, r.IntN(48)-30))
		if r.IntN(2) == 0 {
			f = -f
		}
		a := math.Abs(float64(f))
		var want uint16
		if a >= 65520 {
			want = 0x7c00
		} else {
			i := sort.SearchFloat64s(vals, a) // vals[i] ≥ a
			switch {
			case i == len(vals):
				want = 0x7bff
			case vals[i] == a || i == 0:
				want = uint16(i)
			default:
				lo, hi := a-vals[i-1], vals[i]-a
				switch {
				case lo < hi:
					want = uint16(i - 1)
				case hi < lo:
					want = uint16(i)
				case i%2 == 0:
					want = uint16(i)
				default:
					want = uint16(i - 1)
				}
			}
		}
		if f < 0 {
			want |= 0x8000
		}
		if got := Float32ToF16(f); got != want {
			t.Fatalf("Float32ToF16(%g) = %#04x, want %#04x", f, got, want)
		}
	}
}

func TestBF16(t *testing.T) {
	for _, c := range []struct {
		name string
		f    float32
		h    uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3f80},
		{"minus two", -2, 0xc000},
		{"largest finite", math.Float32frombits(0x7f7f0000), 0x7f7f},
		{"smallest subnormal", math.Float32frombits(0x00010000), 0x0001},
		{"infinity", float32(math.Inf(1)), 0x7f80},
		{"minus infinity", float32(math.Inf(-1)), 0xff80},
	} {
		if got := Float32ToBF16(c.f); got != c.h {
			t.Errorf("%s: Float32ToBF16(%g) = %#04x, want %#04x", c.name, c.f, got, c.h)
		}
		if got := BF16ToFloat32(c.h); math.Float32bits(got) != math.Float32bits(c.f) {
			t.Errorf("%s: BF16ToFloat32(%#04x) = %g, want %g", c.name, c.h, got, c.f)
		}
	}
	for _, c := range []struct {
		name string
		bits uint32
		h    uint16
	}{
		{"tie rounds to even (down)", 0x3f808000, 0x3f80},
		{"tie rounds to even (up)", 0x3f818000, 0x3f82},
		{"above a tie rounds up", 0x3f808001, 0x3f81},
		{"below a tie rounds down", 0x3f807fff, 0x3f80},
		{"largest float32 rounds to Inf", 0x7f7fffff, 0x7f80},
		{"subnormal tie rounds to even", 0x00018000, 0x0002},
		{"NaN becomes quiet", 0x7f800001, 0x7fc0},
		{"negative NaN keeps its sign", 0xff800001, 0xffc0},
	} {
		if got := Float32ToBF16(math.Float32frombits(c.bits)); got != c.h {
			t.Errorf("%s: Float32ToBF16(%#08x) = %#04x, want %#04x", c.name, c.bits, got, c.h)
		}
	}
}
