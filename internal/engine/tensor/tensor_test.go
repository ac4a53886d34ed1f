package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

func randMatrix(r *rand.Rand, rows, cols int) *Matrix {
	m := NewMatrixF32(rows, cols)
	copy(m.F32, randVec(r, rows*cols))
	return m
}

// refDot is the obvious float64 dot product.
func refDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// kernelSets runs f once with the kernels this build selected and, when
// those are SIMD ones, once more with the portable Go kernels.
func kernelSets(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useSIMD
	t.Cleanup(func() { useSIMD = saved })
	sets := []bool{false}
	if saved {
		sets = []bool{true, false}
	}
	for _, simd := range sets {
		useSIMD = simd
		name := "go"
		if simd {
			name = "simd"
		}
		t.Run(name, f)
	}
}

func TestSIMDDetected(t *testing.T) {
	t.Logf("SIMD kernels in use: %v", SIMD())
}

func TestDotMatchesFloat64(t *testing.T) { kernelSets(t, testDotMatchesFloat64) }

func testDotMatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 128, 1023} {
		a, b := randVec(r, n), randVec(r, n)
		got := float64(Dot(a, b))
		want := refDot(a, b)
		// float32 accumulation: the error grows with n; 1e-5·n bounds it
		// comfortably for inputs in [-1, 1].
		if tol := 1e-6 + 1e-5*float64(n); math.Abs(got-want) > tol {
			t.Errorf("n=%d: Dot = %g, float64 reference %g (tolerance %g)", n, got, want, tol)
		}
	}
}

func TestKernelsBitIdenticalToDot(t *testing.T) { kernelSets(t, testKernelsBitIdenticalToDot) }

func testKernelsBitIdenticalToDot(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 17, 31, 32, 48, 64, 67, 1030} {
		w := [4][]float32{randVec(r, n), randVec(r, n), randVec(r, n), randVec(r, n)}
		x0, x1 := randVec(r, n), randVec(r, n)
		g0, g1, g2, g3 := dot4x1(w[0], w[1], w[2], w[3], x0)
		for i, g := range []float32{g0, g1, g2, g3} {
			if want := Dot(w[i], x0); g != want {
				t.Errorf("n=%d: dot4x1 row %d = %g, Dot = %g", n, i, g, want)
			}
		}
		d00, d01, d10, d11 := dot2x2(w[0], w[1], x0, x1)
		for _, c := range []struct {
			got  float32
			w, x []float32
			name string
		}{{d00, w[0], x0, "00"}, {d01, w[0], x1, "01"}, {d10, w[1], x0, "10"}, {d11, w[1], x1, "11"}} {
			if want := Dot(c.w, c.x); c.got != want {
				t.Errorf("n=%d: dot2x2[%s] = %g, Dot = %g", n, c.name, c.got, want)
			}
		}
	}
}

func TestMatVecAndMatMul(t *testing.T) { kernelSets(t, testMatVecAndMatMul) }

func testMatVecAndMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, shape := range []struct{ rows, cols, n int }{
		{1, 1, 1}, {3, 5, 2}, {17, 9, 3}, {64, 32, 17}, {37, 130, 33}, {20, 16, 5}, {41, 257, 35},
	} {
		t.Run(fmt.Sprintf("%dx%d batch %d", shape.rows, shape.cols, shape.n), func(t *testing.T) {
			w := randMatrix(r, shape.rows, shape.cols)
			x := randVec(r, shape.n*shape.cols)
			var first []float32
			for _, threads := range []int{1, 2, 3, 4} {
				p := NewPool(threads)
				got := make([]float32, shape.n*shape.rows)
				MatMul(p, got, w, x, shape.n)
				for tk := range shape.n {
					xt := x[tk*shape.cols : (tk+1)*shape.cols]
					mv := make([]float32, shape.rows)
					MatVec(p, mv, w, xt)
					for row := range shape.rows {
						g := got[tk*shape.rows+row]
						if mv[row] != g {
							t.Fatalf("threads=%d token %d row %d: MatMul %g != MatVec %g", threads, tk, row, g, mv[row])
						}
						want := refDot(w.F32[row*shape.cols:(row+1)*shape.cols], xt)
						if math.Abs(float64(g)-want) > 1e-4*float64(shape.cols) {
							t.Fatalf("token %d row %d: %g, float64 reference %g", tk, row, g, want)
						}
					}
				}
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if got[i] != first[i] {
						t.Fatalf("threads=%d: element %d = %g, with 1 thread %g", threads, i, got[i], first[i])
					}
				}
			}
		})
	}
}

func TestPoolCoversEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ threads, n, grain int }{{1, 10, 3}, {4, 10, 3}, {3, 100, 1}, {8, 5, 16}, {2, 0, 4}} {
		p := NewPool(c.threads)
		var mu sync.Mutex
		seen := make([]int, c.n)
		p.For(c.n, c.grain, func(w, lo, hi int) {
			if w < 0 || w >= p.Threads() {
				t.Errorf("worker %d outside [0,%d)", w, p.Threads())
			}
			mu.Lock()
			defer mu.Unlock()
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, s := range seen {
			if s != 1 {
				t.Errorf("threads=%d n=%d grain=%d: index %d visited %d times", c.threads, c.n, c.grain, i, s)
			}
		}
	}
}

func TestRMSNorm(t *testing.T) {
	x := []float32{1, -2, 3, -4}
	w := []float32{1, 0.5, 2, 1}
	got := make([]float32, 4)
	RMSNorm(got, x, w, 1e-6)
	rms := math.Sqrt((1 + 4 + 9 + 16) / 4.0)
	for i := range x {
		want := float64(x[i]) / math.Sqrt(rms*rms+1e-6) * float64(w[i])
		if math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("element %d: %g, want %g", i, got[i], want)
		}
	}
	// Lengths that leave every tail of the four partial sums, against a
	// float64 reference.
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 2, 3, 5, 6, 7, 128, 1027} {
		x, w := randVec(r, n), randVec(r, n)
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(ss/float64(n)+1e-6)
		got := make([]float32, n)
		RMSNorm(got, x, w, 1e-6)
		for i := range x {
			want := float64(x[i]) * inv * float64(w[i])
			if math.Abs(float64(got[i])-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("n=%d element %d: %g, want %g", n, i, got[i], want)
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	x := []float32{1, 2, 3, 1000}
	Softmax(x)
	if x[3] < 0.999 || math.IsNaN(float64(x[0])) {
		t.Errorf("softmax of a dominant logit = %v", x)
	}
	y := []float32{0, float32(math.Log(3))}
	Softmax(y)
	if math.Abs(float64(y[0])-0.25) > 1e-6 || math.Abs(float64(y[1])-0.75) > 1e-6 {
		t.Errorf("softmax(0, ln 3) = %v, want [0.25 0.75]", y)
	}
}

func TestSwiGLU(t *testing.T) {
	g := []float32{0, 1, -1}
	u := []float32{5, 2, 3}
	SwiGLU(g, u)
	want := []float64{0, 2 / (1 + math.Exp(-1)), 3 * -1 / (1 + math.Exp(1))}
	for i := range g {
		if math.Abs(float64(g[i])-want[i]) > 1e-6 {
			t.Errorf("element %d: %g, want %g", i, g[i], want[i])
		}
	}
}

func TestRope(t *testing.T) {
	const dims = 8
	cos, sin := make([]float32, dims/2), make([]float32, dims/2)
	r := rand.New(rand.NewPCG(7, 8))
	for _, rope := range []struct {
		name  string
		apply func([]float32, int, []float32, []float32)
		pair  func(i int) (int, int)
	}{
		{"neox", RopeNeoX, func(i int) (int, int) { return i, i + dims/2 }},
		{"interleaved", RopeInterleaved, func(i int) (int, int) { return 2 * i, 2*i + 1 }},
	} {
		t.Run(rope.name, func(t *testing.T) {
			x := randVec(r, 2*dims)
			orig := append([]float32(nil), x...)
			RopeAngles(cos, sin, 0, 10000, dims)
			rope.apply(x, dims, cos, sin)
			for i := range x {
				if x[i] != orig[i] {
					t.Fatalf("position 0 changed element %d: %g -> %g", i, orig[i], x[i])
				}
			}
			const pos = 7
			RopeAngles(cos, sin, pos, 10000, dims)
			rope.apply(x, dims, cos, sin)
			for h := range 2 {
				for i := range dims / 2 {
					a, b := rope.pair(i)
					a, b = a+h*dims, b+h*dims
					theta := pos * math.Pow(10000, -2*float64(i)/dims)
					wa := float64(orig[a])*math.Cos(theta) - float64(orig[b])*math.Sin(theta)
					wb := float64(orig[a])*math.Sin(theta) + float64(orig[b])*math.Cos(theta)
					if math.Abs(float64(x[a])-wa) > 1e-5 || math.Abs(float64(x[b])-wb) > 1e-5 {
						t.Errorf("head %d pair %d: (%g, %g), want (%g, %g)", h, i, x[a], x[b], wa, wb)
					}
				}
			}
		})
	}
}

func TestArgmax(t *testing.T) {
	for _, c := range []struct {
		x    []float32
		want int
	}{{nil, -1}, {[]float32{1}, 0}, {[]float32{1, 3, 3, 2}, 1}, {[]float32{-5, -1, -2}, 1}} {
		if got := Argmax(c.x); got != c.want {
			t.Errorf("Argmax(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}

// benchSets runs f with the selected kernels and, where those are SIMD, the
// portable ones.
func benchSets(b *testing.B, f func(b *testing.B)) {
	saved := useSIMD
	defer func() { useSIMD = saved }()
	if saved {
		useSIMD = true
		b.Run("simd", f)
	}
	useSIMD = false
	b.Run("go", f)
}

func BenchmarkDot(b *testing.B) { benchSets(b, benchDot) }

func benchDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 1024), randVec(r, 1024)
	b.SetBytes(2 * 4 * 1024)
	var s float32
	for b.Loop() {
		s += Dot(x, y)
	}
	_ = s
}

// TestSIMDMatchesGo checks that the two kernel sets agree to float32
// rounding: they sum in different orders, so not to the bit.
func TestSIMDMatchesGo(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels in this build or on this CPU")
	}
	defer func() { useSIMD = true }()
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{16, 17, 100, 1024, 3072} {
		a, b := randVec(r, n), randVec(r, n)
		useSIMD = true
		s := Dot(a, b)
		useSIMD = false
		g := Dot(a, b)
		if d := math.Abs(float64(s - g)); d > 1e-5*float64(n) {
			t.Errorf("n=%d: SIMD %g, Go %g", n, s, g)
		}
	}
}

func TestAxpy(t *testing.T) { kernelSets(t, testAxpy) }

func testAxpy(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 15, 16, 17, 128, 131} {
		dst, x := randVec(r, n), randVec(r, n)
		want := make([]float64, n)
		for i := range want {
			want[i] = float64(dst[i]) + 0.37*float64(x[i])
		}
		Axpy(dst, x, 0.37)
		for i := range dst {
			if math.Abs(float64(dst[i])-want[i]) > 1e-6 {
				t.Fatalf("n=%d element %d: %g, want %g", n, i, dst[i], want[i])
			}
		}
	}
}

func TestDot4EqualsDot(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{3, 16, 64, 128, 131} {
		rows := make([][]float32, 4)
		for i := range rows {
			rows[i] = make([]float32, n+5) // longer than x: Dot4 uses the first n
			for j := range rows[i] {
				rows[i][j] = r.Float32()*2 - 1
			}
		}
		x := make([]float32, n)
		for j := range x {
			x[j] = r.Float32()*2 - 1
		}
		got := [4]float32{}
		got[0], got[1], got[2], got[3] = Dot4(rows[0], rows[1], rows[2], rows[3], x)
		for i := range 4 {
			if want := Dot(rows[i][:n], x); got[i] != want {
				t.Fatalf("n=%d row %d: Dot4 %v, Dot %v", n, i, got[i], want)
			}
		}
	}
}

func TestAxpy4EqualsFourAxpy(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{5, 16, 128, 133} {
		xs := make([][]float32, 4)
		for i := range xs {
			xs[i] = make([]float32, n+3)
			for j := range xs[i] {
				xs[i][j] = r.Float32()*2 - 1
			}
		}
		a := [4]float32{r.Float32(), -r.Float32(), r.Float32(), 0.5}
		got, want := make([]float32, n), make([]float32, n)
		for j := range got {
			got[j] = r.Float32()
			want[j] = got[j]
		}
		Axpy4(got, xs[0], xs[1], xs[2], xs[3], a[0], a[1], a[2], a[3])
		for i := range 4 {
			Axpy(want, xs[i], a[i])
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("n=%d element %d: Axpy4 %v, four Axpy %v", n, j, got[j], want[j])
			}
		}
	}
}
