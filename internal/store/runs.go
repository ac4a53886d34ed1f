package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// MinPrefix is the shortest ID prefix GetRun resolves, in characters.
const MinPrefix = 6

// RunSummary is the listing view of a run: the indexed copies of its main
// figures. Optional figures are nil when the record has none.
type RunSummary struct {
	// ID is the run's unique ID.
	ID string
	// CreatedAt is when the run started, in UTC.
	CreatedAt time.Time
	Status    lab.Status
	// Provider is the provider's name ("ollama").
	Provider string
	// Model is the full lab name, "provider/model".
	Model string
	// EnergySource says whether the energy was measured, modelled or
	// estimated; empty when there is none.
	EnergySource energy.Source
	// Meter names the meter, empty when none ran.
	Meter string
	// InputTokens and OutputTokens are the run's token counts.
	InputTokens  int
	OutputTokens int
	// TotalWh, PrefillWh and DecodeWh are the gross energy in Wh
	// (lab.Energy.TotalWh, PrefillWh, DecodeWh).
	TotalWh   *float64
	PrefillWh *float64
	DecodeWh  *float64
	// GCO2e is the gross emissions in grams CO2e (lab.Carbon.GCO2e).
	GCO2e *float64
	// TTFTMs is the time to first token in milliseconds.
	TTFTMs *float64
	// TotalMs is the measured window in milliseconds.
	TotalMs float64
	// PromptHash is PromptHash of the request.
	PromptHash string
	// Error is the run's error text, empty when it succeeded.
	Error string
	// Session is the session the run belongs to ("" for none).
	Session string
}

// RunFilter selects runs for ListRuns and CountRuns. Empty fields match
// everything.
type RunFilter struct {
	// Model is the full lab name to match exactly.
	Model string
	// Status matches lab.Status values ("ok", "failed", "cancelled").
	Status string
	// Flag keeps runs that carry this quality flag code (lab.FlagColdLoad ...).
	Flag string
	// Session keeps the runs of one session (lab.Record.Session).
	Session string
	// Limit caps the number of runs ListRuns returns; 0 means no cap.
	// CountRuns ignores it.
	Limit int
	// Offset skips that many runs, newest first. CountRuns ignores it.
	Offset int
}

