package energy

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fixedMeter struct {
	info Info
	e    Energy
	err  error
}

func (f *fixedMeter) Info() Info { return f.info }
func (f *fixedMeter) Read(context.Context) (Reading, error) {
	if f.err != nil {
		return Reading{}, f.err
	}
	var cs []Counter
	for _, d := range f.info.Domains {
		cs = append(cs, Counter{Domain: d.ID, Energy: f.e})
	}
	return Reading{Time: time.Now(), Counters: cs}, nil
}

func TestCombine(t *testing.T) {
	rapl := &fixedMeter{info: Info{Name: "rapl", Source: Measured, Boundary: "cpu-package+dram",
		Domains: []Domain{{ID: "intel-rapl:0", Boundary: BoundaryCPUPackage}, {ID: "intel-rapl:0:0", Boundary: BoundaryDRAM}}, UpdatePeriod: time.Millisecond}, e: 5}
	gpu := &fixedMeter{info: Info{Name: "nvml", Source: Measured, Boundary: "gpu (1 board)",
		Domains: []Domain{{ID: "gpu0", Boundary: BoundaryGPU}}, UpdatePeriod: 100 * time.Millisecond}, e: 9}
	c, err := Combine(rapl, gpu)
	if err != nil {
		t.Fatal(err)
	}
	i := c.Info()
	if i.Name != "rapl+nvml" || i.Boundary != "cpu-package+dram + gpu (1 board)" || len(i.Domains) != 3 || i.UpdatePeriod != 100*time.Millisecond || i.Source != Measured {
		t.Errorf("info %+v", i)
	}
	r, err := c.Read(context.Background())
	if err != nil || len(r.Counters) != 3 || r.Counters[2].Domain != "gpu0" || r.Counters[2].Energy != 9 {
		t.Errorf("read %+v %v", r, err)
	}
	model := &fixedMeter{info: Info{Name: "cpu-model", Source: Modelled, Domains: []Domain{{ID: "cpu"}}, Assumptions: []string{"65 W TDP"}}}
	if c, _ := Combine(model, gpu); c.Info().Source != Modelled || len(c.Info().Assumptions) != 1 {
		t.Errorf("a modelled part must make the sum modelled and keep its assumptions: %+v", c.Info())
	}
	if _, err := Combine(rapl, rapl); err == nil {
		t.Error("duplicate domains are accepted")
	}
	gpu.err = errors.New("GPU is lost")
	if _, err := c.Read(context.Background()); err == nil {
		t.Error("a failing part reads as success")
	}
}
