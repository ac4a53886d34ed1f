package stats

import (
	"math"
	"testing"
)

// approx reports whether got is within tol of want, absolutely or relative
// to |want| (whichever is looser); NaN matches only NaN.
func approx(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	d := math.Abs(got - want)
	return d <= tol || d <= tol*math.Abs(want)
}

// checkClose fails the test if got is not approx want.
func checkClose(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if !approx(got, want, tol) {
		t.Errorf("%s = %.17g, want %.17g (tol %g)", name, got, want, tol)
	}
}

// checkNaN fails the test if got is not NaN.
func checkNaN(t *testing.T, name string, got float64) {
	t.Helper()
	if !math.IsNaN(got) {
		t.Errorf("%s = %v, want NaN", name, got)
	}
}
