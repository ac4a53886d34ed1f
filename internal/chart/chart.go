// Package chart renders line and bar charts as standalone SVG documents,
// server-side and with the standard library only, for the lab's web pages
// and CLI reports.
//
// Output is deterministic (the same input gives the same bytes), all text is
// XML-escaped, coordinates carry at most two decimals, and elements carry CSS
// classes ("title", "axis", "grid", "line", "bar", "legend", "mark",
// "errorbar", "no-data", "series-N") plus data-* attributes so that tests and
// pages can find them. Colours come from the colour-blind-friendly
// Okabe–Ito palette.
package chart

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// palette is the Okabe–Ito colour-blind-friendly palette, ordered so that
// the low-contrast yellow comes late.
var palette = []string{
	"#0072B2", // blue
	"#E69F00", // orange
	"#009E73", // bluish green
	"#D55E00", // vermillion
	"#CC79A7", // reddish purple
	"#56B4E9", // sky blue
	"#000000", // black
	"#F0E442", // yellow
}

func colour(i int) string { return palette[i%len(palette)] }

const (
	defaultWidth  = 640
	defaultHeight = 320
	charWidth     = 7 // rough advance of one character at font-size 12
	legendRow     = 18
)

// Ticks returns "nice" axis tick values (1, 2, 2.5 or 5 x 10^k steps)
// covering [lo, hi] with about n ticks: the first tick is <= lo, the last is
// >= hi, and every tick is a multiple of the step. Values are rounded to the
// step's decimals, so Ticks(0, 1, 5) is exactly 0, 0.2, 0.4, 0.6, 0.8, 1.
// If lo > hi they are swapped; if lo == hi the range is padded around the
// value (by 10% of it, or by 1 around zero). n < 2 is treated as 5. It
// returns nil if lo or hi is NaN or infinite.
func Ticks(lo, hi float64, n int) []float64 {
	if !finite(lo) || !finite(hi) {
		return nil
	}
	if n < 2 {
		n = 5
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	raw := hi/float64(n) - lo/float64(n) // split to avoid overflow of hi-lo
	exp := math.Floor(math.Log10(raw))
	mag := math.Pow(10, exp)
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	if !(step > 0) || !finite(step) {
		return []float64{lo, hi}
	}
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	// Decimals needed to print the step exactly (2.5 x 10^k needs one more).
	dec := int(-exp) + 1
	var out []float64
	for i := first; i <= last && len(out) < 1000; i++ {
		v := i * step
		if dec > 0 && dec < 300 {
			p := math.Pow(10, float64(dec))
			v = math.Round(v*p) / p
		}
		if v == 0 {
			v = 0 // no negative zero
		}
		if finite(v) {
			out = append(out, v)
		}
	}
	if len(out) < 2 {
		return []float64{lo, hi}
	}
	return out
}

// tickFormat formats the tick labels of one axis compactly, with one SI
// suffix (k, M, G, T) chosen from the largest tick.
type tickFormat struct {
	div    float64
	suffix string
	step   float64
	sci    bool // tiny values: exponent notation such as 2.5e-9
}

func newTickFormat(ticks []float64) tickFormat {
	f := tickFormat{div: 1}
	maxAbs := 0.0
	for i, t := range ticks {
		maxAbs = math.Max(maxAbs, math.Abs(t))
		if i > 0 {
			if d := math.Abs(t - ticks[i-1]); d > 0 && (f.step == 0 || d < f.step) {
				f.step = d
			}
		}
	}
	if maxAbs > 0 && maxAbs < 1e-4 {
		f.sci = true
		return f
	}
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if maxAbs >= u.div {
			f.div, f.suffix = u.div, u.suffix
			break
		}
	}
	return f
}

func (f tickFormat) label(v float64) string {
	if f.sci {
		return scientific(v, f.step)
	}
	s := compact(v/f.div, f.step/f.div)
	if s == "0" {
		return s
	}
	return s + f.suffix
}

