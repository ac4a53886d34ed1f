package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// elem is one parsed SVG element with its attributes and direct text.
type elem struct {
	name  string
	attrs map[string]string
	text  string
}

func (e elem) hasClass(c string) bool {
	return slices.Contains(strings.Fields(e.attrs["class"]), c)
}

func (e elem) float(t *testing.T, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", e.name, attr, e.attrs[attr], err)
	}
	return v
}

// parse decodes the whole document as XML and returns its elements in
// document order; it fails the test on any decoding error.
func parse(t *testing.T, doc []byte) []elem {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out []elem
	var stack []int
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := elem{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].text += string(tok)
			}
		}
	}
	if len(out) == 0 || out[0].name != "svg" {
		t.Fatalf("root is not <svg>:\n%s", doc)
	}
	root := out[0]
	if root.attrs["role"] != "img" || root.attrs["viewBox"] == "" || root.attrs["width"] == "" || root.attrs["height"] == "" {
		t.Errorf("root attributes incomplete: %v", root.attrs)
	}
	if !strings.Contains(string(doc), `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("missing SVG namespace")
	}
	if len(out) < 2 || out[1].name != "title" {
		t.Error("first child is not <title>")
	}
	return out
}

func find(es []elem, name, class string) []elem {
	var out []elem
	for _, e := range es {
		if e.name == name && (class == "" || e.hasClass(class)) {
			out = append(out, e)
		}
	}
	return out
}

var longDecimal = regexp.MustCompile(`\d\.\d{3,}`)

// checkCommon checks properties every rendered document must have.
func checkCommon(t *testing.T, doc []byte) []elem {
	t.Helper()
	es := parse(t, doc)
	for _, bad := range []string{"NaN", "Inf", "0.30000000000000004"} {
		if bytes.Contains(doc, []byte(bad)) {
			t.Errorf("output contains %q", bad)
		}
	}
	for _, e := range es {
		for k, v := range e.attrs {
			if !strings.HasPrefix(k, "data-") && longDecimal.MatchString(v) {
				t.Errorf("<%s %s=%q> has more than 2 decimals", e.name, k, v)
			}
		}
	}
	if len(find(es, "text", "tick-label")) < 2 {
		t.Error("fewer than 2 tick labels")
	}
	if len(find(es, "line", "tick")) < 2 {
		t.Error("fewer than 2 tick marks")
	}
	if len(find(es, "g", "axis")) != 2 {
		t.Error("want 2 axes")
	}
	return es
}

func render(t *testing.T, c interface{ SVG(io.Writer) error }) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := c.SVG(&b); err != nil {
		t.Fatalf("SVG: %v", err)
	}
	return b.Bytes()
}

func isNiceStep(step float64) bool {
	m := step / math.Pow(10, math.Floor(math.Log10(step)))
	for _, n := range []float64{1, 2, 2.5, 5, 10} {
		if math.Abs(m-n) < 1e-9 {
			return true
		}
	}
	return false
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
	}{
		{0, 1, 5}, {0.003, 0.0171, 5}, {-3, 7, 5}, {5, 5, 5}, {0, 0, 5}, {-2, -2, 4},
		{0, 1234567, 5}, {1e-9, 3e-9, 4}, {10, 0, 5}, {0, 100, 1}, {-0.5, 0.25, 6},
	} {
		ticks := Ticks(tc.lo, tc.hi, tc.n)
		lo, hi := math.Min(tc.lo, tc.hi), math.Max(tc.lo, tc.hi)
		if len(ticks) < 2 || ticks[0] > lo || ticks[len(ticks)-1] < hi {
			t.Errorf("Ticks(%v, %v, %d) = %v: does not cover the range", tc.lo, tc.hi, tc.n, ticks)
			continue
		}
		if tc.lo == tc.hi && !(ticks[0] < lo && ticks[len(ticks)-1] > hi) {
			t.Errorf("Ticks(%v, %v, %d) = %v: equal bounds not padded", tc.lo, tc.hi, tc.n, ticks)
		}
		n := max(tc.n, 2)
		if len(ticks) > 2*n+2 {
			t.Errorf("Ticks(%v, %v, %d) = %v: too many ticks", tc.lo, tc.hi, tc.n, ticks)
		}
		step := ticks[1] - ticks[0]
		if !isNiceStep(step) {
			t.Errorf("Ticks(%v, %v, %d) = %v: step %v is not nice", tc.lo, tc.hi, tc.n, ticks, step)
		}
		for i := 1; i < len(ticks); i++ {
			if d := ticks[i] - ticks[i-1]; math.Abs(d-step) > step*1e-6 {
				t.Errorf("Ticks(%v, %v, %d) = %v: uneven steps", tc.lo, tc.hi, tc.n, ticks)
				break
			}
		}
		f := newTickFormat(ticks)
		for _, tk := range ticks {
			if l := f.label(tk); len(l) > 8 {
				t.Errorf("Ticks(%v, %v, %d): label %q for %v is not compact", tc.lo, tc.hi, tc.n, l, tk)
			}
		}
	}

	if got, want := Ticks(0, 1, 5), []float64{0, 0.2, 0.4, 0.6, 0.8, 1}; !slices.Equal(got, want) {
		t.Errorf("Ticks(0, 1, 5) = %v, want %v", got, want)
	}
	if got, want := Ticks(-3, 7, 5), []float64{-4, -2, 0, 2, 4, 6, 8}; !slices.Equal(got, want) {
		t.Errorf("Ticks(-3, 7, 5) = %v, want %v", got, want)
	}
	if got, want := Ticks(0.003, 0.0171, 5), []float64{0, 0.005, 0.01, 0.015, 0.02}; !slices.Equal(got, want) {
		t.Errorf("Ticks(0.003, 0.0171, 5) = %v, want %v", got, want)
	}
	if got := Ticks(math.NaN(), 1, 5); got != nil {
		t.Errorf("Ticks(NaN, 1, 5) = %v, want nil", got)
	}
	if got := Ticks(0, math.Inf(1), 5); got != nil {
		t.Errorf("Ticks(0, +Inf, 5) = %v, want nil", got)
	}
}

func TestTickLabels(t *testing.T) {
	labels := func(ticks []float64) []string {
		f := newTickFormat(ticks)
		var out []string
		for _, tk := range ticks {
			out = append(out, f.label(tk))
		}
		return out
	}
	for _, tc := range []struct {
		ticks []float64
		want  []string
	}{
		{Ticks(0, 1, 5), []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{[]float64{0, 0.1, 0.2, 0.30000000000000004}, []string{"0", "0.1", "0.2", "0.3"}},
		{Ticks(0.003, 0.0171, 5), []string{"0", "0.005", "0.01", "0.015", "0.02"}},
		{[]float64{0, 0.0006, 0.0012}, []string{"0", "0.0006", "0.0012"}},
		{[]float64{0, 0.25, 0.5}, []string{"0", "0.25", "0.5"}},
		{[]float64{0, 500, 1000, 1500}, []string{"0", "0.5k", "1k", "1.5k"}},
		{[]float64{0, 1e6, 2e6}, []string{"0", "1M", "2M"}},
		{[]float64{-2500, 0, 2500}, []string{"-2.5k", "0", "2.5k"}},
		{[]float64{-4, -2, 0, 2}, []string{"-4", "-2", "0", "2"}},
		{[]float64{0, 2.5e9, 5e9}, []string{"0", "2.5G", "5G"}},
	} {
		if got := labels(tc.ticks); !slices.Equal(got, tc.want) {
			t.Errorf("labels(%v) = %q, want %q", tc.ticks, got, tc.want)
		}
	}
}

const nasty = `a<b & "c" 'd'>`

func TestLineChart(t *testing.T) {
	c := LineChart{
		Title:  "Power " + nasty,
		XLabel: "time (s)",
		YLabel: "power (W)",
		Series: []Series{
			{Name: "gpu " + nasty, X: []float64{0, 1, 2, 3}, Y: []float64{100, 250, 240, 120}},
			{Name: "cpu", X: []float64{0, 1, 2, 3, 3.5}, Y: []float64{30, 45, math.NaN(), 35, 33}},
			{Name: "dram", X: []float64{0, 1, 2, 3}, Y: []float64{5, 6, 6, 5}},
		},
		Marks: []Mark{{X: 0.4, Label: "first <token>"}, {X: 2.5, Label: "done"}},
	}
	doc := render(t, c)
	es := checkCommon(t, doc)

	if es[1].text != c.Title {
		t.Errorf("<title> = %q, want %q", es[1].text, c.Title)
	}
	if titles := find(es, "text", "title"); len(titles) != 1 || titles[0].text != c.Title {
		t.Errorf("visible title = %v, want %q", titles, c.Title)
	}
	paths := find(es, "path", "line")
	if len(paths) != 3 {
		t.Fatalf("%d series paths, want 3", len(paths))
	}
	for i, p := range paths {
		if p.attrs["data-name"] != c.Series[i].Name {
			t.Errorf("path %d data-name = %q, want %q", i, p.attrs["data-name"], c.Series[i].Name)
		}
		if !p.hasClass("series-" + strconv.Itoa(i)) {
			t.Errorf("path %d lacks class series-%d: %q", i, i, p.attrs["class"])
		}
		if p.attrs["stroke"] != palette[i] {
			t.Errorf("path %d stroke = %q, want %q", i, p.attrs["stroke"], palette[i])
		}
	}
	// The NaN in "cpu" breaks its line into two runs: two moves.
	if got := strings.Count(paths[1].attrs["d"], "M"); got != 2 {
		t.Errorf("cpu path has %d runs, want 2: %q", got, paths[1].attrs["d"])
	}
	items := find(es, "g", "legend-item")
	if len(items) != 3 {
		t.Errorf("%d legend entries, want 3", len(items))
	}
	for i, it := range items {
		if it.attrs["data-name"] != c.Series[i].Name {
			t.Errorf("legend %d data-name = %q, want %q", i, it.attrs["data-name"], c.Series[i].Name)
		}
	}
	marks := find(es, "g", "mark")
	if len(marks) != 2 || marks[0].attrs["data-name"] != "first <token>" {
		t.Errorf("marks = %v", marks)
	}
	if n := len(find(es, "line", "")); n == 0 || !bytes.Contains(doc, []byte("stroke-dasharray")) {
		t.Error("marks are not dashed lines")
	}
	var labels []string
	for _, e := range find(es, "text", "axis-label") {
		labels = append(labels, e.text)
	}
	if !slices.Equal(labels, []string{"power (W)", "time (s)"}) {
		t.Errorf("axis labels = %q", labels)
	}
	if len(find(es, "line", "")) < 10 || len(find(es, "g", "grid")) != 2 {
		t.Error("missing grid lines")
	}
	if len(find(es, "text", "no-data")) != 0 {
		t.Error("no-data shown for a chart with data")
	}
}

// pathPoints parses the coordinates of an "M x yL x y..." path.
func pathPoints(t *testing.T, d string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, part := range regexp.MustCompile(`[ML]`).Split(d, -1) {
		if part == "" {
			continue
		}
		var x, y float64
		if _, err := fmtSscan(part, &x, &y); err != nil {
			t.Fatalf("bad path segment %q: %v", part, err)
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func fmtSscan(s string, x, y *float64) (int, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, errors.New("want 2 numbers")
	}
	var err error
	if *x, err = strconv.ParseFloat(f[0], 64); err != nil {
		return 0, err
	}
	*y, err = strconv.ParseFloat(f[1], 64)
	return 2, err
}

func TestLineChartGeometry(t *testing.T) {
	c := LineChart{Series: []Series{{X: []float64{0, 1, 2}, Y: []float64{1, 5, 3}}}, YFromZero: true}
	es := checkCommon(t, render(t, c))
	paths := find(es, "path", "line")
	if len(paths) != 1 {
		t.Fatalf("%d paths, want 1", len(paths))
	}
	pts := pathPoints(t, paths[0].attrs["d"])
	if len(pts) != 3 {
		t.Fatalf("points = %v", pts)
	}
	if !(pts[0][0] < pts[1][0] && pts[1][0] < pts[2][0]) {
		t.Errorf("x not increasing: %v", pts)
	}
	// SVG y grows downward: the higher value has the smaller y.
	if !(pts[1][1] < pts[2][1] && pts[2][1] < pts[0][1]) {
		t.Errorf("y order wrong for values 1, 5, 3: %v", pts)
	}
	// Equal steps in x map to equal distances.
	if d1, d2 := pts[1][0]-pts[0][0], pts[2][0]-pts[1][0]; math.Abs(d1-d2) > 0.02 {
		t.Errorf("uneven x spacing %v vs %v", d1, d2)
	}
	if len(find(es, "g", "legend")) != 0 {
		t.Error("legend drawn for a single unnamed series")
	}
	// A 0 tick label is present because of YFromZero.
	found := false
	for _, e := range find(es, "text", "tick-label") {
		found = found || e.text == "0"
	}
	if !found {
		t.Error("YFromZero: no 0 tick")
	}

	named := LineChart{Series: []Series{{Name: "only", X: []float64{0, 1}, Y: []float64{1, 2}}}}
	if items := find(checkCommon(t, render(t, named)), "g", "legend-item"); len(items) != 1 {
		t.Errorf("single named series: %d legend entries, want 1", len(items))
	}
}

func TestLineChartDegenerate(t *testing.T) {
	nan := math.NaN()
	for name, tc := range map[string]struct {
		c      LineChart
		noData bool
		paths  int
		points int
	}{
		"zero value":  {LineChart{}, true, 0, 0},
		"no points":   {LineChart{Series: []Series{{Name: "x"}}}, true, 0, 0},
		"all NaN":     {LineChart{Series: []Series{{X: []float64{nan, 1}, Y: []float64{1, math.Inf(1)}}}}, true, 0, 0},
		"one point":   {LineChart{Series: []Series{{X: []float64{3}, Y: []float64{7}}}}, false, 0, 1},
		"equal Y":     {LineChart{Series: []Series{{X: []float64{0, 1, 2}, Y: []float64{4, 4, 4}}}}, false, 1, 0},
		"zero Y":      {LineChart{Series: []Series{{X: []float64{0, 1}, Y: []float64{0, 0}}}, YFromZero: true}, false, 1, 0},
		"equal X":     {LineChart{Series: []Series{{X: []float64{2, 2}, Y: []float64{1, 3}}}}, false, 1, 0},
		"marks only":  {LineChart{Marks: []Mark{{X: 5, Label: "m"}, {X: nan}}}, true, 0, 0},
		"tiny canvas": {LineChart{Width: 5, Height: 5, Series: []Series{{X: []float64{0, 1}, Y: []float64{0, 1}}}}, false, 1, 0},
		"huge values": {LineChart{Series: []Series{{X: []float64{-1e300, 1e300}, Y: []float64{-1e308, 1e308}}}}, false, 1, 0},
		"tiny values": {LineChart{Series: []Series{{X: []float64{0, 1e-12}, Y: []float64{1e-15, 3e-15}}}}, false, 1, 0},
		"isolated":    {LineChart{Series: []Series{{X: []float64{0, 1, 2, 3, 4}, Y: []float64{1, nan, 2, 3, nan}}}}, false, 1, 1},
	} {
		t.Run(name, func(t *testing.T) {
			doc := render(t, tc.c)
			es := parse(t, doc)
			if bytes.Contains(doc, []byte("NaN")) || bytes.Contains(doc, []byte("Inf")) {
				t.Errorf("output contains NaN/Inf:\n%s", doc)
			}
			nd := find(es, "text", "no-data")
			if tc.noData != (len(nd) == 1) {
				t.Errorf("no-data shown = %v, want %v", len(nd) == 1, tc.noData)
			}
			if tc.noData && nd[0].text != "no data" {
				t.Errorf("no-data text = %q", nd[0].text)
			}
			if got := len(find(es, "path", "line")); got != tc.paths {
				t.Errorf("%d paths, want %d", got, tc.paths)
			}
			if got := len(find(es, "circle", "point")); got != tc.points {
				t.Errorf("%d points, want %d", got, tc.points)
			}
			if len(find(es, "g", "axis")) != 2 || len(find(es, "text", "tick-label")) < 2 {
				t.Error("axes missing")
			}
			// Tick labels on each axis are distinct (the range was padded).
			seen := map[string]bool{}
			for _, e := range find(es, "text", "tick-label") {
				key := e.attrs["x"] + "|" + e.text
				if seen[key] {
					t.Errorf("duplicate tick label %q", e.text)
				}
				seen[key] = true
			}
		})
	}
}

func TestBarChartStacked(t *testing.T) {
	c := BarChart{
		Title:      "Energy " + nasty,
		YLabel:     "energy (J)",
		Categories: []string{"prefill", "decode <&>", "idle"},
		Stacks: []Stack{
			{Name: "gpu " + nasty, Values: []float64{10, 40, 2}},
			{Name: "cpu", Values: []float64{5, 20, 0}},
		},
		Low:  []float64{12, math.NaN(), 1},
		High: []float64{18, 70, 3},
	}
	doc := render(t, c)
	es := checkCommon(t, doc)
	if es[1].text != c.Title {
		t.Errorf("<title> = %q", es[1].text)
	}
	rects := find(es, "rect", "bar")
	if len(rects) != 6 {
		t.Fatalf("%d bar rects, want 6", len(rects))
	}
	type key struct{ stack, cat string }
	byKey := map[key]elem{}
	for _, r := range rects {
		byKey[key{r.attrs["data-name"], r.attrs["data-category"]}] = r
	}
	ratio := math.NaN()
	for i, st := range c.Stacks {
		for j, cat := range c.Categories {
			r, ok := byKey[key{st.Name, cat}]
			if !ok {
				t.Fatalf("no rect for %q/%q", st.Name, cat)
			}
			if v := r.float(t, "data-value"); v != st.Values[j] {
				t.Errorf("data-value = %v, want %v", v, st.Values[j])
			}
			if !r.hasClass("series-"+strconv.Itoa(i)) || r.attrs["fill"] != palette[i] {
				t.Errorf("rect %q/%q: class %q fill %q", st.Name, cat, r.attrs["class"], r.attrs["fill"])
			}
			h := r.float(t, "height")
			if st.Values[j] == 0 {
				if h != 0 {
					t.Errorf("zero value has height %v", h)
				}
				continue
			}
			if math.IsNaN(ratio) {
				ratio = h / st.Values[j]
			} else if got := h / st.Values[j]; math.Abs(got-ratio) > 0.01*ratio+0.01 {
				t.Errorf("height/value for %q/%q = %v, want %v", st.Name, cat, got, ratio)
			}
		}
	}
	// The second stack sits directly on top of the first.
	for _, cat := range c.Categories {
		lower, upper := byKey[key{c.Stacks[0].Name, cat}], byKey[key{"cpu", cat}]
		if top, base := upper.float(t, "y")+upper.float(t, "height"), lower.float(t, "y"); math.Abs(top-base) > 0.02 {
			t.Errorf("%q: upper stack ends at %v, lower starts at %v", cat, top, base)
		}
		if lower.attrs["x"] != upper.attrs["x"] {
			t.Errorf("%q: stacks not aligned", cat)
		}
	}
	items := find(es, "g", "legend-item")
	if len(items) != 2 || items[0].attrs["data-name"] != c.Stacks[0].Name || items[1].attrs["data-name"] != "cpu" {
		t.Errorf("legend = %v", items)
	}
	eb := find(es, "path", "errorbar")
	if len(eb) != 2 {
		t.Fatalf("%d error bars, want 2", len(eb))
	}
	if eb[0].attrs["data-category"] != "prefill" || eb[1].attrs["data-category"] != "idle" {
		t.Errorf("error bars at %q, %q", eb[0].attrs["data-category"], eb[1].attrs["data-category"])
	}
	var cats []string
	for _, e := range find(es, "text", "tick-label") {
		cats = append(cats, e.text)
	}
	if !slices.Contains(cats, "decode <&>") {
		t.Errorf("category label missing from %q", cats)
	}
	if labels := find(es, "text", "axis-label"); len(labels) != 1 || labels[0].text != "energy (J)" {
		t.Errorf("axis labels = %v", labels)
	}
}

func TestBarChartPlain(t *testing.T) {
	c := BarChart{
		Categories: []string{"a", "b", "c", "d"},
		Stacks:     []Stack{{Values: []float64{1, 3, -2, math.NaN()}}},
	}
	es := checkCommon(t, render(t, c))
	rects := find(es, "rect", "bar")
	if len(rects) != 3 {
		t.Fatalf("%d rects, want 3 (NaN draws none)", len(rects))
	}
	if len(find(es, "g", "legend")) != 0 {
		t.Error("legend for a single unnamed stack")
	}
	a, b, neg := rects[0], rects[1], rects[2]
	// Higher value → smaller y (taller bar reaching further up).
	if !(b.float(t, "y") < a.float(t, "y")) {
		t.Errorf("y of 3 (%v) not above y of 1 (%v)", b.float(t, "y"), a.float(t, "y"))
	}
	zero := a.float(t, "y") + a.float(t, "height")
	if z := b.float(t, "y") + b.float(t, "height"); math.Abs(z-zero) > 0.02 {
		t.Errorf("positive bars do not share the baseline: %v vs %v", z, zero)
	}
	// The negative bar hangs down from the baseline.
	if y := neg.float(t, "y"); math.Abs(y-zero) > 0.02 {
		t.Errorf("negative bar starts at %v, baseline %v", y, zero)
	}
	if r := neg.float(t, "height") / a.float(t, "height"); math.Abs(r-2) > 0.01 {
		t.Errorf("height(-2)/height(1) = %v, want 2", r)
	}
	if neg.attrs["data-value"] != "-2" {
		t.Errorf("data-value = %q", neg.attrs["data-value"])
	}
}

func TestBarChartHorizontal(t *testing.T) {
	c := BarChart{
		Title:      "Models",
		YLabel:     "tokens/s",
		Categories: []string{"llama3.2:3b-instruct-q4_K_M", "qwen2.5:0.5b"},
		Stacks:     []Stack{{Name: "rate", Values: []float64{40, 120}}},
		Low:        []float64{35, 110},
		High:       []float64{45, 130},
		Horizontal: true,
	}
	es := checkCommon(t, render(t, c))
	rects := find(es, "rect", "bar")
	if len(rects) != 2 {
		t.Fatalf("%d rects, want 2", len(rects))
	}
	if r := rects[1].float(t, "width") / rects[0].float(t, "width"); math.Abs(r-3) > 0.01 {
		t.Errorf("width ratio = %v, want 3", r)
	}
	if rects[0].float(t, "x") != rects[1].float(t, "x") {
		t.Error("bars do not start at the same x")
	}
	if !(rects[0].float(t, "y") < rects[1].float(t, "y")) {
		t.Error("categories not top to bottom")
	}
	if len(find(es, "path", "errorbar")) != 2 {
		t.Error("want 2 error bars")
	}
	if len(find(es, "g", "axis-y")) != 1 || len(find(es, "g", "axis-category")) != 1 {
		t.Error("category axis not on y")
	}
	if len(find(es, "g", "legend-item")) != 1 {
		t.Error("named single stack: want a legend entry")
	}
}

func TestBarChartDegenerate(t *testing.T) {
	nan := math.NaN()
	for name, tc := range map[string]struct {
		c      BarChart
		noData bool
		rects  int
	}{
		"zero value":     {BarChart{}, true, 0},
		"no stacks":      {BarChart{Categories: []string{"a", "b"}}, true, 0},
		"all NaN":        {BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{nan}}}}, true, 0},
		"all zero":       {BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{0}}}}, false, 1},
		"all negative":   {BarChart{Categories: []string{"a", "b"}, Stacks: []Stack{{Values: []float64{-1, -5}}}}, false, 2},
		"stacked NaN":    {BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{nan}}, {Values: []float64{1}}}}, false, 1},
		"horizontal nil": {BarChart{Horizontal: true}, true, 0},
		"tiny canvas":    {BarChart{Width: 3, Height: 3, Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{1}}}}, false, 1},
	} {
		t.Run(name, func(t *testing.T) {
			doc := render(t, tc.c)
			es := parse(t, doc)
			if bytes.Contains(doc, []byte("NaN")) || bytes.Contains(doc, []byte("Inf")) {
				t.Errorf("output contains NaN/Inf:\n%s", doc)
			}
			nd := find(es, "text", "no-data")
			if tc.noData != (len(nd) == 1) {
				t.Errorf("no-data shown = %v, want %v", len(nd) == 1, tc.noData)
			}
			if got := len(find(es, "rect", "bar")); got != tc.rects {
				t.Errorf("%d rects, want %d", got, tc.rects)
			}
			if len(find(es, "g", "axis")) != 2 || len(find(es, "text", "tick-label")) < 2 {
				t.Error("axes missing")
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for name, c := range map[string]interface{ SVG(io.Writer) error }{
		"line X/Y":        LineChart{Series: []Series{{X: []float64{1, 2}, Y: []float64{1}}}},
		"line second":     LineChart{Series: []Series{{X: []float64{1}, Y: []float64{1}}, {X: nil, Y: []float64{1}}}},
		"bar values":      BarChart{Categories: []string{"a", "b"}, Stacks: []Stack{{Values: []float64{1}}}},
		"bar no cats":     BarChart{Stacks: []Stack{{Values: []float64{1}}}},
		"bar low":         BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{1}}}, Low: []float64{1, 2}, High: []float64{1}},
		"bar high":        BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{1}}}, High: []float64{}},
		"stacked neg":     BarChart{Categories: []string{"a", "b"}, Stacks: []Stack{{Values: []float64{1, 2}}, {Values: []float64{3, -1}}}},
		"stacked neg inf": BarChart{Categories: []string{"a"}, Stacks: []Stack{{Values: []float64{math.Inf(-1)}}, {Values: []float64{3}}}},
	} {
		var b bytes.Buffer
		if err := c.SVG(&b); err == nil {
			t.Errorf("%s: no error", name)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", name, b.Len())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestWriteError(t *testing.T) {
	if err := (LineChart{}).SVG(failWriter{}); err == nil {
		t.Error("LineChart: write error not returned")
	}
	if err := (BarChart{}).SVG(failWriter{}); err == nil {
		t.Error("BarChart: write error not returned")
	}
}

func TestDeterministic(t *testing.T) {
	mk := func() []interface{ SVG(io.Writer) error } {
		return []interface{ SVG(io.Writer) error }{
			LineChart{Title: "t", Series: []Series{{Name: "a", X: []float64{0, 0.1, 0.2}, Y: []float64{1.0 / 3, 2.0 / 3, 1}}, {Name: "b", X: []float64{0, 1}, Y: []float64{0.5, 0.7}}}, Marks: []Mark{{X: 0.15, Label: "m"}}},
			BarChart{Title: "t", Categories: []string{"x", "y"}, Stacks: []Stack{{Name: "p", Values: []float64{1.0 / 3, 2}}, {Name: "q", Values: []float64{1, 0.1}}}, Low: []float64{1, 2}, High: []float64{2, 3}},
		}
	}
	a, b := mk(), mk()
	for i := range a {
		first := render(t, a[i])
		for range 5 {
			if again := render(t, b[i]); !bytes.Equal(first, again) {
				t.Fatalf("chart %d: output differs between runs", i)
			}
		}
	}
}

func TestEscape(t *testing.T) {
	if got, want := esc("a<b>&\"c\"'\x01\n"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;\uFFFD "; got != want {
		t.Errorf("esc = %q, want %q", got, want)
	}
	// Control characters and invalid UTF-8 in names still give valid XML.
	c := LineChart{Title: "bad\x00\x1b[0m\xff", Series: []Series{{Name: "\x07", X: []float64{0, 1}, Y: []float64{0, 1}}}}
	parse(t, render(t, c))
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", math.Copysign(0, -1): "0", -0.001: "0", 1.005: "1", 12.3456: "12.35", 100: "100", -7.5: "-7.5", 0.30000000000000004: "0.3",
	} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestTinyTickLabels(t *testing.T) {
	ticks := Ticks(1e-9, 3e-9, 4)
	f := newTickFormat(ticks)
	var got []string
	for _, tk := range ticks {
		got = append(got, f.label(tk))
	}
	if want := []string{"1e-9", "1.5e-9", "2e-9", "2.5e-9", "3e-9"}; !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
}
