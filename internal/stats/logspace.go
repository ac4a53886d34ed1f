package stats

import (
	"fmt"
	"math"
)

// LogSpace returns up to n integers from lo to hi, both included, spaced
// evenly on a log scale, for sweeping context sizes: the i-th point
// (i = 0..n−1) is round(exp(ln lo + i·(ln hi − ln lo)/(n−1))), rounded half
// away from zero, with the end points set to exactly lo and hi. Because
// rounding can map neighbouring points to the same integer, repeats are
// removed, so the result is strictly increasing and may hold fewer than n
// values. When lo == hi the result is [lo].
//
// It returns an error wrapping ErrInvalidArgument if lo < 1, hi < lo, n < 1,
// or n == 1 with lo != hi (one point cannot include both ends).
func LogSpace(lo, hi, n int) ([]int, error) {
	switch {
	case lo < 1:
		return nil, fmt.Errorf("%w: LogSpace lo = %d, need lo >= 1", ErrInvalidArgument, lo)
	case hi < lo:
		return nil, fmt.Errorf("%w: LogSpace hi = %d < lo = %d", ErrInvalidArgument, hi, lo)
	case n < 1:
		return nil, fmt.Errorf("%w: LogSpace n = %d, need n >= 1", ErrInvalidArgument, n)
	}
	if lo == hi {
		return []int{lo}, nil
	}
	if n == 1 {
		return nil, fmt.Errorf("%w: LogSpace n = 1 cannot include both lo = %d and hi = %d", ErrInvalidArgument, lo, hi)
	}
	llo, lhi := math.Log(float64(lo)), math.Log(float64(hi))
	out := make([]int, 0, n)
	out = append(out, lo)
	for i := 1; i < n-1; i++ {
		v := math.Round(math.Exp(llo + float64(i)*(lhi-llo)/float64(n-1)))
		var k int
		switch {
		case v <= float64(lo):
			k = lo
		case v >= float64(hi):
			k = hi
		default:
			k = int(v)
		}
		if k > out[len(out)-1] {
			out = append(out, k)
		}
	}
	if hi > out[len(out)-1] {
		out = append(out, hi)
	}
	return out, nil
}
