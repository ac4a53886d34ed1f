package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randMatrixOf returns a rows×cols matrix of type t with random blocks (see
// randBlocks).
func randMatrixOf(t testing.TB, r *rand.Rand, typ DType, rows, cols int) *Matrix {
	t.Helper()
	m, err := NewMatrix(rows, cols, typ, randBlocks(r, typ, rows*cols))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// actStep returns, per element of x, the largest error of quantising it to
// 8 bits in blocks of block elements: half a step, max|x|/254, with a
// little room for the float32 rounding of the step.
func actStep(x []float32, block int) []float64 {
	out := make([]float64, len(x))
	for b := 0; b < len(x); b += block {
		var m float64
		for _, v := range x[b : b+block] {
			m = max(m, math.Abs(float64(v)))
		}
		for i := b; i < b+block; i++ {
			out[i] = m / 254 * (1 + 1e-5)
		}
	}
	return out
}

// TestMatVecBlockTypes checks MatVec and MatMul of every block type against
// float64 dot products of the dequantised weights (refDequantize) with:
//
//   - the original activations, within Σ|w_i|·max|x_block|/254 (the largest
//     effect of quantising the activations to 8 bits: half a step per
//     element) plus 1e-5·Σ m_i|x_i|, m_i the magnitude of the terms making
//     w_i, for float32 rounding;
//   - the quantised activations themselves, within just the 1e-5·Σ m_i|x_i|
//     rounding term, which pins the integer arithmetic down.
//
// It also checks that the result is the same for 1, 2 and 3 threads, that
// MatMul equals MatVec row by row, bit for bit, and that with SIMD kernels
// available they give exactly what the portable kernels give.
func TestMatVecBlockTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, typ := range blockTypes {
		for _, shape := range []struct{ rows, cols int }{{1, 256}, {67, 512}, {130, 768}} {
			t.Run(fmt.Sprintf("%s/%dx%d", typ, shape.rows, shape.cols), func(t *testing.T) {
				testMatVecBlockType(t, r, typ, shape.rows, shape.cols)
			})
		}
	}
}

func testMatVecBlockType(t *testing.T, r *rand.Rand, typ DType, rows, cols int) {
	w := randMatrixOf(t, r, typ, rows, cols)
	wf, mag := refDequantize(typ, w.Data, rows*cols)
	const n = 19 // more than one tokenBlock
	x := randVec(r, n*cols)
	for i := range x {
		x[i] *= float32(1 + i%7) // vary the activation blocks' scales
	}
	k := qkernels[typ]
	var xq qact
	xq.quantize(x, k.block, k.sums)

	saved := useSIMD
	defer func() { useSIMD = saved }()
	sets := []bool{false}
	if saved && k.simd != nil {
		sets = []bool{false, true}
	}
	var results [][]float32 // per kernel set: MatMul with 1 thread
	for _, simd := range sets {
		useSIMD = simd
		name := map[bool]string{false: "go", true: "simd"}[simd]
		var first []float32
		for _, threads := range []int{1, 2, 3} {
			p := NewPool(threads)
			got := make([]float32, n*rows)
			MatMul(p, got, w, x, n)
			for tk := range n {
				mv := make([]float32, rows)
				MatVec(p, mv, w, x[tk*cols:(tk+1)*cols])
				for row := range rows {
					if g := got[tk*rows+row]; math.Float32bits(g) != math.Float32bits(mv[row]) {
						t.Fatalf("%s threads=%d token %d row %d: MatMul %g != MatVec %g", name, threads, tk, row, g, mv[row])
					}
				}
			}
			if first == nil {
				first = got
				results = append(results, got)
				continue
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%s threads=%d: element %d = %g, with 1 thread %g", name, threads, i, got[i], first[i])
				}
			}
		}
	}
	if len(results) == 2 {
		for i := range results[0] {
			if math.Float32bits(results[0][i]) != math.Float32bits(results[1][i]) {
				t.Fatalf("element %d: Go kernels %g, SIMD kernels %g", i, results[0][i], results[1][i])
			}
		}
	}

	got := results[0]
	for tk := range n {
		xt := x[tk*cols : (tk+1)*cols]
		step := actStep(xt, k.block)
		xqt := xq.row(tk, cols, k.block)
		for row := range rows {
			wr, mr := wf[row*cols:(row+1)*cols], mag[row*cols:(row+1)*cols]
			var want, wantQ, quantTol, roundTol float64
			for i := range cols {
				xqv := float64(xqt.qs[i]) * float64(xqt.d[i/k.block])
				want += float64(wr[i]) * float64(xt[i])
				wantQ += float64(wr[i]) * xqv
				quantTol += math.Abs(float64(wr[i])) * step[i]
				roundTol += 1e-5 * float64(mr[i]) * (math.Abs(float64(xt[i])) + step[i])
			}
			g := float64(got[tk*rows+row])
			if d := math.Abs(g - wantQ); d > roundTol {
				t.Fatalf("token %d row %d: %g, float64 with the quantised activations %g: error %g > %g", tk, row, g, wantQ, d, roundTol)
			}
			if d := math.Abs(g - want); d > quantTol+roundTol {
				t.Fatalf("token %d row %d: %g, float64 reference %g: error %g > %g", tk, row, g, want, d, quantTol+roundTol)
			}
		}
	}
}

