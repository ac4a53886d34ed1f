// Package store persists runs and idle baselines in an embedded SQLite
// database (pure-Go modernc.org/sqlite, so the binary stays cgo-free).
//
// Open creates the file, turns on WAL, foreign keys and a busy timeout, and
// applies the embedded migrations/NNNN_name.sql files in order, each in its
// own transaction and recorded in schema_migrations. Every run is stored
// whole, as the JSON of its lab.Record, together with copies of the figures
// used for listing and filtering; a run is written in one transaction, so it
// is either all there or not there at all.
//
// Time is injectable through DB.Now.
//
// store imports lab, energy and the standard library plus the SQLite driver.
// It must not import server, bench, app or any meter or provider adapter;
// only the composition root (internal/app) imports store.
package store
