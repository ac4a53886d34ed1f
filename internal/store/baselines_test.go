package store

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLatestBaseline(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	const key = "rapl|intel-rapl:0,intel-rapl:0:0|ollama/qwen3:0.6b@sha256:abc"
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	saved := []Baseline{
		{Key: key, Watts: 10, WindowMs: 2000, CV: 0.02, ModelLoaded: true, TakenAt: at(-30)},
		{Key: key, Watts: 11, WindowMs: 2000, CV: 0.03, ModelLoaded: true, TakenAt: at(-10)},
		{Key: key, Watts: 30, WindowMs: 2000, CV: 0.40, Disturbed: true, ModelLoaded: true, TakenAt: at(-5)},
		{Key: "other", Watts: 50, WindowMs: 1000, CV: 0.01, TakenAt: at(-1)},
		{Key: "same-time", Watts: 1, WindowMs: 1000, TakenAt: at(-2)},
		{Key: "same-time", Watts: 2, WindowMs: 1000, TakenAt: at(-2)},
		{Key: "only-disturbed", Watts: 2, WindowMs: 1000, Disturbed: true, TakenAt: at(-2)},
	}
	for _, b := range saved {
		if err := db.SaveBaseline(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		key       string
		notBefore time.Time
		want      *Baseline
	}{
		{"latest undisturbed wins", key, at(-60), &saved[1]},
		{"too old ignored", key, at(-20), &saved[1]},
		{"all too old", key, at(-9), nil},
		{"zero notBefore accepts any age", key, time.Time{}, &saved[1]},
		{"boundary is inclusive", key, at(-10), &saved[1]},
		{"keys do not mix", "other", at(-60), &saved[3]},
		{"tie goes to the later save", "same-time", at(-60), &saved[5]},
		{"disturbed only", "only-disturbed", at(-60), nil},
		{"unknown key", "nope", at(-60), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := db.LatestBaseline(ctx, tt.key, tt.notBefore)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if ok {
					t.Errorf("got %+v, want none", got)
				}
				return
			}
			if !ok {
				t.Fatal("no baseline found")
			}
			if d := cmp.Diff(*tt.want, got); d != "" {
				t.Errorf("LatestBaseline (-want +got):\n%s", d)
			}
		})
	}
}

func TestSaveBaselineDefaultsTakenAt(t *testing.T) {
	db := openTemp(t)
	if err := db.SaveBaseline(t.Context(), Baseline{Key: "k", Watts: 3, WindowMs: 500}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.LatestBaseline(t.Context(), "k", t0)
	if err != nil || !ok {
		t.Fatalf("LatestBaseline = %v, %v", ok, err)
	}
	if !got.TakenAt.Equal(t0) || got.TakenAt.Location() != time.UTC {
		t.Errorf("TakenAt = %v, want db.Now() = %v in UTC", got.TakenAt, t0)
	}
}

func TestSaveBaselineRejects(t *testing.T) {
	tests := []struct {
		name string
		b    Baseline
		want string
	}{
		{"empty key", Baseline{Watts: 1}, "empty key"},
		{"NaN watts", Baseline{Key: "k", Watts: math.NaN()}, "watts"},
		{"negative watts", Baseline{Key: "k", Watts: -1}, "watts"},
		{"infinite window", Baseline{Key: "k", Watts: 1, WindowMs: math.Inf(1)}, "window"},
		{"negative cv", Baseline{Key: "k", Watts: 1, CV: -0.1}, "cv"},
	}
	db := openTemp(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.SaveBaseline(t.Context(), tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SaveBaseline error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if n := count(t, db, `SELECT count(*) FROM baselines`); n != 0 {
		t.Errorf("%d baselines stored, want 0", n)
	}
}
