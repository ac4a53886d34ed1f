package cpumodel_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
)

func TestNewValidates(t *testing.T) {
	ok := cpumodel.Options{TDPWatts: 65, Cores: 2}
	tests := []struct {
		name   string
		change func(*cpumodel.Options)
		msg    string
	}{
		{"zero TDP", func(o *cpumodel.Options) { o.TDPWatts = 0 }, "TDP must be a positive number of watts, got 0"},
		{"negative TDP", func(o *cpumodel.Options) { o.TDPWatts = -5 }, "got -5"},
		{"NaN TDP", func(o *cpumodel.Options) { o.TDPWatts = math.NaN() }, "got NaN"},
		{"infinite TDP", func(o *cpumodel.Options) { o.TDPWatts = math.Inf(1) }, "got +Inf"},
		{"zero cores", func(o *cpumodel.Options) { o.Cores = 0 }, "cores must be positive, got 0"},
		{"negative cores", func(o *cpumodel.Options) { o.Cores = -1 }, "cores must be positive, got -1"},
		{"unknown kind", func(o *cpumodel.Options) { o.Target.Kind = 9 }, "unknown target kind TargetKind(9)"},
		{"self with names", func(o *cpumodel.Options) { o.Target.Names = []string{"x"} }, "self target takes no names"},
		{"processes without names", func(o *cpumodel.Options) {
			o.Target.Kind = cpumodel.Processes
		}, "needs names or PIDs"},
		{"processes with an empty name", func(o *cpumodel.Options) {
			o.Target = cpumodel.Target{Kind: cpumodel.Processes, Names: []string{""}}
		}, `process name "" is not a valid comm`},
		{"processes with PID 0", func(o *cpumodel.Options) {
			o.Target = cpumodel.Target{Kind: cpumodel.Processes, PIDs: []int{0}}
		}, "PID 0 is not positive"},
		{"processes without proc root", func(o *cpumodel.Options) {
			o.Target = cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama"}}
		}, "needs ProcRoot"},
		{"machine without proc root", func(o *cpumodel.Options) { o.Target.Kind = cpumodel.Machine }, "needs ProcRoot"},
		{"machine with PIDs", func(o *cpumodel.Options) {
			o.Target = cpumodel.Target{Kind: cpumodel.Machine, PIDs: []int{1}}
		}, "machine target takes no names or PIDs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.change(&o)
			m, err := cpumodel.New(o)
			if err == nil {
				t.Fatalf("New(%+v) = %+v, want an error", o, m.Info())
			}
			if errors.Is(err, energy.ErrUnavailable) {
				t.Errorf("a configuration error %q wraps energy.ErrUnavailable", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestTargetKindString(t *testing.T) {
	for k, want := range map[cpumodel.TargetKind]string{
		cpumodel.Self: "self", cpumodel.Processes: "processes", cpumodel.Machine: "machine", 7: "TargetKind(7)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
