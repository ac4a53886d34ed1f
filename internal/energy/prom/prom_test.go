package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/metertest"
)

// exporter serves node_exporter-style RAPL counters driven by a known
// power profile: each counter is the integral of its share of the power
// since start, computed when scraped (as node_exporter reads RAPL).
type exporter struct {
	mu      sync.Mutex
	start   time.Time
	watts   float64
	offset  float64 // joules already played before the last power change
	since   time.Time
	reset   bool // serve the counters from zero (an exporter restart)
	missing bool // serve no energy metric at all
	status  int
}

func (e *exporter) joules(now time.Time) float64 {
	return e.offset + e.watts*now.Sub(e.since).Seconds()
}

func (e *exporter) setPower(w float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	e.offset = e.joules(now)
	e.since, e.watts = now, w
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.status != 0 {
		w.WriteHeader(e.status)
		return
	}
	j := e.joules(time.Now())
	base := [3]float64{1000, 2000, 50}
	if e.reset {
		j, base = 0.5, [3]float64{}
	}
	fmt.Fprintln(w, "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.")
	fmt.Fprintln(w, "# TYPE node_cpu_seconds_total counter")
	fmt.Fprintln(w, `node_cpu_seconds_total{cpu="0",mode="idle"} 12345.6`)
	if e.missing {
		return
	}
	fmt.Fprintln(w, "# HELP node_rapl_package_joules_total Current RAPL package value in joules")
	fmt.Fprintln(w, "# TYPE node_rapl_package_joules_total counter")
	fmt.Fprintf(w, "node_rapl_package_joules_total{index=\"0\",path=\"/sys/class/powercap/intel-rapl:0\"} %.6f\n", base[0]+0.8*j)
	fmt.Fprintf(w, "node_rapl_package_joules_total{index=\"1\",path=\"/sys/class/powercap/intel-rapl:1\"} %.6f\n", base[1]+0*j)
	fmt.Fprintln(w, "# TYPE node_rapl_dram_joules_total counter")
	fmt.Fprintf(w, "node_rapl_dram_joules_total{index=\"0\",path=\"/sys/class/powercap/intel-rapl:0:0\"} %.6f\n", base[2]+0.2*j)
}

