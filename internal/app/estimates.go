package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/estimate"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/report"
	"github.com/llm-energy-lab/energylab/internal/store"
)

// settingFamily is the store setting `benchmarks use` writes.
const settingFamily = "estimate.family"

// loadFamilies returns the built-in families with the user's custom and
// calibrated rows from the store added.
func loadFamilies(ctx context.Context, db *store.DB) ([]*estimate.Family, error) {
	fams := estimate.Families()
	stored, err := db.Benchmarks(ctx, "")
	if err != nil {
		return nil, err
	}
	byFamily := map[string][]estimate.Row{}
	for _, b := range stored {
		var r estimate.Row
		if err := json.Unmarshal(b.Row, &r); err != nil {
			return nil, fmt.Errorf("stored benchmark %s/%s is unreadable: %w (delete it with energylab benchmarks rm %s/%s)", b.Family, b.Name, err, b.Family, b.Name)
		}
		byFamily[b.Family] = append(byFamily[b.Family], r)
	}
	for i, f := range fams {
		if rows := byFamily[f.ID]; len(rows) > 0 {
			g, err := f.WithRows(rows...)
			if err != nil {
				return nil, err
			}
			fams[i] = g
		}
	}
	return fams, nil
}

// selection resolves which family runs are shown against: the
// configuration's, else the one `benchmarks use` stored, else auto.
func selection(ctx context.Context, cfg config.Config, db *store.DB) (harness.EstimateSelection, error) {
	fams, err := loadFamilies(ctx, db)
	if err != nil {
		return harness.EstimateSelection{}, err
	}
	fam := cfg.Estimate.Family
	if fam == "" {
		v, ok, err := db.Setting(ctx, settingFamily)
		if err != nil {
			return harness.EstimateSelection{}, err
		}
		fam = harness.FamilyAuto
		if ok {
			fam = v
		}
	}
	return harness.EstimateSelection{Family: fam, Families: fams,
		Setting: estimate.Setting{Batch: cfg.Estimate.Batch, Task: cfg.Estimate.Task, GPU: cfg.Estimate.GPU}}, nil
}

var estimateSettings = []string{"family", "mlenergy-batch", "mlenergy-task", "grid", "grid-factor", "pue", "db"}

// cmdEstimate estimates a request without running it, with every family
// (or one).
func cmdEstimate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("estimate", flag.ContinueOnError)
	model := fs.String("model", "", "model as provider/model, e.g. groq/llama-3.1-8b-instant")
	in := fs.Int("input", -1, "input tokens")
	out := fs.Int("output", -1, "output tokens")
	params := fs.Float64("params", 0, "model size in billions of parameters, when the name does not say")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := loadConfig(env, fs, args, estimateSettings...)
	if err != nil {
		return err
	}
	if *model == "" || *in < 0 || *out < 0 {
		return hinted{usagef("estimate needs -model, and -input and -output token counts of at least 0"),
			"energylab estimate -model groq/llama-3.1-8b-instant -input 1200 -output 300"}
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	sel, err := selection(ctx, cfg, db)
	if err != nil {
		return err
	}
	grid, gridErr := gridFactor(cfg)
	if gridErr != nil && !errors.Is(gridErr, carbon.ErrNoData) {
		return usageError{gridErr}
	}
	ids := []string{}
	if cfg.Estimate.Family != "" && cfg.Estimate.Family != harness.FamilyAuto {
		ids = append(ids, cfg.Estimate.Family)
	} else {
		for _, f := range sel.Families {
			ids = append(ids, f.ID)
		}
	}
	var out2 []lab.Estimate
	for _, id := range ids {
		rec := lab.Record{Model: *model, Tokens: lab.Tokens{Input: *in, Output: *out}, Energy: lab.Energy{Source: energy.Measured}}
		if *params > 0 {
			rec.Manifest.Model.Parameters = int64(*params * 1e9)
		}
		s := sel
		s.Family = id
		harness.ApplyEstimate(&rec, s, grid, gridErr, cfg.PUE)
		out2 = append(out2, rec.Estimates...)
	}
	if *asJSON {
		if err := writeJSON(env.Stdout, out2); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%s, %d input and %d output tokens:\n\n", *model, *in, *out)
		for _, e := range out2 {
			report.Estimate(env.Stdout, e, "")
			fmt.Fprintln(env.Stdout)
		}
	}
	for _, e := range out2 {
		if e.Wh != nil {
			return nil
		}
	}
	return hinted{fmt.Errorf("no estimate for %s: %s", *model, out2[0].AbsentReason), "energylab benchmarks list -model " + *model}
}

