package estimate

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Quality grades how closely a row's model matches the lab's model. Lower
// is better. Matching sees names only (plus a parameter count when given):
// it cannot know that Ollama's "llama3.1:8b" is the instruct model in
// Q4_K_M, only what the name says.
type Quality int

// Match qualities, best first. Anything worse than QualityOtherVersion is no
// match at all: a different family, a different parameter size, or a
// different line within a family (mini, nano, vision, coder, distill,
// thinking and the like) is never substituted.
const (
	// QualityExact: family, version, size and every qualifier agree, or the
	// name is the row's ID or source name. Provider prefixes, organisations
	// and serving-tier suffixes ("-instant") are ignored.
	QualityExact Quality = iota + 1
	// QualitySameVersion: same family, version and size, differing only in
	// variant (instruct/chat/it versus base/pt), weight format (q4_k_m,
	// gguf, fp8), release date or snapshot, the source's setting (reasoning
	// effort, host), or an active-parameter marker one side lacks. Each
	// difference is named in the explanation.
	QualitySameVersion
	// QualityOtherVersion: same family and size (known on both sides), but
	// a different or unstated version, e.g. Llama 3 8B for Llama 3.1 8B.
	QualityOtherVersion
)

// String returns the quality in words.
func (q Quality) String() string {
	switch q {
	case QualityExact:
		return "exact"
	case QualitySameVersion:
		return "same family, version and size"
	case QualityOtherVersion:
		return "same family and size, different version"
	}
	return "no match"
}

// ErrNoMatch marks a model for which a family has no acceptable row. Errors
// from Match wrap it in a *NoMatchError that lists the closest rows.
var ErrNoMatch = errors.New("no matching benchmark row")

// NoMatchError says why no row of a family matched a model and which rows
// came closest. It unwraps to ErrNoMatch.
type NoMatchError struct {
	// Family is the family searched and Model the lab's model name.
	Family, Model string
	// Reason says why nothing matched.
	Reason string
	// Ambiguous is true when several rows matched equally well, or the
	// name lacks the parameter size that would decide between rows.
	Ambiguous bool
	// Closest lists up to five of the nearest rows as "id (model): why".
	Closest []string
}

// Error returns the reason and the closest rows in one line.
func (e *NoMatchError) Error() string {
	s := fmt.Sprintf("match %q in family %s: %v: %s", e.Model, e.Family, ErrNoMatch, e.Reason)
	if len(e.Closest) > 0 {
		s += "; closest: " + strings.Join(e.Closest, "; ")
	}
	return s
}

// Unwrap returns ErrNoMatch.
func (e *NoMatchError) Unwrap() error { return ErrNoMatch }

// Match is the row chosen for a lab model and why.
type Match struct {
	// Row is the row to estimate with.
	Row Row
	// Quality grades the match.
	Quality Quality
	// Model is the lab's model name as given; Normalised is how the
	// matcher read it ("llama 3.1 8b", with size and qualifiers).
	Model, Normalised string
	// Explanation says, in a sentence or two, which row was chosen and every
	// way it differs from the lab's model.
	Explanation string
}

// Setting picks among rows that measure one model under several serving
// conditions (ML.ENERGY). Zero fields take the defaults.
type Setting struct {
	// Task is the workload; empty means the family's DefaultTask.
	Task string
	// Batch is vLLM's max_num_seqs; 0 means the smallest measured, which
	// is closest to a single user.
	Batch int
	// GPU is the GPU model ("H100", "B200"); empty means any, preferring
	// H100 (the AI Energy Score's GPU, so the families line up).
	GPU string
	// GPUs is the GPU count; 0 means the fewest measured.
	GPUs int
}

// Match maps a lab model name (for example "ollama/llama3.1:8b",
// "groq/llama-3.1-8b-instant", "openai/gpt-4o") to the family's best row,
// using the default Setting. paramsB is the model's parameter count in
// billions when known (0 otherwise); it decides between sizes when the name
// has none. See MatchSetting.
func (f *Family) Match(model string, paramsB float64) (Match, error) {
	return f.MatchSetting(model, paramsB, Setting{})
}

