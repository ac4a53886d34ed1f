-- 0002: user benchmark rows (custom and calibrated estimate families) and
-- lab settings. A row's content is the estimate package's JSON; the store
-- keeps it opaque.

CREATE TABLE benchmarks (
    family     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    row        TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (family, name)
) WITHOUT ROWID;

CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
