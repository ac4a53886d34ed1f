package prom

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// QueryOptions configure a QueryMeter.
type QueryOptions struct {
	// Server is the Prometheus server's base URL, e.g. http://prom:9090.
	Server   string
	Preset   string
	Selector string
	HTTP     *http.Client
	// Lookback is how far back a query looks for samples (default 5m).
	Lookback time.Duration
}

// QueryMeter reads the preset's counters from a Prometheus server that
// scrapes the exporter, instead of scraping it directly. Prometheus only
// knows the counters at its scrape instants, so a reading at t is the last
// sample extrapolated to t along the rate of the last two samples: with a
// constant power that is exact, and in general the error of each reading is
// at most the change in power within one scrape interval times that
// interval. The scrape interval is found from the samples and reported as
// the meter's update period, so windows shorter than two intervals are
// flagged.
type QueryMeter struct {
	api      v1.API
	server   string
	preset   Preset
	query    string
	lookback time.Duration
	keys     []string
	info     energy.Info
	// stale is how old the newest sample may be before the series counts
	// as no longer scraped.
	stale time.Duration
}

// NewQuery checks the options and queries once to find the series and the
// scrape interval.
func NewQuery(ctx context.Context, o QueryOptions) (*QueryMeter, error) {
	p, ok := Presets[o.Preset]
	if !ok {
		return nil, fmt.Errorf("promql meter: unknown preset %q (presets: %s)", o.Preset, strings.Join(PresetNames(), ", "))
	}
	if !strings.HasPrefix(o.Server, "http://") && !strings.HasPrefix(o.Server, "https://") {
		return nil, fmt.Errorf("promql meter: %q is not an http(s) URL of a Prometheus server", o.Server)
	}
	sel, err := ParseSelector(o.Selector)
	if err != nil {
		return nil, fmt.Errorf("promql meter: %w", err)
	}
	cfg := api.Config{Address: strings.TrimSuffix(o.Server, "/")}
	if o.HTTP != nil {
		cfg.Client = o.HTTP
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("promql meter: %w", err)
	}
	m := &QueryMeter{api: v1.NewAPI(c), server: o.Server, preset: p, lookback: o.Lookback}
	if m.lookback <= 0 {
		m.lookback = 5 * time.Minute
	}
	names := make([]string, len(p.Metrics))
	for i, n := range p.Metrics {
		names[i] = regexpQuote(n)
	}
	matchers := []string{`__name__=~"` + strings.Join(names, "|") + `"`}
	for _, s := range sel {
		op := "="
		if s.re != nil {
			op = "=~"
		}
		matchers = append(matchers, s.Name+op+strconv.Quote(s.Value))
	}
	m.query = "{" + strings.Join(matchers, ",") + "}"
	series, err := m.samples(ctx, time.Now())
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("promql meter: %s has no samples of %s in the last %s: %w (is the exporter a scrape target, and up?)",
			m.server, m.query, m.lookback, energy.ErrUnavailable)
	}
	var gaps []time.Duration
	var doms []energy.Domain
	for _, s := range series {
		doms = append(doms, energy.Domain{ID: s.key, Name: s.metric, Boundary: p.Boundary[s.metric]})
		m.keys = append(m.keys, s.key)
		for i := 1; i < len(s.points); i++ {
			gaps = append(gaps, s.points[i].t.Sub(s.points[i-1].t))
		}
	}
	interval := time.Minute
	if len(gaps) > 0 {
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		interval = gaps[len(gaps)/2]
	}
	m.stale = 3*interval + 5*time.Second
	m.info = energy.Info{Name: "promql", Source: p.Source,
		Boundary:     fmt.Sprintf("%s (%d series via Prometheus at %s)", boundaries(doms), len(doms), m.server),
		Domains:      doms,
		Resolution:   energy.Energy(math.Max(1, p.Unit/1e6)),
		UpdatePeriod: max(interval, p.UpdatePeriod),
		Description: fmt.Sprintf("%s, as Prometheus scraped it every %s; a reading between scrapes is the last sample extrapolated along the last two (error at most the change in power within one scrape interval × that interval)",
			p.Description, interval)}
	if p.Source == energy.Modelled {
		m.info.Assumptions = []string{"the exporter attributes node energy to the selected series by its own model"}
	}
	return m, nil
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func boundaries(doms []energy.Domain) string {
	seen := map[energy.Boundary]bool{}
	var out []string
	for _, d := range doms {
		if !seen[d.Boundary] {
			seen[d.Boundary] = true
			out = append(out, string(d.Boundary))
		}
	}
	return strings.Join(out, "+")
}

type point struct {
	t time.Time
	v float64
}

type qseries struct {
	key, metric string
	points      []point
}

// samples returns each series' raw samples over the lookback before t.
func (m *QueryMeter) samples(ctx context.Context, t time.Time) ([]qseries, error) {
	q := fmt.Sprintf("%s[%ds]", m.query, int(m.lookback.Seconds()))
	val, _, _, err := m.api.Query(ctx, q, t)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("promql meter: query %s at %s: %v: %w", m.server, q, err, energy.ErrUnavailable)
	}
	mat, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("promql meter: %s answered %s for a range selector", m.server, val.Type())
	}
	var out []qseries
	for _, ss := range mat {
		labels := map[string]string{}
		metric := string(ss.Metric[model.MetricNameLabel])
		for k, v := range ss.Metric {
			if k != model.MetricNameLabel {
				labels[string(k)] = string(v)
			}
		}
		s := qseries{key: key(metric, labels), metric: metric}
		for _, sp := range ss.Values {
			s.points = append(s.points, point{t: sp.Timestamp.Time(), v: float64(sp.Value)})
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// Info describes the meter (a copy).
func (m *QueryMeter) Info() energy.Info {
	i := m.info
	i.Domains = append([]energy.Domain(nil), i.Domains...)
	i.Assumptions = append([]string(nil), i.Assumptions...)
	return i
}

// Read returns each series' counter extrapolated to now.
func (m *QueryMeter) Read(ctx context.Context) (energy.Reading, error) {
	t := time.Now()
	series, err := m.samples(ctx, t)
	if err != nil {
		return energy.Reading{}, err
	}
	by := make(map[string]qseries, len(series))
	for _, s := range series {
		by[s.key] = s
	}
	r := energy.Reading{Time: t, Counters: make([]energy.Counter, len(m.keys))}
	for i, k := range m.keys {
		s, ok := by[k]
		if !ok || len(s.points) == 0 {
			return energy.Reading{}, fmt.Errorf("promql meter: %s: %w at %s", k, ErrSeriesGone, m.server)
		}
		last := s.points[len(s.points)-1]
		if age := t.Sub(last.t); age > m.stale {
			return energy.Reading{}, fmt.Errorf("promql meter: %s was last scraped %s ago: is its target down?: %w", k, age.Round(time.Second), ErrSeriesGone)
		}
		v := extrapolate(s.points, t)
		r.Counters[i] = energy.Counter{Domain: k, Energy: energy.Energy(math.Round(v * m.preset.Unit))}
	}
	return r, nil
}

// extrapolate carries the last sample to t along the rate of the last two
// (not across a reset, where the counter went backwards).
func extrapolate(ps []point, t time.Time) float64 {
	last := ps[len(ps)-1]
	if len(ps) < 2 {
		return last.v
	}
	prev := ps[len(ps)-2]
	dt := last.t.Sub(prev.t).Seconds()
	if dt <= 0 || last.v < prev.v {
		return last.v
	}
	return last.v + (last.v-prev.v)/dt*t.Sub(last.t).Seconds()
}
