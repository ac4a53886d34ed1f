package tensor

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// rowGrain is the number of weight rows one worker takes at a time. It is a
// multiple of 4 (the matrix×vector kernel's row block) and small enough that
// a range of rows of the largest matrices (16 rows of 3,072 float32) stays in
// a core's L2 cache while a batch of inputs streams past it.
const rowGrain = 16

// tokenBlock is the number of batch rows (tokens) a matrix×matrix worker
// multiplies against its range of weight rows before moving to the next
// block, so that the block of inputs also stays in cache.
const tokenBlock = 16

// MatVec computes dst = w·x: dst[r] is the dot product of row r of w with
// x. len(x) must be w.Cols and len(dst) w.Rows. Rows are split across p's
// workers; the result does not depend on the number of threads.
//
// F32 rows are multiplied in the canonical order (see Dot); F16 and BF16
// rows are converted to float32 on the fly and give exactly what the F32
// product of the converted matrix gives. For block types x is first
// quantised, once per call, to 8-bit blocks, and each row's dot product is
// integer arithmetic per block with a fixed float32 order (see qdot.go), so
// the result differs from the float product of the dequantised weights by
// the activation quantisation error (at most half an activation step,
// max|x_block|/254, per element).
func MatVec(p *Pool, dst []float32, w *Matrix, x []float32) {
	if len(x) != w.Cols || len(dst) != w.Rows {
		panic(fmt.Sprintf("tensor: MatVec %d×%d matrix with x[%d] into dst[%d]", w.Rows, w.Cols, len(x), len(dst)))
	}
	switch w.Type {
	case F32:
		matVecF32(p, dst, w, x)
	case F16, BF16:
		matVecHalf(p, dst, w, x)
	default:
		k := qkernelOf(w.Type, "MatVec")
		xq := getQact()
		defer qactPool.Put(xq)
		xq.quantize(x, k.block, k.sums)
		streamRuns(p, splitRuns(nil, k.pairs(), dst, w, p.Threads()), xq)
	}
}

// qactPool recycles the quantised activations of the block-type products
// (a decoded token makes some 140 products; allocating each one's
// activations took about half of the time of quantising them).
var qactPool = sync.Pool{New: func() any { return new(qact) }}

// getQact returns quantised-activation memory from qactPool; the caller
// puts it back once the product is done.
func getQact() *qact { return qactPool.Get().(*qact) }

// qkernelOf returns the kernels of block type t, panicking in op when there
// are none.
func qkernelOf(t DType, op string) *qkernel {
	k, ok := qkernels[t]
	if !ok {
		panic("tensor: " + op + ": unsupported type " + t.String())
	}
	return k
}

// matVecGrain returns the rows per work item of an F16 or BF16
// matrix×vector product of rows of rowBytes bytes: at least rowGrain rows
// and 64 KiB, so that each worker streams long runs of consecutive memory
// (decoding Qwen3-0.6B on two cores read about 20% faster than with 16 KiB),
// but small enough to give each of the threads several items to balance.
// (The block types stream longer runs still; see splitRuns.)
func matVecGrain(rows, rowBytes, threads int) int {
	g := max(rowGrain, (64<<10)/rowBytes)
	if threads > 1 {
		g = min(g, max(rowGrain, rows/(4*threads)))
	}
	return g
}

