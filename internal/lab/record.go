package lab

import (
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

// Status of a run.
type Status string

// Run statuses.
const (
	StatusOK        Status = "ok"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Record is everything the lab knows about one run. Optional figures are
// pointers: nil means absent, and the section's AbsentReason says why. A
// figure is never reported as zero because it could not be obtained.
type Record struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Status    Status    `json:"status"`
	Error     string    `json:"error,omitempty"`
	// Session groups runs: a web lab server's session, for example.
	Session string `json:"session,omitempty"`

	// Model is the full lab name, "provider/model".
	Model    string `json:"model"`
	Provider string `json:"provider"`

	Request  RequestRecord  `json:"request"`
	Response ResponseRecord `json:"response"`
	Tokens   Tokens         `json:"tokens"`
	Energy   Energy         `json:"energy"`
	ETokens  ETokens        `json:"etokens"`
	Carbon   Carbon         `json:"carbon"`
	Timing   Timing         `json:"timing"`

	// Snapshots are the meter readings at the phase boundaries.
	Snapshots []Snapshot `json:"snapshots,omitempty"`
	// Power is the meter's power over the run, one point per background
	// poll (at most MaxPowerPoints, evenly thinned), for charts. It is a
	// display aid: the energy figures come from the snapshots.
	Power []PowerPoint `json:"power,omitempty"`
	// Flags are the run's quality flags.
	Flags []Flag `json:"flags"`
	// Estimates are benchmark-based estimates of the same request.
	Estimates []Estimate `json:"estimates"`
	Manifest  Manifest   `json:"manifest"`
}

// Injection is one free-form middleware injection.
type Injection struct {
	Description string `json:"description"`
	Content     string `json:"content"`
}

// RequestRecord is what was asked, before and after middleware composition.
type RequestRecord struct {
	User         string             `json:"user"`
	System       string             `json:"system,omitempty"`
	SystemPreset string             `json:"system_preset,omitempty"`
	Context      string             `json:"context,omitempty"`
	Injections   []Injection        `json:"injections,omitempty"`
	Messages     []provider.Message `json:"messages"`
	Options      provider.Options   `json:"options"`
}

// ResponseRecord is what the model wrote.
type ResponseRecord struct {
	Text     string `json:"text"`
	Thinking string `json:"thinking,omitempty"`
	// Meaningless is true when the text comes from a synthetic model: its
	// compute is real, its words are not.
	Meaningless bool   `json:"meaningless,omitempty"`
	DoneReason  string `json:"done_reason,omitempty"`
}

// Breakdown splits a run's tokens by where they came from.
type Breakdown struct {
	// Method is "counted" (the model's own tokenizer) or "estimated" (the
	// provider's totals split by a stated heuristic).
	Method string `json:"method"`
	// Note states the heuristic when Method is "estimated".
	Note       string `json:"note,omitempty"`
	User       int    `json:"user"`
	System     int    `json:"system"`
	Context    int    `json:"context"`
	Injections int    `json:"injections"`
	// Template is the chat template's own tokens (role headers, separators).
	Template int `json:"template"`
	Thinking int `json:"thinking"`
	Answer   int `json:"answer"`
	// Middleware is system + context + injections + template: every input
	// token the user did not type.
	Middleware int `json:"middleware"`
}

// Tokens counts the run's tokens.
type Tokens struct {
	// Input is the number of prompt tokens the model evaluated.
	Input int `json:"input"`
	// Output is the number of tokens generated, thinking included.
	Output int `json:"output"`
	// Cached is the number of prompt tokens served from a prompt cache, when
	// the server reports it.
	Cached *int `json:"cached,omitempty"`
	// Source says where Input and Output came from: "provider" (the
	// server's usage report), "tokenizer" (counted here) or "stream" (chunks
	// counted here because the provider reported nothing).
	Source    string    `json:"source"`
	Breakdown Breakdown `json:"breakdown"`
}

// DomainEnergy is the energy of one meter domain.
type DomainEnergy struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Boundary  energy.Boundary `json:"boundary"`
	PrefillWh *float64        `json:"prefill_wh"`
	DecodeWh  *float64        `json:"decode_wh"`
	TotalWh   *float64        `json:"total_wh"`
}

