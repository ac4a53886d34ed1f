package tensor

import "math"

// F16ToFloat32 returns the value of the IEEE 754 binary16 number whose bits
// are h. The conversion is exact: every binary16 value, subnormals included,
// is a float32 value; infinities keep their sign and NaNs keep their sign
// and payload (shifted into the top of the float32 mantissa), as the F16C
// instruction VCVTPH2PS and ggml's GGML_FP16_TO_FP32 do.
func F16ToFloat32(h uint16) float32 {
	if f16Normal(h) {
		return f16NormalToFloat32(h)
	}
	return f16Special(h)
}

// f16Normal reports whether h is a normal binary16 number (exponent field
// neither 0 nor 31).
func f16Normal(h uint16) bool { return h&0x7c00-0x400 < 0x7800 }

// f16NormalToFloat32 converts a normal binary16 number: it moves the bits
// into place and rebiases the exponent from 15 to 127 (the sum cannot carry
// into the sign bit).
func f16NormalToFloat32(h uint16) float32 {
	return math.Float32frombits((uint32(h&0x8000)<<16 | uint32(h&0x7fff)<<13) + (127-15)<<23)
}

// f16Special is F16ToFloat32 for zeros, subnormals, infinities and NaNs.
func f16Special(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	man := uint32(h & 0x3ff)
	if h&0x7c00 == 0 {
		// Zero or subnormal: man × 2^-24, exact in float32.
		return math.Float32frombits(sign | math.Float32bits(float32(man)*(1.0/(1<<24))))
	}
	return math.Float32frombits(sign | 0x7f800000 | man<<13)
}

// Float32ToF16 returns the IEEE 754 binary16 bits nearest to f, rounding
// ties to even (the rounding of VCVTPS2PH with imm8 0 and of ggml's
// GGML_FP32_TO_FP16). Values of magnitude 65520 and above become ±Inf,
// values below 2^-14 become subnormals or ±0, and a NaN stays a NaN: quiet,
// with its sign and the top 9 bits of its payload.
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00 | uint16(man>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // the binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// A binary16 subnormal (or zero): the significand, implicit bit
		// included, shifted so that one unit is 2^-24.
		if e < -10 {
			return sign // below 2^-25: rounds to zero
		}
		m := man | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || rem == half && h&1 == 1 {
			h++ // may carry into the smallest normal, which is the right encoding
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++ // a carry into the exponent is right, up to and including Inf
	}
	return sign | uint16(h)
}

// BF16ToFloat32 returns the value of the bfloat16 number whose bits are h:
// the top half of a float32, so the conversion is exact.
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 returns the bfloat16 bits nearest to f, rounding ties to
// even; subnormals are kept (not flushed to zero), overflow rounds to ±Inf,
// and a NaN becomes a quiet NaN with its sign and top payload bits. This is
// ggml's ggml_compute_fp32_to_bf16 (ggml-impl.h), bit for bit.
func Float32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}