// MatchSetting is Match with an explicit serving Setting. The name is
// normalised: lower case; provider prefix and organisation dropped (the
// last path segment is kept); the tag after ":" read for size and weight
// format; quantisation and format markers (q4_k_m, gguf, fp16, fp8, awq)
// and serving tiers (instant, versatile, latest) removed; "meta-llama-3.1",
// "llama3.1" and "llama-3.1" all read as family llama, version 3.1; sizes
// parsed from "8b", "0.6b", "135m", "8x7b" and "7 B". Two sizes from names
// must be equal; a parameter count (paramsB, or the source's own count for
// a row whose name has no size) agrees with a size within a factor of 1.35,
// and a count that contradicts the name is an error. Rows are graded by
// Quality and the best grade wins; within a grade the row with fewer
// differences wins (so a bf16 row beats its FP8 twin for a name that states
// no format); remaining ties between different models are an ambiguity
// error, never a silent pick. A name that equals a row's ID or
// source name matches it exactly. When the winning model has several
// serving configurations, s picks one. Failure returns a *NoMatchError
// wrapping ErrNoMatch.
func (f *Family) MatchSetting(model string, paramsB float64, s Setting) (Match, error) {
	noMatch := func(reason string, ambiguous bool, closest []string) (Match, error) {
		return Match{}, &NoMatchError{Family: f.ID, Model: model, Reason: reason, Ambiguous: ambiguous, Closest: closest}
	}
	if strings.TrimSpace(model) == "" {
		return noMatch("the model name is empty", false, nil)
	}
	if math.IsNaN(paramsB) || math.IsInf(paramsB, 0) || paramsB < 0 {
		return Match{}, fmt.Errorf("match %q in family %s: parameter count %v is not a finite number ≥ 0", model, f.ID, paramsB)
	}
	q := parseName(model)
	if paramsB > 0 {
		if q.size > 0 && !sizesAgree(q.size, false, paramsB, true) {
			return Match{}, fmt.Errorf("match %q in family %s: the name says %s but the given parameter count is %.3gB",
				model, f.ID, q.sizeText(), paramsB)
		}
		if q.size == 0 {
			q.size, q.measured = paramsB, true
		}
	}
	if len(f.Rows) == 0 {
		return noMatch("the family has no rows", false, nil)
	}

	// A row's own ID picks that row, whatever its serving setting.
	for _, r := range f.Rows {
		if strings.EqualFold(strings.TrimSpace(model), r.ID) {
			return Match{Row: r, Quality: QualityExact, Model: model, Normalised: q.String(),
				Explanation: fmt.Sprintf("%q is the ID of %s row %s (%s), %s.", model, f.ID, r.ID, r.Model, QualityExact)}, nil
		}
	}
	type cand struct {
		row   Row
		key   nameKey
		grade Quality
		g     graded
	}
	cands := make([]cand, len(f.Rows))
	better := func(a, b cand) bool {
		return a.grade < b.grade || (a.grade == b.grade && len(a.g.diffs) < len(b.g.diffs))
	}
	var best *cand
	for i, r := range f.Rows {
		k := rowKey(r)
		c := cand{row: r, key: k}
		if direct(model, r) {
			c.grade = QualityExact
			c.g.info = []string{"the name is the row's own"}
		} else {
			c.grade, c.g = grade(q, k)
		}
		cands[i] = c
		if c.grade != 0 && (best == nil || better(c, *best)) {
			best = &cands[i]
		}
	}

	if best == nil {
		// Nothing acceptable. Rank the rows by closeness for the error,
		// one entry per model.
		var sizes, sameVersion []string
		needsOnly := false
		for _, c := range cands {
			if c.g.needsSize {
				needsOnly = true
				t := c.key.sizeText()
				if !slices.Contains(sizes, t) {
					sizes = append(sizes, t)
				}
				if c.key.version == q.version && !slices.Contains(sameVersion, t) {
					sameVersion = append(sameVersion, t)
				}
			}
		}
		if len(sameVersion) > 0 {
			sizes = sameVersion
		}
		ranked := slices.Clone(cands)
		slices.SortStableFunc(ranked, func(a, b cand) int { return cmp.Compare(closeness(q, b.key), closeness(q, a.key)) })
		var closest []string
		seen := map[string]bool{}
		for _, c := range ranked {
			if len(closest) == 5 || closeness(q, c.key) <= 0 {
				break
			}
			if seen[c.row.Model] {
				continue
			}
			seen[c.row.Model] = true
			closest = append(closest, fmt.Sprintf("%s (%s): %s", c.row.ID, c.row.Model, c.g.why))
		}
		if needsOnly {
			return noMatch(fmt.Sprintf("the name gives no parameter size and none was given; rows of this model come in %s: pass the size",
				strings.Join(sizes, ", ")), true, closest)
		}
		return noMatch(fmt.Sprintf("no row of the same family, size and line as %q", q.String()), false, closest)
	}

	// Keep the best rows; they must all be one model.
	var top []cand
	for _, c := range cands {
		if c.grade != 0 && !better(*best, c) {
			top = append(top, c)
		}
	}
	var models []string
	for _, c := range top {
		m := c.row.Model
		if c.row.Serving == nil && c.row.Hardware != "" {
			m += " on " + c.row.Hardware
		}
		if !slices.Contains(models, m) {
			models = append(models, m)
		}
	}
	if len(models) > 1 {
		var list []string
		seen := map[string]bool{}
		for _, c := range top {
			if !seen[c.row.Model+c.row.Hardware] {
				seen[c.row.Model+c.row.Hardware] = true
				list = append(list, fmt.Sprintf("%s (%s)", c.row.ID, c.row.Model))
			}
		}
		return noMatch(fmt.Sprintf("%d rows match equally well (%s); name one by its ID", len(models), best.grade), true, list)
	}
	rows := make([]Row, len(top))
	for i, c := range top {
		rows[i] = c.row
	}
	row, how, err := pickSetting(rows, s, f.DefaultTask)
	if err != nil {
		return noMatch(err.Error(), false, nil)
	}
	var chosen cand
	for _, c := range top {
		if c.row.ID == row.ID {
			chosen = c
		}
	}
	notes := slices.Concat(chosen.g.diffs, chosen.g.info, q.dropNotes())
	if how != "" {
		notes = append(notes, how)
	}
	expl := fmt.Sprintf("%q matched %s row %s (%s), %s", model, f.ID, row.ID, row.Model, chosen.grade)
	if len(notes) > 0 {
		expl += ": " + strings.Join(notes, "; ")
	}
	return Match{Row: row, Quality: chosen.grade, Model: model, Normalised: q.String(), Explanation: expl + "."}, nil
}

