package tensor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchShapes are Qwen3-0.6B's matrix shapes (rows × cols): the
// feed-forward up/gate and down projections and the output head.
var benchShapes = []struct {
	name       string
	rows, cols int
}{
	{"ffn_up_3072x1024", 3072, 1024},
	{"ffn_down_1024x3072", 1024, 3072},
	{"output_151936x1024", 151936, 1024},
}

// benchThreads are the thread counts benchmarked: one, and all of them.
func benchThreads() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// BenchmarkMatVec multiplies matrices of Qwen3-0.6B's shapes, of each
// weight type, by a vector with the kernels this build selects. Its MB/s
// is the weight bytes read per second (Matrix.Bytes per product), the
// figure decode speed depends on; compare it with BenchmarkMemCopy. The
// 151936-row output head is skipped with -short.
func BenchmarkMatVec(b *testing.B) {
	for _, typ := range []DType{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			for _, sh := range benchShapes {
				b.Run(sh.name, func(b *testing.B) {
					if testing.Short() && sh.rows > 100000 {
						b.Skip("large matrix skipped with -short")
					}
					benchMatVec(b, typ, sh.rows, sh.cols, benchThreads())
				})
			}
		})
	}
}

// BenchmarkMatVecPortable is BenchmarkMatVec's feed-forward shape with the
// portable Go kernels, the only ones on other architectures and with the
// purego tag.
func BenchmarkMatVecPortable(b *testing.B) {
	saved := useSIMD
	defer func() { useSIMD = saved }()
	useSIMD = false
	for _, typ := range []DType{F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, IQ4_NL, Q4_K, Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			benchMatVec(b, typ, 3072, 1024, []int{1})
		})
	}
}

func benchMatVec(b *testing.B, typ DType, rows, cols int, threads []int) {
	r := rand.New(rand.NewPCG(1, 2))
	w := randMatrixOf(b, r, typ, rows, cols)
	x := randVec(r, cols)
	dst := make([]float32, rows)
	for _, th := range threads {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			p := NewPool(th)
			b.SetBytes(w.Bytes())
			for b.Loop() {
				MatVec(p, dst, w, x)
			}
		})
	}
}

// BenchmarkMatMul multiplies a 4096×1024 matrix by a batch of 64 inputs;
// its MB/s counts the weights once per batch, and GFLOP/s is reported too.
func BenchmarkMatMul(b *testing.B) {
	for _, typ := range []DType{F32, F16, Q8_0, Q4_K, Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			const n = 64
			w := randMatrixOf(b, r, typ, 4096, 1024)
			x := randVec(r, n*1024)
			dst := make([]float32, n*4096)
			for _, th := range benchThreads() {
				b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
					p := NewPool(th)
					b.SetBytes(w.Bytes())
					for b.Loop() {
						MatMul(p, dst, w, x, n)
					}
					b.ReportMetric(float64(2*n*w.Elements())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		})
	}
}

// BenchmarkMemCopy copies 256 MiB between two slices, larger than any
// cache: its MB/s (bytes copied per second; each is read once and written
// once) is the memory bandwidth the matrix×vector figures are compared
// with. With several threads each copies its own contiguous share.
func BenchmarkMemCopy(b *testing.B) {
	const size = 256 << 20
	src, dst := make([]byte, size), make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // fault the pages in
	for _, th := range benchThreads() {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			p := NewPool(th)
			b.SetBytes(size)
			for b.Loop() {
				p.For(th, 1, func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						copy(dst[i*size/th:(i+1)*size/th], src[i*size/th:(i+1)*size/th])
					}
				})
			}
		})
	}
}