func cmdBenchmarks(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("benchmarks "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	var family, model, name, boundary, boundaryText, hardware, note, host *string
	var inWh, outWh, fixedWh *float64
	switch sub {
	case "list":
		family = fs.String("family", "", "list this family's rows")
		model = fs.String("model", "", "show which row of each family matches this model")
	case "add":
		name = fs.String("name", "", "name of the custom row")
		inWh = fs.Float64("input-wh-per-1k", 0, "Wh per 1,000 input tokens")
		outWh = fs.Float64("output-wh-per-1k", 0, "Wh per 1,000 output tokens")
		fixedWh = fs.Float64("fixed-wh", 0, "Wh per request, whatever its length")
		boundary = fs.String("boundary", "", "what the figures cover: "+boundaryList()+" (default stated: say it with -boundary-text)")
		boundaryText = fs.String("boundary-text", "", "the boundary in your words")
		hardware = fs.String("hardware", "", "what the figures were measured on")
		note = fs.String("note", "", "where the figures come from")
	case "calibrate":
		model = fs.String("model", "", "model whose stored runs to fit, provider/model")
		host = fs.String("host", "", "host whose runs to fit (default: this one)")
	case "use", "rm", "info":
	default:
		return usagef("unknown benchmarks subcommand %q: want list, info, use, add, rm or calibrate", sub)
	}
	cfg, err := loadConfig(env, fs, args, "db", "mlenergy-batch", "mlenergy-task")
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer db.Close()
	fams, err := loadFamilies(ctx, db)
	if err != nil {
		return err
	}
	w := env.Stdout
	switch sub {
	case "list":
		return benchmarksList(ctx, w, db, cfg, fams, *family, *model, *asJSON)
	case "info":
		if fs.NArg() != 1 {
			return usagef("usage: energylab benchmarks info FAMILY")
		}
		f, err := lookupFamily(fams, fs.Arg(0))
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(w, f)
		}
		familyInfo(w, f)
		return nil
	case "use":
		if fs.NArg() != 1 {
			return usagef("usage: energylab benchmarks use FAMILY (or auto)")
		}
		id := fs.Arg(0)
		if id != harness.FamilyAuto {
			if _, err := lookupFamily(fams, id); err != nil {
				return err
			}
		}
		if err := db.SetSetting(ctx, settingFamily, id); err != nil {
			return err
		}
		fmt.Fprintf(w, "runs are now shown against %s (a -family flag or ENERGYLAB_ESTIMATE_FAMILY still wins)\n", id)
		return nil
	case "add":
		row, err := estimate.NewCustom(estimate.Custom{Name: *name, InputWhPer1k: *inWh, OutputWhPer1k: *outWh, FixedWh: *fixedWh,
			Boundary: estimate.Boundary(*boundary), BoundaryText: *boundaryText, Hardware: *hardware, Note: *note})
		if err != nil {
			return usageError{err}
		}
		if err := saveRow(ctx, db, row); err != nil {
			return err
		}
		fmt.Fprintf(w, "saved custom benchmark %s: %s\n", row.ID, row.Method)
		return nil
	case "rm":
		if fs.NArg() != 1 || !strings.Contains(fs.Arg(0), "/") {
			return usagef("usage: energylab benchmarks rm custom/NAME (or calibrated/NAME)")
		}
		fam, id, _ := strings.Cut(fs.Arg(0), "/")
		if err := db.DeleteBenchmark(ctx, fam, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return hinted{usagef("no stored benchmark %s", fs.Arg(0)), "energylab benchmarks list -family " + fam}
			}
			return err
		}
		fmt.Fprintf(w, "deleted %s\n", fs.Arg(0))
		return nil
	case "calibrate":
		return benchmarksCalibrate(ctx, w, db, *model, *host, "")
	}
	return nil
}

func boundaryList() string {
	var s []string
	for _, b := range estimate.Boundaries() {
		s = append(s, string(b))
	}
	return strings.Join(s, ", ")
}

func lookupFamily(fams []*estimate.Family, id string) (*estimate.Family, error) {
	var ids []string
	for _, f := range fams {
		if f.ID == id {
			return f, nil
		}
		ids = append(ids, f.ID)
	}
	return nil, hinted{usagef("unknown estimate family %q; families: %s", id, strings.Join(ids, ", ")), "energylab benchmarks"}
}