// Baseline is the idle power subtracted to get active energy.
type Baseline struct {
	Watts   float64   `json:"watts"`
	TakenAt time.Time `json:"taken_at"`
	// WindowMs is how long the idle sample lasted.
	WindowMs float64 `json:"window_ms"`
	// Reused is true when the sample was taken before this run and reused.
	Reused bool `json:"reused"`
	// CV is the coefficient of variation of the sub-samples' power.
	CV float64 `json:"cv"`
	// Disturbed is true when the idle sample varied too much to trust.
	Disturbed bool `json:"disturbed"`
	// ModelLoaded says whether the model was resident during the sample.
	ModelLoaded bool `json:"model_loaded"`
}

// ActiveEnergy is gross energy minus baseline watts times the window.
type ActiveEnergy struct {
	TotalWh   *float64  `json:"total_wh"`
	PrefillWh *float64  `json:"prefill_wh"`
	DecodeWh  *float64  `json:"decode_wh"`
	Baseline  *Baseline `json:"baseline"`
	// AbsentReason says why active energy is missing.
	AbsentReason string `json:"absent_reason,omitempty"`
}

// Energy is the run's energy over the measured window, from request sent to
// last token, split at the first token.
type Energy struct {
	// Source is "measured", "modelled" or "estimated".
	Source energy.Source `json:"source"`
	// Meter names the meter ("rapl", "cpu-model"), empty when none ran.
	Meter string `json:"meter,omitempty"`
	// Boundary is the scope the figures cover, in words.
	Boundary    string   `json:"boundary,omitempty"`
	Assumptions []string `json:"assumptions,omitempty"`

	// Gross energy: the counters' advance over each phase, idle included.
	TotalWh   *float64 `json:"total_wh"`
	PrefillWh *float64 `json:"prefill_wh"`
	DecodeWh  *float64 `json:"decode_wh"`
	// Domains break the gross figures down per counter.
	Domains []DomainEnergy `json:"domains,omitempty"`
	// Active is gross minus the idle baseline.
	Active ActiveEnergy `json:"active"`
	// AbsentReason says why there is no energy figure.
	AbsentReason string `json:"absent_reason,omitempty"`
}

// ETokenSet is one set of intensity figures. Each is nil when its
// denominator is zero.
type ETokenSet struct {
	// WhPer1kInput is e-token-i: total Wh x 1000 / input tokens.
	WhPer1kInput *float64 `json:"wh_per_1k_input"`
	// WhPer1kOutput is e-token-o: total Wh x 1000 / output tokens.
	WhPer1kOutput *float64 `json:"wh_per_1k_output"`
	// PrefillWhPer1kInput is prefill Wh x 1000 / input tokens.
	PrefillWhPer1kInput *float64 `json:"prefill_wh_per_1k_input"`
	// DecodeWhPer1kOutput is decode Wh x 1000 / output tokens.
	DecodeWhPer1kOutput *float64 `json:"decode_wh_per_1k_output"`
	// JPerToken is total J / (input + output tokens).
	JPerToken *float64 `json:"j_per_token"`
	// JPerOutputToken is total J / output tokens (ML.ENERGY's unit).
	JPerOutputToken *float64 `json:"j_per_output_token"`
}

// ETokens holds the intensities of gross energy, and of active energy under
// Active.
type ETokens struct {
	ETokenSet
	Active *ETokenSet `json:"active,omitempty"`
}

