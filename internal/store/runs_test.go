package store

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

func f64(v float64) *float64 { return &v }

// testRecord is a minimal successful run.
func testRecord(id string, created time.Time) *lab.Record {
	return &lab.Record{
		ID:        id,
		CreatedAt: created,
		Status:    lab.StatusOK,
		Model:     "ollama/qwen3:0.6b",
		Provider:  "ollama",
		Request: lab.RequestRecord{
			User:     "hello",
			Messages: []provider.Message{{Role: provider.RoleUser, Content: "hello"}},
		},
		Tokens: lab.Tokens{Input: 10, Output: 20, Source: "provider"},
		Timing: lab.Timing{TotalMs: 100},
	}
}

// fullRecord sets every field of a lab.Record to a non-zero value, with
// awkward floats and times in a non-UTC zone with nanoseconds.
// TestFullRecordIsFull keeps it complete as lab.Record grows.
func fullRecord() *lab.Record {
	cet := time.FixedZone("CET", 3600)
	created := time.Date(2026, 2, 28, 23, 59, 58, 123456789, cet)
	counter := func(d string, e energy.Energy) energy.Counter { return energy.Counter{Domain: d, Energy: e} }
	set := lab.ETokenSet{
		WhPer1kInput: f64(0.1 + 0.2), WhPer1kOutput: f64(1e-9), PrefillWhPer1kInput: f64(0.5),
		DecodeWhPer1kOutput: f64(2.25), JPerToken: f64(3.6), JPerOutputToken: f64(7.2),
	}
	active := set
	active.WhPer1kInput = f64(0.05)
	grid := lab.Grid{Code: "FR", Name: "France", FactorKgPerKWh: 0.047044192, Source: "CaDI", Year: 2025, Method: "location-based, annual average"}
	return &lab.Record{
		ID:        "01JNQ7ZK3Y8W2V6T4R0P9M5X1A",
		Session:   "web-1",
		Power:     []lab.PowerPoint{{OffsetMs: 10, Watts: 12.5}, {OffsetMs: 20.25, Watts: 0.1 + 0.2}},
		CreatedAt: created,
		Status:    lab.StatusFailed,
		Error:     "stream: unexpected EOF",
		Model:     "ollama/qwen3:0.6b",
		Provider:  "ollama",
		Request: lab.RequestRecord{
			User:         "Why is the sky blue?",
			System:       "You are terse.",
			SystemPreset: "terse",
			Context:      "earlier turn",
			Injections:   []lab.Injection{{Description: "date", Content: "Today is Sunday."}},
			Messages: []provider.Message{
				{Role: provider.RoleSystem, Content: "You are terse.\nToday is Sunday."},
				{Role: provider.RoleUser, Content: "Why is the sky blue? ☀️"},
			},
			Options: provider.Options{Temperature: f64(0), TopP: f64(0.9), MaxTokens: 256, Seed: ptrTo(int64(42)), Think: ptrTo(false), NumCtx: 4096, IgnoreEOS: true},
		},
		Response: lab.ResponseRecord{Text: "Rayleigh scattering.", Thinking: "short", Meaningless: true, DoneReason: "stop"},
		Tokens: lab.Tokens{
			Input: 37, Output: 5, Cached: ptrTo(0), Source: "provider",
			Breakdown: lab.Breakdown{Method: "estimated", Note: "split by characters", User: 8, System: 6, Context: 3, Injections: 5, Template: 15, Thinking: 1, Answer: 4, Middleware: 29},
		},
		Energy: lab.Energy{
			Source: energy.Measured, Meter: "rapl", Boundary: "cpu-package+dram", Assumptions: []string{"none"},
			TotalWh: f64(0.012345678901234), PrefillWh: f64(0), DecodeWh: f64(0.012345678901234),
			Domains: []lab.DomainEnergy{{ID: "intel-rapl:0", Name: "package-0", Boundary: energy.BoundaryCPUPackage, PrefillWh: f64(0), DecodeWh: f64(0.01), TotalWh: f64(0.01)}},
			Active: lab.ActiveEnergy{
				TotalWh: f64(-0.001), PrefillWh: f64(0), DecodeWh: f64(0.002),
				Baseline:     &lab.Baseline{Watts: 12.5, TakenAt: created.Add(-time.Minute), WindowMs: 2000, Reused: true, CV: 0.03, Disturbed: true, ModelLoaded: true},
				AbsentReason: "n/a",
			},
			AbsentReason: "n/a",
		},
		ETokens: lab.ETokens{ETokenSet: set, Active: &active},
		Carbon:  lab.Carbon{GCO2e: f64(0.000580), ActiveGCO2e: f64(-0.00005), Grid: grid, PUE: 1.2, AbsentReason: "n/a"},
		Timing: lab.Timing{
			TTFTMs: f64(0), DecodeMs: f64(812.5), TotalMs: 1234.567, TokensPerSecond: f64(4.92), EndToEndTokensPerSecond: f64(4.05),
			ITLMs:  &lab.Latency{N: 4, Mean: 203.1, P50: 200, P95: 250},
			Server: lab.ServerTiming{PromptEvalMs: f64(20), EvalMs: f64(800), LoadMs: f64(0), TotalMs: f64(1200), PromptTokensPerSecond: f64(1850), EvalTokensPerSecond: f64(5)},
		},
		Snapshots: []lab.Snapshot{{
			Mark: "start", OffsetMs: 0.5, Time: created,
			Raw:     []energy.Counter{counter("intel-rapl:0", 262143328850), counter("intel-rapl:0:0", 1)},
			TotalUJ: map[string]int64{"intel-rapl:0": 44444, "intel-rapl:0:0": 0},
		}},
		Flags: []lab.Flag{{Code: lab.FlagColdLoad, Severity: lab.Warn, Message: "model loaded during the run"}, {Code: lab.FlagSyntheticModel, Severity: lab.Info, Message: "synthetic"}},
		Estimates: []lab.Estimate{{
			Family: "jegham", FamilyName: "Jegham et al. 2025", Selection: "requested", Row: "gpt-4o", RowModel: "GPT-4o",
			Match: "exact", MatchExplanation: "same name", Boundary: "node-pue", BoundaryNote: "node x PUE", PUEIncluded: true,
			Hardware: "H100", Input: 10, Output: 20, Wh: f64(0.42), LowWh: f64(0.3), HighWh: f64(0.5), PrefillWh: f64(0.1),
			DecodeWh: f64(0.32), GCO2e: f64(0.19), Extrapolated: true, Method: "a + b·in + c·out", Note: "1k/1k shape",
			AbsentReason: "x",
		}},
		Manifest: lab.Manifest{
			LabVersion: "v0.1.0", Host: "box", OS: "linux", Arch: "amd64", CPUs: 16, CPUModel: "EPYC",
			Model: provider.ModelInfo{Name: "ollama/qwen3:0.6b", Provider: "ollama", Model: "qwen3:0.6b", ContextLength: 40960, Family: "qwen3", ParameterSize: "751.63M", Parameters: 751632384, Quantization: "Q4_K_M", Digest: "sha256:abc", Synthetic: true, Remote: true, Note: "tiny"},
			Meter: &energy.Info{
				Name: "rapl", Source: energy.Measured, Boundary: "cpu-package+dram",
				Domains:  []energy.Domain{{ID: "intel-rapl:0", Name: "package-0", Boundary: energy.BoundaryCPUPackage, MaxEnergy: 262143328850}},
				Excluded: []string{"core: inside package"}, Resolution: 61, UpdatePeriod: time.Millisecond,
				Assumptions: []string{"none"}, Description: "RAPL",
			},
			MeterNote: "rapl readable", Grid: grid, PUE: 1.2, PollIntervalMs: 50, Preloaded: true, Endpoint: "http://127.0.0.1:11434",
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestFullRecordIsFull fails when lab.Record gains a field fullRecord does
// not set, so that the round-trip test keeps covering every field.
func TestFullRecordIsFull(t *testing.T) {
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() {
			// Pointers to zero are deliberate (nil vs zero); a zero
			// number inside a populated slice, map or pointer is fine too.
			if v.Kind() != reflect.Int && v.Kind() != reflect.Int64 && v.Kind() != reflect.Float64 && v.Kind() != reflect.Bool || !strings.Contains(path, "*") {
				t.Errorf("fullRecord leaves %s zero", path)
			}
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			walk(path+"*", v.Elem())
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(time.Time{}) {
				return
			}
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			walk(path+"[0]*", v.Index(0))
		}
	}
	walk("Record", reflect.ValueOf(*fullRecord()))
}

func TestRunRoundTrip(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	nilRec := testRecord("nil-pointers", t0)
	zeroRec := testRecord("zero-pointers", t0.Add(time.Second))
	zeroRec.Tokens.Cached = ptrTo(0)
	zeroRec.Energy.TotalWh, zeroRec.Energy.PrefillWh, zeroRec.Energy.DecodeWh = f64(0), f64(0), f64(0)
	zeroRec.Carbon.GCO2e, zeroRec.Timing.TTFTMs = f64(0), f64(0)
	zeroRec.Flags, zeroRec.Estimates = []lab.Flag{}, []lab.Estimate{}
	for _, want := range []*lab.Record{fullRecord(), nilRec, zeroRec} {
		t.Run(want.ID, func(t *testing.T) {
			if err := db.SaveRun(ctx, want); err != nil {
				t.Fatal(err)
			}
			got, err := db.GetRun(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(*want, got); d != "" {
				t.Errorf("GetRun (-saved +loaded):\n%s", d)
			}
		})
	}
	list, err := db.ListRuns(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	full := fullRecord()
	wantList := []RunSummary{
		{
			ID: "zero-pointers", CreatedAt: t0.Add(time.Second), Status: lab.StatusOK, Provider: "ollama", Model: "ollama/qwen3:0.6b",
			InputTokens: 10, OutputTokens: 20, TotalWh: f64(0), PrefillWh: f64(0), DecodeWh: f64(0), GCO2e: f64(0), TTFTMs: f64(0),
			TotalMs: 100, PromptHash: PromptHash(zeroRec.Request),
		},
		{
			ID: "nil-pointers", CreatedAt: t0, Status: lab.StatusOK, Provider: "ollama", Model: "ollama/qwen3:0.6b",
			InputTokens: 10, OutputTokens: 20, TotalMs: 100, PromptHash: PromptHash(nilRec.Request),
		},
		{
			ID: full.ID, CreatedAt: full.CreatedAt, Status: lab.StatusFailed, Provider: "ollama", Model: "ollama/qwen3:0.6b",
			EnergySource: energy.Measured, Meter: "rapl", InputTokens: 37, OutputTokens: 5,
			TotalWh: f64(0.012345678901234), PrefillWh: f64(0), DecodeWh: f64(0.012345678901234), GCO2e: f64(0.000580), TTFTMs: f64(0),
			TotalMs: 1234.567, PromptHash: PromptHash(full.Request), Error: "stream: unexpected EOF", Session: full.Session,
		},
	}
	if d := cmp.Diff(wantList, list); d != "" {
		t.Errorf("ListRuns (-want +got):\n%s", d)
	}
	if list[2].CreatedAt.Location() != time.UTC {
		t.Errorf("summary time in %v, want UTC", list[2].CreatedAt.Location())
	}
}

func TestSaveRunDefaultsCreatedAt(t *testing.T) {
	db := openTemp(t)
	rec := testRecord("no-time", time.Time{})
	if err := db.SaveRun(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	if !rec.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt = %v, want db.Now() = %v", rec.CreatedAt, t0)
	}
	got, err := db.GetRun(t.Context(), "no-time")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(t0) {
		t.Errorf("stored CreatedAt = %v, want %v", got.CreatedAt, t0)
	}
}

func TestSaveRunRejects(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	if err := db.SaveRun(ctx, testRecord("run-1", t0)); err != nil {
		t.Fatal(err)
	}
	nan := testRecord("nan", t0)
	nan.Energy.TotalWh = f64(math.NaN())
	dup := testRecord("run-1", t0.Add(time.Hour))
	dup.Model = "other/model"
	tests := []struct {
		name string
		rec  *lab.Record
		is   error
		want string
	}{
		{"nil record", nil, nil, "nil record"},
		{"empty ID", testRecord("", t0), nil, "empty ID"},
		{"blank ID", testRecord("  ", t0), nil, "empty ID"},
		{"duplicate ID", dup, ErrDuplicate, "run-1"},
		{"NaN figure", nan, nil, "encode record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.SaveRun(ctx, tt.rec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SaveRun error = %v, want one containing %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
	if n := count(t, db, `SELECT count(*) FROM runs`); n != 1 {
		t.Errorf("%d runs stored, want 1", n)
	}
	got, err := db.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "ollama/qwen3:0.6b" {
		t.Errorf("duplicate overwrote the first run: model %q", got.Model)
	}
}

func TestSaveRunIsAtomic(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	if err := db.SaveRun(ctx, fullRecord()); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	db.afterRunInsert = func() error { return boom }
	rec := testRecord("half-written", t0)
	rec.Flags = []lab.Flag{{Code: lab.FlagCacheHit, Severity: lab.Warn}}
	if err := db.SaveRun(ctx, rec); !errors.Is(err, boom) {
		t.Fatalf("SaveRun error = %v, want the hook's", err)
	}
	if n := count(t, db, `SELECT count(*) FROM runs`); n != 1 {
		t.Errorf("%d runs after a failed save, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM run_flags`); n != 2 {
		t.Errorf("%d flags after a failed save, want 2 (the first run's)", n)
	}
	if _, err := db.GetRun(ctx, "half-written"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun after failed save: %v, want ErrNotFound", err)
	}
	db.afterRunInsert = nil
	if err := db.SaveRun(ctx, rec); err != nil {
		t.Fatalf("retry after failure: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM run_flags WHERE run_id = ?`, "half-written"); n != 1 {
		t.Errorf("%d flags for the retried run, want 1", n)
	}
}

func TestListRuns(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	type run struct {
		id, model string
		status    lab.Status
		minute    int
		flag      string
	}
	for _, r := range []run{
		{"r1", "a/x", lab.StatusOK, 1, ""},
		{"r2", "b/y", lab.StatusOK, 2, lab.FlagColdLoad},
		{"r3", "a/x", lab.StatusFailed, 3, ""},
		{"r4", "a/x", lab.StatusOK, 4, lab.FlagColdLoad},
		{"r5", "b/y", lab.StatusCancelled, 5, ""},
		{"r6", "a/x", lab.StatusOK, 5, ""}, // same time as r5, saved later
		{"r0", "a/x", lab.StatusOK, 0, ""}, // saved last, oldest
	} {
		rec := testRecord(r.id, t0.Add(time.Duration(r.minute)*time.Minute))
		rec.Model, rec.Status = r.model, r.status
		if r.flag != "" {
			rec.Flags = []lab.Flag{{Code: r.flag, Severity: lab.Warn}}
		}
		if r.minute >= 4 {
			rec.Session = "s1"
		}
		if err := db.SaveRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		f     RunFilter
		want  []string
		total int
	}{
		{"all newest first", RunFilter{}, []string{"r6", "r5", "r4", "r3", "r2", "r1", "r0"}, 7},
		{"by model", RunFilter{Model: "a/x"}, []string{"r6", "r4", "r3", "r1", "r0"}, 5},
		{"by status", RunFilter{Status: "ok"}, []string{"r6", "r4", "r2", "r1", "r0"}, 5},
		{"by model and status", RunFilter{Model: "b/y", Status: "cancelled"}, []string{"r5"}, 1},
		{"by flag", RunFilter{Flag: lab.FlagColdLoad}, []string{"r4", "r2"}, 2},
		{"limit", RunFilter{Limit: 2}, []string{"r6", "r5"}, 7},
		{"limit and offset", RunFilter{Limit: 2, Offset: 2}, []string{"r4", "r3"}, 7},
		{"offset only", RunFilter{Offset: 5}, []string{"r1", "r0"}, 7},
		{"offset past the end", RunFilter{Offset: 10}, nil, 7},
		{"filter with limit", RunFilter{Model: "a/x", Limit: 3, Offset: 1}, []string{"r4", "r3", "r1"}, 5},
		{"no match", RunFilter{Model: "c/z"}, nil, 0},
		{"by session", RunFilter{Session: "s1"}, []string{"r6", "r5", "r4"}, 3},
		{"by session and model", RunFilter{Session: "s1", Model: "a/x"}, []string{"r6", "r4"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := db.ListRuns(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range list {
				got = append(got, s.ID)
				if want := map[bool]string{true: "s1"}[s.ID == "r4" || s.ID == "r5" || s.ID == "r6"]; s.Session != want {
					t.Errorf("run %s: session %q, want %q", s.ID, s.Session, want)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ListRuns (-want +got):\n%s", d)
			}
			n, err := db.CountRuns(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.total {
				t.Errorf("CountRuns = %d, want %d", n, tt.total)
			}
		})
	}
	if _, err := db.ListRuns(ctx, RunFilter{Limit: -1}); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestGetRunByPrefix(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	for _, id := range []string{"abcdef0123", "abcdef0999", "abcdeg1111", "abc", "zzzzzz-1", "zzzzzz-2", "zzzzzz-3", "zzzzzz-4", "zzzzzz-5", "zzzzzz-6"} {
		if err := db.SaveRun(ctx, testRecord(id, t0)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q      string
		want   string // ID found
		is     error
		inText []string
	}{
		{q: "abcdef0123", want: "abcdef0123"},
		{q: "abc", want: "abc"}, // exact IDs of any length
		{q: "abcdeg", want: "abcdeg1111"},
		{q: "abcdef09", want: "abcdef0999"},
		{q: "abcdef0", is: ErrAmbiguous, inText: []string{"abcdef0123", "abcdef0999"}},
		{q: "zzzzzz", is: ErrAmbiguous, inText: []string{"zzzzzz-5", ", ..."}},
		{q: "abcde", is: ErrNotFound, inText: []string{"at least 6"}},
		{q: "abcdex", is: ErrNotFound},
		{q: "ABCDEF0123", is: ErrNotFound},
		{q: "", is: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.q), func(t *testing.T) {
			got, err := db.GetRun(ctx, tt.q)
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("GetRun(%q) error = %v, want %v", tt.q, err, tt.is)
				}
				for _, w := range tt.inText {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.want {
				t.Errorf("GetRun(%q).ID = %q, want %q", tt.q, got.ID, tt.want)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	full := fullRecord()
	if err := db.SaveRun(ctx, full); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRun(ctx, testRecord("keep-me", t0)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRun(ctx, full.ID[:8]); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteRun by prefix: %v, want ErrNotFound", err)
	}
	if err := db.DeleteRun(ctx, full.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetRun(ctx, full.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun after delete: %v, want ErrNotFound", err)
	}
	if n := count(t, db, `SELECT count(*) FROM run_flags`); n != 0 {
		t.Errorf("%d flags left after delete, want 0 (ON DELETE CASCADE)", n)
	}
	if err := db.DeleteRun(ctx, full.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteRun: %v, want ErrNotFound", err)
	}
	if n, _ := db.CountRuns(ctx, RunFilter{}); n != 1 {
		t.Errorf("CountRuns = %d, want 1", n)
	}
}

func TestConcurrentSaveRun(t *testing.T) {
	ctx := t.Context()
	a := openTemp(t)
	// A second handle on the same file stands for another CLI process.
	b, err := Open(ctx, a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Go(func() {
			for i := range each {
				rec := testRecord(fmt.Sprintf("w%d-%d", w, i), t0.Add(time.Duration(i)*time.Second))
				if err := db.SaveRun(ctx, rec); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := a.CountRuns(ctx, RunFilter{}); err != nil || n != workers*each {
		t.Errorf("CountRuns = %d, %v; want %d", n, err, workers*each)
	}
}

func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := Open(t.Context(), path)
			if err != nil {
				errs <- err
				return
			}
			db.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMaxPromptTokens(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	prompt := func(s string) lab.RequestRecord {
		return lab.RequestRecord{Messages: []provider.Message{{Role: provider.RoleUser, Content: s}}}
	}
	for i, r := range []struct {
		model, prompt string
		status        lab.Status
		input         int
	}{
		{"ollama/a", "hi", lab.StatusOK, 100},
		{"ollama/a", "hi", lab.StatusOK, 120},
		{"ollama/a", "hi", lab.StatusOK, 7}, // a cache hit
		{"ollama/a", "hi", lab.StatusFailed, 500},
		{"ollama/b", "hi", lab.StatusOK, 900},
		{"ollama/a", "bye", lab.StatusOK, 800},
	} {
		rec := testRecord(fmt.Sprintf("run-%d", i), t0)
		rec.Model, rec.Status, rec.Request, rec.Tokens.Input = r.model, r.status, prompt(r.prompt), r.input
		if err := db.SaveRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		model, prompt string
		max, n        int
	}{
		{"ollama/a", "hi", 120, 3},
		{"ollama/b", "hi", 900, 1},
		{"ollama/a", "bye", 800, 1},
		{"ollama/a", "new", 0, 0},
		{"ollama/c", "hi", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.model+" "+tt.prompt, func(t *testing.T) {
			mx, n, err := db.MaxPromptTokens(ctx, tt.model, PromptHash(prompt(tt.prompt)))
			if err != nil {
				t.Fatal(err)
			}
			if mx != tt.max || n != tt.n {
				t.Errorf("MaxPromptTokens = (%d, %d), want (%d, %d)", mx, n, tt.max, tt.n)
			}
		})
	}
}

func TestPromptHash(t *testing.T) {
	msgs := func(kv ...string) lab.RequestRecord {
		var r lab.RequestRecord
		for i := 0; i < len(kv); i += 2 {
			r.Messages = append(r.Messages, provider.Message{Role: kv[i], Content: kv[i+1]})
		}
		return r
	}
	base := PromptHash(msgs("system", "ab", "user", "c"))
	withOptions := msgs("system", "ab", "user", "c")
	withOptions.Options.MaxTokens = 99
	withOptions.User = "different bookkeeping"
	tests := []struct {
		name string
		req  lab.RequestRecord
		same bool
	}{
		{"same messages", msgs("system", "ab", "user", "c"), true},
		{"options and other fields ignored", withOptions, true},
		{"boundary shifted", msgs("system", "a", "user", "bc"), false},
		{"role changed", msgs("user", "ab", "user", "c"), false},
		{"role and content swapped", msgs("ab", "system", "c", "user"), false},
		{"extra message", msgs("system", "ab", "user", "c", "user", ""), false},
		{"order", msgs("user", "c", "system", "ab"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PromptHash(tt.req) == base; got != tt.same {
				t.Errorf("hash equal = %v, want %v", got, tt.same)
			}
		})
	}
	// No messages hash the empty input.
	if got, want := PromptHash(lab.RequestRecord{}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("PromptHash(empty) = %s, want %s", got, want)
	}
	if len(base) != 64 || strings.ToLower(base) != base {
		t.Errorf("hash %q is not lowercase hex SHA-256", base)
	}
}