func newExporter(t *testing.T, watts float64) (*exporter, *httptest.Server) {
	now := time.Now()
	e := &exporter{start: now, since: now, watts: watts}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

func TestMeterRecoversTheProgrammedEnergy(t *testing.T) {
	e, srv := newExporter(t, 40)
	m, err := New(context.Background(), Options{URL: srv.URL + "/metrics", Preset: "node_rapl", Selector: `index="0"`})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if len(info.Domains) != 2 || info.Source != energy.Measured || info.Domains[0].Boundary != energy.BoundaryCPUPackage && info.Domains[1].Boundary != energy.BoundaryCPUPackage {
		t.Fatalf("info %+v", info)
	}
	acc := energy.NewAccumulator(info.Domains)
	r0, err := m.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	acc.Add(r0)
	time.Sleep(150 * time.Millisecond)
	e.setPower(10)
	time.Sleep(100 * time.Millisecond)
	r1, err := m.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	acc.Add(r1)
	// Truth: the exporter's own integral between the two scrapes' instants
	// is within the scrape latency of the readings' timestamps; the selected
	// series carry 100% of the power (package 80% + dram 20%).
	var total energy.Energy
	for _, v := range acc.Totals() {
		total += v
	}
	got := total.Joules()
	dt1 := 0.150
	want := 40*dt1 + 10*(r1.Time.Sub(r0.Time).Seconds()-dt1)
	if math.Abs(got-want) > 0.05*want {
		t.Errorf("read %.3f J over %s, programmed about %.3f J", got, r1.Time.Sub(r0.Time), want)
	}
}

func TestMeterConformance(t *testing.T) {
	metertest.RunConformance(t, func(t *testing.T) energy.Meter {
		_, srv := newExporter(t, 25)
		m, err := New(context.Background(), Options{URL: srv.URL, Preset: "node_rapl"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestMeterFailuresAreErrorsNotZeros(t *testing.T) {
	ctx := context.Background()
	e, srv := newExporter(t, 10)
	if _, err := New(ctx, Options{URL: srv.URL, Preset: "nope"}); err == nil || !strings.Contains(err.Error(), "node_rapl") {
		t.Errorf("unknown preset: %v", err)
	}
	if _, err := New(ctx, Options{URL: "localhost:9100", Preset: "node_rapl"}); err == nil {
		t.Error("a URL without a scheme is accepted")
	}
	if _, err := New(ctx, Options{URL: srv.URL, Preset: "node_rapl", Selector: "index"}); err == nil {
		t.Error("a malformed selector is accepted")
	}
	if _, err := New(ctx, Options{URL: srv.URL, Preset: "node_rapl", Selector: `index="7"`}); !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), `index=7`) {
		t.Errorf("a selector matching nothing: %v", err)
	}
	if _, err := New(ctx, Options{URL: "http://127.0.0.1:1/metrics", Preset: "node_rapl"}); !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("an unreachable exporter: %v", err)
	}
	if _, err := New(ctx, Options{URL: srv.URL, Preset: "dcgm"}); !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION") {
		t.Errorf("the wrong exporter: %v", err)
	}
	m, err := New(ctx, Options{URL: srv.URL, Preset: "node_rapl", Selector: `path=~".*intel-rapl:0.*"`})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Info().Domains); n != 2 {
		t.Errorf("regex selector kept %d series, want 2", n)
	}
	e.mu.Lock()
	e.missing = true
	e.mu.Unlock()
	if _, err := m.Read(ctx); !errors.Is(err, ErrSeriesGone) {
		t.Errorf("a series that disappears: %v", err)
	}
	e.mu.Lock()
	e.missing, e.status = false, http.StatusServiceUnavailable
	e.mu.Unlock()
	if _, err := m.Read(ctx); !errors.Is(err, energy.ErrUnavailable) {
		t.Errorf("an exporter answering 503: %v", err)
	}
	// A restart resets the counters: the reading goes backwards, which the
	// sampler's step check flags as a reset (the meter reports it as read).
	e.mu.Lock()
	e.status = 0
	e.mu.Unlock()
	before, _ := m.Read(ctx)
	e.mu.Lock()
	e.reset = true
	e.mu.Unlock()
	after, err := m.Read(ctx)
	if err != nil || after.Counters[0].Energy >= before.Counters[0].Energy {
		t.Errorf("reset: %v, %v -> %v", err, before.Counters[0], after.Counters[0])
	}
}

func TestParseSelector(t *testing.T) {
	ms, err := ParseSelector(`{container_name="vllm", namespace=~"ml-.*"}`)
	if err != nil || len(ms) != 2 {
		t.Fatalf("%v %v", ms, err)
	}
	if !ms[1].matches(map[string]string{"namespace": "ml-prod"}) || ms[1].matches(map[string]string{"namespace": "xml-prod"}) {
		t.Error("regex matcher is not anchored")
	}
	for _, bad := range []string{"a", "1a=b", "a=~(", "=b"} {
		if _, err := ParseSelector(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestProcessPowerIsIntegrated(t *testing.T) {
	exp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "# TYPE scaph_process_power_consumption_microwatts gauge")
		fmt.Fprintln(w, `scaph_process_power_consumption_microwatts{exe="ollama",pid="42"} 25000000`)
		fmt.Fprintln(w, `scaph_process_power_consumption_microwatts{exe="firefox",pid="7"} 5000000`)
	}))
	defer exp.Close()
	m, err := New(context.Background(), Options{URL: exp.URL, Preset: "scaphandre_process", Selector: `exe="ollama"`})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if len(info.Domains) != 1 || info.Source != energy.Modelled || len(info.Assumptions) != 2 || !strings.Contains(info.Assumptions[1], "integrated") {
		t.Fatalf("info %+v", info)
	}
	r0, _ := m.Read(context.Background())
	time.Sleep(200 * time.Millisecond)
	r1, err := m.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := (r1.Counters[0].Energy - r0.Counters[0].Energy).Joules()
	want := 25 * r1.Time.Sub(r0.Time).Seconds()
	if math.Abs(got-want) > 1e-6*want+1e-6 {
		t.Errorf("integrated %.6f J, want %.6f J (25 W constant)", got, want)
	}
}
