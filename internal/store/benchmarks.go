package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Benchmark is a user-defined estimate row kept by the store: a custom row
// or one calibrated from measured runs. Row is its JSON, opaque here.
type Benchmark struct {
	Family    string
	Name      string
	Row       json.RawMessage
	UpdatedAt time.Time
}

// SaveBenchmark stores b, replacing a row of the same family and name.
func (db *DB) SaveBenchmark(ctx context.Context, b Benchmark) error {
	if strings.TrimSpace(b.Family) == "" || strings.TrimSpace(b.Name) == "" {
		return errors.New("save benchmark: family and name must not be empty")
	}
	if !json.Valid(b.Row) {
		return fmt.Errorf("save benchmark %s/%s: the row is not valid JSON", b.Family, b.Name)
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = db.Now()
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO benchmarks (family, name, row, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (family, name) DO UPDATE SET row = excluded.row, updated_at = excluded.updated_at`,
		b.Family, b.Name, string(b.Row), unixNanos(b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save benchmark %s/%s: %w", b.Family, b.Name, err)
	}
	return nil
}

// Benchmarks returns the stored rows of family ("" for every family),
// ordered by family and name.
func (db *DB) Benchmarks(ctx context.Context, family string) ([]Benchmark, error) {
	q := `SELECT family, name, row, updated_at FROM benchmarks`
	var args []any
	if family != "" {
		q += ` WHERE family = ?`
		args = append(args, family)
	}
	rows, err := db.sql.QueryContext(ctx, q+` ORDER BY family, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list benchmarks: %w", err)
	}
	defer rows.Close()
	var out []Benchmark
	for rows.Next() {
		var b Benchmark
		var row string
		var at int64
		if err := rows.Scan(&b.Family, &b.Name, &row, &at); err != nil {
			return nil, fmt.Errorf("list benchmarks: %w", err)
		}
		b.Row, b.UpdatedAt = json.RawMessage(row), time.Unix(0, at).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// DeleteBenchmark removes one stored row; an unknown one is ErrNotFound.
func (db *DB) DeleteBenchmark(ctx context.Context, family, name string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM benchmarks WHERE family = ? AND name = ?`, family, name)
	if err != nil {
		return fmt.Errorf("delete benchmark %s/%s: %w", family, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete benchmark %s/%s: %w", family, name, ErrNotFound)
	}
	return nil
}

// SetSetting stores a lab setting (the current estimate family, say).
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, unixNanos(db.Now()))
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// Setting returns a stored setting and whether it was set.
func (db *DB) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", key, err)
	}
	return v, true, nil
}
