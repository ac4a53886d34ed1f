package tensor

import "fmt"

// rowGrain is the number of weight rows one worker takes at a time. It is a
// multiple of 4 (the matrix×vector kernel's row block) and small enough that
// a range of rows of the largest matrices (16 rows of 3,072 float32) stays in
// a core's L2 cache while a batch of inputs streams past it.
const rowGrain = 16

// tokenBlock is the number of batch rows (tokens) a matrix×matrix worker
// multiplies against its range of weight rows before moving to the next
// block, so that the block of inputs also stays in cache.
const tokenBlock = 16

// MatVec computes dst = w·x: dst[r] is the dot product of row r of w with x,
// in the canonical order (see Dot). len(x) must be w.Cols and len(dst)
// w.Rows. Rows are split across p's workers; the result does not depend on
// the number of threads.
func MatVec(p *Pool, dst []float32, w *Matrix, x []float32) {
	if len(x) != w.Cols || len(dst) != w.Rows {
		panic(fmt.Sprintf("tensor: MatVec %d×%d matrix with x[%d] into dst[%d]", w.Rows, w.Cols, len(x), len(dst)))
	}
	switch w.Type {
	case F32:
	default:
		panic("tensor: MatVec: unsupported type " + w.Type.String())
	}
	cols := w.Cols
	data := w.F32
	p.For(w.Rows, rowGrain, func(_, lo, hi int) {
		r := lo
		for ; r+4 <= hi; r += 4 {
			o := r * cols
			dst[r], dst[r+1], dst[r+2], dst[r+3] = dot4x1(
				data[o:o+cols], data[o+cols:o+2*cols], data[o+2*cols:o+3*cols], data[o+3*cols:o+4*cols], x)
		}
		for ; r < hi; r++ {
			dst[r] = Dot(data[r*cols:(r+1)*cols], x)
		}
	})
}

// MatMul computes the batched product of w with n input rows: x holds n rows
// of w.Cols elements and dst receives n rows of w.Rows elements, so that
// dst[t*w.Rows+r] is the dot product of weight row r with input row t. Each
// weight row is read from memory once per call (per block of 16 inputs from
// cache), not once per input, which is what makes batched prefill faster
// than token-by-token evaluation. Every element equals what MatVec computes
// for the same input row, bit for bit.
func MatMul(p *Pool, dst []float32, w *Matrix, x []float32, n int) {
	if n <= 0 {
		return
	}
	if len(x) != n*w.Cols || len(dst) != n*w.Rows {
		panic(fmt.Sprintf("tensor: MatMul %d×%d matrix with x[%d] into dst[%d] for %d rows", w.Rows, w.Cols, len(x), len(dst), n))
	}
	if n == 1 {
		MatVec(p, dst, w, x)
		return
	}
	switch w.Type {
	case F32:
	default:
		panic("tensor: MatMul: unsupported type " + w.Type.String())
	}
	cols, rows := w.Cols, w.Rows
	data := w.F32
	p.For(rows, rowGrain, func(_, lo, hi int) {
		for t0 := 0; t0 < n; t0 += tokenBlock {
			t1 := min(t0+tokenBlock, n)
			r := lo
			for ; r+2 <= hi; r += 2 {
				w0 := data[r*cols : (r+1)*cols]
				w1 := data[(r+1)*cols : (r+2)*cols]
				t := t0
				for ; t+2 <= t1; t += 2 {
					x0 := x[t*cols : (t+1)*cols]
					x1 := x[(t+1)*cols : (t+2)*cols]
					d00, d01, d10, d11 := dot2x2(w0, w1, x0, x1)
					dst[t*rows+r] = d00
					dst[(t+1)*rows+r] = d01
					dst[t*rows+r+1] = d10
					dst[(t+1)*rows+r+1] = d11
				}
				if t < t1 {
					xt := x[t*cols : (t+1)*cols]
					dst[t*rows+r] = Dot(w0, xt)
					dst[t*rows+r+1] = Dot(w1, xt)
				}
			}
			if r < hi {
				wr := data[r*cols : (r+1)*cols]
				for t := t0; t < t1; t++ {
					dst[t*rows+r] = Dot(wr, x[t*cols:(t+1)*cols])
				}
			}
		}
	})
}
