package stats

import (
	"encoding/json"
	"math"
)

// JSON: encoding/json cannot encode NaN or infinities, which these types
// use for "undefined" (an interval from one value, a CV of a zero mean).
// They are written as null, with snake_case names.

// num is a float written as null when it is not finite.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func (n *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = num(f)
	return nil
}

func nums(xs []float64) []num {
	out := make([]num, len(xs))
	for i, x := range xs {
		out[i] = num(x)
	}
	return out
}

func floats(xs []num) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

type summaryJSON struct {
	N      int `json:"n"`
	Mean   num `json:"mean"`
	Median num `json:"median"`
	SD     num `json:"sd"`
	Min    num `json:"min"`
	Max    num `json:"max"`
	P5     num `json:"p5"`
	P95    num `json:"p95"`
	CV     num `json:"cv"`
	CILow  num `json:"ci_low"`
	CIHigh num `json:"ci_high"`
}

// MarshalJSON writes undefined figures as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summaryJSON{s.N, num(s.Mean), num(s.Median), num(s.SD), num(s.Min), num(s.Max), num(s.P5), num(s.P95), num(s.CV), num(s.CILow), num(s.CIHigh)})
}

// UnmarshalJSON reads what MarshalJSON wrote (null as NaN).
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Summary{N: j.N, Mean: float64(j.Mean), Median: float64(j.Median), SD: float64(j.SD), Min: float64(j.Min), Max: float64(j.Max),
		P5: float64(j.P5), P95: float64(j.P95), CV: float64(j.CV), CILow: float64(j.CILow), CIHigh: float64(j.CIHigh)}
	return nil
}

type ratioJSON struct {
	Value num `json:"value"`
	Low   num `json:"low"`
	High  num `json:"high"`
	N1    int `json:"n1"`
	N2    int `json:"n2"`
}

// MarshalJSON writes undefined figures as null.
func (r Ratio) MarshalJSON() ([]byte, error) {
	return json.Marshal(ratioJSON{num(r.Value), num(r.Low), num(r.High), r.N1, r.N2})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	var j ratioJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Ratio{Value: float64(j.Value), Low: float64(j.Low), High: float64(j.High), N1: j.N1, N2: j.N2}
	return nil
}

type differenceJSON struct {
	Value  num `json:"value"`
	Low    num `json:"low"`
	High   num `json:"high"`
	PValue num `json:"p_value"`
	N1     int `json:"n1"`
	N2     int `json:"n2"`
}

// MarshalJSON writes undefined figures as null.
func (d Difference) MarshalJSON() ([]byte, error) {
	return json.Marshal(differenceJSON{num(d.Value), num(d.Low), num(d.High), num(d.PValue), d.N1, d.N2})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (d *Difference) UnmarshalJSON(b []byte) error {
	var j differenceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Difference{Value: float64(j.Value), Low: float64(j.Low), High: float64(j.High), PValue: float64(j.PValue), N1: j.N1, N2: j.N2}
	return nil
}

type fitJSON struct {
	Coef   []num `json:"coef"`
	StdErr []num `json:"std_err"`
	R2     num   `json:"r2"`
	AdjR2  num   `json:"adj_r2"`
	RMSE   num   `json:"rmse"`
	N      int   `json:"n"`
}

// MarshalJSON writes undefined figures as null.
func (f Fit) MarshalJSON() ([]byte, error) {
	return json.Marshal(fitJSON{nums(f.Coef), nums(f.StdErr), num(f.R2), num(f.AdjR2), num(f.RMSE), f.N})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Fit) UnmarshalJSON(b []byte) error {
	var j fitJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fit{Coef: floats(j.Coef), StdErr: floats(j.StdErr), R2: float64(j.R2), AdjR2: float64(j.AdjR2), RMSE: float64(j.RMSE), N: j.N}
	return nil
}
