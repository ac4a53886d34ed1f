package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func digest(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func manifestJSON(layers ...string) string {
	return `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"` + digest(99) + `","size":10},"layers":[` + strings.Join(layers, ",") + `]}`
}

func layerJSON(media string, n, size int) string {
	return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, media, digest(n), size)
}

func blob(root string, n int) string {
	return filepath.Join(root, "blobs", fmt.Sprintf("sha256-%064x", n))
}

func TestOllamaStore(t *testing.T) {
	root := t.TempDir()
	man := filepath.Join(root, "manifests")
	// llama3.2:1b in the default library, with a system prompt layer.
	write(t, filepath.Join(man, "registry.ollama.ai", "library", "llama3.2", "1b"), manifestJSON(
		layerJSON(MediaModel, 1, 4), layerJSON(MediaTemplate, 2, 3), layerJSON(MediaSystem, 3, 8)))
	write(t, blob(root, 1), "GGUF")
	write(t, blob(root, 3), "Be brief")
	// A user namespace and a Hugging Face model, the latter stored under
	// the old sha256: blob name.
	write(t, filepath.Join(man, "registry.ollama.ai", "someone", "tiny", "latest"), manifestJSON(layerJSON(MediaModel, 4, 4)))
	write(t, blob(root, 4), "GGUF")
	write(t, filepath.Join(man, "hf.co", "org", "repo-GGUF", "Q4_K_M"), manifestJSON(layerJSON(MediaModel, 5, 4)))
	write(t, filepath.Join(root, "blobs", fmt.Sprintf("sha256:%064x", 5)), "GGUF")
	// Broken: a blob that was never downloaded, a manifest that is not JSON.
	write(t, filepath.Join(man, "registry.ollama.ai", "library", "half", "latest"), manifestJSON(layerJSON(MediaModel, 6, 4)))
	write(t, filepath.Join(man, "registry.ollama.ai", "library", "junk", "latest"), "not json")

	got, err := Ollama(root)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Path, Note, System string }
	var rows []row
	for _, e := range got {
		note := ""
		if e.Note != "" {
			note = strings.SplitN(e.Note, " ", 3)[0] + " " + strings.SplitN(e.Note, " ", 3)[1]
		}
		rows = append(rows, row{e.Name, strings.TrimPrefix(e.Path, root), note, e.System})
	}
	want := []row{
		{"ollama/half:latest", fmt.Sprintf("/blobs/sha256-%064x", 6), "the model", ""},
		{"ollama/hf.co/org/repo-GGUF:Q4_K_M", fmt.Sprintf("/blobs/sha256:%064x", 5), "", ""},
		{"ollama/junk:latest", "", "manifest " + filepath.Join(man, "registry.ollama.ai", "library", "junk", "latest"), ""},
		{"ollama/llama3.2:1b", fmt.Sprintf("/blobs/sha256-%064x", 1), "", "Be brief"},
		{"ollama/someone/tiny:latest", fmt.Sprintf("/blobs/sha256-%064x", 4), "", ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{
		"llama3.2:1b": "ollama/llama3.2:1b", "registry.ollama.ai/library/llama3.2:1b": "ollama/llama3.2:1b",
		"someone/tiny": "ollama/someone/tiny:latest", "hf.co/org/repo-GGUF:Q4_K_M": "ollama/hf.co/org/repo-GGUF:Q4_K_M",
	} {
		e, ok := Lookup(got, name)
		if !ok || e.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, e.Name, ok, want)
		}
	}
	if _, ok := Lookup(got, "llama3.2"); ok {
		t.Error("llama3.2 (= llama3.2:latest) found, but only the 1b tag is pulled")
	}
}

func TestOllamaMissingStore(t *testing.T) {
	got, err := Ollama(filepath.Join(t.TempDir(), "nope"))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestDir(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "qwen2.5-0.5b-q4_k_m.gguf"), "GGUF")
	write(t, filepath.Join(root, "llama", "Llama-3.2-1B.Q8_0.GGUF"), "GGUF")
	write(t, filepath.Join(root, "deep", "er", "hidden.gguf"), "GGUF")
	write(t, filepath.Join(root, ".cache", "x.gguf"), "GGUF")
	write(t, filepath.Join(root, "README.md"), "hi")
	got, err := Dir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Name)
		if e.Source != SourceDir || e.Size != 4 {
			t.Errorf("%+v", e)
		}
	}
	if diff := cmp.Diff([]string{"llama/Llama-3.2-1B.Q8_0", "qwen2.5-0.5b-q4_k_m"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got, err := Dir(filepath.Join(root, "missing")); err != nil || len(got) != 0 {
		t.Errorf("missing dir: %v, %v", got, err)
	}
}

func TestBlobPathRejectsOddDigests(t *testing.T) {
	for _, d := range []string{"", "sha256:abc", "md5:" + strings.Repeat("0", 64), "sha256:" + strings.Repeat("g", 64), "sha256:../../" + strings.Repeat("0", 58)} {
		if p := BlobPath("/m", d); p != "" {
			t.Errorf("BlobPath(%q) = %q, want empty", d, p)
		}
	}
}