// compact prints v with the fewest decimals that represent it to within a
// millionth of step (so 0.30000000000000004 prints as 0.3).
func compact(v, step float64) string {
	if !finite(v) {
		return ""
	}
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	tol := math.Abs(step) * 1e-6
	if tol == 0 {
		tol = math.Abs(v) * 1e-9
	}
	for p := 0; p <= 12; p++ {
		s := strconv.FormatFloat(v, 'f', p, 64)
		if back, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(back-v) <= tol {
			if back == 0 {
				return "0"
			}
			return s
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// scientific prints v in exponent notation with the fewest mantissa
// digits that represent it to within a millionth of step: 2.5e-9.
func scientific(v, step float64) string {
	if v == 0 || !finite(v) {
		return compact(v, step)
	}
	tol := math.Abs(step) * 1e-6
	s := strconv.FormatFloat(v, 'e', -1, 64)
	for p := 0; p <= 12; p++ {
		t := strconv.FormatFloat(v, 'e', p, 64)
		if back, err := strconv.ParseFloat(t, 64); err == nil && math.Abs(back-v) <= tol {
			s = t
			break
		}
	}
	mant, exp, _ := strings.Cut(s, "e")
	sign := ""
	if exp[0] == '-' || exp[0] == '+' {
		if exp[0] == '-' {
			sign = "-"
		}
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		return mant
	}
	return mant + "e" + sign + exp
}

// num prints a coordinate with at most two decimals.
func num(v float64) string {
	if !finite(v) {
		return "0"
	}
	v = math.Round(v*100) / 100
	if v == 0 {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// value prints a data value exactly (shortest round-trip form).
func value(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// esc escapes s for use in XML text and attribute values, replacing
// characters XML cannot carry by U+FFFD and line breaks by spaces.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s) * charWidth) }

// truncate shortens s with an ellipsis so that it fits in about maxW pixels.
func truncate(s string, maxW float64) string {
	if textWidth(s) <= maxW {
		return s
	}
	n := int(maxW/charWidth) - 1
	if n < 1 {
		n = 1
	}
	r := []rune(s)
	if n >= len(r) {
		return s
	}
	return string(r[:n]) + "…"
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

func size(w, h int) (int, int) {
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	return w, h
}

// box is the plot area in SVG coordinates.
type box struct{ x, y, w, h float64 }

func newBox(x, y, right, bottom float64) box {
	return box{x: x, y: y, w: math.Max(right-x, 1), h: math.Max(bottom-y, 1)}
}

// scale maps the domain [d0, d1] linearly onto the range [r0, r1].
type scale struct{ d0, d1, r0, r1 float64 }

func (s scale) at(v float64) float64 {
	den := s.d1/2 - s.d0/2
	if den == 0 {
		return (s.r0 + s.r1) / 2
	}
	return s.r0 + (v/2-s.d0/2)/den*(s.r1-s.r0)
}

// niceDomain extends [lo, hi] to nice tick bounds and returns the ticks.
func niceDomain(lo, hi float64, n int, fromZero bool) (ticks []float64, d0, d1 float64) {
	if !finite(lo) || !finite(hi) || lo > hi {
		lo, hi = 0, 1
	}
	if fromZero {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
		if lo == 0 && hi == 0 {
			hi = 1
		}
	}
	ticks = Ticks(lo, hi, n)
	if len(ticks) < 2 {
		return []float64{lo}, lo - 1, lo + 1
	}
	return ticks, ticks[0], ticks[len(ticks)-1]
}

// svg accumulates the document; it is written out only once complete.
type svg struct{ bytes.Buffer }

func (s *svg) printf(format string, a ...any) { fmt.Fprintf(&s.Buffer, format, a...) }

func (s *svg) open(w, h int, title string) {
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	s.printf("<title>%s</title>\n", esc(title))
	s.printf(`<rect class="background" x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", w, h)
	if title != "" {
		s.printf(`<text class="title" x="%s" y="20" text-anchor="middle" font-size="14" font-weight="bold">%s</text>`+"\n",
			num(float64(w)/2), esc(truncate(title, float64(w-16))))
	}
}

func (s *svg) close() { s.printf("</svg>\n") }

// titleHeight is the vertical space taken by the title row.
func titleHeight(title string) float64 {
	if title == "" {
		return 10
	}
	return 32
}

// legendLayout places legend entries left to right, wrapping at right; it
// returns the position of each entry and the total height used.
func legendLayout(names []string, left, right, top float64) (xs, ys []float64, height float64) {
	x, y := left, top
	for _, n := range names {
		w := 18 + textWidth(n) + 16
		if x > left && x+w > right {
			x, y = left, y+legendRow
		}
		xs, ys = append(xs, x), append(ys, y)
		x += w
	}
	if len(names) > 0 {
		height = y - top + legendRow
	}
	return xs, ys, height
}

// legend draws the entries laid out by legendLayout; bars get a square
// swatch, lines a short stroke.
func (s *svg) legend(names []string, xs, ys []float64, bars bool) {
	if len(names) == 0 {
		return
	}
	s.printf("<g class=\"legend\">\n")
	for i, n := range names {
		x, y := xs[i], ys[i]+legendRow/2
		s.printf(`<g class="legend-item series-%d" data-name="%s">`, i, esc(n))
		if bars {
			s.printf(`<rect x="%s" y="%s" width="12" height="12" fill="%s"/>`, num(x+1), num(y-6), colour(i))
		} else {
			s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"/>`, num(x), num(y), num(x+14), num(y), colour(i))
		}
		s.printf(`<text x="%s" y="%s" dominant-baseline="middle">%s</text></g>`+"\n", num(x+18), num(y), esc(n))
	}
	s.printf("</g>\n")
}

// valueAxis draws grid lines, tick marks, tick labels, the axis line and the
// axis label of a linear axis: along the left edge when vertical, otherwise
// along the bottom edge.
func (s *svg) valueAxis(p box, sc scale, ticks []float64, label string, vertical bool) {
	f := newTickFormat(ticks)
	s.printf("<g class=\"grid\" stroke=\"#e5e5e5\" stroke-width=\"1\">\n")
	for _, t := range ticks {
		c := num(sc.at(t))
		if vertical {
			s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(p.x), c, num(p.x+p.w), c)
		} else {
			s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", c, num(p.y), c, num(p.y+p.h))
		}
	}
	s.printf("</g>\n")
	axis := "axis-x"
	if vertical {
		axis = "axis-y"
	}
	s.printf("<g class=\"axis %s\">\n", axis)
	if vertical {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", num(p.x), num(p.y), num(p.x), num(p.y+p.h))
	} else {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", num(p.x), num(p.y+p.h), num(p.x+p.w), num(p.y+p.h))
	}
	for _, t := range ticks {
		c := num(sc.at(t))
		if vertical {
			s.printf(`<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`, num(p.x-5), c, num(p.x), c)
			s.printf(`<text class="tick-label" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", num(p.x-8), c, esc(f.label(t)))
		} else {
			bottom := p.y + p.h
			s.printf(`<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`, c, num(bottom), c, num(bottom+5))
			s.printf(`<text class="tick-label" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", c, num(bottom+18), esc(f.label(t)))
		}
	}
	s.printf("</g>\n")
	s.axisLabel(p, label, vertical, maxLabelWidth(ticks, f))
}

func maxLabelWidth(ticks []float64, f tickFormat) float64 {
	w := 0.0
	for _, t := range ticks {
		w = math.Max(w, textWidth(f.label(t)))
	}
	return w
}

// axisLabel writes the label of the left axis (rotated, left of tick labels
// that are labelW wide) or of the bottom axis.
func (s *svg) axisLabel(p box, label string, vertical bool, labelW float64) {
	if label == "" {
		return
	}
	if vertical {
		x, y := p.x-labelW-18, p.y+p.h/2
		s.printf(`<text class="axis-label axis-label-y" x="%s" y="%s" text-anchor="middle" transform="rotate(-90 %s %s)">%s</text>`+"\n",
			num(x), num(y), num(x), num(y), esc(truncate(label, p.h)))
		return
	}
	s.printf(`<text class="axis-label axis-label-x" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
		num(p.x+p.w/2), num(p.y+p.h+38), esc(truncate(label, p.w)))
}

// noData writes the centred "no data" notice.
func (s *svg) noData(p box) {
	s.printf(`<text class="no-data" x="%s" y="%s" text-anchor="middle" dominant-baseline="middle" fill="#666666">no data</text>`+"\n",
		num(p.x+p.w/2), num(p.y+p.h/2))
}

// leftMargin is the room needed left of the plot for tick labels of width
// labelW and, if present, a rotated axis label.
func leftMargin(labelW float64, axisLabel string) float64 {
	m := labelW + 16
	if axisLabel != "" {
		m += 20
	}
	return m
}

// legendNames are the legend's entries: unnamed series are "series N", and
// a single unnamed series gets no legend (nil).
func legendNames(names []string) []string {
	named := false
	out := make([]string, len(names))
	for i, n := range names {
		named = named || n != ""
		if n == "" {
			n = fmt.Sprintf("series %d", i+1)
		}
		out[i] = n
	}
	if len(names) < 2 && !named {
		return nil
	}
	return out
}
