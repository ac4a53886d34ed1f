package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/prom"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// powerExporter serves node_exporter-style RAPL counters: the integral of
// a power profile the test sets, computed when scraped.
type powerExporter struct {
	mu     sync.Mutex
	joules float64
	watts  float64
	since  time.Time
}

func (e *powerExporter) at(t time.Time) float64 {
	return e.joules + e.watts*t.Sub(e.since).Seconds()
}

func (e *powerExporter) set(w float64) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	e.joules, e.watts, e.since = e.at(now), w, now
	return now
}

func (e *powerExporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	j := e.at(time.Now())
	e.mu.Unlock()
	fmt.Fprintf(w, "# TYPE node_rapl_package_joules_total counter\nnode_rapl_package_joules_total{index=\"0\"} %.6f\n", 0.75*j)
	fmt.Fprintf(w, "# TYPE node_rapl_dram_joules_total counter\nnode_rapl_dram_joules_total{index=\"0\"} %.6f\n", 0.25*j)
}

// startPrometheus runs a real Prometheus server (Debian's `prometheus`)
// scraping target every interval. Without the binary the test skips, or
// fails when ENERGYLAB_REQUIRE_PROMETHEUS is set (.ci/run sets it).
func startPrometheus(t *testing.T, target string, interval time.Duration) string {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("ENERGYLAB_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("no prometheus binary (apt-get install prometheus); ENERGYLAB_REQUIRE_PROMETHEUS is set, so this test may not skip")
		}
		t.Skip("no prometheus binary: apt-get install prometheus to run this test")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: [%q]\n",
		interval, interval, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not become ready on %s:\n%s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPromQLMeterAgainstARealPrometheus: a real Prometheus scrapes an
// exporter whose counters integrate a known power every second. The promql
// meter reads each snapshot as the last sample extrapolated along the last
// two, so its error per reading is at most |ΔP| within one scrape interval ×
// that interval, plus the skew between a scrape's timestamp and the moment
// the exporter computed the value (bounded here by 50 ms × P). The test
// asserts exactly that bound, with a constant power and across a switch.
func TestPromQLMeterAgainstARealPrometheus(t *testing.T) {
	const interval = time.Second
	e := &powerExporter{watts: 40, since: time.Now()}
	exp := httptest.NewServer(e)
	defer exp.Close()
	server := startPrometheus(t, strings.TrimPrefix(exp.URL, "http://"), interval)
	ctx := context.Background()
	var m *prom.QueryMeter
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		m, err = prom.NewQuery(ctx, prom.QueryOptions{Server: server, Preset: "node_rapl", Selector: `job="exporter"`})
		if err == nil && m.Info().UpdatePeriod >= interval/2 && m.Info().UpdatePeriod <= 2*interval {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no usable series after 30 s: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	info := m.Info()
	if len(info.Domains) != 2 || info.Source != energy.Measured || !strings.Contains(info.Description, "extrapolated") {
		t.Fatalf("info %+v", info)
	}
	const skew = 50 * time.Millisecond
	total := func(r energy.Reading) float64 {
		s := 0.0
		for _, c := range r.Counters {
			s += c.Energy.Joules()
		}
		return s
	}
	check := func(name string, r0, r1 energy.Reading, dP float64, pMax float64) {
		t.Helper()
		e.mu.Lock()
		truth := e.at(r1.Time) - e.at(r0.Time)
		e.mu.Unlock()
		got := total(r1) - total(r0)
		bound := 2*dP*interval.Seconds() + 2*pMax*skew.Seconds()
		t.Logf("%s: %.3f J measured, %.3f J played, bound ±%.3f J", name, got, truth, bound)
		if math.Abs(got-truth) > bound {
			t.Errorf("%s: %.3f J, played %.3f J: off by %.3f J, more than the %.3f J the scrape interval allows", name, got, truth, got-truth, bound)
		}
	}
	// The same exporter scraped directly: its counters are computed when
	// scraped, so the only error is the scrape's own latency.
	direct, err := prom.New(ctx, prom.Options{URL: exp.URL + "/metrics", Preset: "node_rapl"})
	if err != nil {
		t.Fatal(err)
	}
	r0, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := direct.Read(ctx)
	time.Sleep(2500 * time.Millisecond)
	r1, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := direct.Read(ctx)
	check("constant 40 W via PromQL", r0, r1, 0, 40)
	check("constant 40 W scraped directly", d0, d1, 0, 40)

	// A switch to 10 W: the readings just after it extrapolate the old rate.
	switchAt := e.set(10)
	time.Sleep(1500 * time.Millisecond)
	r2, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Truth across the switch: 40 W until switchAt, 10 W after.
	truth := 40*switchAt.Sub(r1.Time).Seconds() + 10*r2.Time.Sub(switchAt).Seconds()
	got := total(r2) - total(r1)
	bound := 2*30*interval.Seconds() + 2*40*skew.Seconds()
	t.Logf("40 W → 10 W: %.3f J measured, %.3f J played, bound ±%.3f J", got, truth, bound)
	if math.Abs(got-truth) > bound {
		t.Errorf("across the switch: %.3f J, played %.3f J, outside the bound %.3f J", got, truth, bound)
	}

	// Through the CLI: a run metered by the Prometheus server. A run
	// shorter than two scrape intervals is flagged, as it must be.
	home := t.TempDir()
	out, errs, code := runMain(t, home, "run", "-json", "-meter", "promql", "-prom-server", server, "-prom-preset", "node_rapl",
		"-prom-select", `job="exporter"`, "-baseline", "0", "-max-tokens", "4", "-cache-dir", synthCache, "hello")
	if code != 0 {
		t.Fatalf("run: %d\n%s", code, errs)
	}
	var rec lab.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	short := false
	for _, f := range rec.Flags {
		short = short || f.Code == lab.FlagShortWindow
	}
	if rec.Energy.Meter != "promql" || rec.Energy.TotalWh == nil || !short {
		t.Errorf("promql run: meter %q, total %v, flags %+v", rec.Energy.Meter, rec.Energy.TotalWh, rec.Flags)
	}
	// A selector matching nothing is refused with the reason.
	if _, errs, code := runMain(t, home, "run", "-meter", "promql", "-prom-server", server, "-prom-preset", "node_rapl", "-prom-select", `job="nope"`, "hello"); code == 0 || !strings.Contains(errs, "no samples") {
		t.Errorf("empty selector: %d %s", code, errs)
	}
}
