package energy

import (
	"fmt"
	"math"
	"time"
)

// Energy is an amount of energy in microjoules. It is signed so that
// differences (for example idle-subtracted "active" energy) can be negative;
// cumulative counters are never negative.
type Energy int64

// Units of Energy.
const (
	Microjoule Energy = 1
	Millijoule Energy = 1000
	Joule      Energy = 1000000
	// WattHour is 3,600 J.
	WattHour Energy = 3600 * Joule
)

// Joules returns e in joules.
func (e Energy) Joules() float64 { return float64(e) / float64(Joule) }

// WattHours returns e in watt-hours (1 Wh = 3,600 J).
func (e Energy) WattHours() float64 { return float64(e) / float64(WattHour) }

// String formats e with a unit suited to its size.
func (e Energy) String() string {
	a := math.Abs(float64(e))
	switch {
	case a >= float64(WattHour):
		return fmt.Sprintf("%.4g Wh", e.WattHours())
	case a >= float64(Joule):
		return fmt.Sprintf("%.4g J", e.Joules())
	case a >= float64(Millijoule):
		return fmt.Sprintf("%.4g mJ", float64(e)/float64(Millijoule))
	default:
		return fmt.Sprintf("%d µJ", int64(e))
	}
}

// JoulesOf converts a float number of joules to Energy, rounding to the
// nearest microjoule.
func JoulesOf(j float64) Energy { return Energy(math.Round(j * float64(Joule))) }

// WattHoursOf converts a float number of watt-hours to Energy.
func WattHoursOf(wh float64) Energy { return Energy(math.Round(wh * float64(WattHour))) }

// Power is a rate of energy in microwatts.
type Power int64

// Units of Power.
const (
	Microwatt Power = 1
	Milliwatt Power = 1000
	Watt      Power = 1000000
)

// Watts returns p in watts.
func (p Power) Watts() float64 { return float64(p) / float64(Watt) }

// String formats p in watts.
func (p Power) String() string { return fmt.Sprintf("%.3g W", p.Watts()) }

// WattsOf converts a float number of watts to Power.
func WattsOf(w float64) Power { return Power(math.Round(w * float64(Watt))) }

// Over returns the energy p delivers over d. It computes in float64 so that
// long windows at high power cannot overflow.
func (p Power) Over(d time.Duration) Energy {
	return Energy(math.Round(float64(p) * d.Seconds()))
}

// PowerOf returns the mean power of e spent over d; zero when d <= 0.
func PowerOf(e Energy, d time.Duration) Power {
	if d <= 0 {
		return 0
	}
	return Power(math.Round(float64(e) / d.Seconds()))
}