func matVecF32(p *Pool, dst []float32, w *Matrix, x []float32) {
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

// scratch is per-worker float32 memory for converting F16 and BF16 rows.
type scratch [][]float32

// get returns worker's buffer of n elements.
func (s scratch) get(worker, n int) []float32 {
	s[worker] = grow(s[worker], n)
	return s[worker]
}

// matVecHalf is MatVec for F16 and BF16 rows: with the SIMD kernels a fused
// kernel converts and multiplies four rows at a time; otherwise rows are
// converted into scratch memory and multiplied by the F32 kernels. Either
// way the result is that of the F32 kernels on the converted rows.
func matVecHalf(p *Pool, dst []float32, w *Matrix, x []float32) {
	cols, rb := w.Cols, w.rowBytes()
	buf := make(scratch, p.Threads())
	fused := halfSIMD(w.Type)
	p.For(w.Rows, matVecGrain(w.Rows, rb, p.Threads()), func(worker, lo, hi int) {
		r := lo
		if fused != nil && cols >= simdWidth {
			conv := buf.get(worker, cols)
			n := cols &^ (simdWidth - 1)
			// The four rows multiplied together are q rows apart, so
			// that they are four separate sequential streams through
			// memory (adjacent rows would share pages, which defeats the
			// hardware prefetchers).
			q := (hi - lo) / 4
			for g := range q {
				var out [4]float32
				o := (lo + g) * rb
				fused(w.Data[o:], q*rb, x[:n], &out)
				for i := range 4 {
					// The tail past the last full SIMD block, as dot4x1 adds it.
					row := w.Data[o+i*q*rb : o+i*q*rb+rb]
					convertHalf(w.Type, conv[n:], row[2*n:])
					dst[lo+g+i*q] = out[i] + tailDot(conv, x, n)
				}
			}
			r = lo + 4*q
		} else {
			conv := buf.get(worker, 4*cols)
			for ; r+4 <= hi; r += 4 {
				convertHalf(w.Type, conv, w.Data[r*rb:(r+4)*rb])
				dst[r], dst[r+1], dst[r+2], dst[r+3] = dot4x1(
					conv[:cols], conv[cols:2*cols], conv[2*cols:3*cols], conv[3*cols:4*cols], x)
			}
		}
		conv := buf.get(worker, cols)
		for ; r < hi; r++ {
			convertHalf(w.Type, conv, w.Data[r*rb:(r+1)*rb])
			dst[r] = Dot(conv, x)
		}
	})
}

// convertHalf converts the F16 or BF16 elements of src into dst (len(dst)
// elements).
func convertHalf(t DType, dst []float32, src []byte) {
	src = src[:2*len(dst)]
	if t == F16 {
		for i := range dst {
			h := uint16(src[2*i]) | uint16(src[2*i+1])<<8
			if f16Normal(h) {
				dst[i] = f16NormalToFloat32(h) // the common case, inlined
			} else {
				dst[i] = f16Special(h)
			}
		}
		return
	}
	for i := range dst {
		dst[i] = BF16ToFloat32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
	}
}

// MatMul computes the batched product of w with n input rows: x holds n rows
// of w.Cols elements and dst receives n rows of w.Rows elements, so that
// dst[t*w.Rows+r] is the dot product of weight row r with input row t. Each
// weight row is read from memory once per call (per block of 16 inputs from
// cache), not once per input, which is what makes batched prefill faster
// than token-by-token evaluation. Every element equals what MatVec computes
// for the same input row, bit for bit, for every type (block types quantise
// each input row exactly as MatVec does).
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
		matMulF32(p, dst, w.F32, w.Rows, w.Cols, x, n)
	case F16, BF16:
		// Convert each work item's rows once, then multiply them as F32
		// rows: the same order as MatVec, which computes what the F32
		// kernels give on the converted rows.
		buf := make(scratch, p.Threads())
		cols, rows, rb := w.Cols, w.Rows, w.rowBytes()
		p.For(rows, rowGrain, func(worker, lo, hi int) {
			conv := buf.get(worker, (hi-lo)*cols)
			convertHalf(w.Type, conv, w.Data[lo*rb:hi*rb])
			matMulF32Rows(dst, conv, rows, cols, x, n, lo, hi)
		})
	default:
		k := qkernelOf(w.Type, "MatMul")
		xq := getQact()
		defer qactPool.Put(xq)
		xq.quantize(x, k.block, k.sums)
		cols, rows, rb := w.Cols, w.Rows, w.rowBytes()
		kern := k.rows()
		p.For(rows, rowGrain, func(_, lo, hi int) {
			wr := w.Data[lo*rb : hi*rb]
			for t0 := 0; t0 < n; t0 += tokenBlock {
				for t := t0; t < min(t0+tokenBlock, n); t++ {
					xt := xq.row(t, cols, k.block)
					kern(dst[t*rows+lo:t*rows+hi], wr, rb, &xt)
				}
			}
		})
	}
}

// matMulF32 is MatMul for F32 weights data.
func matMulF32(p *Pool, dst, data []float32, rows, cols int, x []float32, n int) {
	p.For(rows, rowGrain, func(_, lo, hi int) {
		matMulF32Rows(dst, data[lo*cols:hi*cols], rows, cols, x, n, lo, hi)
	})
}

// matMulF32Rows computes the outputs lo..hi-1 of every input row, data
// holding weight rows lo..hi-1.
func matMulF32Rows(dst, data []float32, rows, cols int, x []float32, n, lo, hi int) {
	for t0 := 0; t0 < n; t0 += tokenBlock {
		t1 := min(t0+tokenBlock, n)
		r := lo
		for ; r+2 <= hi; r += 2 {
			o := (r - lo) * cols
			w0 := data[o : o+cols]
			w1 := data[o+cols : o+2*cols]
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
			o := (r - lo) * cols
			wr := data[o : o+cols]
			for t := t0; t < t1; t++ {
				dst[t*rows+r] = Dot(wr, x[t*cols:(t+1)*cols])
			}
		}
	}
}

// MatVecMulti computes dsts[i] = ws[i]·x for several matrices that take the
// same input (a layer's query, key and value projections; its gate and up
// projections) in one parallel loop: the activations are quantised once and
// the workers synchronise once, instead of once per matrix. Each dsts[i] is
// exactly what MatVec(p, dsts[i], ws[i], x) computes. Matrices whose types
// need different activation formats are multiplied one after another.
func MatVecMulti(p *Pool, dsts [][]float32, ws []*Matrix, x []float32) {
	if len(dsts) != len(ws) {
		panic(fmt.Sprintf("tensor: MatVecMulti with %d outputs for %d matrices", len(dsts), len(ws)))
	}
	var k0 *qkernel
	sums := false
	for i, w := range ws {
		if len(x) != w.Cols || len(dsts[i]) != w.Rows {
			panic(fmt.Sprintf("tensor: MatVecMulti %d×%d matrix with x[%d] into dst[%d]", w.Rows, w.Cols, len(x), len(dsts[i])))
		}
		k, ok := qkernels[w.Type]
		if !ok || (k0 != nil && k.block != k0.block) {
			k0 = nil
			break
		}
		k0 = k
		sums = sums || k.sums
	}
	if k0 == nil || len(ws) == 1 {
		for i, w := range ws {
			MatVec(p, dsts[i], w, x)
		}
		return
	}
	xq := getQact()
	defer qactPool.Put(xq)
	xq.quantize(x, k0.block, sums)
	var runs []*run
	for i, w := range ws {
		runs = splitRuns(runs, qkernels[w.Type].pairs(), dsts[i], w, p.Threads())
	}
	streamRuns(p, runs, xq)
}

