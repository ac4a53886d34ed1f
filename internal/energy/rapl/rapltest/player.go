package rapltest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// PlayerOptions configures a Player.
type PlayerOptions struct {
	// Power is the total power played from the start, split between zones
	// by Shares.
	Power energy.Power
	// Shares maps zone IDs to their fixed fraction of the total power.
	// Zones not listed do not advance. The fractions are normalised to sum
	// to 1, so {"intel-rapl:0": 3, "intel-rapl:0:0": 1} gives the package 75%.
	Shares map[string]float64
	// Period is how often the counters are written; 1 ms (the RAPL update
	// period) when zero.
	Period time.Duration
}

// Player advances the energy_uj files of a tree BuildTree built, as if the
// host drew a piecewise-constant power: a goroutine writes every zone's
// counter every Period from the exact integral of the power played since
// Play, in real (monotonic) time. Each counter starts at its Zone.Energy and
// wraps like the kernel's: its values run from 0 to Max inclusive, so it
// wraps modulo Max+1 µJ (the hardware wraps modulo Max plus one counter
// unit; the tree's unit is 1 µJ). Files are replaced atomically (written to a
// temporary file, then renamed), so a concurrent reader sees either the old
// or the new value.
//
// A Player is safe for concurrent use.
type Player struct {
	t      testing.TB
	period time.Duration

	mu     sync.Mutex
	segs   []segment // the profile: power segs[i].p from segs[i].at to segs[i+1].at
	zones  []playZone
	paused bool
	err    error
	// writes logs each round of writes: the instant its values stand for
	// and when the last file was in place. Kept for the last maxWrites.
	writes []write

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type write struct{ at, done time.Time }

// maxWrites bounds the write log (about a minute at 1 ms).
const maxWrites = 60000

type segment struct {
	at time.Time
	p  energy.Power
}

type playZone struct {
	id, path, tmp string
	start, max    energy.Energy
	share         float64
}

// Play starts a Player on the zones of root (as passed to BuildTree) and
// stops it when the test ends. It fails the test if a share names an unknown
// zone or the shares do not add up to a positive total.
func Play(t testing.TB, root string, zones []Zone, opts PlayerOptions) *Player {
	t.Helper()
	period := opts.Period
	if period <= 0 {
		period = time.Millisecond
	}
	var sum float64
	for id, s := range opts.Shares {
		if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			t.Fatalf("rapltest: share of %s is %v", id, s)
		}
		sum += s
	}
	if sum <= 0 {
		t.Fatal("rapltest: Play needs Shares with a positive total")
	}
	p := &Player{
		t:      t,
		period: period,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	known := map[string]bool{}
	for _, z := range zones {
		known[z.ID] = true
		share := opts.Shares[z.ID] / sum
		if share == 0 {
			continue
		}
		dir := ZoneDir(root, z.ID)
		p.zones = append(p.zones, playZone{
			id:    z.ID,
			path:  filepath.Join(dir, "energy_uj"),
			tmp:   filepath.Join(dir, ".energy_uj.tmp"),
			start: z.Energy,
			max:   z.Max,
			share: share,
		})
	}
	for id := range opts.Shares {
		if !known[id] {
			t.Fatalf("rapltest: share for %s, which is not one of the zones", id)
		}
	}
	p.segs = []segment{{at: time.Now(), p: opts.Power}}
	t.Cleanup(p.Stop)
	go p.run()
	return p
}

func (p *Player) run() {
	defer close(p.done)
	tick := time.NewTicker(p.period)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			p.mu.Lock()
			if !p.paused && p.err == nil {
				p.writeLocked(time.Now())
			}
			p.mu.Unlock()
		}
	}
}

// writeLocked writes every zone's counter as of instant at.
func (p *Player) writeLocked(at time.Time) {
	e := p.energyAtLocked(at)
	for _, z := range p.zones {
		v := z.start + energy.Energy(math.Floor(z.share*e))
		if z.max > 0 {
			v %= z.max + 1
		}
		if err := os.WriteFile(z.tmp, fmt.Appendf(nil, "%d\n", v), 0o444); err != nil {
			p.err = err
			return
		}
		if err := os.Rename(z.tmp, z.path); err != nil {
			p.err = err
			return
		}
	}
	if len(p.writes) == maxWrites {
		p.writes = append(p.writes[:0], p.writes[maxWrites/2:]...)
	}
	p.writes = append(p.writes, write{at: at, done: time.Now()})
}

