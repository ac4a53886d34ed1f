package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/report"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/web"
)

// sessionRecords returns a session's (or an experiment's) runs, oldest
// first ("" = every run, up to maxExport).
func sessionRecords(ctx context.Context, db *store.DB, session string) ([]lab.Record, error) {
	sums, err := db.ListRuns(ctx, store.RunFilter{Session: session, Limit: maxExport})
	if err != nil {
		return nil, err
	}
	recs := make([]lab.Record, 0, len(sums))
	for _, s := range slices.Backward(sums) {
		rec, err := db.GetRun(ctx, s.ID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// subject is what a report or export is about: an experiment or a session.
type subject struct {
	experiment, session string
}

func (s *subject) bind(fs *flag.FlagSet) {
	fs.StringVar(&s.experiment, "experiment", "", "an experiment's ID (batch, ablate, sweep, calibrate: energylab experiments lists them)")
	fs.StringVar(&s.session, "session", "", "a session's ID (a web lab server's, or any runs' -session)")
}

func (s *subject) check(cmd string) error {
	if (s.experiment == "") == (s.session == "") {
		return hinted{usagef("give one of -experiment and -session"), "energylab experiments (lists the experiments), energylab " + cmd + " -experiment ID"}
	}
	return nil
}

// document builds the report of the subject.
func (s subject) document(ctx context.Context, db *store.DB) (report.Document, error) {
	if s.session != "" {
		recs, err := sessionRecords(ctx, db, s.session)
		if err != nil {
			return report.Document{}, err
		}
		if len(recs) == 0 {
			return report.Document{}, hinted{usagef("no runs in session %q", s.session), "energylab runs (the SESSION column is not shown: use -json) or energylab experiments"}
		}
		return report.ForSession(s.session, recs), nil
	}
	e, err := db.GetExperiment(ctx, s.experiment)
	if errors.Is(err, store.ErrNotFound) {
		return report.Document{}, hinted{usagef("no experiment %q", s.experiment), "energylab experiments"}
	}
	if err != nil {
		return report.Document{}, err
	}
	recs, err := sessionRecords(ctx, db, e.ID)
	if err != nil {
		return report.Document{}, err
	}
	switch e.Kind {
	case "batch":
		var r experiment.BatchResult
		if err := json.Unmarshal(e.Result, &r); err != nil {
			return report.Document{}, fmt.Errorf("experiment %s is unreadable: %w", e.ID, err)
		}
		return report.ForBatch(r, recs), nil
	case "ablate":
		var r experiment.AblationResult
		if err := json.Unmarshal(e.Result, &r); err != nil {
			return report.Document{}, fmt.Errorf("experiment %s is unreadable: %w", e.ID, err)
		}
		return report.ForAblation(r, recs), nil
	case "sweep":
		var r experiment.SweepResult
		if err := json.Unmarshal(e.Result, &r); err != nil {
			return report.Document{}, fmt.Errorf("experiment %s is unreadable: %w", e.ID, err)
		}
		return report.ForSweep(r, recs), nil
	case "load":
		var r loadResult
		if err := json.Unmarshal(e.Result, &r); err != nil {
			return report.Document{}, fmt.Errorf("experiment %s is unreadable: %w", e.ID, err)
		}
		return report.ForLoad(e.ID, r.Model, r.Meter, r.Levels), nil
	}
	d := report.ForSession(e.ID, recs)
	d.Title = e.Kind + " " + e.ID
	return d, nil
}

// outputFormat is the -format given, else alt when the output file ends in
// "."+alt, else def; anything but def or alt is a usage error.
func outputFormat(format, out, def, alt string) (string, error) {
	if format == "" {
		format = def
		if strings.HasSuffix(out, "."+alt) {
			format = alt
		}
	}
	if format != def && format != alt {
		return "", usagef("-format %q: want %s or %s", format, def, alt)
	}
	return format, nil
}

// writeFile writes b to path whole or not at all (a temporary file in the
// same directory, renamed over it).
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func cmdReport(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var sub subject
	sub.bind(fs)
	format := fs.String("format", "", "html or md (default: from -o's extension, else html)")
	out := fs.String("o", "", "the file to write (default: standard output; Markdown needs a file, for its charts)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: energylab report (-experiment ID | -session S) [-format html|md] [-o FILE]\n\n")
		fs.PrintDefaults()
	}
	cfg, err := loadConfig(env, fs, args, "db")
	if err != nil {
		return err
	}
	if err := sub.check("report"); err != nil {
		return err
	}
	if *format, err = outputFormat(*format, *out, "html", "md"); err != nil {
		return err
	}
	if *format == "md" && *out == "" {
		return hinted{usagef("a Markdown report needs -o FILE.md: its charts are written beside it"), "energylab report -experiment ID -o report.md"}
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	doc, err := sub.document(ctx, db)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if *format == "html" {
		if err := doc.HTML(&buf); err != nil {
			return err
		}
		if *out == "" {
			_, err := env.Stdout.Write(buf.Bytes())
			return err
		}
		if err := writeFile(*out, buf.Bytes()); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		fmt.Fprintf(env.Stderr, "wrote %s (self-contained HTML, charts inline)\n", *out)
		return nil
	}
	dirName := strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out)) + "-charts"
	files, err := doc.Markdown(&buf, dirName)
	if err != nil {
		return err
	}
	if err := writeMarkdownReport(*out, dirName, buf.Bytes(), files); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s and %d charts in %s\n", *out, len(files), filepath.Join(filepath.Dir(*out), dirName))
	return nil
}

// writeMarkdownReport writes a Markdown report to out and its charts (files,
// named by their paths relative to out's directory, all in dirName) to
// dirName beside it, so that either the whole new report is in place or,
// on an error, what was there before is left as it was: the charts are
// written into a fresh directory that replaces dirName only just before
// out is written, and that swap is undone if writing out fails.
func writeMarkdownReport(out, dirName string, md []byte, files map[string][]byte) error {
	parent := filepath.Dir(out)
	dir := filepath.Join(parent, dirName)
	fresh, err := os.MkdirTemp(parent, "."+dirName+".")
	if err != nil {
		return fmt.Errorf("create the charts' directory beside %s: %w", out, err)
	}
	defer os.RemoveAll(fresh) // once renamed into place, nothing is left to remove
	if err := os.Chmod(fresh, 0o755); err != nil {
		return err
	}
	for rel, b := range files {
		name, ok := strings.CutPrefix(filepath.ToSlash(rel), dirName+"/")
		if !ok || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("chart %q is not a file of %s", rel, dirName)
		}
		if err := os.WriteFile(filepath.Join(fresh, name), b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = fresh + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("replace %s: %w", dir, err)
		}
	}
	// restore puts the previous charts back, saying where they are if it
	// cannot.
	restore := func(err error) error {
		os.RemoveAll(dir)
		if old != "" {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("%w (and the previous charts could not be put back: they are in %s)", err, old)
			}
		}
		return err
	}
	if err := os.Rename(fresh, dir); err != nil {
		return restore(fmt.Errorf("replace %s: %w", dir, err))
	}
	if err := writeFile(out, md); err != nil {
		return restore(fmt.Errorf("write %s: %w", out, err))
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func cmdExport(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var sub subject
	sub.bind(fs)
	format := fs.String("format", "", "json or csv (default: from -o's extension, else json)")
	out := fs.String("o", "", "the file to write (default: standard output)")
	cfg, err := loadConfig(env, fs, args, "db")
	if err != nil {
		return err
	}
	if err := sub.check("export"); err != nil {
		return err
	}
	if *format, err = outputFormat(*format, *out, "json", "csv"); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	id := sub.session
	var result json.RawMessage
	kind := "session"
	if sub.experiment != "" {
		e, err := db.GetExperiment(ctx, sub.experiment)
		if errors.Is(err, store.ErrNotFound) {
			return hinted{usagef("no experiment %q", sub.experiment), "energylab experiments"}
		}
		if err != nil {
			return err
		}
		id, result, kind = e.ID, e.Result, e.Kind
	}
	recs, err := sessionRecords(ctx, db, id)
	if err != nil {
		return err
	}
	if len(recs) == 0 && result == nil {
		return hinted{usagef("no runs in session %q", id), "energylab experiments"}
	}
	var buf bytes.Buffer
	if *format == "csv" {
		if err := web.WriteCSV(&buf, recs); err != nil {
			return err
		}
	} else {
		if recs == nil {
			recs = []lab.Record{}
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		body := map[string]any{"id": id, "kind": kind, "runs": recs, "summary": web.Summarise(id, recs)}
		if result != nil {
			body["result"] = result
		}
		if err := enc.Encode(body); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFile(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(env.Stderr, "wrote %d runs to %s\n", len(recs), *out)
	return nil
}

func cmdExperiments(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("experiments", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 50, "how many to list (0 = all)")
	cfg, err := loadConfig(env, fs, args, "db")
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	list, err := db.ListExperiments(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID, Kind, Summary string
			CreatedAt         string `json:"created_at"`
		}
		rows := []row{}
		for _, e := range list {
			rows = append(rows, row{e.ID, e.Kind, e.Summary, e.CreatedAt.Format("2006-01-02T15:04:05Z")})
		}
		return writeJSON(env.Stdout, rows)
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no experiments stored yet: energylab batch -runs 10 \"...\"")
		return nil
	}
	for _, e := range list {
		fmt.Fprintf(env.Stdout, "%s  %-9s  %s  %s\n", e.CreatedAt.Local().Format("2006-01-02 15:04"), e.Kind, e.ID, e.Summary)
	}
	return nil
}
