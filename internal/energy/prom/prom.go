// Package prom is a meter that reads energy counters from a Prometheus
// exporter the host already runs — node_exporter's RAPL collector,
// Scaphandre, Kepler, NVIDIA's DCGM exporter — by scraping its /metrics at
// each snapshot, instead of installing an agent of the lab's own. Each
// series the selector keeps is one domain. A metric the exporter does not
// serve, an exporter that cannot be reached, or a series that disappears is
// an error, never a zero; a counter that goes backwards (an exporter
// restart) is left to the sampler, which flags it as a counter reset.
package prom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Preset describes one exporter's energy counters.
type Preset struct {
	Name string
	// Metrics are the counter names summed (each matching series is a
	// domain).
	Metrics []string
	// Unit is the counters' unit in microjoules (1e6 for joules).
	Unit float64
	// Boundary is each metric's physical scope.
	Boundary map[string]energy.Boundary
	// Source is measured for hardware counters, modelled for attributed
	// shares (Kepler's per-container energy).
	Source energy.Source
	// UpdatePeriod is how often the exporter's values change.
	UpdatePeriod time.Duration
	// Power is true when the metrics are power gauges (Unit in µW per
	// unit) rather than energy counters: the meter integrates them
	// between its readings.
	Power bool
	// Description is one line for humans, naming the metrics' origin.
	Description string
}

// Presets are the exporters the lab knows. Metric names are the exporters'
// own (node_exporter rapl collector; Scaphandre's prometheus exporter;
// Kepler; dcgm-exporter's DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION in mJ).
var Presets = map[string]Preset{
	"node_rapl": {Name: "node_rapl", Metrics: []string{"node_rapl_package_joules_total", "node_rapl_dram_joules_total"}, Unit: 1e6,
		Boundary: map[string]energy.Boundary{"node_rapl_package_joules_total": energy.BoundaryCPUPackage, "node_rapl_dram_joules_total": energy.BoundaryDRAM},
		Source:   energy.Measured, UpdatePeriod: time.Millisecond,
		Description: "node_exporter's rapl collector: the host's RAPL package and DRAM counters, read when scraped"},
	"scaphandre": {Name: "scaphandre", Metrics: []string{"scaph_host_energy_microjoules"}, Unit: 1,
		Boundary: map[string]energy.Boundary{"scaph_host_energy_microjoules": energy.BoundaryPlatform},
		Source:   energy.Measured, UpdatePeriod: 2 * time.Second,
		Description: "Scaphandre's host energy counter (RAPL psys or package, as Scaphandre reads it)"},
	"kepler": {Name: "kepler", Metrics: []string{"kepler_node_package_joules_total", "kepler_node_dram_joules_total"}, Unit: 1e6,
		Boundary: map[string]energy.Boundary{"kepler_node_package_joules_total": energy.BoundaryCPUPackage, "kepler_node_dram_joules_total": energy.BoundaryDRAM},
		Source:   energy.Measured, UpdatePeriod: 3 * time.Second,
		Description: "Kepler's node-level package and DRAM energy (hardware counters, sampled by Kepler)"},
	"kepler_container": {Name: "kepler_container", Metrics: []string{"kepler_container_package_joules_total", "kepler_container_dram_joules_total"}, Unit: 1e6,
		Boundary: map[string]energy.Boundary{"kepler_container_package_joules_total": energy.BoundaryCPUPackage, "kepler_container_dram_joules_total": energy.BoundaryDRAM},
		Source:   energy.Modelled, UpdatePeriod: 3 * time.Second,
		Description: "Kepler's per-container energy: a share of the node's counters attributed by Kepler's model (select the container that serves the model)"},
	"scaphandre_process": {Name: "scaphandre_process", Metrics: []string{"scaph_process_power_consumption_microwatts"}, Unit: 1, Power: true,
		Boundary: map[string]energy.Boundary{"scaph_process_power_consumption_microwatts": energy.BoundaryCPUPackage},
		Source:   energy.Modelled, UpdatePeriod: 2 * time.Second,
		Description: "Scaphandre's per-process power (its attribution of host power by CPU time; select the serving process, e.g. exe=\"ollama\"), integrated between readings"},
	"dcgm": {Name: "dcgm", Metrics: []string{"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"}, Unit: 1e3,
		Boundary: map[string]energy.Boundary{"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": energy.BoundaryGPU},
		Source:   energy.Measured, UpdatePeriod: time.Second,
		Description: "NVIDIA dcgm-exporter's total energy per GPU (mJ since the driver loaded)"},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var n []string
	for k := range Presets {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Matcher keeps series whose label matches: Name=Value, or the regular
// expression Value (anchored) with Regexp.
type Matcher struct {
	Name, Value string
	re          *regexp.Regexp
}

func (m Matcher) matches(labels map[string]string) bool {
	v := labels[m.Name]
	if m.re != nil {
		return m.re.MatchString(v)
	}
	return v == m.Value
}

func (m Matcher) String() string {
	if m.re != nil {
		return m.Name + "=~" + m.Value
	}
	return m.Name + "=" + m.Value
}

// labelName is a Prometheus label name (the classic character set).
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseSelector parses "a=b,c=~d.*" (commas between matchers; = exact,
// =~ an anchored regular expression; values may be quoted).
func ParseSelector(s string) ([]Matcher, error) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "{}"))
	if s == "" {
		return nil, nil
	}
	var out []Matcher
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		re := false
		k, v, ok := strings.Cut(part, "=~")
		if ok {
			re = true
		} else if k, v, ok = strings.Cut(part, "="); !ok {
			return nil, fmt.Errorf("selector %q: %q is not label=value or label=~regex", s, part)
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if !labelName.MatchString(k) {
			return nil, fmt.Errorf("selector %q: %q is not a label name", s, k)
		}
		m := Matcher{Name: k, Value: v}
		if re {
			r, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return nil, fmt.Errorf("selector %q: %w", s, err)
			}
			m.re = r
		}
		out = append(out, m)
	}
	return out, nil
}