// PromptHash identifies a request's prompt: the lowercase hex SHA-256 of its
// final messages (req.Messages, after middleware), each encoded as the
// uvarint byte length and bytes of its role, then of its content, so that no
// two different message lists encode alike. Options are not part of it.
// SaveRun stores it; pass the same value to MaxPromptTokens.
func PromptHash(req lab.RequestRecord) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	for _, m := range req.Messages {
		put(m.Role)
		put(m.Content)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SaveRun stores rec in one transaction: either all of it is written or none
// of it. The record is kept whole as JSON, and its ID, times, status, model,
// energy, carbon, timing, PromptHash(rec.Request), error and flags are copied
// into indexed columns. A zero rec.CreatedAt is set to db.Now() first (on
// rec itself). An empty ID is rejected; an ID already stored gives an error
// wrapping ErrDuplicate.
func (db *DB) SaveRun(ctx context.Context, rec *lab.Record) (err error) {
	if rec == nil {
		return errors.New("save run: nil record")
	}
	if strings.TrimSpace(rec.ID) == "" {
		return errors.New("save run: the record has an empty ID")
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = db.Now()
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("save run %s: encode record: %w", rec.ID, err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save run %s: %w", rec.ID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (
		id, created_at, saved_at, status, provider, model, energy_source, meter,
		input_tokens, output_tokens, total_wh, prefill_wh, decode_wh, g_co2e,
		ttft_ms, total_ms, prompt_hash, error, record, session
	) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rec.ID, unixNanos(rec.CreatedAt), unixNanos(db.Now()), string(rec.Status), rec.Provider, rec.Model,
		string(rec.Energy.Source), rec.Energy.Meter, rec.Tokens.Input, rec.Tokens.Output,
		rec.Energy.TotalWh, rec.Energy.PrefillWh, rec.Energy.DecodeWh, rec.Carbon.GCO2e,
		rec.Timing.TTFTMs, rec.Timing.TotalMs, PromptHash(rec.Request), rec.Error, string(body), rec.Session)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("save run %s: %w: a run with this ID is already stored", rec.ID, ErrDuplicate)
		}
		return fmt.Errorf("save run %s: %w", rec.ID, err)
	}
	if db.afterRunInsert != nil {
		if err = db.afterRunInsert(); err != nil {
			return fmt.Errorf("save run %s: %w", rec.ID, err)
		}
	}
	for _, f := range rec.Flags {
		if _, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO run_flags (run_id, code, severity) VALUES (?, ?, ?)`,
			rec.ID, f.Code, string(f.Severity)); err != nil {
			return fmt.Errorf("save run %s: flag %s: %w", rec.ID, f.Code, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("save run %s: commit: %w", rec.ID, err)
	}
	return nil
}

// UpdateRun replaces a stored run's record (and its listing columns and
// flags) with rec, in one transaction: what recalculating a run's estimates
// does. The run must exist (ErrNotFound otherwise); its ID and creation
// time do not change.
func (db *DB) UpdateRun(ctx context.Context, rec *lab.Record) (err error) {
	if rec == nil || strings.TrimSpace(rec.ID) == "" {
		return errors.New("update run: a record with an ID is needed")
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("update run %s: encode record: %w", rec.ID, err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update run %s: %w", rec.ID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	res, err := tx.ExecContext(ctx, `UPDATE runs SET saved_at = ?, status = ?, energy_source = ?, meter = ?,
		input_tokens = ?, output_tokens = ?, total_wh = ?, prefill_wh = ?, decode_wh = ?, g_co2e = ?,
		ttft_ms = ?, total_ms = ?, error = ?, record = ? WHERE id = ?`,
		unixNanos(db.Now()), string(rec.Status), string(rec.Energy.Source), rec.Energy.Meter,
		rec.Tokens.Input, rec.Tokens.Output, rec.Energy.TotalWh, rec.Energy.PrefillWh, rec.Energy.DecodeWh,
		rec.Carbon.GCO2e, rec.Timing.TTFTMs, rec.Timing.TotalMs, rec.Error, string(body), rec.ID)
	if err != nil {
		return fmt.Errorf("update run %s: %w", rec.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update run %s: %w", rec.ID, ErrNotFound)
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM run_flags WHERE run_id = ?`, rec.ID); err != nil {
		return fmt.Errorf("update run %s: %w", rec.ID, err)
	}
	for _, f := range rec.Flags {
		if _, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO run_flags (run_id, code, severity) VALUES (?, ?, ?)`,
			rec.ID, f.Code, string(f.Severity)); err != nil {
			return fmt.Errorf("update run %s: flag %s: %w", rec.ID, f.Code, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("update run %s: commit: %w", rec.ID, err)
	}
	return nil
}

// isConstraint reports whether err is the SQLite extended result code code.
func isConstraint(err error, code int) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	return ok && se.Code() == code
}

// GetRun returns the run with the given ID, or with the only ID that starts
// with it when it is at least MinPrefix characters long (as git resolves
// abbreviated hashes). No match, or a prefix that is too short, gives an
// error wrapping ErrNotFound; a prefix matching several runs, one wrapping
// ErrAmbiguous that lists them.
func (db *DB) GetRun(ctx context.Context, id string) (lab.Record, error) {
	body, err := db.recordJSON(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		full, rerr := db.resolvePrefix(ctx, id)
		if rerr != nil {
			return lab.Record{}, rerr
		}
		body, err = db.recordJSON(ctx, full)
		if errors.Is(err, sql.ErrNoRows) { // deleted in between
			return lab.Record{}, fmt.Errorf("get run %s: %w", id, ErrNotFound)
		}
	}
	if err != nil {
		return lab.Record{}, fmt.Errorf("get run %s: %w", id, err)
	}
	var rec lab.Record
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		return lab.Record{}, fmt.Errorf("get run %s: decode record: %w", id, err)
	}
	return rec, nil
}

func (db *DB) recordJSON(ctx context.Context, id string) (string, error) {
	var body string
	err := db.sql.QueryRowContext(ctx, `SELECT record FROM runs WHERE id = ?`, id).Scan(&body)
	return body, err
}

// resolvePrefix returns the one stored ID that starts with prefix.
func (db *DB) resolvePrefix(ctx context.Context, prefix string) (string, error) {
	if len(prefix) < MinPrefix {
		return "", fmt.Errorf("get run %q: %w (a shortened ID needs at least %d characters)", prefix, ErrNotFound, MinPrefix)
	}
	// IDs sharing a prefix are contiguous in byte order, starting at the
	// first ID >= prefix, so the primary key index finds them.
	const show = 5
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM runs WHERE id >= ? ORDER BY id LIMIT ?`, prefix, show+1)
	if err != nil {
		return "", fmt.Errorf("get run %s: %w", prefix, err)
	}
	defer rows.Close()
	var matches []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("get run %s: %w", prefix, err)
		}
		if !strings.HasPrefix(id, prefix) {
			break
		}
		matches = append(matches, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("get run %s: %w", prefix, err)
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("get run %s: %w", prefix, ErrNotFound)
	case 1:
		return matches[0], nil
	}
	list := strings.Join(matches[:min(len(matches), show)], ", ")
	if len(matches) > show {
		list += ", ..."
	}
	return "", fmt.Errorf("get run %s: %w: it matches %s; give more characters", prefix, ErrAmbiguous, list)
}

