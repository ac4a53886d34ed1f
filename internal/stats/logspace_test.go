package stats

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func checkLogSpace(t *testing.T, lo, hi, n int, got []int) {
	t.Helper()
	if len(got) == 0 || len(got) > n {
		t.Fatalf("LogSpace(%d, %d, %d) has %d values", lo, hi, n, len(got))
	}
	if got[0] != lo || got[len(got)-1] != hi {
		t.Errorf("LogSpace(%d, %d, %d) = %v: end points not %d and %d", lo, hi, n, got, lo, hi)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("LogSpace(%d, %d, %d) not strictly increasing at %d: %v", lo, hi, n, i, got)
		}
	}
}

func TestLogSpace(t *testing.T) {
	cases := []struct {
		lo, hi, n int
		want      []int
	}{
		// 20 points over one decade collapse onto the 10 integers.
		{1, 10, 20, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{1, 1024, 11, []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}},
		{1000, 1000000, 4, []int{1000, 10000, 100000, 1000000}},
		{128, 131072, 2, []int{128, 131072}},
		{7, 7, 5, []int{7}},
		{7, 7, 1, []int{7}},
		{5, 6, 10, []int{5, 6}},
	}
	for _, c := range cases {
		got, err := LogSpace(c.lo, c.hi, c.n)
		if err != nil {
			t.Errorf("LogSpace(%d, %d, %d): %v", c.lo, c.hi, c.n, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("LogSpace(%d, %d, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
		}
		checkLogSpace(t, c.lo, c.hi, c.n, got)
	}
}

func TestLogSpaceProperties(t *testing.T) {
	for _, c := range [][3]int{{1, 10, 20}, {1, 100, 100}, {16, 131072, 25}, {3, 1 << 40, 60}, {1, math.MaxInt, 80}, {2, 3, 2}} {
		got, err := LogSpace(c[0], c[1], c[2])
		if err != nil {
			t.Fatalf("LogSpace%v: %v", c, err)
		}
		checkLogSpace(t, c[0], c[1], c[2], got)
	}
	// When no two points round together, all n are kept and consecutive
	// ratios are nearly constant.
	got, _ := LogSpace(100, 100000, 10)
	if len(got) != 10 {
		t.Fatalf("LogSpace(100, 100000, 10) = %v, want 10 values", got)
	}
	step := math.Pow(1000, 1.0/9)
	for i := 1; i < len(got); i++ {
		if r := float64(got[i]) / float64(got[i-1]); math.Abs(r-step) > 0.01 {
			t.Errorf("ratio %v at %d, want about %v: %v", r, i, step, got)
		}
	}
}

func TestLogSpaceErrors(t *testing.T) {
	for _, c := range [][3]int{{0, 10, 5}, {-3, 10, 5}, {10, 9, 5}, {1, 10, 0}, {1, 10, -2}, {1, 10, 1}} {
		if got, err := LogSpace(c[0], c[1], c[2]); !errors.Is(err, ErrInvalidArgument) || got != nil {
			t.Errorf("LogSpace%v = %v, %v; want nil and ErrInvalidArgument", c, got, err)
		}
	}
}