// Options configure a Meter.
type Options struct {
	// URL is the exporter's metrics URL, e.g. http://gpu-host:9400/metrics.
	URL    string
	Preset string
	// Selector keeps some series (a host, a container, a GPU).
	Selector string
	HTTP     *http.Client
	// Timeout bounds one scrape (default 5 s).
	Timeout time.Duration
}

// Meter scrapes an exporter.
type Meter struct {
	url     string
	client  *http.Client
	timeout time.Duration
	preset  Preset
	sel     []Matcher
	info    energy.Info
	// keys are the domains' series keys, in Info.Domains order.
	keys []string
	// integ holds, for a power preset, each series' integrated energy.
	mu    sync.Mutex
	integ map[string]*integral
}

// integral is a power gauge integrated by trapezoids between readings.
type integral struct {
	uj     float64
	lastUW float64
	lastAt time.Time
}

// New checks the options and scrapes once to find the domains.
func New(ctx context.Context, o Options) (*Meter, error) {
	p, ok := Presets[o.Preset]
	if !ok {
		return nil, fmt.Errorf("prometheus meter: unknown preset %q (presets: %s)", o.Preset, strings.Join(PresetNames(), ", "))
	}
	if !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") {
		return nil, fmt.Errorf("prometheus meter: %q is not an http(s) URL of an exporter's /metrics", o.URL)
	}
	sel, err := ParseSelector(o.Selector)
	if err != nil {
		return nil, fmt.Errorf("prometheus meter: %w", err)
	}
	m := &Meter{url: o.URL, client: o.HTTP, timeout: o.Timeout, preset: p, sel: sel}
	if m.client == nil {
		m.client = http.DefaultClient
	}
	if m.timeout <= 0 {
		m.timeout = 5 * time.Second
	}
	series, err := m.scrape(ctx)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("prometheus meter: %s serves none of %s%s: %w (is it the right exporter, and is its energy collector on?)",
			m.url, strings.Join(p.Metrics, ", "), m.selString(), energy.ErrUnavailable)
	}
	var doms []energy.Domain
	for _, s := range series {
		doms = append(doms, energy.Domain{ID: s.key, Name: s.metric, Boundary: p.Boundary[s.metric]})
		m.keys = append(m.keys, s.key)
	}
	bounds := map[energy.Boundary]bool{}
	var bl []string
	for _, d := range doms {
		if !bounds[d.Boundary] {
			bounds[d.Boundary] = true
			bl = append(bl, string(d.Boundary))
		}
	}
	m.info = energy.Info{Name: "prometheus", Source: p.Source,
		Boundary:     fmt.Sprintf("%s (%d series from %s%s)", strings.Join(bl, "+"), len(doms), m.url, m.selString()),
		Domains:      doms,
		Resolution:   energy.Energy(math.Max(1, p.Unit/1e6)),
		UpdatePeriod: p.UpdatePeriod,
		Description:  p.Description + "; scraped at each snapshot"}
	if p.Source == energy.Modelled {
		m.info.Assumptions = []string{"the exporter attributes node energy to the selected series by its own model"}
	}
	if p.Power {
		m.integ = map[string]*integral{}
		m.info.Assumptions = append(m.info.Assumptions, "the series are power gauges, integrated by trapezoids between the meter's readings (every poll during a run): energy between two readings assumes power changed linearly")
	}
	return m, nil
}

