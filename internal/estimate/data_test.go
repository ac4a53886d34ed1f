package estimate

import (
	"math"
	"strings"
	"testing"
)

// TestEmbeddedData checks the generated data file: it parses, has the row
// counts of its sources, unique IDs, finite coefficients, positive published
// figures and provenance on every family. That it matches what ./gen
// produces from shared/data is checked in gen's own test.
func TestEmbeddedData(t *testing.T) {
	fams, err := parseFamilies(familiesJSON)
	if err != nil {
		t.Fatalf("embedded families.json: %v", err)
	}
	wantRows := map[string]int{FamilyAES: 62, FamilyJegham: 30, FamilyMLEnergy: 565}
	if len(fams) != len(wantRows) {
		t.Fatalf("%d families in the data, want %d", len(fams), len(wantRows))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	positive := func(v float64) bool { return finite(v) && v > 0 }
	for _, f := range fams {
		t.Run(f.ID, func(t *testing.T) {
			if got, want := len(f.Rows), wantRows[f.ID]; got != want {
				t.Errorf("%d rows, want %d", got, want)
			}
			for name, v := range map[string]string{"name": f.Name, "source": f.Source, "url": f.URL, "version": f.Version,
				"hardware": f.Hardware, "method": f.Method, "formula": f.Formula} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("empty %s", name)
				}
			}
			if !strings.HasPrefix(f.URL, "https://") {
				t.Errorf("url %q", f.URL)
			}
			if !f.Boundary.Valid() || f.Boundary == BoundaryStated {
				t.Errorf("boundary %q", f.Boundary)
			}
			ids := map[string]bool{}
			for _, r := range f.Rows {
				if ids[r.ID] {
					t.Errorf("duplicate row id %s", r.ID)
				}
				ids[r.ID] = true
				if r.ID != slug(r.ID) {
					t.Errorf("row id %q is not a slug", r.ID)
				}
				if r.Family != f.ID || r.Model == "" || r.Method == "" || r.Boundary != f.Boundary || r.PUEIncluded != f.PUEIncluded {
					t.Errorf("row %s: provenance %+v", r.ID, r)
				}
				for _, v := range []float64{r.FixedWh, r.InputWhPerToken, r.OutputWhPerToken} {
					if !finite(v) {
						t.Errorf("row %s: coefficient %v", r.ID, v)
					}
				}
				switch f.ID {
				case FamilyAES:
					if !positive(r.InputWhPerToken) || r.OutputWhPerToken != 0 || r.FixedWh != 0 || r.Published == nil || !positive(r.Published.Value) {
						t.Errorf("row %s: %+v", r.ID, r)
					}
					if strings.ContainsAny(r.Model, " \t") || !strings.Contains(r.Model, "/") {
						t.Errorf("row %s: model id %q is not a clean Hugging Face id", r.ID, r.Model)
					}
					if !strings.Contains("ABC", r.Class) || r.Class == "" {
						t.Errorf("row %s: class %q", r.ID, r.Class)
					}
				case FamilyJegham:
					if r.Cov == nil || r.Coverage == nil || len(r.Shapes) < 2 || r.Note == "" {
						t.Errorf("row %s: cov %v coverage %v shapes %d note %q", r.ID, r.Cov, r.Coverage, len(r.Shapes), r.Note)
					}
					for _, s := range r.Shapes {
						if !positive(s.MeanWh) || !positive(s.SDWh) || s.Input <= 0 || s.Output <= 0 {
							t.Errorf("row %s: shape %+v", r.ID, s)
						}
					}
					if r.Cov != nil {
						for i := range 3 {
							if r.Cov[i][i] < 0 {
								t.Errorf("row %s: negative variance %g", r.ID, r.Cov[i][i])
							}
							for j := range 3 {
								if r.Cov[i][j] != r.Cov[j][i] {
									t.Errorf("row %s: covariance not symmetric", r.ID)
								}
							}
						}
					}
				case FamilyMLEnergy:
					s := r.Serving
					if s == nil || r.Published == nil {
						t.Fatalf("row %s: no serving or published figure", r.ID)
					}
					if !positive(r.Published.Value) || math.Abs(r.OutputWhPerToken*3600-r.Published.Value) > 1e-12 ||
						r.InputWhPerToken != 0 || r.FixedWh != 0 {
						t.Errorf("row %s: J per token %v, Wh per token %v", r.ID, r.Published.Value, r.OutputWhPerToken)
					}
					if s.Batch <= 0 || s.GPUs <= 0 || !positive(s.ParamsB) || !positive(s.ActiveParamsB) || !positive(s.MeanOutputTokens) ||
						(s.GPU != "H100" && s.GPU != "B200") || s.Precision == "" || s.Run < 1 {
						t.Errorf("row %s: serving %+v", r.ID, *s)
					}
					if !strings.Contains("lm-arena-chat gpqa sourcegraph-fim", s.Task) {
						t.Errorf("row %s: task %q", r.ID, s.Task)
					}
				}
			}
		})
	}
}

// TestParseFamiliesRejects checks the loader refuses damaged data rather
// than serving it.
func TestParseFamiliesRejects(t *testing.T) {
	fam := func(boundary, rows string) string {
		return `{"note":"n","inputs":[],"families":[{"id":"x","name":"n","source":"s","url":"u","version":"v","boundary":"` +
			boundary + `","pue_included":false,"hardware":"h","method":"m","formula":"f","rows":[` + rows + `]}]}`
	}
	row := `{"id":"a","model":"A","fixed_wh":0,"input_wh_per_token":1,"output_wh_per_token":0}`
	tests := []struct{ name, in, want string }{
		{"not json", `{`, "parse"},
		{"unknown field", strings.Replace(fam("gpu", row), `"note"`, `"extra":1,"note"`, 1), "unknown field"},
		{"unknown boundary", fam("wall", row), "unknown boundary"},
		{"duplicate row", fam("gpu", row+","+row), "duplicate row"},
		{"empty model", fam("gpu", `{"id":"a","model":"","fixed_wh":0,"input_wh_per_token":1,"output_wh_per_token":0}`), "empty id or model"},
		{"empty method", strings.Replace(fam("gpu", row), `"method":"m"`, `"method":" "`, 1), "empty method"},
		{"trailing", fam("gpu", row) + "{}", "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFamilies([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseFamilies() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := parseFamilies([]byte(fam("gpu", row))); err != nil {
		t.Fatalf("a valid file was rejected: %v", err)
	}
}
