package sampler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// rampMeter is a one-domain meter whose counter advances at a fixed power
// from a starting value and wraps at max, like a powercap zone.
type rampMeter struct {
	mu    sync.Mutex
	start time.Time
	base  energy.Energy
	max   energy.Energy
	power energy.Power
	reads int
}

func (m *rampMeter) Info() energy.Info {
	return energy.Info{Name: "ramp", Source: energy.Measured, Domains: []energy.Domain{{ID: "z", Name: "z", MaxEnergy: m.max}}}
}

func (m *rampMeter) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	now := time.Now()
	v := m.base + m.power.Over(now.Sub(m.start))
	if m.max > 0 {
		v %= m.max
	}
	return energy.Reading{Time: now, Counters: []energy.Counter{{Domain: "z", Energy: v}}}, nil
}

func TestSamplerUnfoldsWrapsBetweenMarks(t *testing.T) {
	// 100 W from 10 J below the wrap point: the counter wraps after 0.1 s.
	m := &rampMeter{start: time.Now(), base: 990 * energy.Joule, max: 1000 * energy.Joule, power: 100 * energy.Watt}
	s := New(m, 20*time.Millisecond)
	var got []Sample
	s.OnSample = func(x Sample) { got = append(got, x) }
	start, err := s.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	end, err := s.Mark(context.Background(), "end")
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Stop()
	elapsed := end.Time.Sub(start.Time)
	want := m.power.Over(elapsed)
	if d := end.Total() - want; d > energy.Millijoule || d < -energy.Millijoule {
		t.Fatalf("total %v, want %v (elapsed %v)", end.Total(), want, elapsed)
	}
	if tl.Wraps != 1 {
		t.Errorf("wraps = %d, want 1", tl.Wraps)
	}
	if len(tl.Samples) < 5 || len(got) != len(tl.Samples) {
		t.Errorf("samples = %d (callback saw %d), want >= 5 and equal", len(tl.Samples), len(got))
	}
	for _, x := range tl.Samples {
		if w := x.Power.Watts(); w < 99 || w > 101 {
			t.Errorf("sample power %.2f W, want 100 W", w)
		}
	}
	if tl.MaxGap <= 0 || tl.MaxGap > 200*time.Millisecond {
		t.Errorf("max gap %v", tl.MaxGap)
	}
	if marks := s.Marks(); len(marks) != 2 || marks[0].Mark != "start" || marks[1].Mark != "end" {
		t.Errorf("marks = %+v", marks)
	}
	// Stop is idempotent and polling has stopped.
	n := m.reads
	time.Sleep(60 * time.Millisecond)
	s.Stop()
	if m.reads != n {
		t.Errorf("meter read %d times after Stop", m.reads-n)
	}
}

func TestMarkBeforeStart(t *testing.T) {
	s := New(&rampMeter{start: time.Now()}, 0)
	if _, err := s.Mark(context.Background(), "x"); err != ErrNotStarted {
		t.Fatalf("err = %v, want ErrNotStarted", err)
	}
}

func TestStartFailsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(&rampMeter{start: time.Now()}, 10*time.Millisecond)
	if _, err := s.Start(ctx); err == nil {
		t.Fatal("Start with a cancelled context succeeded")
	}
	s.Stop()
}