// Grid is the carbon intensity used for a result, with its provenance.
type Grid struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// FactorKgPerKWh is kg CO2e per kWh (= g per Wh).
	FactorKgPerKWh float64 `json:"factor_kg_per_kwh"`
	Source         string  `json:"source"`
	Year           int     `json:"year,omitempty"`
	// Method is "location-based, annual average" for the bundled table, or
	// "user-supplied".
	Method string `json:"method"`
}

// Carbon is the run's emissions: Wh x grid factor x PUE.
type Carbon struct {
	GCO2e       *float64 `json:"g_co2e"`
	ActiveGCO2e *float64 `json:"active_g_co2e"`
	Grid        Grid     `json:"grid"`
	PUE         float64  `json:"pue"`
	// AbsentReason says why there is no carbon figure.
	AbsentReason string `json:"absent_reason,omitempty"`
}

// Latency summarises inter-token latency in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
}

// ServerTiming is the provider's own account of where time went.
type ServerTiming struct {
	PromptEvalMs *float64 `json:"prompt_eval_ms"`
	EvalMs       *float64 `json:"eval_ms"`
	LoadMs       *float64 `json:"load_ms"`
	TotalMs      *float64 `json:"total_ms"`
	// PromptTokensPerSecond is the server's prefill rate.
	PromptTokensPerSecond *float64 `json:"prompt_tokens_per_second"`
	// EvalTokensPerSecond is the server's decode rate.
	EvalTokensPerSecond *float64 `json:"eval_tokens_per_second"`
}

// Timing is measured here, on a monotonic clock, at the same instants as the
// energy snapshots.
type Timing struct {
	// TTFTMs is request sent to first token (thinking or answer).
	TTFTMs *float64 `json:"ttft_ms"`
	// DecodeMs is first token to last token.
	DecodeMs *float64 `json:"decode_ms"`
	// TotalMs is the measured window: first snapshot to last.
	TotalMs float64 `json:"total_ms"`
	// TokensPerSecond is the decode rate: (output tokens - 1) / decode time.
	TokensPerSecond *float64 `json:"tokens_per_second"`
	// EndToEndTokensPerSecond is output tokens / total time.
	EndToEndTokensPerSecond *float64 `json:"end_to_end_tokens_per_second"`
	// ITLMs is the inter-token latency of the streamed chunks.
	ITLMs  *Latency     `json:"itl_ms"`
	Server ServerTiming `json:"server"`
}

// Snapshot is one reading of the meter at a phase boundary, with the
// monotonic totals (wraps unfolded) since the first snapshot.
type Snapshot struct {
	// Mark is "start", "first_token" or "end".
	Mark string `json:"mark"`
	// OffsetMs is the time since the start snapshot.
	OffsetMs float64          `json:"offset_ms"`
	Time     time.Time        `json:"time"`
	Raw      []energy.Counter `json:"raw"`
	// TotalUJ is the energy accumulated since the start snapshot, in µJ,
	// per domain ID.
	TotalUJ map[string]int64 `json:"total_uj"`
}

// PowerPoint is the mean power over one poll interval, ending OffsetMs
// after the start snapshot.
type PowerPoint struct {
	OffsetMs float64 `json:"offset_ms"`
	Watts    float64 `json:"watts"`
}

// MaxPowerPoints bounds a record's power trace.
const MaxPowerPoints = 600

// Severity of a quality flag.
type Severity string

// Severities.
const (
	// Info flags describe the run without casting doubt on its figures.
	Info Severity = "info"
	// Warn flags mean a figure should not be trusted as it stands.
	Warn Severity = "warn"
)

// Flag codes.
const (
	FlagShortWindow      = "window_below_counter_period"
	FlagColdLoad         = "cold_model_load"
	FlagCacheHit         = "prompt_cache_hit"
	FlagCounterWrap      = "counter_wrap"
	FlagCounterReset     = "counter_reset"
	FlagIdleDisturbed    = "idle_sample_disturbed"
	FlagNoTokens         = "no_tokens_generated"
	FlagActiveNegative   = "active_below_baseline"
	FlagMeterFallback    = "meter_fallback"
	FlagNoMeter          = "not_metered"
	FlagSyntheticModel   = "synthetic_model"
	FlagCountsFromStream = "counts_from_stream"
	FlagPollGap          = "meter_poll_gap"
)