func saveRow(ctx context.Context, db *store.DB, row estimate.Row) error {
	b, err := json.Marshal(row)
	if err != nil {
		return err
	}
	return db.SaveBenchmark(ctx, store.Benchmark{Family: row.Family, Name: row.ID, Row: b})
}

func familyInfo(w io.Writer, f *estimate.Family) {
	fmt.Fprintf(w, "%s — %s\n  source: %s %s (%s)\n  boundary: %s — %s\n  hardware: %s\n  method: %s\n  formula: %s\n  rows: %d\n",
		f.ID, f.Name, f.Source, f.URL, f.Version, f.Boundary, f.Boundary.Describe(), f.Hardware, f.Method, f.Formula, len(f.Rows))
	if f.PUEIncluded {
		fmt.Fprintf(w, "  PUE: already included in the figures (carbon applies none on top)\n")
	}
}

func benchmarksList(ctx context.Context, w io.Writer, db *store.DB, cfg config.Config, fams []*estimate.Family, family, model string, asJSON bool) error {
	sel, err := selection(ctx, cfg, db)
	if err != nil {
		return err
	}
	if model != "" {
		out := matchFamilies(fams, model, sel.Setting)
		if asJSON {
			return writeJSON(w, out)
		}
		for _, mo := range out {
			if mo.Match == nil {
				fmt.Fprintf(w, "%s: no match — %s\n", mo.Family, mo.NoMatch)
				continue
			}
			m := mo.Match
			fmt.Fprintf(w, "%s: %s (%s) — %.4g Wh/1k input, %.4g Wh/1k output, %.4g Wh fixed\n  %s\n", mo.Family, m.Model, m.Quality, m.InputWhPer1k, m.OutputWhPer1k, m.FixedWh, m.Explanation)
		}
		return nil
	}
	if family != "" {
		f, err := lookupFamily(fams, family)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(w, f.Rows)
		}
		familyInfo(w, f)
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROW\tMODEL\tWh/1k IN\tWh/1k OUT\tFIXED Wh\tHARDWARE\tNOTE")
		for _, r := range f.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%.4g\t%s\t%s\n", r.ID, r.Model, r.InputWhPer1k(), r.OutputWhPer1k(), r.FixedWh, r.Hardware, firstLine(r.Note))
		}
		return tw.Flush()
	}
	if asJSON {
		return writeJSON(w, fams)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tNAME\tBOUNDARY\tROWS\tSOURCE")
	for _, f := range fams {
		cur := ""
		if f.ID == sel.Family {
			cur = " (current)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%d\t%s %s\n", f.ID, cur, f.Name, f.Boundary, len(f.Rows), f.Source, f.Version)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ncurrent: %s. 'energylab benchmarks info FAMILY' explains a family; '-family F' lists its rows.\n", sel.Family)
	return nil
}

// familyMatch is the row of one family that matches a model, or why none
// does.
type familyMatch struct {
	Family  string        `json:"family"`
	Match   *estimateView `json:"match,omitempty"`
	NoMatch string        `json:"no_match,omitempty"`
}

// matchFamilies finds model's row in each family.
func matchFamilies(fams []*estimate.Family, model string, set estimate.Setting) []familyMatch {
	out := []familyMatch{}
	for _, f := range fams {
		m, err := f.MatchSetting(model, 0, set)
		mo := familyMatch{Family: f.ID}
		if err != nil {
			mo.NoMatch = err.Error()
		} else {
			mo.Match = &estimateView{Row: m.Row.ID, Model: m.Row.Model, Quality: m.Quality.String(), Explanation: m.Explanation,
				InputWhPer1k: m.Row.InputWhPer1k(), OutputWhPer1k: m.Row.OutputWhPer1k(), FixedWh: m.Row.FixedWh}
		}
		out = append(out, mo)
	}
	return out
}

// estimateView is a matched row, for listings.
type estimateView struct {
	Row           string  `json:"row"`
	Model         string  `json:"model"`
	Quality       string  `json:"quality"`
	Explanation   string  `json:"explanation"`
	InputWhPer1k  float64 `json:"input_wh_per_1k"`
	OutputWhPer1k float64 `json:"output_wh_per_1k"`
	FixedWh       float64 `json:"fixed_wh"`
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 70 {
		return s[:67] + "..."
	}
	return s
}

// benchmarksCalibrate fits a calibrated row from the stored successful,
// metered runs of one model on one host.
func benchmarksCalibrate(ctx context.Context, w io.Writer, db *store.DB, model, host, session string) error {
	row, n, err := fitCalibration(ctx, db, model, host, session)
	if err != nil {
		return err
	}
	printCalibration(w, row, n)
	return nil
}

// printCalibration says what fitCalibration saved.
func printCalibration(w io.Writer, row estimate.Row, n int) {
	fmt.Fprintf(w, "saved calibrated benchmark %s from %d runs\n  %s\n", row.ID, n, row.Method)
	if row.Fit != nil {
		b, _ := json.Marshal(row.Fit)
		fmt.Fprintf(w, "  fit: %s\n", b)
	}
}

// fitCalibration fits a calibrated row from the stored measured runs of
// model on host (of one session when session is set) and saves it; it
// returns the row and the number of runs fitted.
func fitCalibration(ctx context.Context, db *store.DB, model, host, session string) (estimate.Row, int, error) {
	if model == "" {
		return estimate.Row{}, 0, usagef("usage: energylab benchmarks calibrate -model provider/model [-host HOST]")
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	sums, err := db.ListRuns(ctx, store.RunFilter{Model: model, Status: string(lab.StatusOK), Session: session})
	if err != nil {
		return estimate.Row{}, 0, err
	}
	var pts []estimate.RunPoint
	var boundary estimate.Boundary
	for _, s := range sums {
		if s.PrefillWh == nil || s.DecodeWh == nil || s.EnergySource == energy.Estimated {
			continue
		}
		rec, err := db.GetRun(ctx, s.ID)
		if err != nil {
			return estimate.Row{}, 0, err
		}
		if rec.Manifest.Host != host {
			continue
		}
		b := estimate.BoundaryCPUDRAM
		if rec.Energy.Source == energy.Modelled {
			b = estimate.BoundaryCPUTime
		}
		if boundary != "" && b != boundary {
			return estimate.Row{}, 0, fmt.Errorf("the runs of %s on %s were measured with different meters (%s and %s): calibrate from one meter's runs", model, host, boundary, b)
		}
		boundary = b
		pts = append(pts, estimate.RunPoint{Input: rec.Tokens.Input, Output: rec.Tokens.Output, PrefillWh: *rec.Energy.PrefillWh, DecodeWh: *rec.Energy.DecodeWh})
	}
	if len(pts) < estimate.MinCalibrationRuns {
		return estimate.Row{}, 0, hinted{usagef("%d measured runs of %s on %s are stored; calibration needs at least %d with different input and output lengths", len(pts), model, host, estimate.MinCalibrationRuns),
			fmt.Sprintf("energylab run -model %s -max-tokens 32 \"<prompts of different lengths>\" (three or more times)", model)}
	}
	row, err := estimate.Calibrate(model, host, boundary, pts)
	if err != nil {
		return estimate.Row{}, 0, usageError{err}
	}
	if err := saveRow(ctx, db, row); err != nil {
		return estimate.Row{}, 0, err
	}
	return row, len(pts), nil
}

// gridOfRecord is the grid factor a run was stored with, so that a
// recalculation converts energy to carbon as the run did.
func gridOfRecord(rec lab.Record) (carbon.Factor, error) {
	g := rec.Manifest.Grid
	f := carbon.Factor{Code: g.Code, Name: g.Name, KgPerKWh: g.FactorKgPerKWh, Source: g.Source, Year: g.Year, Method: g.Method}
	if g.FactorKgPerKWh <= 0 {
		f.Missing = true
		return f, fmt.Errorf("%w: the run was stored without a grid factor (%s)", carbon.ErrNoData, g.Code)
	}
	return f, nil
}

// recalcRuns recomputes stored runs' estimates with the selected family;
// measurements are never changed.
func recalcRuns(ctx context.Context, env Env, db *store.DB, cfg config.Config, model string) error {
	sel, err := selection(ctx, cfg, db)
	if err != nil {
		return err
	}
	sums, err := db.ListRuns(ctx, store.RunFilter{Model: model})
	if err != nil {
		return err
	}
	n := 0
	for _, s := range sums {
		rec, err := db.GetRun(ctx, s.ID)
		if err != nil {
			return err
		}
		grid, gridErr := gridOfRecord(rec)
		harness.ApplyEstimate(&rec, sel, grid, gridErr, rec.Manifest.PUE)
		if err := db.UpdateRun(ctx, &rec); err != nil {
			return err
		}
		n++
	}
	fmt.Fprintf(env.Stdout, "recalculated the estimates of %d runs with %s (measured figures unchanged)\n", n, sel.Family)
	return nil
}
