package energy

import (
	"testing"
	"time"
)

func TestDelta(t *testing.T) {
	const max = 262143328850 // a real max_energy_range_uj
	cases := []struct {
		name        string
		prev, cur   Energy
		max         Energy
		want        Energy
		wantWrapped bool
	}{
		{"advance", 100, 350, max, 250, false},
		{"no change", 100, 100, max, 0, false},
		{"wrap", max - 1000, 500, max, 1500, true},
		{"wrap from max exactly", max, 7, max, 7, true},
		{"backwards without range is a reset", 500, 100, 0, 0, true},
		{"prev above range is a reset", max + 10, 5, max, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, wrapped := Delta(c.prev, c.cur, c.max)
			if got != c.want || wrapped != c.wantWrapped {
				t.Fatalf("Delta(%d, %d, %d) = %d, %v; want %d, %v", c.prev, c.cur, c.max, got, wrapped, c.want, c.wantWrapped)
			}
		})
	}
}

func TestAccumulatorKeysDomainsByID(t *testing.T) {
	// Two sockets whose dram zones share a name must not overwrite each
	// other; one of them wraps.
	doms := []Domain{
		{ID: "intel-rapl:0:0", Name: "dram", MaxEnergy: 1000},
		{ID: "intel-rapl:1:0", Name: "dram", MaxEnergy: 1000},
	}
	a := NewAccumulator(doms)
	at := time.Unix(0, 0)
	read := func(a0, a1 Energy) map[string]Energy {
		at = at.Add(time.Second)
		return a.Add(Reading{Time: at, Counters: []Counter{{"intel-rapl:0:0", a0}, {"intel-rapl:1:0", a1}, {"unknown", 5}}})
	}
	read(100, 990)
	read(300, 20) // second wraps: 10 + 20
	got := read(400, 70)
	if got["intel-rapl:0:0"] != 300 || got["intel-rapl:1:0"] != 80 {
		t.Fatalf("totals = %v, want 300 and 80", got)
	}
	if a.Wraps() != 1 || a.Resets() != 0 {
		t.Fatalf("wraps=%d resets=%d, want 1 and 0", a.Wraps(), a.Resets())
	}
	if _, ok := got["unknown"]; ok {
		t.Fatal("unknown domain was accumulated")
	}
}

func TestUnits(t *testing.T) {
	e := 1500 * Millijoule
	if e.Joules() != 1.5 {
		t.Errorf("Joules = %v", e.Joules())
	}
	if got := WattHour.Joules(); got != 3600 {
		t.Errorf("1 Wh = %v J", got)
	}
	if got := (65 * Watt).Over(2 * time.Second); got != 130*Joule {
		t.Errorf("65 W over 2 s = %v", got)
	}
	if got := PowerOf(130*Joule, 2*time.Second); got != 65*Watt {
		t.Errorf("130 J over 2 s = %v", got)
	}
	if PowerOf(Joule, 0) != 0 {
		t.Error("PowerOf over zero time is not zero")
	}
	// Ten hours at 500 W does not overflow.
	if got := (500 * Watt).Over(10 * time.Hour).WattHours(); got != 5000 {
		t.Errorf("500 W x 10 h = %v Wh", got)
	}
	if got := SafeInterval(65536*Joule, 200*Watt); got != 327680*time.Millisecond {
		t.Errorf("SafeInterval = %v", got)
	}
}
