package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withKernels runs f with the SIMD kernels (where the CPU has them) and
// with the portable ones.
func withKernels(t *testing.T, f func(t *testing.T)) {
	saved := useSIMD
	defer func() { useSIMD = saved }()
	for _, simd := range []bool{saved, false} {
		useSIMD = simd
		t.Run(fmt.Sprintf("simd=%v", simd), f)
		if !saved {
			break
		}
	}
}

func TestFloat32sToF16(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	src := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65519.99, 65520, -65520, 1e-8, -1e-8, 6e-8, 2.9802322e-08, 5.9604645e-08,
		6.1035156e-05, 6.1035152e-05, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0x7fc00001), math.Float32frombits(0xff812345)}
	for len(src) < 50013 {
		if r.IntN(2) == 0 {
			src = append(src, math.Float32frombits(r.Uint32()))
		} else {
			src = append(src, float32(r.NormFloat64()*math.Pow(2, float64(r.IntN(40)-25))))
		}
	}
	withKernels(t, func(t *testing.T) {
		dst := make([]uint16, len(src))
		Float32sToF16(dst, src)
		for i, f := range src {
			if want := Float32ToF16(f); dst[i] != want {
				t.Fatalf("Float32sToF16(%v = %#x)[%d] = %#x, Float32ToF16 gives %#x", f, math.Float32bits(f), i, dst[i], want)
			}
		}
	})
}

// halfRows returns rows×stride binary16 values of random keys and their
// float32 values.
func halfRows(r *rand.Rand, rows, stride int) ([]uint16, []float32) {
	h := make([]uint16, rows*stride)
	f := make([]float32, rows*stride)
	for i := range h {
		h[i] = Float32ToF16(float32(r.NormFloat64() * 2))
		f[i] = F16ToFloat32(h[i])
	}
	return h, f
}

// TestDotRowsF16 checks that the binary16 rows give exactly Dot on their
// float32 values, for head sizes the SIMD kernel takes (multiples of 16)
// and others, for row counts below, at and past the kernel's four-row step,
// with rows further apart than their length.
func TestDotRowsF16(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{128, 64, 80, 256, 40, 7} {
			for _, rows := range []int{1, 3, 4, 17, 37} {
				stride := n + 24
				h, f := halfRows(r, rows, stride)
				x := randVec(r, n)
				got := make([]float32, rows)
				DotRowsF16(got, x, h, stride)
				for j := range got {
					if want := Dot(x, f[j*stride:j*stride+n]); math.Float32bits(got[j]) != math.Float32bits(want) {
						t.Fatalf("n=%d rows=%d row %d: DotRowsF16 %v, Dot %v", n, rows, j, got[j], want)
					}
				}
			}
		}
	})
}

// TestAxpyRowsF16 checks the weighted sum of binary16 rows against one
// Axpy per row on their float32 values, bit for bit, including the
// 16-element chunks after the 64-element ones (n = 80, 144) and row counts
// below, at and past the kernel's group of 16.
func TestAxpyRowsF16(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{128, 80, 144, 16, 256, 40, 3} {
			for _, rows := range []int{1, 3, 16, 17, 53} {
				stride := n + 8
				h, f := halfRows(r, rows, stride)
				w := randVec(r, rows)
				got, want := randVec(r, n), make([]float32, n)
				copy(want, got)
				AxpyRowsF16(got, h, stride, w)
				for j, a := range w {
					Axpy(want, f[j*stride:j*stride+n], a)
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d rows=%d element %d: AxpyRowsF16 %v, Axpy per row %v", n, rows, i, got[i], want[i])
					}
				}
			}
		}
	})
}
