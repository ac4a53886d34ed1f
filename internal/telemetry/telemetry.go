// Package telemetry is the lab's own Prometheus metrics: what every run it
// served measured, in base units, on a private registry with bounded labels
// (provider, status, meter, domain, phase — never the model or the prompt),
// so that a fleet's Prometheus can collect what each lab instance measured.
package telemetry

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Metrics holds the lab's collectors.
type Metrics struct {
	reg *prometheus.Registry

	runs       *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	energy     *prometheus.CounterVec
	active     *prometheus.CounterVec
	unmetered  *prometheus.CounterVec
	estimated  *prometheus.CounterVec
	carbon     *prometheus.CounterVec
	ttft       *prometheus.HistogramVec
	meterAvail *prometheus.GaugeVec

	mu sync.Mutex
}

const ns = "energylab"

// New registers the lab's metrics on a fresh registry (with the Go and
// process collectors).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "runs_total",
		Help: "Runs stored, by provider and final status (ok, failed, cancelled)."}, []string{"provider", "status"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "tokens_total",
		Help: "Tokens of the stored runs, by provider and kind (input, output)."}, []string{"provider", "kind"})
	m.energy = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "energy_joules_total",
		Help: "Gross energy the runs' meters saw (idle included), by meter, source (measured, modelled), domain and phase (prefill, decode)."},
		[]string{"meter", "source", "domain", "phase"})
	m.active = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "active_energy_joules_total",
		Help: "Energy above the idle baseline, by meter and phase (runs with a baseline only)."}, []string{"meter", "phase"})
	m.unmetered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "unmetered_runs_total",
		Help: "Runs without an energy figure (cloud models, meter none, failures before the first reading), by provider."}, []string{"provider"})
	m.estimated = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "estimated_energy_joules_total",
		Help: "Benchmark-estimated energy of the runs, by estimate family and boundary."}, []string{"family", "boundary"})
	m.carbon = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "emissions_grams_total",
		Help: "Grams CO2e of the runs' gross energy (grid factor x PUE), by meter."}, []string{"meter"})
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "time_to_first_token_seconds",
		Help: "Request sent to first token, by provider.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}, []string{"provider"})
	m.meterAvail = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "meter_available",
		Help: "1 when the meter can be read on this host, 0 when not (see energylab meters for why)."}, []string{"meter"})
	m.reg.MustRegister(m.runs, m.tokens, m.energy, m.active, m.unmetered, m.estimated, m.carbon, m.ttft, m.meterAvail,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// SetMeter records whether a meter is available.
func (m *Metrics) SetMeter(name string, available bool) {
	v := 0.0
	if available {
		v = 1
	}
	m.meterAvail.WithLabelValues(name).Set(v)
}

const joulesPerWh = 3600

// Observe adds a stored run. Absent figures add nothing (they are absent,
// not zero): a run without energy counts in unmetered_runs_total instead.
func (m *Metrics) Observe(r lab.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := r.Provider
	if p == "" {
		p = "unknown"
	}
	m.runs.WithLabelValues(p, string(r.Status)).Inc()
	m.tokens.WithLabelValues(p, "input").Add(float64(max(r.Tokens.Input, 0)))
	m.tokens.WithLabelValues(p, "output").Add(float64(max(r.Tokens.Output, 0)))
	if r.Timing.TTFTMs != nil {
		m.ttft.WithLabelValues(p).Observe(*r.Timing.TTFTMs / 1000)
	}
	e := r.Energy
	if e.TotalWh == nil {
		m.unmetered.WithLabelValues(p).Inc()
	} else {
		add := func(domain, phase string, wh *float64) {
			if wh != nil && *wh > 0 {
				m.energy.WithLabelValues(e.Meter, string(e.Source), domain, phase).Add(*wh * joulesPerWh)
			}
		}
		if len(e.Domains) > 0 {
			for _, d := range e.Domains {
				add(d.ID, "prefill", d.PrefillWh)
				add(d.ID, "decode", d.DecodeWh)
			}
		} else {
			add("all", "prefill", e.PrefillWh)
			add("all", "decode", e.DecodeWh)
		}
		for phase, wh := range map[string]*float64{"prefill": e.Active.PrefillWh, "decode": e.Active.DecodeWh} {
			if wh != nil && *wh > 0 {
				m.active.WithLabelValues(e.Meter, phase).Add(*wh * joulesPerWh)
			}
		}
		if r.Carbon.GCO2e != nil && *r.Carbon.GCO2e > 0 {
			m.carbon.WithLabelValues(e.Meter).Add(*r.Carbon.GCO2e)
		}
	}
	for _, x := range r.Estimates {
		if x.Wh != nil && *x.Wh > 0 {
			m.estimated.WithLabelValues(x.Family, x.Boundary).Add(*x.Wh * joulesPerWh)
			break
		}
	}
}
