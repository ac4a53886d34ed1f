package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
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
