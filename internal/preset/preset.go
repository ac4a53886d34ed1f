package preset

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:embed builtin/*.md
var builtinFS embed.FS

// MaxSize is the largest preset file read (1 MiB): system prompts are a few
// tens of kilobytes.
const MaxSize = 1 << 20

// Extensions are the file name endings read as presets.
var Extensions = []string{".txt", ".md", ".mkd", ".markdown"}

// Preset is one named system prompt.
type Preset struct {
	Name string `json:"name"`
	// Source is "builtin" or the file it was read from.
	Source  string `json:"source"`
	Content string `json:"content"`
}

var descriptions = map[string]string{
	"minimal": "a one-line helpful assistant",
	"safety":  "a safety-guardrails prompt (honesty, harm avoidance, privacy)",
	"agent":   "a tool-using agent with nine JSON tool schemas",
}

// Describe returns a one-line description of a builtin preset, or "".
func Describe(name string) string { return descriptions[name] }

// Builtin returns the presets embedded in the binary, sorted by name.
func Builtin() []Preset {
	ps, err := load(builtinFS, "builtin", "builtin")
	if err != nil {
		panic(err) // the embedded files are part of the binary
	}
	return ps
}

// Load reads every preset file directly inside fsys (not recursively).
// A file name's stem is the preset's name; label prefixes Source.
func Load(fsys fs.FS, label string) ([]Preset, error) {
	return load(fsys, ".", label)
}

func load(fsys fs.FS, dir, label string) ([]Preset, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read presets directory %s: %w", label, err)
	}
	var out []Preset
	for _, e := range entries {
		if !e.Type().IsRegular() || !hasExt(e.Name()) {
			continue
		}
		p := path.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("read preset %s: %w", p, err)
		}
		if info.Size() > MaxSize {
			return nil, fmt.Errorf("preset %s is %d bytes, more than the %d-byte limit", path.Join(label, e.Name()), info.Size(), MaxSize)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read preset %s: %w", p, err)
		}
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("preset %s is not UTF-8 text", path.Join(label, e.Name()))
		}
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		src := "builtin"
		if label != "builtin" {
			src = path.Join(label, e.Name())
		}
		out = append(out, Preset{Name: name, Source: src, Content: strings.TrimRight(string(b), "\n")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hasExt(name string) bool {
	low := strings.ToLower(name)
	for _, x := range Extensions {
		if strings.HasSuffix(low, x) {
			return true
		}
	}
	return false
}

// ErrNotFound is returned by Find for an unknown preset.
var ErrNotFound = errors.New("unknown preset")

// Find returns the preset called name from sets searched in order (later
// sets do not override earlier ones).
func Find(name string, sets ...[]Preset) (Preset, error) {
	var names []string
	for _, set := range sets {
		for _, p := range set {
			if p.Name == name {
				return p, nil
			}
			names = append(names, p.Name)
		}
	}
	return Preset{}, fmt.Errorf("%w %q; available: %s", ErrNotFound, name, strings.Join(names, ", "))
}
