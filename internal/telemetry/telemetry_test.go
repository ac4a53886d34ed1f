package telemetry

import (
	"io"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

func f(v float64) *float64 { return &v }

// scrape reads the metrics the handler serves, as Prometheus would.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, b)
	}
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	sum, found := 0.0, false
next:
	for _, m := range fam.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	if !found {
		t.Fatalf("no %s series with %v", name, labels)
	}
	return sum
}

func TestObserveInBaseUnits(t *testing.T) {
	m := New()
	r := lab.Record{Status: lab.StatusOK, Provider: "builtin"}
	r.Tokens.Input, r.Tokens.Output = 100, 20
	r.Timing.TTFTMs = f(250)
	r.Energy = lab.Energy{Source: energy.Measured, Meter: "rapl", TotalWh: f(0.02), PrefillWh: f(0.005), DecodeWh: f(0.015),
		Domains: []lab.DomainEnergy{{ID: "intel-rapl:0", PrefillWh: f(0.004), DecodeWh: f(0.012)}, {ID: "intel-rapl:0:0", PrefillWh: f(0.001), DecodeWh: f(0.003)}}}
	r.Energy.Active.PrefillWh, r.Energy.Active.DecodeWh = f(0.002), f(0.01)
	r.Carbon.GCO2e = f(0.009)
	r.Estimates = []lab.Estimate{{Family: "jegham", Boundary: "node-pue", Wh: nil}, {Family: "aes", Boundary: "gpu", Wh: f(0.5)}}
	m.Observe(r)
	m.Observe(lab.Record{Status: lab.StatusFailed, Provider: "groq", Tokens: lab.Tokens{Input: 7}})
	m.SetMeter("rapl", true)
	m.SetMeter("nvml", false)
	fams := scrape(t, m)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9*math.Max(1, want) }
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"energylab_runs_total", map[string]string{"provider": "builtin", "status": "ok"}, 1},
		{"energylab_runs_total", map[string]string{"provider": "groq", "status": "failed"}, 1},
		{"energylab_tokens_total", map[string]string{"provider": "builtin", "kind": "input"}, 100},
		{"energylab_energy_joules_total", map[string]string{"meter": "rapl", "phase": "prefill"}, 0.005 * 3600},
		{"energylab_energy_joules_total", map[string]string{"domain": "intel-rapl:0", "phase": "decode"}, 0.012 * 3600},
		{"energylab_energy_joules_total", map[string]string{"source": "measured"}, 0.02 * 3600},
		{"energylab_active_energy_joules_total", map[string]string{"phase": "decode"}, 0.01 * 3600},
		{"energylab_unmetered_runs_total", map[string]string{"provider": "groq"}, 1},
		{"energylab_estimated_energy_joules_total", map[string]string{"family": "aes", "boundary": "gpu"}, 0.5 * 3600},
		{"energylab_emissions_grams_total", map[string]string{"meter": "rapl"}, 0.009},
		{"energylab_time_to_first_token_seconds", map[string]string{"provider": "builtin"}, 1},
		{"energylab_meter_available", map[string]string{"meter": "nvml"}, 0},
		{"energylab_meter_available", map[string]string{"meter": "rapl"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels); !near(got, c.want) {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The failed groq run had no energy: no energy series for it.
	for _, m := range fams["energylab_energy_joules_total"].Metric {
		for _, l := range m.Label {
			if l.GetValue() == "groq" {
				t.Errorf("an energy series for a run without energy: %v", m)
			}
		}
	}
	if _, ok := fams["process_cpu_seconds_total"]; !ok {
		t.Error("no process collector")
	}
}