// TestBlockKernelsGoVersusSIMD runs each type's portable and AVX2 kernels
// directly on the same weights and quantised activations, including weights
// whose every byte is random (scales aside) and activations at the limits
// of their range, and requires identical bits.
func TestBlockKernelsGoVersusSIMD(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels in this build or on this CPU")
	}
	r := rand.New(rand.NewPCG(43, 44))
	for _, typ := range blockTypes {
		k := qkernels[typ]
		if k.simd == nil {
			t.Logf("%s has no SIMD kernel", typ)
			continue
		}
		t.Run(typ.String(), func(t *testing.T) {
			const rows, cols = 9, 1024
			w := randMatrixOf(t, r, typ, rows, cols)
			for _, kind := range []string{"random", "extremes"} {
				x := randVec(r, cols)
				if kind == "extremes" {
					for i := range x {
						x[i] = []float32{-1, 1, 0, -1e-3}[r.IntN(4)]
					}
				}
				var xq qact
				xq.quantize(x, k.block, k.sums)
				g, s := make([]float32, rows), make([]float32, rows)
				k.goRows(g, w.Data, w.rowBytes(), &xq)
				k.simd(s, w.Data, w.rowBytes(), &xq)
				for i := range g {
					if math.Float32bits(g[i]) != math.Float32bits(s[i]) {
						t.Fatalf("%s activations, row %d: Go %g, SIMD %g", kind, i, g[i], s[i])
					}
				}
			}
		})
	}
}

// TestMatVecHalfTypes checks that F16 and BF16 products give exactly what
// the F32 kernels give on the converted weights (so the F32 tests cover
// their accuracy), in each kernel set, for 1, 2 and 3 threads, and that
// MatMul equals MatVec.
func TestMatVecHalfTypes(t *testing.T) { kernelSets(t, testMatVecHalfTypes) }

func testMatVecHalfTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, typ := range []DType{F16, BF16} {
		for _, shape := range []struct{ rows, cols, n int }{{1, 1, 1}, {5, 15, 3}, {37, 130, 17}, {70, 64, 2}} {
			t.Run(fmt.Sprintf("%s/%dx%d", typ, shape.rows, shape.cols), func(t *testing.T) {
				rows, cols, n := shape.rows, shape.cols, shape.n
				w := randMatrixOf(t, r, typ, rows, cols)
				f := NewMatrixF32(rows, cols)
				if err := Dequantize(typ, w.Data, f.F32); err != nil {
					t.Fatal(err)
				}
				x := randVec(r, n*cols)
				want := make([]float32, n*rows)
				MatMul(NewPool(1), want, f, x, n)
				for _, threads := range []int{1, 2, 3} {
					p := NewPool(threads)
					got := make([]float32, n*rows)
					MatMul(p, got, w, x, n)
					for tk := range n {
						mv := make([]float32, rows)
						MatVec(p, mv, w, x[tk*cols:(tk+1)*cols])
						for row := range rows {
							i := tk*rows + row
							if got[i] != want[i] || mv[row] != want[i] {
								t.Fatalf("threads=%d token %d row %d: MatMul %g, MatVec %g, F32 %g", threads, tk, row, got[i], mv[row], want[i])
							}
						}
					}
				}
			})
		}
	}
}

func TestMatVecRejectsUnsupported(t *testing.T) {
	w := &Matrix{Rows: 1, Cols: 256, Type: Q2_K, Data: make([]byte, 84)}
	defer func() {
		if recover() == nil {
			t.Error("MatVec of a Q2_K matrix did not panic")
		}
	}()
	MatVec(NewPool(1), make([]float32, 1), w, make([]float32, 256))
}