// direct reports whether model names the row itself: its ID, its model or
// the source's spelling, ignoring case.
func direct(model string, r Row) bool {
	m := strings.TrimSpace(model)
	return strings.EqualFold(m, r.ID) || strings.EqualFold(m, r.Model) || (r.SourceID != "" && strings.EqualFold(m, r.SourceID))
}

// rowKeys memoises parseName for row model names: parseName is pure, and
// the set of row names is small and fixed, while a family like ML.ENERGY
// repeats each name dozens of times.
var rowKeys sync.Map // string → nameKey

// rowKey parses the row's model name; a row whose name has no size takes
// the source's parameter count, if any, as a measured size.
func rowKey(r Row) nameKey {
	var k nameKey
	if v, ok := rowKeys.Load(r.Model); ok {
		k = v.(nameKey)
	} else {
		k = parseName(r.Model)
		rowKeys.Store(r.Model, k)
	}
	if k.size == 0 && r.Serving != nil && r.Serving.ParamsB > 0 {
		k.size, k.measured = r.Serving.ParamsB, true
	}
	return k
}

// pickSetting chooses one row among rows of one model. Rows without a
// serving configuration are taken in order.
func pickSetting(rows []Row, s Setting, defTask string) (Row, string, error) {
	if rows[0].Serving == nil {
		return rows[0], "", nil
	}
	values := func(rs []Row, f func(*Serving) string) string {
		var v []string
		for _, r := range rs {
			if x := f(r.Serving); !slices.Contains(v, x) {
				v = append(v, x)
			}
		}
		return strings.Join(v, ", ")
	}
	filter := func(rs []Row, keep func(*Serving) bool) []Row {
		var out []Row
		for _, r := range rs {
			if keep(r.Serving) {
				out = append(out, r)
			}
		}
		return out
	}
	var how []string
	task := s.Task
	if task == "" {
		task = defTask
		how = append(how, "task "+task+" (default)")
		if !slices.ContainsFunc(rows, func(r Row) bool { return r.Serving.Task == task }) {
			// The caller chose no task and the model was not run on the
			// default one: take the first task it was run on, and say so.
			task = rows[0].Serving.Task
			how[0] = fmt.Sprintf("task %s (the model has no %s rows)", task, defTask)
		}
	} else {
		how = append(how, "task "+task)
	}
	rs := filter(rows, func(v *Serving) bool { return v.Task == task })
	if len(rs) == 0 {
		return Row{}, "", fmt.Errorf("%s has no %s rows; measured tasks: %s", rows[0].Model, task,
			values(rows, func(v *Serving) string { return v.Task }))
	}
	if s.GPU != "" {
		if got := filter(rs, func(v *Serving) bool { return strings.EqualFold(v.GPU, s.GPU) }); len(got) > 0 {
			rs = got
		} else {
			return Row{}, "", fmt.Errorf("%s has no %s rows on %s; measured GPUs: %s", rows[0].Model, task, s.GPU,
				values(rs, func(v *Serving) string { return v.GPU }))
		}
	}
	if s.GPUs > 0 {
		if got := filter(rs, func(v *Serving) bool { return v.GPUs == s.GPUs }); len(got) > 0 {
			rs = got
		} else {
			return Row{}, "", fmt.Errorf("%s has no %s rows on %d GPUs; measured GPU counts: %s", rows[0].Model, task, s.GPUs,
				values(rs, func(v *Serving) string { return strconv.Itoa(v.GPUs) }))
		}
	}
	batches := slices.Clone(rs)
	slices.SortFunc(batches, func(a, b Row) int { return cmp.Compare(a.Serving.Batch, b.Serving.Batch) })
	all := values(batches, func(v *Serving) string { return strconv.Itoa(v.Batch) })
	if s.Batch > 0 {
		got := filter(rs, func(v *Serving) bool { return v.Batch == s.Batch })
		if len(got) == 0 {
			return Row{}, "", fmt.Errorf("%s has no %s rows at batch %d; measured batches: %s", rows[0].Model, task, s.Batch, all)
		}
		rs = got
		how = append(how, fmt.Sprintf("batch %d (measured: %s)", s.Batch, all))
	} else {
		b := batches[0].Serving.Batch
		rs = filter(rs, func(v *Serving) bool { return v.Batch == b })
		how = append(how, fmt.Sprintf("batch %d (the smallest, closest to one user; measured: %s)", b, all))
	}
	// Fewest GPUs, then H100 (the GPU of the AI Energy Score), then the
	// source's first measurement.
	slices.SortStableFunc(rs, func(a, b Row) int {
		if c := cmp.Compare(a.Serving.GPUs, b.Serving.GPUs); c != 0 {
			return c
		}
		ah, bh := a.Serving.GPU == "H100", b.Serving.GPU == "H100"
		if ah != bh {
			if ah {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Serving.Run, b.Serving.Run)
	})
	r := rs[0]
	h := fmt.Sprintf("%d×%s", r.Serving.GPUs, r.Serving.GPU)
	if len(rs) > 1 {
		var others []string
		for _, o := range rs[1:] {
			x := fmt.Sprintf("%d×%s", o.Serving.GPUs, o.Serving.GPU)
			if o.Serving.Run > 1 && o.Serving.GPUs == r.Serving.GPUs && o.Serving.GPU == r.Serving.GPU {
				x = fmt.Sprintf("a second measurement (%s, %.3g J per token)", o.ID, o.Published.Value)
			}
			if !slices.Contains(others, x) {
				others = append(others, x)
			}
		}
		h += " (also measured: " + strings.Join(others, ", ") + ")"
	}
	how = append(how, h)
	return r, strings.Join(how, ", "), nil
}

// --- name parsing ---

// nameKey is a model name read into its parts.
type nameKey struct {
	family  string
	version string
	// size is the parameter count in billions (0 unknown); measured is true
	// when it is a count (given, or the source's) rather than the nominal
	// size in a name.
	size     float64
	measured bool
	active   string
	release  string
	variant  string
	quals    []string
	setting  string
	quant    string
	dropped  []string
}

var (
	parenRe       = regexp.MustCompile(`\(([^)]*)\)`)
	straySizeRe   = regexp.MustCompile(`(\d)\s+([bmBM])\b`)
	strayXRe      = regexp.MustCompile(`(\d)\s+([xX]\d)`)
	strayUnderRe  = regexp.MustCompile(`\s+_`)
	separatorRe   = regexp.MustCompile(`[-\s]+`)
	digitUnderRe  = regexp.MustCompile(`(\d)_(\d)`)
	letterDigitRe = regexp.MustCompile(`^([a-z]{2,})(\d.*)$`)
	quantRe       = regexp.MustCompile(`^(i?q[1-8](_[a-z0-9]+)*|f16|fp16|bf16|bfloat16|f32|fp32|fp8|fp4|nvfp4|mxfp4|int4|int8|w4a16|w8a8|awq|gptq|gguf|ggml|mlx|exl2|\d+bit)$`)
	sizeRe        = regexp.MustCompile(`^(\d+(?:\.\d+)?)([bm])$`)
	moeSizeRe     = regexp.MustCompile(`^(\d+)x(\d+(?:\.\d+)?)b$`)
	activeRe      = regexp.MustCompile(`^a\d+(?:\.\d+)?b$`)
	expertsRe     = regexp.MustCompile(`^\d+e$`)
	releaseRe     = regexp.MustCompile(`^(\d{4}|\d{6}|\d{8})$`)
	versionRe     = regexp.MustCompile(`^v?(\d+(?:\.\d+)*[a-z]?)$`)
	lineRe        = regexp.MustCompile(`^[rv]\d+(?:\.\d+)*$`)
	settingRe     = regexp.MustCompile(`[^a-z0-9.]+`)
)

// Words with a fixed meaning in model names.
var (
	variantWords = map[string]string{"instruct": "instruct", "chat": "instruct", "it": "instruct", "base": "base", "pt": "base"}
	dropWords    = map[string]bool{"instant": true, "versatile": true, "latest": true, "hf": true}
	orgWords     = map[string]bool{"meta": true, "nvidia": true, "c4ai": true}
)

// parseName reads a model name into a nameKey. It never fails: unknown
// words become qualifiers.
func parseName(name string) nameKey {
	var k nameKey
	s := strings.ToLower(strings.TrimSpace(name))
	s = strings.NewReplacer("*", "", "†", "", "’", "", "'", "").Replace(s)
	// Parenthesised parts are the source's setting: "(high)", "(DS)", "(Mar ’25)".
	var settings []string
	for _, m := range parenRe.FindAllStringSubmatch(s, -1) {
		if t := strings.Trim(settingRe.ReplaceAllString(m[1], " "), " "); t != "" {
			settings = append(settings, t)
		}
	}
	k.setting = strings.Join(settings, " ")
	s = parenRe.ReplaceAllString(s, " ")
	// Stray spaces from scraped ids: "8 B", "8 x7B", "phi-1 _5".
	s = straySizeRe.ReplaceAllString(s, "$1$2")
	s = strayXRe.ReplaceAllString(s, "$1$2")
	s = strayUnderRe.ReplaceAllString(s, "_")
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	base, tag, _ := strings.Cut(s, ":")
	var toks []string
	add := func(piece string) {
		if piece == "" {
			return
		}
		if quantRe.MatchString(piece) {
			k.quant = piece
			return
		}
		piece = digitUnderRe.ReplaceAllString(piece, "$1.$2")
		for _, p := range strings.Split(piece, "_") {
			if p == "" {
				continue
			}
			if quantRe.MatchString(p) {
				k.quant = p
				continue
			}
			if m := letterDigitRe.FindStringSubmatch(p); m != nil {
				toks = append(toks, m[1], m[2])
				continue
			}
			toks = append(toks, p)
		}
	}
	for _, p := range separatorRe.Split(base, -1) {
		add(p)
	}
	for _, p := range strings.Split(tag, "-") {
		add(strings.TrimSpace(p))
	}
	// "Meta-Llama-3.1", "NVIDIA-Nemotron", "c4ai-command-r": the
	// organisation repeated in the name.
	if len(toks) > 1 && orgWords[toks[0]] {
		toks = toks[1:]
	}
	for i, t := range toks {
		switch {
		case i == 0:
			k.family = t
		case dropWords[t]:
			k.dropped = append(k.dropped, t)
		case variantWords[t] != "":
			k.variant = variantWords[t]
		case sizeRe.MatchString(t) && k.size == 0:
			m := sizeRe.FindStringSubmatch(t)
			v, _ := strconv.ParseFloat(m[1], 64)
			if m[2] == "m" {
				v /= 1000
			}
			k.size = v
		case moeSizeRe.MatchString(t) && k.size == 0:
			m := moeSizeRe.FindStringSubmatch(t)
			n, _ := strconv.ParseFloat(m[1], 64)
			v, _ := strconv.ParseFloat(m[2], 64)
			k.size = n * v
		case activeRe.MatchString(t):
			k.active = strings.TrimPrefix(t, "a")
		case expertsRe.MatchString(t):
			// "17B-16E": with an expert count the size in the name is the
			// active one, not the total.
			if k.size > 0 && k.active == "" {
				k.active = fmtSize(k.size) + "b"
				k.size = 0
			}
			k.active += "-" + t
		case releaseRe.MatchString(t) || t == "preview":
			k.release = strings.TrimSpace(k.release + " " + t)
		case k.version == "" && (versionRe.MatchString(t) || lineRe.MatchString(t)):
			if m := versionRe.FindStringSubmatch(t); m != nil {
				t = m[1]
			}
			k.version = t
			// "claude-3-7": a one-digit part right after a one-part version.
			if i+1 < len(toks) && len(toks[i+1]) == 1 && toks[i+1][0] >= '0' && toks[i+1][0] <= '9' && !strings.Contains(t, ".") {
				k.version += "." + toks[i+1]
				toks[i+1] = ""
			}
		case t == "":
		default:
			k.quals = append(k.quals, t)
		}
	}
	slices.Sort(k.quals)
	return k
}

func fmtSize(b float64) string { return strconv.FormatFloat(b, 'f', -1, 64) }

// sizeText formats the size as names do: "8b", "0.6b", "135m".
func (k nameKey) sizeText() string {
	switch {
	case k.size == 0:
		return "no size"
	case k.measured:
		return fmt.Sprintf("%.3gB parameters", k.size)
	case k.size < 1 && math.Abs(k.size*10-math.Round(k.size*10)) > 1e-9:
		// 0.135 is written "135m", 0.6 "0.6b".
		return fmtSize(math.Round(k.size*1e6)/1e3) + "m"
	}
	return fmtSize(k.size) + "b"
}

// String is the normalised name: "llama 3.1 8b instruct".
func (k nameKey) String() string {
	parts := []string{k.family}
	if k.version != "" {
		parts = append(parts, k.version)
	}
	parts = append(parts, k.quals...)
	if k.size > 0 {
		parts = append(parts, k.sizeText())
	}
	if k.active != "" {
		parts = append(parts, "a"+k.active)
	}
	if k.variant != "" {
		parts = append(parts, k.variant)
	}
	if k.release != "" {
		parts = append(parts, k.release)
	}
	if k.setting != "" {
		parts = append(parts, "("+k.setting+")")
	}
	if k.quant != "" {
		parts = append(parts, "["+k.quant+"]")
	}
	return strings.Join(parts, " ")
}

func (k nameKey) dropNotes() []string {
	if len(k.dropped) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("ignored %q in the name (serving tier or tag, not a different model)", strings.Join(k.dropped, ", "))}
}

