package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fixed clock of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openTemp opens a store in a fresh temporary directory with a fixed clock.
func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "lab.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return t0 }
	t.Cleanup(func() { db.Close() })
	return db
}

// count returns the result of a count(*) query.
func count(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "nested", "dir")
	path := filepath.Join(dir, "lab.db")
	migs, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if got := count(t, db, `SELECT count(*) FROM schema_migrations`); got != len(migs) {
			t.Errorf("open #%d: %d rows in schema_migrations, want %d", i+1, got, len(migs))
		}
		if i == 0 {
			if err := db.SaveRun(ctx, testRecord("persisted", t0)); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.CountRuns(ctx, RunFilter{}); err != nil || n != 1 {
			t.Errorf("open #%d: CountRuns = %d, %v; want 1", i+1, n, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
}

func TestOpenPragmas(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	// Hold several connections at once so that the pragmas are seen to
	// apply to every connection of the pool, not only the first.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var fk, busy int
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || busy != int(BusyTimeout.Milliseconds()) {
			t.Errorf("conn %d: journal_mode=%s foreign_keys=%d busy_timeout=%d", i, mode, fk, busy)
		}
		c.Close()
	}
}

func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir?with#odd%chars", "lab.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    error
		words   []string
	}{
		{
			name: "text file",
			prepare: func(t *testing.T, path string) {
				writeFile(t, path, strings.Repeat("this is not a database\n", 100))
			},
			want:  ErrNotDatabase,
			words: []string{"not a SQLite database", "move it aside"},
		},
		{
			name: "short garbage",
			prepare: func(t *testing.T, path string) {
				writeFile(t, path, "garbage")
			},
			want:  ErrNotDatabase,
			words: []string{"move it aside"},
		},
		{
			name: "another program's database",
			prepare: func(t *testing.T, path string) {
				raw := rawSQL(t, path)
				if _, err := raw.Exec(`CREATE TABLE photos (id INTEGER)`); err != nil {
					t.Fatal(err)
				}
			},
			want:  ErrNotDatabase,
			words: []string{"another program"},
		},
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				db, err := Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.sql.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
					t.Fatal(err)
				}
			},
			want:  ErrSchemaTooNew,
			words: []string{"version 999", "upgrade energylab"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lab.db")
			tt.prepare(t, path)
			db, err := Open(t.Context(), path)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			for _, w := range append(tt.words, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawSQL opens path with the driver alone, bypassing migrations.
func rawSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestCloseIsSafe(t *testing.T) {
	var nilDB *DB
	if err := nilDB.Close(); err != nil {
		t.Error(err)
	}
	if err := (&DB{}).Close(); err != nil {
		t.Error(err)
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "lab.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	migs, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	if migs[0].version != 1 || migs[0].name != "init" {
		t.Errorf("first migration %04d_%s, want 0001_init", migs[0].version, migs[0].name)
	}
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []int
		err  string
	}{
		{"ordered by number", fstest.MapFS{"migrations/0002_b.sql": file("b"), "migrations/0001_a.sql": file("a"), "migrations/0010_c.sql": file("c")}, nil, "expected version 3"},
		{"sorted", fstest.MapFS{"migrations/0002_b.sql": file("b"), "migrations/0001_a.sql": file("a")}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/0003_c.sql": file("c")}, nil, "expected version 2"},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/0001_b.sql": file("b")}, nil, "expected version 2"},
		{"bad name", fstest.MapFS{"migrations/init.sql": file("a")}, nil, "NNNN_name.sql"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("a")}, nil, "NNNN_name.sql"},
		{"none", fstest.MapFS{}, nil, "no migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			migs, err := loadMigrations(tt.fsys)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range migs {
				got = append(got, m.version)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("versions (-want +got):\n%s", d)
			}
		})
	}
}
