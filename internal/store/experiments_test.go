package store

import (
	"errors"
	"testing"
	"time"
)

func TestExperimentsRoundTrip(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	if err := db.SaveExperiment(ctx, Experiment{ID: "x"}); err == nil {
		t.Error("an experiment without kind and result is saved")
	}
	for i, id := range []string{"b1", "a1"} {
		e := Experiment{ID: id, Kind: "batch", CreatedAt: t0.Add(time.Duration(i) * time.Minute), Summary: "10 runs", Result: []byte(`{"n":1}`)}
		if err := db.SaveExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Saving again replaces the result (a stopped batch saved, then finished).
	if err := db.SaveExperiment(ctx, Experiment{ID: "b1", Kind: "batch", Summary: "20 runs", Result: []byte(`{"n":2}`)}); err != nil {
		t.Fatal(err)
	}
	e, err := db.GetExperiment(ctx, "b1")
	if err != nil || string(e.Result) != `{"n":2}` || e.Summary != "20 runs" || !e.CreatedAt.Equal(t0) {
		t.Fatalf("%+v %v", e, err)
	}
	list, err := db.ListExperiments(ctx, 0)
	if err != nil || len(list) != 2 || list[0].ID != "a1" || list[0].Result != nil {
		t.Fatalf("%+v %v", list, err)
	}
	if _, err := db.GetExperiment(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing experiment: %v", err)
	}
}