// Flag is one quality observation about a run.
type Flag struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Estimate is a benchmark-based energy estimate of the run's token counts,
// shown beside any measurement with its own boundary. When no row of the
// family fits the model, Wh is nil and AbsentReason says why.
type Estimate struct {
	// Family is the family's ID ("aes", "jegham", "mlenergy", "custom",
	// "calibrated") and FamilyName its display name.
	Family     string `json:"family"`
	FamilyName string `json:"family_name,omitempty"`
	// Selection says how the family was chosen ("requested", or "auto:
	// the first family with a row for this model").
	Selection string `json:"selection,omitempty"`
	// Row is the row used and RowModel the model as the family names it.
	Row      string `json:"row,omitempty"`
	RowModel string `json:"row_model,omitempty"`
	// Match grades how well the row fits the run's model, and
	// MatchExplanation says why.
	Match            string `json:"match,omitempty"`
	MatchExplanation string `json:"match_explanation,omitempty"`
	// Boundary is what the estimate covers ("gpu", "node-pue" ...) and
	// BoundaryNote describes it; PUEIncluded is true when the figure already
	// includes datacentre overhead.
	Boundary     string `json:"boundary,omitempty"`
	BoundaryNote string `json:"boundary_note,omitempty"`
	PUEIncluded  bool   `json:"pue_included,omitempty"`
	Hardware     string `json:"hardware,omitempty"`
	// Input and Output are the token counts estimated for.
	Input  int `json:"input"`
	Output int `json:"output"`
	// Wh is the central estimate; LowWh and HighWh a ±1 SD band where the
	// family has one.
	Wh     *float64 `json:"wh"`
	LowWh  *float64 `json:"low_wh,omitempty"`
	HighWh *float64 `json:"high_wh,omitempty"`
	// PrefillWh and DecodeWh split the estimate where the family's formula
	// separates input and output costs.
	PrefillWh *float64 `json:"prefill_wh,omitempty"`
	DecodeWh  *float64 `json:"decode_wh,omitempty"`
	// GCO2e is Wh × the run's grid factor × PUE (PUE 1 when included).
	GCO2e *float64 `json:"g_co2e,omitempty"`
	// Extrapolated is true when the token counts lie outside the row's data.
	Extrapolated bool   `json:"extrapolated,omitempty"`
	Method       string `json:"method,omitempty"`
	Note         string `json:"note,omitempty"`
	AbsentReason string `json:"absent_reason,omitempty"`
}

// Manifest records what produced the figures, so a result can be audited and
// re-scored later.
type Manifest struct {
	LabVersion string             `json:"lab_version"`
	Host       string             `json:"host"`
	OS         string             `json:"os"`
	Arch       string             `json:"arch"`
	CPUs       int                `json:"cpus"`
	CPUModel   string             `json:"cpu_model,omitempty"`
	Model      provider.ModelInfo `json:"model"`
	Meter      *energy.Info       `json:"meter,omitempty"`
	// MeterNote says why this meter was chosen (or why none ran).
	MeterNote string `json:"meter_note,omitempty"`
	// Grid and PUE repeat the carbon inputs.
	Grid Grid    `json:"grid"`
	PUE  float64 `json:"pue"`
	// PollIntervalMs is the background meter poll interval.
	PollIntervalMs float64 `json:"poll_interval_ms"`
	// Preloaded is true when the model was loaded before the idle baseline.
	Preloaded bool `json:"preloaded"`
	// Endpoint is the provider's base URL (no credentials).
	Endpoint string `json:"endpoint,omitempty"`
}