func (m *Meter) selString() string {
	if len(m.sel) == 0 {
		return ""
	}
	var s []string
	for _, x := range m.sel {
		s = append(s, x.String())
	}
	return "{" + strings.Join(s, ",") + "}"
}

// Info describes the meter (a copy: callers may change it).
func (m *Meter) Info() energy.Info {
	i := m.info
	i.Domains = append([]energy.Domain(nil), i.Domains...)
	i.Assumptions = append([]string(nil), i.Assumptions...)
	i.Excluded = append([]string(nil), i.Excluded...)
	return i
}

type series struct {
	key, metric string
	value       float64
}

// scrape fetches and parses the exporter's metrics and returns the kept
// series, sorted by key.
func (m *Meter) scrape(ctx context.Context) ([]series, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus meter: %w", err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus meter: cannot reach the exporter at %s: %w: %w", m.url, err, energy.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("prometheus meter: %s answered %s: %w", m.url, resp.Status, energy.ErrUnavailable)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("prometheus meter: read %s: %w", m.url, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		return nil, fmt.Errorf("prometheus meter: %s does not serve the Prometheus text format: %w", m.url, err)
	}
	var out []series
	for _, name := range m.preset.Metrics {
		fam, ok := fams[name]
		if !ok {
			continue
		}
		for _, mt := range fam.Metric {
			labels := map[string]string{}
			for _, l := range mt.Label {
				labels[l.GetName()] = l.GetValue()
			}
			keep := true
			for _, s := range m.sel {
				keep = keep && s.matches(labels)
			}
			if !keep {
				continue
			}
			v, ok := number(mt)
			if !ok {
				continue
			}
			out = append(out, series{key: key(name, labels), metric: name, value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

func number(m *dto.Metric) (float64, bool) {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	case m.Gauge != nil: // DCGM exports its energy counter as a gauge
		return m.Gauge.GetValue(), true
	}
	return 0, false
}

// key is a series' identity: its metric and sorted labels.
func key(metric string, labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(metric)
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// ErrSeriesGone marks a domain whose series is no longer served.
var ErrSeriesGone = errors.New("series no longer served")

// Read scrapes the exporter and returns each domain's counter.
func (m *Meter) Read(ctx context.Context) (energy.Reading, error) {
	series, err := m.scrape(ctx)
	t := time.Now()
	if err != nil {
		return energy.Reading{}, err
	}
	byKey := make(map[string]float64, len(series))
	for _, s := range series {
		byKey[s.key] = s.value
	}
	r := energy.Reading{Time: t, Counters: make([]energy.Counter, len(m.keys))}
	for i, k := range m.keys {
		v, ok := byKey[k]
		if !ok {
			return energy.Reading{}, fmt.Errorf("prometheus meter: %s: %w by %s", k, ErrSeriesGone, m.url)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return energy.Reading{}, fmt.Errorf("prometheus meter: %s is %v, not an energy counter value", k, v)
		}
		if m.integ != nil {
			r.Counters[i] = energy.Counter{Domain: k, Energy: m.integrate(k, v*m.preset.Unit, t)}
			continue
		}
		r.Counters[i] = energy.Counter{Domain: k, Energy: energy.Energy(math.Round(v * m.preset.Unit))}
	}
	return r, nil
}

// integrate adds power uw (µW) at t to series k's integral and returns it.
func (m *Meter) integrate(k string, uw float64, t time.Time) energy.Energy {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.integ[k]
	if g == nil {
		g = &integral{}
		m.integ[k] = g
	}
	if !g.lastAt.IsZero() && t.After(g.lastAt) {
		g.uj += (g.lastUW + uw) / 2 * t.Sub(g.lastAt).Seconds()
	}
	g.lastUW, g.lastAt = uw, t
	return energy.Energy(math.Round(g.uj))
}