// A run is a contiguous range of a block-type matrix's rows that one worker
// streams through in a matrix×vector product: its rows lo..lo+2h−1 are
// computed as the h pairs (lo+j, lo+h+j), so that the worker reads two
// sequential streams of memory at once, piece by piece in order (a run's
// last piece also computes the odd row lo+2h, if any). The hardware
// prefetchers need a stream to go on for a while before they reach full
// speed: the matrix×vector products of a Qwen3-0.6B decode step on two
// cores (AMD EPYC) ran about 20% faster, in Q4_K and in Q8_0, with one run
// per worker per matrix than with work items of 64 KiB, each of which
// started two new streams (pairing rows across the whole matrix but still
// handing out 64 KiB items gained nothing, nor did software-prefetching
// the start of each item). Pieces exist for balance: a worker that has
// finished every run it started takes the last pieces of runs others have
// not finished (from their ends, away from their streams), so that a
// worker slowed by other load on its core does not hold up the product.
type run struct {
	pairs  pairsFunc
	dst    []float32 // the run's rows of the output
	data   []byte    // the run's rows of the weights
	rb     int       // bytes per row
	h      int       // pairs
	piece  int       // pairs per piece
	pieces int       // pieces, the odd row's one included
	// pos holds the next piece from the front (high 32 bits) and the end of
	// the pieces not yet taken (low 32 bits).
	pos atomic.Uint64
}

// runPieceBytes is the weight bytes of one piece of a run (both streams).
const runPieceBytes = 32 << 10

// splitRuns appends to runs the runs of w's product into dst: one per
// thread, of about equal size (rows a multiple of 2, but at least rowGrain,
// so that small matrices make fewer runs).
func splitRuns(runs []*run, pairs pairsFunc, dst []float32, w *Matrix, threads int) []*run {
	rb := w.rowBytes()
	n := max(1, min(threads, w.Rows/rowGrain))
	piece := max(4, runPieceBytes/(2*rb))
	for i := range n {
		lo, hi := i*w.Rows/n&^1, (i+1)*w.Rows/n&^1
		if i == n-1 {
			hi = w.Rows
		}
		h := (hi - lo) / 2
		r := &run{pairs: pairs, dst: dst[lo:hi], data: w.Data[lo*rb : hi*rb], rb: rb, h: h, piece: piece}
		r.pieces = (h + piece - 1) / piece
		if (hi-lo)%2 == 1 {
			r.pieces++
		}
		r.pos.Store(uint64(r.pieces))
		runs = append(runs, r)
	}
	return runs
}

// take returns the next piece of r from the front (or, with back, the last
// one not yet taken), or −1 when every piece is taken.
func (r *run) take(back bool) int {
	for {
		v := r.pos.Load()
		f, e := v>>32, v&(1<<32-1)
		if f >= e {
			return -1
		}
		nv := v + 1<<32
		if back {
			nv = v - 1
		}
		if r.pos.CompareAndSwap(v, nv) {
			if back {
				return int(e - 1)
			}
			return int(f)
		}
	}
}

// compute computes piece i of r.
func (r *run) compute(i int, x *qact) {
	lo := i * r.piece
	if lo >= r.h { // the odd row
		row := 2 * r.h
		d, w := r.dst[row:row+1], r.data[row*r.rb:(row+1)*r.rb]
		r.pairs(d, d, w, w, r.rb, x)
		return
	}
	hi := min(lo+r.piece, r.h)
	r.pairs(r.dst[lo:hi], r.dst[r.h+lo:r.h+hi], r.data[lo*r.rb:hi*r.rb], r.data[(r.h+lo)*r.rb:(r.h+hi)*r.rb], r.rb, x)
}

// streamRuns computes the runs on p's workers: each worker takes runs not
// yet started, in order, and computes each from the front to the end; once
// every run is started, workers take the remaining pieces from the back.
// Which worker computes a row never changes its value.
func streamRuns(p *Pool, runs []*run, x *qact) {
	var next atomic.Int64
	p.For(min(p.Threads(), len(runs)), 1, func(_, _, _ int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(runs) {
				break
			}
			for r := runs[i]; ; {
				k := r.take(false)
				if k < 0 {
					break
				}
				r.compute(k, x)
			}
		}
		for _, r := range runs {
			for {
				k := r.take(true)
				if k < 0 {
					break
				}
				r.compute(k, x)
			}
		}
	})
}
