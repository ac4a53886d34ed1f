package metertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

func goodInfo() energy.Info {
	return energy.Info{
		Name:        "test",
		Source:      energy.Measured,
		Boundary:    "cpu-package (1 socket)",
		Description: "a test meter",
		Domains: []energy.Domain{
			{ID: "a", Name: "package-0", Boundary: energy.BoundaryCPUPackage, MaxEnergy: 1000},
			{ID: "b", Name: "dram", Boundary: energy.BoundaryDRAM},
		},
	}
}

func reading(at time.Duration, es ...energy.Energy) energy.Reading {
	r := energy.Reading{Time: time.Unix(1000, 0).Add(at)}
	for i, e := range es {
		r.Counters = append(r.Counters, energy.Counter{Domain: string(rune('a' + i)), Energy: e})
	}
	return r
}

func TestCheckInfo(t *testing.T) {
	tests := []struct {
		name   string
		change func(*energy.Info)
		want   []string
	}{
		{"good", func(*energy.Info) {}, nil},
		{"no name", func(i *energy.Info) { i.Name = "" }, []string{"Info.Name is empty"}},
		{"bad source", func(i *energy.Info) { i.Source = "guessed" }, []string{`Info.Source "guessed" is not measured, modelled or estimated`}},
		{"modelled without assumptions", func(i *energy.Info) { i.Source = energy.Modelled }, []string{"a modelled meter states no Info.Assumptions"}},
		{"no domains", func(i *energy.Info) { i.Domains = nil }, []string{"Info.Domains is empty"}},
		{"duplicate IDs", func(i *energy.Info) { i.Domains[1].ID = "a" }, []string{`domain ID "a" appears twice`}},
		{"empty ID", func(i *energy.Info) { i.Domains[0].ID = "" }, []string{"domain 0 has an empty ID"}},
		{"negative max", func(i *energy.Info) { i.Domains[0].MaxEnergy = -1 }, []string{`domain "a" has a negative MaxEnergy -1 µJ`}},
		{"no boundary", func(i *energy.Info) { i.Boundary = ""; i.Domains[1].Boundary = "" }, []string{"Info.Boundary is empty", `domain "b" has an empty Boundary`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := goodInfo()
			tt.change(&info)
			if diff := cmp.Diff(tt.want, checkInfo(info)); diff != "" {
				t.Errorf("checkInfo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckReading(t *testing.T) {
	tests := []struct {
		name string
		r    energy.Reading
		want []string
	}{
		{"good", reading(0, 10, 20), nil},
		{"too few counters", reading(0, 10), []string{"reading has 1 counters for 2 domains"}},
		{"wrong order", energy.Reading{Time: time.Unix(1, 0), Counters: []energy.Counter{{Domain: "b"}, {Domain: "a"}}},
			[]string{`counter 0 is for domain "b", want "a" (Info order)`, `counter 1 is for domain "a", want "b" (Info order)`}},
		{"beyond max", reading(0, 1001, 0), []string{`counter "a" = 1001 µJ exceeds its MaxEnergy 1000 µJ`}},
		{"negative", reading(0, 0, -5), []string{`counter "b" is negative: -5 µJ`}},
		{"no time", energy.Reading{Counters: []energy.Counter{{Domain: "a"}, {Domain: "b"}}}, []string{"Reading.Time is zero"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, checkReading(goodInfo(), tt.r)); diff != "" {
				t.Errorf("checkReading (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckStep(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur energy.Reading
		want      []string
		wraps     int
	}{
		{"advancing", reading(0, 10, 20), reading(time.Millisecond, 11, 20), nil, 0},
		{"wrap explained by max", reading(0, 990, 20), reading(time.Millisecond, 5, 21), nil, 1},
		{"backwards without a range", reading(0, 10, 20), reading(time.Millisecond, 10, 19),
			[]string{`counter "b" went backwards from 20 to 19 µJ, which its MaxEnergy (0 µJ) does not explain`}, 0},
		{"time backwards", reading(time.Millisecond, 10, 20), reading(0, 10, 20),
			[]string{"Reading.Time went backwards from 1970-01-01 00:16:40.001 +0000 UTC to 1970-01-01 00:16:40 +0000 UTC"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := goodInfo()
			tt.prev.Time, tt.cur.Time = tt.prev.Time.UTC(), tt.cur.Time.UTC()
			got, wraps := checkStep(info, tt.prev, tt.cur)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("checkStep (-want +got):\n%s", diff)
			}
			if wraps != tt.wraps {
				t.Errorf("wraps = %d, want %d", wraps, tt.wraps)
			}
		})
	}
}

// wrapMeter is a well-behaved meter whose counter wraps every few reads.
type wrapMeter struct {
	mu sync.Mutex
	e  energy.Energy
}

func (m *wrapMeter) Info() energy.Info {
	return energy.Info{
		Name: "wrap", Source: energy.Measured, Boundary: "test", Description: "wraps at 100 µJ",
		Domains: []energy.Domain{{ID: "w", Name: "w", Boundary: energy.BoundaryCPUPackage, MaxEnergy: 100}},
	}
}

func (m *wrapMeter) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, fmt.Errorf("read wrap: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.e = (m.e + 37) % 101
	return energy.Reading{Time: time.Now(), Counters: []energy.Counter{{Domain: "w", Energy: m.e}}}, nil
}

func TestRunConformanceOnAGoodMeter(t *testing.T) {
	RunConformance(t, func(*testing.T) energy.Meter { return &wrapMeter{} })
}
