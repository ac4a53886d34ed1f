package rapl_test

import (
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
)

// BenchmarkRead measures one snapshot of a two-socket host: four energy_uj
// files (two packages, two dram zones).
func BenchmarkRead(b *testing.B) {
	root := b.TempDir()
	rapltest.BuildTree(b, root, rapltest.TwoSocketServer())
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Read(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNew measures discovery on a laptop tree (six zones, two counted).
func BenchmarkNew(b *testing.B) {
	root := b.TempDir()
	rapltest.BuildTree(b, root, rapltest.ClientLaptop())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rapl.New(root, rapl.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
