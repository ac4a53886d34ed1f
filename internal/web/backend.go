package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/report"
)

// Backend is what the web lab asks of the rest of the lab. Listing methods
// return JSON-encodable values; errors that are the client's fault are
// *Error values (other errors are reported as 500).
type Backend interface {
	Health(ctx context.Context) any
	Models(ctx context.Context, provider string) (any, error)
	ModelInfo(ctx context.Context, model string) (any, error)
	Meters(ctx context.Context) (any, error)
	EnergyBenchmarks(ctx context.Context, model string) (any, error)
	BenchmarkInfo(ctx context.Context) (any, error)
	// SwitchBenchmark makes family the one runs are estimated with and
	// recalculates the session's runs with it (measurements untouched).
	SwitchBenchmark(ctx context.Context, session, family string) (any, error)
	AddCustomBenchmark(ctx context.Context, b CustomBenchmark) (any, error)
	SystemPrompts(ctx context.Context) (any, error)
	Emissions(ctx context.Context) (any, error)
	// Runs lists stored runs (newest first) as summaries.
	Runs(ctx context.Context, q RunQuery) ([]RunRow, int, error)
	Run(ctx context.Context, id string) (lab.Record, error)
	DeleteRun(ctx context.Context, id string) error
	// SessionRecords returns a session's runs, oldest first.
	SessionRecords(ctx context.Context, session string) ([]lab.Record, error)
	// Measure runs one request and stores it; see RunRequest. An error
	// means nothing was stored.
	Measure(ctx context.Context, r RunRequest, h Hooks) (lab.Record, error)
	// RunExperiment runs a batch or a middleware overhead study: every
	// trial is a stored run in the experiment's session (taking turns with
	// the other measured runs), and the experiment is stored when any
	// trial ran, also when stopped (ctx ended) or failed midway. The
	// outcome says what was stored; an error with nothing stored means
	// nothing ran.
	RunExperiment(ctx context.Context, r ExperimentRequest, h ExperimentHooks) (ExperimentOutcome, error)
	// Experiments lists the stored experiments, newest first, without
	// their results.
	Experiments(ctx context.Context, limit int) ([]ExperimentRow, error)
	// Experiment returns one stored experiment with its result.
	Experiment(ctx context.Context, id string) (ExperimentRow, error)
	// Calibrate runs the calibration's designed set for model (runs
	// repetitions) and fits and saves a calibrated benchmark row for it
	// on this host. It blocks until the whole set has run.
	Calibrate(ctx context.Context, model string, runs int) (any, error)
	// Report builds the report of an experiment (or, with session set, of
	// a session's runs): the same document and charts as `energylab report`.
	Report(ctx context.Context, experiment, session string) (report.Document, error)
}

// Experiment kinds the web lab runs.
const (
	ExperimentBatch  = "batch"
	ExperimentAblate = "ablate"
)

// ExperimentRequest is one experiment asked for over /ws/experiment.
type ExperimentRequest struct {
	// Kind is ExperimentBatch or ExperimentAblate.
	Kind string
	// Run is the request: a batch runs it as is; a study's bare arm is
	// its user query alone (its middleware fields are then empty: the
	// middleware is in Arms). Run.Seed is the sampling seed.
	Run RunRequest
	// Arms are the study's middleware configurations, compared with the
	// bare query (which the backend adds first).
	Arms []ExperimentArm
	// Runs are the measured runs per configuration, after Warmup
	// discarded ones; Cooldown pauses between runs.
	Runs, Warmup int
	Cooldown     time.Duration
	// Nonce makes every run pay its own prefill (no prompt cache).
	Nonce bool
	// IncludeFlagged keeps runs whose quality flags make them unreliable.
	IncludeFlagged bool
	// Seed orders the study's runs and seeds the bootstrap (0: from the
	// clock, reported back).
	Seed uint64
}

// ExperimentArm is one middleware configuration of an overhead study.
type ExperimentArm struct {
	Name            string
	System, Context string
	Injections      []lab.Injection
}

// ExperimentHooks follow an experiment; nil hooks are skipped.
type ExperimentHooks struct {
	// Ready is called once every configuration has passed its check,
	// before the first run.
	Ready func(ExperimentReady)
	// Progress is called after every run.
	Progress func(experiment.Progress)
	// Log receives warnings and queueing notes.
	Log func(string)
}