// sizesAgree compares parameter sizes. Two nominal sizes (from names) must
// be equal; when either is a measured count they agree within a factor of
// 1.35, because names round the true count (Llama 3.2 1B has 1.24B
// parameters, Gemma 7B 8.5B) while a family's sizes sit at least about 1.5×
// apart.
func sizesAgree(a float64, aMeasured bool, b float64, bMeasured bool) bool {
	if !aMeasured && !bMeasured {
		return math.Abs(a-b) <= 1e-9*math.Max(a, b)
	}
	return math.Max(a, b)/math.Min(a, b) <= 1.35
}

// graded is the outcome of comparing two names.
type graded struct {
	// diffs name every difference that lowered the quality; ties within a
	// quality go to the row with fewer.
	diffs []string
	// info are remarks that do not count as differences.
	info []string
	// why is the reason for a rejection.
	why string
	// needsSize is true when the only problem is that the lab's name has
	// no size.
	needsSize bool
}

// grade compares the lab's key q with a row's key r and returns the
// quality, 0 for no match.
func grade(q, r nameKey) (Quality, graded) {
	reject := func(format string, args ...any) (Quality, graded) {
		return 0, graded{why: fmt.Sprintf(format, args...)}
	}
	if q.family != r.family {
		return reject("a different family (%s)", r.family)
	}
	if !slices.Equal(q.quals, r.quals) {
		return reject("a different line (%s against %s)", wordsOr(r.quals), wordsOr(q.quals))
	}
	if q.active != "" && r.active != "" && q.active != r.active {
		return reject("different active parameters (a%s against a%s)", r.active, q.active)
	}
	bothSizes := q.size > 0 && r.size > 0
	switch {
	case bothSizes && !sizesAgree(q.size, q.measured, r.size, r.measured):
		return reject("a different size (%s against %s)", r.sizeText(), q.sizeText())
	case q.size == 0 && r.size > 0:
		return 0, graded{why: fmt.Sprintf("size %s, and the name gives none", r.sizeText()), needsSize: true}
	}
	quality := QualityExact
	var g graded
	worse := func(to Quality, format string, args ...any) {
		quality = max(quality, to)
		g.diffs = append(g.diffs, fmt.Sprintf(format, args...))
	}
	if q.size > 0 && r.size == 0 {
		g.info = append(g.info, "the row's name gives no size to compare")
	}
	if bothSizes && (q.measured || r.measured) {
		g.info = append(g.info, fmt.Sprintf("sizes compared as %s against %s", q.sizeText(), r.sizeText()))
	}
	if q.version != r.version {
		if !bothSizes {
			return reject("a different version (%s against %s) and no sizes to compare", orNone(r.version), orNone(q.version))
		}
		worse(QualityOtherVersion, "the row is version %s, the name %s", orNone(r.version), orNone(q.version))
	}
	if q.variant != r.variant {
		worse(QualitySameVersion, "the row is the %s variant, the name %s", variantWord(r.variant), variantWord(q.variant))
	}
	if q.active != r.active {
		worse(QualitySameVersion, "active parameters: the row %s, the name %s", activeWord(r.active), activeWord(q.active))
	}
	if q.release != r.release {
		worse(QualitySameVersion, "release: the row %s, the name %s", orNone(r.release), orNone(q.release))
	}
	if q.setting != r.setting {
		worse(QualitySameVersion, "the row was measured as (%s), the name says %s", orNone(r.setting), orNone(q.setting))
	}
	if q.quant != r.quant {
		worse(QualitySameVersion, "weights: the row %s, the name %s", quantWord(r.quant), quantWord(q.quant))
	}
	return quality, g
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func wordsOr(w []string) string {
	if len(w) == 0 {
		return "plain"
	}
	return strings.Join(w, " ")
}

func variantWord(v string) string {
	if v == "" {
		return "unstated"
	}
	return v
}

func activeWord(a string) string {
	if a == "" {
		return "unstated"
	}
	return "a" + a
}

func quantWord(q string) string {
	if q == "" {
		return "at the source's precision"
	}
	return q
}

// closeness scores how near a rejected row is, for error messages; rows of
// another family score 0 and are not listed.
func closeness(q, r nameKey) int {
	if q.family != r.family {
		return 0
	}
	s := 8
	if q.version != "" && q.version == r.version {
		s += 4
	}
	if q.size > 0 && r.size > 0 && sizesAgree(q.size, q.measured, r.size, r.measured) {
		s += 4
	}
	for _, w := range q.quals {
		if slices.Contains(r.quals, w) {
			s++
		} else {
			s--
		}
	}
	return s
}

var nonSlug = regexp.MustCompile(`[^a-z0-9._]+`)

// slug lower-cases s and turns every run of other characters into one
// hyphen: "GPT-4o (Mar ’25)" → "gpt-4o-mar-25". The generator uses the same
// rule for the built-in rows' IDs.
func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-.")
}
