-- 0004: experiments (batches, overhead studies, sweeps, calibrations).
-- The result is the experiment package's JSON, kept opaque; the runs of an
-- experiment are stored in runs with session = the experiment's ID.

CREATE TABLE experiments (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    summary    TEXT    NOT NULL DEFAULT '',
    result     TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX experiments_created ON experiments (created_at);