// ExperimentReady describes an experiment about to start.
type ExperimentReady struct {
	ID    string   `json:"experiment_id"`
	Kind  string   `json:"kind"`
	Model string   `json:"model"`
	Total int      `json:"total"`
	Seed  uint64   `json:"seed"`
	Arms  []string `json:"arms,omitempty"`
}

// ExperimentOutcome is what an experiment produced.
type ExperimentOutcome struct {
	ID   string
	Kind string
	Seed uint64
	// Stored is true when the experiment (and so Result) was stored.
	Stored bool
	// Stopped is true when it ended before its last run; Result then
	// holds the statistics of the runs that finished.
	Stopped bool
	// Result is the experiment.BatchResult or experiment.AblationResult.
	Result any
}

// ExperimentRow is a stored experiment; Result is set when one experiment
// is asked for.
type ExperimentRow struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	CreatedAt string          `json:"created_at"`
	Summary   string          `json:"summary"`
	Result    json.RawMessage `json:"result,omitempty"`
}

// RunRequest is one run asked for over a WebSocket.
type RunRequest struct {
	// Model is the full "provider/model" name.
	Model                 string
	System, User, Context string
	Injections            []lab.Injection
	// Preset names the system-prompt preset System came from, if any.
	Preset      string
	Temperature *float64
	MaxTokens   *int
	Seed        *int64
	TopP        *float64
	Think       *bool
	// IgnoreEOS asks for exactly MaxTokens tokens (see provider.Options).
	IgnoreEOS bool
	// Meter is "auto", "rapl", "cpu-model" or "none"; "" is the server's.
	Meter string
	// Family is the estimate family; "" is the server's selection.
	Family     string
	Grid       string
	GridFactor *float64
	PUE        *float64
	Session    string
}

// Hooks follow a run as it happens.
type Hooks struct {
	Event    func(harness.Event)
	Log      func(string)
	Prepared func(info provider.ModelInfo, meterNote string)
}

// CustomBenchmark is /api/add-custom-benchmark's body (the original's field
// names; split fields are per 1,000 input and output tokens).
type CustomBenchmark struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	WhPer1k     *float64 `json:"watt_hours_per_1000_tokens"`
	InputWh     *float64 `json:"input_wh_per_1000_tokens"`
	OutputWh    *float64 `json:"output_wh_per_1000_tokens"`
	Source      string   `json:"source"`
	Hardware    string   `json:"hardware_specs"`
	Boundary    string   `json:"boundary"`
	Model       string   `json:"model"`
}

// RunQuery filters /api/runs.
type RunQuery struct {
	Session, Model, Status string
	Limit, Offset          int
}

// RunRow is one run in a listing.
type RunRow struct {
	ID           string   `json:"id"`
	CreatedAt    string   `json:"created_at"`
	Status       string   `json:"status"`
	Model        string   `json:"model"`
	Session      string   `json:"session,omitempty"`
	EnergySource string   `json:"energy_source,omitempty"`
	Meter        string   `json:"meter,omitempty"`
	InputTokens  int      `json:"input_tokens"`
	OutputTokens int      `json:"output_tokens"`
	TotalWh      *float64 `json:"total_wh"`
	PrefillWh    *float64 `json:"prefill_wh"`
	DecodeWh     *float64 `json:"decode_wh"`
	GCO2e        *float64 `json:"g_co2e"`
	TTFTMs       *float64 `json:"ttft_ms"`
	TotalMs      float64  `json:"total_ms"`
	Error        string   `json:"error,omitempty"`
}

// Error is a client error with an HTTP status and a hint saying what to do.
type Error struct {
	Status int
	Msg    string
	Hint   string
}

func (e *Error) Error() string { return e.Msg }

// BadRequest, NotFound and Conflict build client errors.
func BadRequest(hint, format string, a ...any) error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

// NotFound is a 404 client error.
func NotFound(hint, format string, a ...any) error {
	return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

func statusOf(err error) (int, string, string) {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status, e.Msg, e.Hint
	}
	return http.StatusInternalServerError, err.Error(), ""
}
