package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Experiment is a stored experiment: its kind ("batch", "ablate",
// "sweep", "calibrate"), a one-line summary and its result as JSON. Its
// runs are the runs whose Session is its ID.
type Experiment struct {
	ID        string
	Kind      string
	CreatedAt time.Time
	Summary   string
	Result    []byte
}

// SaveExperiment stores (or replaces) an experiment.
func (db *DB) SaveExperiment(ctx context.Context, e Experiment) error {
	if strings.TrimSpace(e.ID) == "" || e.Kind == "" || len(e.Result) == 0 {
		return errors.New("save experiment: ID, kind and result are required")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = db.Now()
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO experiments (id, kind, created_at, summary, result) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, summary = excluded.summary, result = excluded.result`,
		e.ID, e.Kind, unixNanos(e.CreatedAt), e.Summary, string(e.Result))
	if err != nil {
		return fmt.Errorf("save experiment %s: %w", e.ID, err)
	}
	return nil
}

// GetExperiment returns the experiment with this ID (ErrNotFound if none).
func (db *DB) GetExperiment(ctx context.Context, id string) (Experiment, error) {
	var e Experiment
	var created int64
	var result string
	err := db.sql.QueryRowContext(ctx, `SELECT id, kind, created_at, summary, result FROM experiments WHERE id = ?`, id).
		Scan(&e.ID, &e.Kind, &created, &e.Summary, &result)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("get experiment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("get experiment %s: %w", id, err)
	}
	e.CreatedAt, e.Result = time.Unix(0, created).UTC(), []byte(result)
	return e, nil
}

// ListExperiments returns the stored experiments, newest first, without
// their results.
func (db *DB) ListExperiments(ctx context.Context, limit int) ([]Experiment, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, kind, created_at, summary FROM experiments ORDER BY created_at DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list experiments: %w", err)
	}
	defer rows.Close()
	var out []Experiment
	for rows.Next() {
		var e Experiment
		var created int64
		if err := rows.Scan(&e.ID, &e.Kind, &created, &e.Summary); err != nil {
			return nil, fmt.Errorf("list experiments: %w", err)
		}
		e.CreatedAt = time.Unix(0, created).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