// Visible returns the instant whose energy the counter files showed at t:
// the instant of the latest round of writes completed by t. On a loaded
// machine the writer goroutine can fall tens of milliseconds behind the
// profile, far more than a hardware counter's 1 ms; comparing a reading
// taken at t with Truth up to Visible(t) judges the reader's arithmetic, not
// the scheduler. It returns t when no write completed by t is logged.
func (p *Player) Visible(t time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.writes) - 1; i >= 0; i-- {
		if !p.writes[i].done.After(t) {
			return p.writes[i].at
		}
	}
	return t
}

// MaxStaleness is the longest a reader between from and to could have seen
// values standing for an instant that long before it: the largest gap from
// one logged write's instant to the completion of the next. On a loaded
// machine it bounds how far a reading can lag the profile, so a test can
// widen its tolerance by what the player, not the reader, got wrong.
func (p *Player) MaxStaleness(from, to time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var worst time.Duration
	for i := 1; i < len(p.writes); i++ {
		w := p.writes[i]
		if w.done.Before(from) || w.done.After(to.Add(p.period)) {
			continue
		}
		worst = max(worst, w.done.Sub(p.writes[i-1].at))
	}
	return worst
}

// energyAtLocked integrates the profile from its start to at, in µJ.
func (p *Player) energyAtLocked(at time.Time) float64 {
	var e float64
	for i, s := range p.segs {
		if !at.After(s.at) {
			break
		}
		end := at
		if i+1 < len(p.segs) && p.segs[i+1].at.Before(end) {
			end = p.segs[i+1].at
		}
		e += float64(s.p) * end.Sub(s.at).Seconds()
	}
	return e
}

// SetPower switches the total power to w from now on and returns the
// instant of the switch.
func (p *Player) SetPower(w energy.Power) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.segs = append(p.segs, segment{at: now, p: w})
	return now
}

// Pause writes every counter as of now, stops advancing the files until
// Resume, and returns that instant. A reading taken while paused reflects
// exactly the energy played until the returned instant, so a test can
// compare a meter with Truth without the up-to-one-Period staleness of a
// free-running counter. The profile itself keeps running: after Resume the
// counters catch up.
func (p *Player) Pause() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.err == nil {
		p.writeLocked(now)
	}
	p.paused = true
	return now
}

// Resume lets the counters advance again after Pause.
func (p *Player) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
}

// Truth returns the exact energy played between from and to, summed over all
// zones, in µJ (rounded to the nearest µJ). Instants before Play count no
// energy.
func (p *Player) Truth(from, to time.Time) energy.Energy {
	p.mu.Lock()
	defer p.mu.Unlock()
	return energy.Energy(math.Round(p.energyAtLocked(to) - p.energyAtLocked(from)))
}

// TruthZone returns the exact energy played into zone id between from and
// to, in µJ; zero for a zone without a share.
func (p *Player) TruthZone(id string, from, to time.Time) energy.Energy {
	return p.TruthZones(from, to)[id]
}

// TruthZones returns the exact energy played into each zone with a share
// between from and to, in µJ, keyed by zone ID.
func (p *Player) TruthZones(from, to time.Time) map[string]energy.Energy {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.energyAtLocked(to) - p.energyAtLocked(from)
	out := make(map[string]energy.Energy, len(p.zones))
	for _, z := range p.zones {
		out[z.id] = energy.Energy(math.Round(z.share * e))
	}
	return out
}

// Switches returns the instants at which the power changed (the first is the
// start of play) and the power from each on.
func (p *Player) Switches() (at []time.Time, power []energy.Power) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.segs {
		at = append(at, s.at)
		power = append(power, s.p)
	}
	return at, power
}

// Stop stops the goroutine and reports any write error to the test. It is
// safe to call more than once; Play registers it with t.Cleanup.
func (p *Player) Stop() {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.err != nil {
			p.t.Errorf("rapltest: player: %v", p.err)
		}
	})
}
