package chart

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Series is one named line of (X, Y) points; NaN/Inf points are skipped
// (they break the line). X and Y must have the same length.
type Series struct {
	Name string
	X, Y []float64
}

// Mark is a vertical line at X with a label (e.g. "first token").
type Mark struct {
	X     float64
	Label string
}

// LineChart is a chart of one or more series drawn as lines over a linear
// x axis, with optional vertical marks. The zero value renders an empty
// chart with a "no data" notice.
type LineChart struct {
	Title         string
	XLabel        string // with unit, e.g. "time (s)"
	YLabel        string // with unit, e.g. "power (W)"
	Series        []Series
	Marks         []Mark
	Width, Height int  // 0 = defaults 640x320
	YFromZero     bool // include 0 in the y range
}

// SVG writes the chart as a standalone SVG document to w.
//
// Each series with a run of at least two consecutive finite points becomes
// one <path class="line series-N" data-name="..."> (runs of a single point
// are drawn as <circle class="point series-N"> instead); each mark becomes a
// <g class="mark">. A legend is drawn when there is more than one series or
// any series has a name (unnamed series are listed as "series N"). The x
// range covers the data and the marks. It returns an error, and writes
// nothing, if a series has len(X) != len(Y).
func (c LineChart) SVG(w io.Writer) error {
	for i, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("chart: series %d (%q): len(X) = %d, len(Y) = %d", i, s.Name, len(s.X), len(s.Y))
		}
	}
	W, H := size(c.Width, c.Height)

	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	points := 0
	for _, s := range c.Series {
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if finite(x) && finite(y) {
				xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
				ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
				points++
			}
		}
	}
	for _, m := range c.Marks {
		if finite(m.X) {
			xlo, xhi = math.Min(xlo, m.X), math.Max(xhi, m.X)
		}
	}

	seriesNames := make([]string, len(c.Series))
	for i, s := range c.Series {
		seriesNames[i] = s.Name
	}
	names := legendNames(seriesNames)

	top := titleHeight(c.Title)
	lx, ly, lh := legendLayout(names, 12, float64(W)-12, top)
	top += lh + 6
	bottom := float64(H) - 28
	if c.XLabel != "" {
		bottom -= 20
	}
	yTicks, y0, y1 := niceDomain(ylo, yhi, clamp(int((bottom-top)/45), 2, 8), c.YFromZero)
	left := leftMargin(maxLabelWidth(yTicks, newTickFormat(yTicks)), c.YLabel)
	right := float64(W) - 20
	xTicks, x0, x1 := niceDomain(xlo, xhi, clamp(int((right-left)/90), 2, 10), false)
	p := newBox(left, top, right, bottom)
	sx := scale{x0, x1, p.x, p.x + p.w}
	sy := scale{y0, y1, p.y + p.h, p.y}

	var s svg
	s.open(W, H, c.Title)
	s.legend(names, lx, ly, false)
	s.valueAxis(p, sy, yTicks, c.YLabel, true)
	s.valueAxis(p, sx, xTicks, c.XLabel, false)

	for i, m := range c.Marks {
		if !finite(m.X) {
			continue
		}
		x := sx.at(m.X)
		s.printf(`<g class="mark" data-name="%s"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#555555" stroke-width="1" stroke-dasharray="4 3"/>`,
			esc(m.Label), num(x), num(p.y), num(x), num(p.y+p.h))
		ty := p.y + 12 + float64(i%2)*14 // stagger neighbouring labels
		anchor, tx := "start", x+4
		if x > p.x+p.w/2 {
			anchor, tx = "end", x-4
		}
		s.printf(`<text x="%s" y="%s" text-anchor="%s" fill="#333333">%s</text></g>`+"\n", num(tx), num(ty), anchor, esc(m.Label))
	}

	if points == 0 {
		s.noData(p)
	}
	for i, sr := range c.Series {
		var d strings.Builder
		var run [][2]float64
		var singles [][2]float64
		flush := func() {
			switch {
			case len(run) == 1:
				singles = append(singles, run[0])
			case len(run) > 1:
				for k, pt := range run {
					cmd := "L"
					if k == 0 {
						cmd = "M"
					}
					fmt.Fprintf(&d, "%s%s %s", cmd, num(pt[0]), num(pt[1]))
				}
			}
			run = run[:0]
		}
		for j := range sr.X {
			if x, y := sr.X[j], sr.Y[j]; finite(x) && finite(y) {
				run = append(run, [2]float64{sx.at(x), sy.at(y)})
			} else {
				flush()
			}
		}
		flush()
		if d.Len() > 0 {
			s.printf(`<path class="line series-%d" data-name="%s" d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`+"\n",
				i, esc(sr.Name), d.String(), colour(i))
		}
		for _, pt := range singles {
			s.printf(`<circle class="point series-%d" data-name="%s" cx="%s" cy="%s" r="2.5" fill="%s"/>`+"\n",
				i, esc(sr.Name), num(pt[0]), num(pt[1]), colour(i))
		}
	}
	s.close()
	_, err := w.Write(s.Bytes())
	return err
}
