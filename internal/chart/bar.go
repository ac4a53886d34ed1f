package chart

import (
	"fmt"
	"io"
	"math"
)

// Stack is one named layer of a (stacked) bar chart: Values[i] belongs to
// Categories[i]. NaN/Inf values draw no bar.
type Stack struct {
	Name   string
	Values []float64
}

// BarChart is a bar chart over categories. With one Stack it draws plain
// bars from zero (negative values go below zero); with several it stacks
// them in order, first Stack at the base. The zero value renders an empty
// chart with a "no data" notice.
type BarChart struct {
	Title         string
	YLabel        string // with unit
	Categories    []string
	Stacks        []Stack   // one stack = plain bars; several = stacked bars (values must be >= 0 when stacked)
	Low, High     []float64 // optional error bars/intervals per category (same length as Categories, NaN = none), drawn over the bar total
	Horizontal    bool      // bars drawn horizontally (categories on the y axis) — useful for long category names
	Width, Height int       // 0 = defaults 640x320
}

// SVG writes the chart as a standalone SVG document to w.
//
// Every finite value becomes one <rect class="bar series-N"> carrying
// data-name (the stack name), data-category and data-value (the value in
// full precision); every category where both Low and High are finite gets a
// <path class="errorbar">. A legend is drawn when there is more than one
// stack or any stack has a name. Category labels too wide for their slot
// are shortened with an ellipsis (use Horizontal for long names).
//
// It returns an error, and writes nothing, if a stack's length differs from
// len(Categories), if Low or High is non-nil with a different length, or if
// a stacked chart has a negative value.
func (c BarChart) SVG(w io.Writer) error {
	nc := len(c.Categories)
	stacked := len(c.Stacks) > 1
	for i, st := range c.Stacks {
		if len(st.Values) != nc {
			return fmt.Errorf("chart: stack %d (%q): %d values for %d categories", i, st.Name, len(st.Values), nc)
		}
		for j, v := range st.Values {
			if stacked && v < 0 {
				return fmt.Errorf("chart: stack %d (%q): negative value %v for category %q in a stacked chart", i, st.Name, v, c.Categories[j])
			}
		}
	}
	if c.Low != nil && len(c.Low) != nc {
		return fmt.Errorf("chart: %d Low values for %d categories", len(c.Low), nc)
	}
	if c.High != nil && len(c.High) != nc {
		return fmt.Errorf("chart: %d High values for %d categories", len(c.High), nc)
	}
	W, H := size(c.Width, c.Height)

	interval := func(j int) (lo, hi float64, ok bool) {
		if c.Low == nil || c.High == nil || !finite(c.Low[j]) || !finite(c.High[j]) {
			return 0, 0, false
		}
		return c.Low[j], c.High[j], true
	}
	lo, hi, bars := 0.0, 0.0, 0
	for j := range nc {
		total := 0.0
		for _, st := range c.Stacks {
			if v := st.Values[j]; finite(v) {
				total += v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				bars++
			}
		}
		hi = math.Max(hi, total)
		if l, h, ok := interval(j); ok {
			lo, hi = math.Min(lo, math.Min(l, h)), math.Max(hi, math.Max(l, h))
		}
	}

	stackNames := make([]string, len(c.Stacks))
	for i, st := range c.Stacks {
		stackNames[i] = st.Name
	}
	names := legendNames(stackNames)

	top := titleHeight(c.Title)
	lx, ly, lh := legendLayout(names, 12, float64(W)-12, top)
	top += lh + 6
	right := float64(W) - 20
	bottom := float64(H) - 28
	var p box
	var ticks []float64
	var vs scale // value scale
	if c.Horizontal {
		if c.YLabel != "" {
			bottom -= 20
		}
		catW := 0.0
		for _, cat := range c.Categories {
			catW = math.Max(catW, textWidth(cat))
		}
		left := 22 + math.Min(catW, float64(W)*0.4)
		var d0, d1 float64
		ticks, d0, d1 = niceDomain(lo, hi, clamp(int((right-left)/90), 2, 10), true)
		p = newBox(left, top, right, bottom)
		vs = scale{d0, d1, p.x, p.x + p.w}
	} else {
		var d0, d1 float64
		ticks, d0, d1 = niceDomain(lo, hi, clamp(int((bottom-top)/45), 2, 8), true)
		left := leftMargin(maxLabelWidth(ticks, newTickFormat(ticks)), c.YLabel)
		p = newBox(left, top, right, bottom)
		vs = scale{d0, d1, p.y + p.h, p.y}
	}

	var s svg
	s.open(W, H, c.Title)
	s.legend(names, lx, ly, true)
	s.valueAxis(p, vs, ticks, c.YLabel, !c.Horizontal)
	s.categoryAxis(p, c.Categories, c.Horizontal)
	if bars == 0 {
		s.noData(p)
		s.close()
		_, err := w.Write(s.Bytes())
		return err
	}

	// slot returns the position of category j's bar across the category
	// axis: its start, its thickness and its centre.
	band := p.w
	if c.Horizontal {
		band = p.h
	}
	band /= float64(nc)
	thick := band * 0.7
	slot := func(j int) (start, centre float64) {
		origin := p.x
		if c.Horizontal {
			origin = p.y
		}
		centre = origin + band*(float64(j)+0.5)
		return centre - thick/2, centre
	}
	// span converts the value interval [a, b] into a start and a length
	// along the value axis.
	span := func(a, b float64) (start, length float64) {
		pa, pb := vs.at(a), vs.at(b)
		return math.Min(pa, pb), math.Abs(pa - pb)
	}

	s.printf("<g class=\"bars\">\n")
	for j, cat := range c.Categories {
		base := 0.0
		at, _ := slot(j)
		for i, st := range c.Stacks {
			v := st.Values[j]
			if !finite(v) {
				continue
			}
			vStart, vLen := span(base, base+v)
			if stacked {
				base += v
			}
			x, y, bw, bh := at, vStart, thick, vLen
			if c.Horizontal {
				x, y, bw, bh = vStart, at, vLen, thick
			}
			tip := cat
			if st.Name != "" {
				tip += ", " + st.Name
			}
			s.printf(`<rect class="bar series-%d" data-name="%s" data-category="%s" data-value="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>`+"\n",
				i, esc(st.Name), esc(cat), value(v), num(x), num(y), num(bw), num(bh), colour(i), esc(tip), value(v))
		}
	}
	s.printf("</g>\n")
	if vs.d0 < 0 && vs.d1 > 0 { // baseline for bars going both ways
		z := num(vs.at(0))
		if c.Horizontal {
			s.printf(`<line class="zero" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", z, num(p.y), z, num(p.y+p.h))
		} else {
			s.printf(`<line class="zero" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", num(p.x), z, num(p.x+p.w), z)
		}
	}

	capW := math.Min(thick/4, 6)
	for j, cat := range c.Categories {
		l, h, ok := interval(j)
		if !ok {
			continue
		}
		_, mid := slot(j)
		a, b := vs.at(l), vs.at(h)
		var d string
		if c.Horizontal {
			d = fmt.Sprintf("M%s %sH%sM%s %sV%sM%s %sV%s",
				num(a), num(mid), num(b),
				num(a), num(mid-capW), num(mid+capW),
				num(b), num(mid-capW), num(mid+capW))
		} else {
			d = fmt.Sprintf("M%s %sV%sM%s %sH%sM%s %sH%s",
				num(mid), num(a), num(b),
				num(mid-capW), num(a), num(mid+capW),
				num(mid-capW), num(b), num(mid+capW))
		}
		s.printf(`<path class="errorbar" data-category="%s" data-low="%s" data-high="%s" d="%s" fill="none" stroke="#222222" stroke-width="1.5"/>`+"\n",
			esc(cat), value(l), value(h), d)
	}
	s.close()
	_, err := w.Write(s.Bytes())
	return err
}

// categoryAxis draws the category axis with one tick and label per
// category: along the left edge when vertical, otherwise along the bottom.
func (s *svg) categoryAxis(p box, cats []string, vertical bool) {
	axis := "axis-x"
	if vertical {
		axis = "axis-y"
	}
	s.printf("<g class=\"axis %s axis-category\">\n", axis)
	if vertical {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", num(p.x), num(p.y), num(p.x), num(p.y+p.h))
	} else {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`+"\n", num(p.x), num(p.y+p.h), num(p.x+p.w), num(p.y+p.h))
	}
	n := float64(len(cats))
	for j, cat := range cats {
		if vertical {
			band := p.h / n
			c := num(p.y + band*(float64(j)+0.5))
			s.printf(`<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`, num(p.x-5), c, num(p.x), c)
			s.printf(`<text class="tick-label" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n",
				num(p.x-8), c, esc(truncate(cat, p.x-16)))
		} else {
			band := p.w / n
			c := num(p.x + band*(float64(j)+0.5))
			bottom := p.y + p.h
			s.printf(`<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>`, c, num(bottom), c, num(bottom+5))
			s.printf(`<text class="tick-label" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
				c, num(bottom+18), esc(truncate(cat, band-4)))
		}
	}
	s.printf("</g>\n")
}
