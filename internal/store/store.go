package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a statement waits for another connection or
// process that holds the write lock before it fails with "database is
// locked".
const BusyTimeout = 5 * time.Second

// ErrNotFound marks a run that does not exist, or an ID prefix that matches
// none or is too short.
var ErrNotFound = errors.New("not found")

// ErrAmbiguous marks an ID prefix that matches more than one run.
var ErrAmbiguous = errors.New("ambiguous run ID prefix")

// ErrDuplicate marks a run whose ID is already stored.
var ErrDuplicate = errors.New("duplicate run ID")

// ErrNotDatabase marks a file that is not an energylab database: not SQLite
// at all, or a SQLite database of some other program.
var ErrNotDatabase = errors.New("not an energylab database")

// ErrSchemaTooNew marks a database written by a newer energylab, whose
// schema this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this energylab")

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// DB is an open store. Its methods are safe for concurrent use; Close must
// not race with them.
type DB struct {
	// Now returns the current time. It stamps saved_at, fills a zero
	// Record.CreatedAt or Baseline.TakenAt, and dates applied migrations.
	// It defaults to time.Now; tests replace it.
	Now func() time.Time

	path string
	sql  *sql.DB

	// afterRunInsert, when set, runs inside SaveRun's transaction after the
	// runs row is inserted; a non-nil error aborts the save. Tests use it to
	// show that a failed save leaves nothing behind.
	afterRunInsert func() error
}

// Open opens the store at path, creating the file and its parent directory
// (mode 0700) if needed, and brings its schema up to date. A file that is not
// an energylab database yields an error wrapping ErrNotDatabase; a database
// from a newer energylab, one wrapping ErrSchemaTooNew. Both name the path
// and the fix.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: create directory: %w", path, err)
	}
	migs, err := loadMigrations(migrationFS)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{Now: time.Now, path: path}
	db.sql, err = sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Opening a new file from several processes at once can meet SQLITE_BUSY
	// where SQLite does not call the busy handler (switching the journal to
	// WAL); init is idempotent, so it is retried for up to BusyTimeout.
	deadline := time.Now().Add(BusyTimeout)
	for {
		err = db.init(ctx, migs)
		if err == nil {
			return db, nil
		}
		if !isBusy(err) || time.Now().After(deadline) || ctx.Err() != nil {
			db.Close()
			return nil, err
		}
		time.Sleep(10*time.Millisecond + time.Duration(rand.IntN(20))*time.Millisecond)
	}
}

// dsn builds the modernc.org/sqlite data source name for an absolute path.
// The path is a file: URI with its special characters escaped, so that a '?'
// or '#' in a directory name cannot be read as the start of the options.
// busy_timeout is applied first on every new connection, then WAL and
// foreign keys; write transactions begin IMMEDIATE so that concurrent writers
// queue on the busy timeout instead of failing on a lock upgrade.
func dsn(abs string) string {
	u := url.URL{Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(BusyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return "file:" + p + "?" + q.Encode()
}

// init connects, checks the file is ours and applies pending migrations.
func (db *DB) init(ctx context.Context, migs []migration) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return db.openError(err)
	}
	var total, ours int
	err := db.sql.QueryRowContext(ctx, `SELECT
		count(*),
		count(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&total, &ours)
	if err != nil {
		return db.openError(err)
	}
	if total > 0 && ours == 0 {
		return fmt.Errorf("open store %s: %w: it is a SQLite database of another program (no schema_migrations table); choose another database path", db.path, ErrNotDatabase)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return db.openError(err)
	}
	latest := migs[len(migs)-1].version
	var current int
	if err := db.sql.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return db.openError(err)
	}
	if current > latest {
		return fmt.Errorf("open store %s: %w: it is at schema version %d and this binary knows versions up to %d; upgrade energylab, or choose another database path", db.path, ErrSchemaTooNew, current, latest)
	}
	for _, m := range migs {
		if m.version <= current {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("open store %s: migration %04d_%s: %w", db.path, m.version, m.name, err)
		}
	}
	return nil
}

// apply runs one migration in its own transaction, unless another process
// applied it first.
func (db *DB) apply(ctx context.Context, m migration) (err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, unixNanos(db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	return ok && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// openError wraps a failure to read the file, recognising a file that is not
// SQLite.
func (db *DB) openError(err error) error {
	if se, ok := errors.AsType[*sqlite.Error](err); ok && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("open store %s: %w: the file is not a SQLite database; move it aside or choose another database path", db.path, ErrNotDatabase)
	}
	return fmt.Errorf("open store %s: %w", db.path, err)
}

// loadMigrations reads NNNN_name.sql files from fsys's migrations directory,
// in version order. Versions must run 1, 2, 3 ... without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var migs []migration
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		migs = append(migs, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d (versions must run 1, 2, 3 ... without gaps or repeats)", m.version, m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return migs, nil
}

// Path returns the path the store was opened with.
func (db *DB) Path() string { return db.path }

// Close closes the database. It is safe on a nil or partly opened DB and
// when called more than once.
func (db *DB) Close() error {
	if db == nil || db.sql == nil {
		return nil
	}
	err := db.sql.Close()
	db.sql = nil
	return err
}

// Range of times stored exactly as int64 unix nanoseconds (years 1678 to
// 2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// unixNanos returns t as unix nanoseconds, clamped to the int64 range so that
// the zero time sorts before every real time instead of overflowing.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
