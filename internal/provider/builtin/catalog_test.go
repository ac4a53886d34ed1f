package builtin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

// tinyFile writes synthetic-tiny as a q8_0 GGUF and returns its bytes.
func tinyFile(t *testing.T) []byte {
	t.Helper()
	s, _ := synth.Lookup("synthetic-tiny")
	q, _ := synth.LookupQuant("q8_0")
	path, _, err := synth.Ensure(context.Background(), t.TempDir(), s, 7, q, tensor.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestModelsDirAndOllamaStore puts the same GGUF in a models directory and
// in a fake Ollama store (a manifest naming a sha256 blob), and runs both
// through the same path as synthetic models.
func TestModelsDirAndOllamaStore(t *testing.T) {
	ctx := context.Background()
	gguf := tinyFile(t)
	dir, store := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "my-model.gguf"), gguf, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := fmt.Sprintf("%064x", 12345)
	os.MkdirAll(filepath.Join(store, "blobs"), 0o755)
	os.WriteFile(filepath.Join(store, "blobs", "sha256-"+digest), gguf, 0o644)
	man := filepath.Join(store, "manifests", "registry.ollama.ai", "library", "tiny", "latest")
	os.MkdirAll(filepath.Dir(man), 0o755)
	os.WriteFile(man, []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+digest+`","size":`+fmt.Sprint(len(gguf))+`}]}`), 0o644)

	p := New(Options{ModelsDir: dir, OllamaModels: store, CacheDir: t.TempDir()})
	models, err := p.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, ","); got != "builtin/synthetic-tiny,builtin/synthetic-qwen3-0.6b,builtin/my-model,builtin/ollama/tiny:latest" {
		t.Fatalf("models %s", got)
	}
	for _, name := range []string{"my-model", "ollama/tiny", "ollama/tiny:latest"} {
		info, err := p.Describe(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Quantization != "Q8_0" || info.Family != "llama" || info.ContextLength != 2048 || !info.Synthetic || info.Parameters != 5245184 {
			t.Errorf("%s: %+v", name, info)
		}
		if strings.HasPrefix(name, "ollama/") && (info.Digest != "sha256:"+digest || !strings.Contains(info.Note, "Ollama runs as tiny:latest")) {
			t.Errorf("%s: digest %q note %q", name, info.Digest, info.Note)
		}
		n, err := p.CountPrompt(ctx, name, question, provider.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var r recorder
		u, err := p.Stream(ctx, provider.Request{Model: name, Messages: question, Options: provider.Options{MaxTokens: 8}}, r.fn)
		if err != nil {
			t.Fatal(err)
		}
		if u.PromptTokens != n || u.CompletionTokens < 1 || u.LoadDuration <= 0 {
			t.Errorf("%s: usage %+v, counted prompt %d", name, u, n)
		}
	}
	// The synthetic name resolves to a file the provider generated, with
	// the same weights as the copies above: greedy output is identical.
	greedyText := func(p *Provider, name string) string {
		var r recorder
		zero := 0.0
		if _, err := p.Stream(ctx, provider.Request{Model: name, Messages: question, Options: provider.Options{MaxTokens: 12, Temperature: &zero}}, r.fn); err != nil {
			t.Fatal(err)
		}
		c, _ := r.text()
		return c
	}
	same := New(Options{Seed: 7, ModelsDir: dir, CacheDir: t.TempDir()})
	if a, b := greedyText(same, "synthetic-tiny:q8_0"), greedyText(same, "my-model"); a != b {
		t.Errorf("generated and copied files disagree: %q vs %q", a, b)
	}
	_, err = p.Describe(ctx, "ollama/absent")
	if !errors.Is(err, provider.ErrUnknownModel) || !strings.Contains(err.Error(), "ollama/tiny:latest") {
		t.Errorf("unknown ollama model: %v", err)
	}
}

func TestSyntheticTags(t *testing.T) {
	ctx := context.Background()
	p := New(Options{CacheDir: t.TempDir()})
	info, err := p.Describe(ctx, "synthetic-tiny:q4_k_m")
	if err != nil || info.Quantization != "Q4_K_M" || info.Name != "builtin/synthetic-tiny:q4_k_m" {
		t.Fatalf("%+v %v", info, err)
	}
	var r recorder
	if _, err := p.Stream(ctx, provider.Request{Model: "synthetic-tiny:q4_k_m", Messages: question, Options: provider.Options{MaxTokens: 4}}, r.fn); err != nil {
		t.Fatal(err)
	}
	_, err = p.Describe(ctx, "synthetic-tiny:q3_k")
	if !errors.Is(err, provider.ErrUnknownModel) || !strings.Contains(err.Error(), "q4_k_m") {
		t.Errorf("unknown tag: %v", err)
	}
}
