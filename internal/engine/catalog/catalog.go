package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sources of an Entry.
const (
	SourceDir    = "models-dir"
	SourceOllama = "ollama"
)

// Ollama layer media types (ollama/ollama's manifest documentation).
const (
	MediaModel    = "application/vnd.ollama.image.model"
	MediaTemplate = "application/vnd.ollama.image.template"
	MediaSystem   = "application/vnd.ollama.image.system"
	MediaParams   = "application/vnd.ollama.image.params"
	MediaAdapter  = "application/vnd.ollama.image.adapter"
	MediaProj     = "application/vnd.ollama.image.projector"
)

// DefaultRegistry is the registry whose "library" namespace Ollama leaves
// out of model names ("llama3.2:1b").
const DefaultRegistry = "registry.ollama.ai"

// Entry is one model file found.
type Entry struct {
	// Name is how the lab names it after "builtin/": the file's path
	// relative to the models directory without ".gguf", or
	// "ollama/<ollama name>" for a model from the Ollama store.
	Name string
	// Path is the GGUF file.
	Path string
	// Source is SourceDir or SourceOllama.
	Source string
	// Size is the file's size in bytes.
	Size int64
	// Digest is the Ollama blob digest ("sha256:..."), empty for files.
	Digest string
	// OllamaName is the name Ollama knows the model by ("llama3.2:1b").
	OllamaName string
	// System is the model's default system prompt from its Ollama
	// Modelfile (the system layer), which Ollama adds to requests that
	// have none.
	System string
	// Note says why the entry cannot be used (a missing blob, an adapter
	// the engine does not apply); empty when it can.
	Note string
}

// MaxManifest bounds a manifest file (they are a few hundred bytes).
const MaxManifest = 1 << 20

// MaxSystemLayer bounds a system-prompt layer read into Entry.System.
const MaxSystemLayer = 1 << 20

// Dir lists the GGUF files directly in dir and in its immediate
// subdirectories (hidden ones skipped), sorted by name. A missing directory
// is an empty list, not an error.
func Dir(dir string) ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(d.Name(), ".") || strings.Count(rel, string(filepath.Separator)) >= 1) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.EqualFold(filepath.Ext(d.Name()), ".gguf") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		info, err := os.Stat(path) // follows links: a linked model is fine
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		name := filepath.ToSlash(strings.TrimSuffix(rel, filepath.Ext(rel)))
		out = append(out, Entry{Name: name, Path: path, Source: SourceDir, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list models in %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// manifest is the part of an Ollama manifest the catalog reads.
type manifest struct {
	Layers []layer `json:"layers"`
}

type layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Ollama lists the models of an Ollama store rooted at modelsDir (OLLAMA_MODELS,
// by default ~/.ollama/models): every manifest at
// manifests/<registry>/<namespace>/<model>/<tag> whose model layer's blob
// is present. A missing store is an empty list. Manifests that cannot be
// read are listed with a Note, not dropped silently.
func Ollama(modelsDir string) ([]Entry, error) {
	root := filepath.Join(modelsDir, "manifests")
	paths, err := filepath.Glob(filepath.Join(root, "*", "*", "*", "*"))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		name := DisplayName(parts[0], parts[1], parts[2], parts[3])
		e := Entry{Name: "ollama/" + name, Source: SourceOllama, OllamaName: name}
		m, err := readManifest(p)
		if err != nil {
			e.Note = err.Error()
			out = append(out, e)
			continue
		}
		for _, l := range m.Layers {
			switch l.MediaType {
			case MediaModel:
				e.Digest, e.Size = l.Digest, l.Size
				e.Path = BlobPath(modelsDir, l.Digest)
			case MediaSystem:
				if s, err := readSmall(BlobPath(modelsDir, l.Digest), MaxSystemLayer); err == nil {
					e.System = s
				}
			case MediaAdapter:
				e.Note = "has a LoRA adapter layer, which the engine does not apply"
			}
		}
		switch {
		case e.Digest == "":
			e.Note = "the manifest has no model layer"
		case e.Path == "":
			e.Note = "the model layer's digest " + e.Digest + " is not a sha256 digest"
		default:
			if fi, err := os.Stat(e.Path); err != nil {
				e.Note = fmt.Sprintf("the model blob %s is missing (was the pull interrupted?)", e.Path)
			} else if e.Size == 0 {
				e.Size = fi.Size()
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DisplayName is Ollama's short name for a manifest path: "model:tag" in the
// default registry's library namespace, "namespace/model:tag" elsewhere in
// the default registry, "registry/namespace/model:tag" otherwise.
func DisplayName(registry, namespace, model, tag string) string {
	switch {
	case registry == DefaultRegistry && namespace == "library":
		return model + ":" + tag
	case registry == DefaultRegistry:
		return namespace + "/" + model + ":" + tag
	default:
		return registry + "/" + namespace + "/" + model + ":" + tag
	}
}

// BlobPath returns where Ollama stores a blob: blobs/sha256-<hex> (older
// releases wrote sha256:<hex>, which is used if that is what exists). ""
// for a digest that is not "sha256:<64 hex digits>".
func BlobPath(modelsDir, digest string) string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return ""
	}
	p := filepath.Join(modelsDir, "blobs", "sha256-"+hex)
	if _, err := os.Stat(p); err != nil {
		if old := filepath.Join(modelsDir, "blobs", "sha256:"+hex); fileExists(old) {
			return old
		}
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readManifest(p string) (manifest, error) {
	s, err := readSmall(p, MaxManifest)
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return manifest{}, fmt.Errorf("manifest %s is not valid JSON: %w", p, err)
	}
	return m, nil
}

func readSmall(p string, max int64) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(b)) > max {
		return "", fmt.Errorf("%s is larger than %d bytes", p, max)
	}
	return string(b), nil
}

// Lookup finds an Ollama model by the names users type: "llama3.2" means
// "llama3.2:latest"; a name may carry its registry and namespace.
func Lookup(entries []Entry, ollamaName string) (Entry, bool) {
	want := ollamaName
	if !strings.Contains(lastSegment(want), ":") {
		want += ":latest"
	}
	want = strings.TrimPrefix(want, DefaultRegistry+"/")
	want = strings.TrimPrefix(want, "library/")
	for _, e := range entries {
		if e.Source == SourceOllama && e.OllamaName == want {
			return e, true
		}
	}
	return Entry{}, false
}

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}
