package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

func TestCheckContext(t *testing.T) {
	info := provider.ModelInfo{Name: "x/m", ContextLength: 2048}
	cases := []struct {
		name                     string
		max, expected, estimated int
		want                     string
	}{
		{"fits", 256, 100, 100, ""},
		{"max tokens alone too big", 4096, 10, 10, "more than x/m's context of 2048"},
		{"counted prompt plus output too big", 1000, 1100, 0, "the prompt is 1100 tokens and -max-tokens is 1000"},
		{"estimated prompt too big without a tokenizer", 10, -1, 3000, "about 3000 tokens"},
		{"estimate ignored when counted", 10, 100, 3000, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkContext(info, c.max, c.expected, c.estimated)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var u usageError
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &u) {
				t.Fatalf("err = %v, want a usage error containing %q", err, c.want)
			}
		})
	}
	if err := checkContext(provider.ModelInfo{}, 1<<20, -1, 1<<20); err != nil {
		t.Errorf("unknown context length refused a request: %v", err)
	}
}

func TestNumCtx(t *testing.T) {
	cases := []struct{ model, est, max, want int }{
		{0, 10, 256, 4096},          // floor
		{131072, 21000, 512, 28768}, // a 21k-token system prompt, 4/3 margin
		{8192, 21000, 512, 8192},    // capped at the model
	}
	for _, c := range cases {
		if got := numCtx(c.model, c.est, c.max); got != c.want {
			t.Errorf("numCtx(%d, %d, %d) = %d, want %d", c.model, c.est, c.max, got, c.want)
		}
	}
}

func TestIsLocalURL(t *testing.T) {
	host, _ := os.Hostname()
	for u, want := range map[string]bool{
		"http://127.0.0.1:11434":         true,
		"http://localhost:8080/v1":       true,
		"http://[::1]:1":                 true,
		"http://0.0.0.0:11434":           true,
		"http://" + host + ":11434":      true,
		"https://api.groq.com/openai/v1": false,
		"http://192.0.2.10:11434":        false,
	} {
		if got := isLocalURL(u); got != want {
			t.Errorf("isLocalURL(%s) = %v, want %v", u, got, want)
		}
	}
}

func TestMainUsageAndConfigFlag(t *testing.T) {
	dir := t.TempDir()
	env := func(out, errb *bytes.Buffer) Env {
		return Env{Stdout: out, Stderr: errb, LookupEnv: func(k string) (string, bool) {
			if k == "HOME" {
				return dir, true
			}
			return "", false
		}}
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), nil, env(&out, &errb)); code != ExitUsage || !strings.Contains(out.String(), "commands:") {
		t.Errorf("no arguments: exit %d, output %q", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"version"}, env(&out, &errb)); code != ExitOK || !strings.HasPrefix(out.String(), "energylab ") {
		t.Errorf("version: exit %d, output %q", code, out.String())
	}
	// -config is read before the other flags, and its values apply.
	cfgFile := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfgFile, []byte("presets_dir: "+filepath.Join(dir, "presets")+"\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "presets"), 0o700)
	os.WriteFile(filepath.Join(dir, "presets", "terse.md"), []byte("Be terse."), 0o600)
	out.Reset()
	if code := Main(context.Background(), []string{"presets", "-config", cfgFile}, env(&out, &errb)); code != ExitOK || !strings.Contains(out.String(), "terse") {
		t.Errorf("presets with -config: exit %d, output %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := Main(context.Background(), []string{"presets", "-config", filepath.Join(dir, "missing.yaml")}, env(&out, &errb)); code != ExitUsage || !strings.Contains(errb.String(), "missing.yaml") {
		t.Errorf("missing config: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := Main(context.Background(), []string{"frobnicate"}, env(&out, &errb)); code != ExitUsage || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errb.String())
	}
}