// where builds the WHERE clause of f.
func (f RunFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Model != "" {
		conds = append(conds, "model = ?")
		args = append(args, f.Model)
	}
	if f.Status != "" {
		conds = append(conds, "status = ?")
		args = append(args, f.Status)
	}
	if f.Session != "" {
		conds = append(conds, "session = ?")
		args = append(args, f.Session)
	}
	if f.Flag != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM run_flags WHERE run_flags.run_id = runs.id AND run_flags.code = ?)")
		args = append(args, f.Flag)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListRuns returns the runs f selects, newest first (by CreatedAt, then by
// insertion order).
func (db *DB) ListRuns(ctx context.Context, f RunFilter) ([]RunSummary, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, fmt.Errorf("list runs: negative limit %d or offset %d", f.Limit, f.Offset)
	}
	where, args := f.where()
	limit := f.Limit
	if limit == 0 {
		limit = -1 // SQLite: no limit
	}
	args = append(args, limit, f.Offset)
	rows, err := db.sql.QueryContext(ctx, `SELECT
		id, created_at, status, provider, model, energy_source, meter,
		input_tokens, output_tokens, total_wh, prefill_wh, decode_wh, g_co2e,
		ttft_ms, total_ms, prompt_hash, error, session
		FROM runs`+where+` ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		var (
			s                      RunSummary
			created                int64
			status, source         string
			total, prefill, decode sql.Null[float64]
			grams, ttft            sql.Null[float64]
		)
		if err := rows.Scan(&s.ID, &created, &status, &s.Provider, &s.Model, &source, &s.Meter,
			&s.InputTokens, &s.OutputTokens, &total, &prefill, &decode, &grams,
			&ttft, &s.TotalMs, &s.PromptHash, &s.Error, &s.Session); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		s.CreatedAt = time.Unix(0, created).UTC()
		s.Status = lab.Status(status)
		s.EnergySource = energy.Source(source)
		s.TotalWh, s.PrefillWh, s.DecodeWh = ptr(total), ptr(prefill), ptr(decode)
		s.GCO2e, s.TTFTMs = ptr(grams), ptr(ttft)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

func ptr(v sql.Null[float64]) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.V
}

// CountRuns returns how many runs f selects, ignoring its Limit and Offset.
func (db *DB) CountRuns(ctx context.Context, f RunFilter) (int, error) {
	where, args := f.where()
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM runs`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count runs: %w", err)
	}
	return n, nil
}

// DeleteRun removes the run with exactly this ID (no prefixes, so that a
// short ID cannot delete the wrong run) together with its flags. An unknown
// ID gives an error wrapping ErrNotFound.
func (db *DB) DeleteRun(ctx context.Context, id string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete run %s: %w", id, ErrNotFound)
	}
	return nil
}

// MaxPromptTokens looks at the stored successful runs (status "ok") of model
// (the full lab name) whose PromptHash is promptHash, and returns the largest
// input-token count among them and how many there are; (0, 0) when there are
// none. A server that caches prompts but does not report it evaluates fewer
// input tokens for a repeated prompt, so a run whose input count is below max
// has likely hit the cache.
func (db *DB) MaxPromptTokens(ctx context.Context, model, promptHash string) (maxTokens, n int, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT coalesce(max(input_tokens), 0), count(*) FROM runs
		WHERE model = ? AND prompt_hash = ? AND status = ?`, model, promptHash, string(lab.StatusOK)).Scan(&maxTokens, &n)
	if err != nil {
		return 0, 0, fmt.Errorf("prompt history of %s: %w", model, err)
	}
	return maxTokens, n, nil
}
