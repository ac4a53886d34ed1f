package energy

import (
	"context"
	"fmt"
	"strings"
)

// Combined reads several meters as one: CPU package + DRAM from RAPL and
// each GPU from NVML, say. Every domain stays separate, with its own
// boundary; the sum covers the union of the boundaries, which Info states.
type Combined struct {
	meters []Meter
	info   Info
}

// Combine joins meters whose domain IDs are distinct. The combined figure
// is measured only when every part is; a modelled part makes it modelled.
func Combine(meters ...Meter) (*Combined, error) {
	if len(meters) == 0 {
		return nil, fmt.Errorf("combine: no meters")
	}
	c := &Combined{meters: meters}
	seen := map[string]string{}
	var names, bounds, descs []string
	c.info.Source = Measured
	for _, m := range meters {
		i := m.Info()
		for _, d := range i.Domains {
			if other, ok := seen[d.ID]; ok {
				return nil, fmt.Errorf("combine: domain %q is in both %s and %s", d.ID, other, i.Name)
			}
			seen[d.ID] = i.Name
			c.info.Domains = append(c.info.Domains, d)
		}
		if i.Source != Measured {
			c.info.Source = i.Source
		}
		names = append(names, i.Name)
		bounds = append(bounds, i.Boundary)
		descs = append(descs, i.Name+": "+i.Description)
		c.info.Excluded = append(c.info.Excluded, i.Excluded...)
		c.info.Assumptions = append(c.info.Assumptions, i.Assumptions...)
		c.info.Resolution = max(c.info.Resolution, i.Resolution)
		c.info.UpdatePeriod = max(c.info.UpdatePeriod, i.UpdatePeriod)
	}
	c.info.Name = strings.Join(names, "+")
	c.info.Boundary = strings.Join(bounds, " + ")
	c.info.Description = strings.Join(descs, "; ")
	return c, nil
}

// Info describes the combination (a copy).
func (c *Combined) Info() Info {
	i := c.info
	i.Domains = append([]Domain(nil), i.Domains...)
	i.Excluded = append([]string(nil), i.Excluded...)
	i.Assumptions = append([]string(nil), i.Assumptions...)
	return i
}

// Read reads every meter, one after the other; the reading's time is the
// last one's.
func (c *Combined) Read(ctx context.Context) (Reading, error) {
	var r Reading
	for _, m := range c.meters {
		x, err := m.Read(ctx)
		if err != nil {
			return Reading{}, fmt.Errorf("%s: %w", m.Info().Name, err)
		}
		r.Counters = append(r.Counters, x.Counters...)
		r.Time = x.Time
	}
	return r, nil
}