// TestQuantizeActivations checks the activation quantiser of each kernel
// set against a float64 model of it (d = max|x|/127, q = x/d rounded to
// nearest, ties to even; exact ties included), its sums of every 32 values
// and, for blocks of 32, their products with the scales, and, where there
// are SIMD kernels, that both sets give the same bytes, scales and sums.
func TestQuantizeActivations(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	x := randVec(r, 1024)
	for i := range 64 {
		// Exact ties: with max|x| = 127 in the block, q = x.
		x[i] = []float32{127, 0.5, 1.5, 2.5, -0.5, -1.5, -126.5, 3}[i%8]
	}
	x[64] = 0 // an all-zero block
	for i := 65; i < 96; i++ {
		x[i] = 0
	}
	for i := 512; i < 544; i++ {
		x[i] = -1 // a block of 32 whose sum is -4064, the most negative
	}
	saved := useSIMD
	defer func() { useSIMD = saved }()
	for _, block := range []int{32, 256} {
		for _, sums := range []bool{false, true} {
			var got []qact
			for _, simd := range []bool{false, true} {
				if simd && !saved {
					continue
				}
				useSIMD = simd
				var a qact
				a.quantize(x, block, sums)
				got = append(got, a)
				for b := range len(x) / block {
					var amax float32
					for _, v := range x[b*block : (b+1)*block] {
						amax = max(amax, abs32(v))
					}
					if a.d[b] != amax/127 {
						t.Fatalf("simd=%v block %d of %d: scale %g, want %g", simd, b, block, a.d[b], amax/127)
					}
					for i := b * block; i < (b+1)*block; i++ {
						want := 0.0
						if amax > 0 {
							want = math.RoundToEven(float64(x[i] * (127 / amax)))
						}
						if float64(a.qs[i]) != want {
							t.Fatalf("simd=%v element %d (%g): %d, want %g", simd, i, x[i], a.qs[i], want)
						}
					}
				}
				wantSums, wantS := 0, 0
				if sums {
					wantSums = len(x) / 32
					if block == 32 {
						wantS = len(x) / 32
					}
				}
				if len(a.sums) != wantSums || len(a.s) != wantS {
					t.Fatalf("simd=%v block %d sums=%v: %d sums and %d scaled sums, want %d and %d", simd, block, sums, len(a.sums), len(a.s), wantSums, wantS)
				}
				for g := range len(a.sums) {
					var s int
					for _, v := range a.qs[32*g : 32*g+32] {
						s += int(v)
					}
					if int(a.sums[g]) != s {
						t.Fatalf("simd=%v block %d: sums[%d] = %d, want %d", simd, block, g, a.sums[g], s)
					}
					if len(a.s) > 0 && a.s[g] != a.d[g]*float32(s) {
						t.Fatalf("simd=%v: s[%d] = %g, want %g", simd, g, a.s[g], a.d[g]*float32(s))
					}
				}
			}
			if len(got) == 2 {
				if diff := cmp.Diff(got[0], got[1], cmp.AllowUnexported(qact{})); diff != "" {
					t.Errorf("block %d: Go and SIMD quantisers differ (-go +simd):\n%s", block, diff)
				}
			}
		}
	}
}

// TestMatVecRuns checks that MatVec and MatVecMulti compute every row, and
// exactly as the type's kernel computes it alone, for row counts around the
// boundaries of runs and pieces (odd rows, runs shorter than a piece, many
// pieces) and thread counts up to more than the rows.
func TestMatVecRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, typ := range []DType{Q8_0, Q4_1, Q4_K} {
		k := qkernels[typ]
		cols := 256
		for _, rows := range []int{1, 2, 3, 15, 16, 17, 33, 64, 131, 1000} {
			w := randMatrixOf(t, r, typ, rows, cols)
			w2 := randMatrixOf(t, r, typ, rows+5, cols)
			x := randVec(r, cols)
			var xq qact
			xq.quantize(x, k.block, k.sums)
			want := make([]float32, rows)
			k.rows()(want, w.Data, w.rowBytes(), &xq)
			want2 := make([]float32, rows+5)
			k.rows()(want2, w2.Data, w2.rowBytes(), &xq)
			for _, threads := range []int{1, 2, 3, 5, 8} {
				p := NewPool(threads)
				got := make([]float32, rows)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				MatVec(p, got, w, x)
				got2 := make([]float32, rows+5)
				MatVecMulti(p, [][]float32{got, got2}, []*Matrix{w, w2}, x)
				for _, c := range []struct{ got, want []float32 }{{got, want}, {got2, want2}} {
					for i := range c.want {
						if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
							t.Fatalf("%s %d rows, %d threads: row %d = %g, want %g", typ, len(c.want), threads, i, c.got[i], c.want[i])
						}
					}
				}
			}
		}
	}
}

// TestMatVecMultiEqualsMatVec checks the fused product of several matrices
// sharing an input against separate MatVec calls, bit for bit, including a
// mix of K-quant types (one activation format) and a mix that needs two.
func TestMatVecMultiEqualsMatVec(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, types := range [][]DType{
		{Q8_0, Q8_0, Q8_0}, {Q4_K, Q4_K, Q6_K}, {Q4_K, Q8_0}, {F32, F16},
		{Q4_1, Q8_0, Q5_0}, {IQ4_NL, Q5_1, Q4_0}, {Q5_1, Q4_K}, {Q6_K, Q8_K, Q5_K},
	} {
		ws := make([]*Matrix, len(types))
		dsts, want := make([][]float32, len(types)), make([][]float32, len(types))
		for i, typ := range types {
			ws[i] = randMatrixOf(t, r, typ, 96+32*i, 512)
			dsts[i] = make([]float32, ws[i].Rows)
			want[i] = make([]float32, ws[i].Rows)
		}
		x := make([]float32, 512)
		for i := range x {
			x[i] = r.Float32()*2 - 1
		}
		for _, threads := range []int{1, 2, 3} {
			p := NewPool(threads)
			MatVecMulti(p, dsts, ws, x)
			for i := range ws {
				MatVec(p, want[i], ws[i], x)
				for j := range want[i] {
					if dsts[i][j] != want[i][j] {
						t.Fatalf("%v, %d threads: matrix %d row %d: %v fused, %v alone", types, threads, i, j, dsts[i][j], want[i][j])
					}
				}
			}
		}
	}
}
