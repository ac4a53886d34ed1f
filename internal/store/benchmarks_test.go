package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/lab"
)

func TestBenchmarks(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if err := db.SaveBenchmark(ctx, Benchmark{Family: "custom", Name: "a", Row: json.RawMessage(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBenchmark(ctx, Benchmark{Family: "custom", Name: "a", Row: json.RawMessage(`{"x":2}`)}); err != nil {
		t.Fatal(err)
	}
	db.SaveBenchmark(ctx, Benchmark{Family: "calibrated", Name: "m@h", Row: json.RawMessage(`{}`)})
	if err := db.SaveBenchmark(ctx, Benchmark{Family: "custom", Name: "bad", Row: json.RawMessage(`{`)}); err == nil {
		t.Error("invalid JSON accepted")
	}
	if err := db.SaveBenchmark(ctx, Benchmark{Family: "", Name: "x", Row: json.RawMessage(`{}`)}); err == nil {
		t.Error("empty family accepted")
	}
	got, err := db.Benchmarks(ctx, "custom")
	if err != nil || len(got) != 1 || string(got[0].Row) != `{"x":2}` {
		t.Fatalf("custom rows %+v, %v (want the replaced one)", got, err)
	}
	all, _ := db.Benchmarks(ctx, "")
	if len(all) != 2 || all[0].Family != "calibrated" {
		t.Fatalf("all rows %+v", all)
	}
	if err := db.DeleteBenchmark(ctx, "custom", "a"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteBenchmark(ctx, "custom", "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, ok, err := db.Setting(ctx, "family"); ok || err != nil {
		t.Fatalf("unset setting: %v %v", ok, err)
	}
	db.SetSetting(ctx, "family", "aes")
	db.SetSetting(ctx, "family", "jegham")
	if v, ok, err := db.Setting(ctx, "family"); !ok || err != nil || v != "jegham" {
		t.Fatalf("setting %q %v %v", v, ok, err)
	}
}

func TestUpdateRun(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	rec := testRecord("run-1", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	rec.Flags = []lab.Flag{{Code: "old", Severity: lab.Info, Message: "m"}}
	if err := db.SaveRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	wh := 0.5
	rec.Energy.TotalWh = &wh
	wh4 := 0.4
	rec.Estimates = []lab.Estimate{{Family: "aes", Row: "r", Wh: &wh4}}
	rec.Flags = []lab.Flag{{Code: "new", Severity: lab.Warn, Message: "m"}}
	if err := db.UpdateRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	back, err := db.GetRun(ctx, "run-1")
	if err != nil || *back.Estimates[0].Wh != 0.4 || *back.Energy.TotalWh != 0.5 {
		t.Fatalf("%+v %v", back, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM run_flags WHERE run_id = 'run-1' AND code = 'new'`); n != 1 {
		t.Errorf("new flag rows %d", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM run_flags WHERE run_id = 'run-1' AND code = 'old'`); n != 0 {
		t.Errorf("old flag rows %d", n)
	}
	if sums, _ := db.ListRuns(ctx, RunFilter{}); len(sums) != 1 || sums[0].TotalWh == nil || *sums[0].TotalWh != 0.5 {
		t.Errorf("listing not updated: %+v", sums)
	}
	rec.ID = "missing"
	if err := db.UpdateRun(ctx, rec); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a missing run: %v", err)
	}
}
