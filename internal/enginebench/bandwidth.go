package enginebench

import (
	"runtime/debug"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Bandwidth is the machine's memory bandwidth, measured with all threads on
// buffers far larger than any cache, best of several passes.
type Bandwidth struct {
	// ReadGBs is bytes read per second (a dot product over two 256 MiB
	// arrays): what streaming weights needs.
	ReadGBs float64 `json:"read_gb_s"`
	// CopyGBs is bytes read plus bytes written per second by copy (the
	// STREAM "copy" convention).
	CopyGBs float64 `json:"copy_gb_s"`
	// Bytes is the size of each buffer.
	Bytes int64 `json:"buffer_bytes"`
}

// bwBuffers are the two arrays the bandwidth passes stream through.
type bwBuffers struct{ a, b []float32 }

func newBuffers(bytes int64) *bwBuffers {
	n := int(bytes / 4)
	bb := &bwBuffers{a: make([]float32, n), b: make([]float32, n)}
	for i := range bb.a {
		bb.a[i], bb.b[i] = float32(i&1023), 1
	}
	return bb
}

// measure runs the read and copy passes passes times each and keeps the
// fastest of each.
func (bb *bwBuffers) measure(pool *tensor.Pool, passes int) Bandwidth {
	n := len(bb.a)
	bytes := int64(n) * 4
	th := pool.Threads()
	part := func(i int) (int, int) { return i * n / th, (i + 1) * n / th }
	sums := make([]float32, th)
	best := func(f func()) time.Duration {
		var bestD time.Duration
		for range passes {
			t := time.Now()
			f()
			if d := time.Since(t); bestD == 0 || d < bestD {
				bestD = d
			}
		}
		return bestD
	}
	read := best(func() {
		pool.For(th, 1, func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				l, h := part(i)
				sums[w] += tensor.Dot(bb.a[l:h], bb.b[l:h])
			}
		})
	})
	cp := best(func() {
		pool.For(th, 1, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				l, h := part(i)
				copy(bb.b[l:h], bb.a[l:h])
			}
		})
	})
	return Bandwidth{
		ReadGBs: float64(2*bytes) / read.Seconds() / 1e9,
		CopyGBs: float64(2*bytes) / cp.Seconds() / 1e9,
		Bytes:   bytes,
	}
}

// MeasureBandwidth runs the read and copy passes over two fresh arrays of
// bytes each, then returns their memory to the operating system so it does
// not count in later RSS figures.
func MeasureBandwidth(pool *tensor.Pool, bytes int64, passes int) Bandwidth {
	bb := newBuffers(bytes)
	b := bb.measure(pool, passes)
	bb = nil
	debug.FreeOSMemory()
	return b
}
