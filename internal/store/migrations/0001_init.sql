-- 0001: runs, their quality flags, and idle baselines.
-- Times are INTEGER unix nanoseconds, UTC. Optional figures are NULL when
-- the record has none (never 0).

CREATE TABLE runs (
    id            TEXT    PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    saved_at      INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    provider      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    energy_source TEXT    NOT NULL,
    meter         TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    total_wh      REAL,
    prefill_wh    REAL,
    decode_wh     REAL,
    g_co2e        REAL,
    ttft_ms       REAL,
    total_ms      REAL    NOT NULL,
    -- prompt_hash is store.PromptHash of the request's final messages.
    prompt_hash   TEXT    NOT NULL,
    error         TEXT    NOT NULL,
    -- record is the full lab.Record as JSON; the columns above are copies
    -- for listing and filtering.
    record        TEXT    NOT NULL
);

CREATE INDEX runs_created_at ON runs (created_at);
CREATE INDEX runs_model_created_at ON runs (model, created_at);
CREATE INDEX runs_status_created_at ON runs (status, created_at);
CREATE INDEX runs_model_prompt ON runs (model, prompt_hash, status);

CREATE TABLE run_flags (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    code     TEXT NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (run_id, code)
) WITHOUT ROWID;

CREATE INDEX run_flags_code ON run_flags (code);

CREATE TABLE baselines (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL,
    watts        REAL    NOT NULL,
    window_ms    REAL    NOT NULL,
    cv           REAL    NOT NULL,
    disturbed    INTEGER NOT NULL,
    model_loaded INTEGER NOT NULL,
    taken_at     INTEGER NOT NULL
);

CREATE INDEX baselines_key_taken_at ON baselines (key, taken_at);
