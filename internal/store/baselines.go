package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Baseline is one idle-power sample, kept so that later runs (and later CLI
// invocations) can reuse it for a while instead of idling again.
type Baseline struct {
	// Key identifies what the sample is valid for: the meter, its domains
	// and the model identity, as the caller builds it. Only a sample with the
	// same key is reused.
	Key string
	// Watts is the mean idle power in watts.
	Watts float64
	// WindowMs is how long the sample lasted, in milliseconds.
	WindowMs float64
	// CV is the coefficient of variation of the sub-samples' power
	// (standard deviation / mean, dimensionless).
	CV float64
	// Disturbed is true when the sample varied too much to trust; such a
	// sample is stored for the record but never returned by LatestBaseline.
	Disturbed bool
	// ModelLoaded says whether the model was resident during the sample.
	ModelLoaded bool
	// TakenAt is when the sample ended; a zero value is set to db.Now() on
	// save. It is returned in UTC with nanosecond precision.
	TakenAt time.Time
}

// SaveBaseline stores b. Its key must be non-empty and its figures finite and
// not negative.
func (db *DB) SaveBaseline(ctx context.Context, b Baseline) error {
	if strings.TrimSpace(b.Key) == "" {
		return errors.New("save baseline: empty key")
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"watts", b.Watts}, {"window", b.WindowMs}, {"cv", b.CV}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) || v.x < 0 {
			return fmt.Errorf("save baseline %s: %s %v is not a finite non-negative number", b.Key, v.name, v.x)
		}
	}
	if b.TakenAt.IsZero() {
		b.TakenAt = db.Now()
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO baselines
		(key, watts, window_ms, cv, disturbed, model_loaded, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.Key, b.Watts, b.WindowMs, b.CV, b.Disturbed, b.ModelLoaded, unixNanos(b.TakenAt))
	if err != nil {
		return fmt.Errorf("save baseline %s: %w", b.Key, err)
	}
	return nil
}

// LatestBaseline returns the most recent undisturbed sample with this key
// taken at or after notBefore, and whether there is one.
func (db *DB) LatestBaseline(ctx context.Context, key string, notBefore time.Time) (Baseline, bool, error) {
	b := Baseline{Key: key}
	var taken int64
	err := db.sql.QueryRowContext(ctx, `SELECT watts, window_ms, cv, disturbed, model_loaded, taken_at
		FROM baselines WHERE key = ? AND disturbed = 0 AND taken_at >= ?
		ORDER BY taken_at DESC, id DESC LIMIT 1`, key, unixNanos(notBefore)).
		Scan(&b.Watts, &b.WindowMs, &b.CV, &b.Disturbed, &b.ModelLoaded, &taken)
	if errors.Is(err, sql.ErrNoRows) {
		return Baseline{}, false, nil
	}
	if err != nil {
		return Baseline{}, false, fmt.Errorf("latest baseline %s: %w", key, err)
	}
	b.TakenAt = time.Unix(0, taken).UTC()
	return b, true, nil
}
