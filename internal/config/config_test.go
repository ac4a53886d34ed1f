package config

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLayeringOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("model: ollama/from-file\npue: 1.5\ngrid: DE\nbaseline:\n  window: 2s\ncpu_model:\n  tdp_watts: 95\n"), 0o600)
	e := env(map[string]string{"HOME": dir, "ENERGYLAB_PUE": "1.3", "ENERGYLAB_GRID": "FR", "OLLAMA_HOST": "gpu-box"})
	c, err := Load(file, e)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	Bind(fs, &c, "model", "pue", "grid", "tdp", "baseline")
	if err := fs.Parse([]string{"--grid", "GB"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"model (file)":       {c.Model, "ollama/from-file"},
		"pue (env > file)":   {c.PUE, 1.3},
		"grid (flag > env)":  {c.Grid, "GB"},
		"tdp (file)":         {c.CPUModel.TDPWatts, 95.0},
		"baseline (file)":    {time.Duration(c.Baseline.Window), 2 * time.Second},
		"ollama (env)":       {c.Ollama.Host, "http://gpu-box:11434"},
		"max tokens default": {c.Run.MaxTokens, 256},
		"db under HOME":      {c.DB, filepath.Join(dir, ".local", "share", "energylab", "energylab.db")},
		"path":               {c.Path, file},
	}
	for name, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"HOME": dir})
	if _, err := Load(filepath.Join(dir, "missing.yaml"), e); err == nil {
		t.Error("a named config file that does not exist was accepted")
	}
	if _, err := Load("", e); err != nil {
		t.Errorf("no file at the default path: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("modle: builtin/x\n"), 0o600)
	if _, err := Load(bad, e); err == nil || !strings.Contains(err.Error(), "modle") {
		t.Errorf("unknown key: err = %v", err)
	}
	os.WriteFile(bad, []byte("baseline:\n  window: soon\n"), 0o600)
	if _, err := Load(bad, e); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Errorf("bad duration: err = %v", err)
	}
	_, err := Load("", env(map[string]string{"HOME": dir, "ENERGYLAB_PUE": "high"}))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "ENERGYLAB_PUE" {
		t.Errorf("bad env value: err = %v", err)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := Default(env(map[string]string{"HOME": "/h"}))
	c.Model = "synthetic-tiny"
	c.Meter = "wattmeter"
	c.PUE = 0.5
	c.Run.MaxTokens = 0
	c.Ollama.Host = "ftp://x"
	err := c.Validate()
	var ve ValidationError
	if !errors.As(err, &ve) || len(ve) != 5 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"model", "meter", "pue", "max-tokens", "ollama-host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if d := Default(env(nil)); d.Validate() != nil {
		err := d.Validate()
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestOllamaURL(t *testing.T) {
	cases := map[string]string{
		"":                     "http://127.0.0.1:11434",
		"0.0.0.0":              "http://0.0.0.0:11434",
		"gpu-box":              "http://gpu-box:11434",
		"gpu-box:8080":         "http://gpu-box:8080",
		"http://gpu-box":       "http://gpu-box:80",
		"https://ollama.local": "https://ollama.local:443",
		"[::1]:11434":          "http://[::1]:11434",
		"http://h:1/proxy":     "http://h:1/proxy",
	}
	for in, want := range cases {
		got, err := OllamaURL(in)
		if err != nil || got != want {
			t.Errorf("OllamaURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := OllamaURL("ftp://x"); err == nil {
		t.Error("ftp scheme accepted")
	}
}

func TestBindUnsetFlagsKeepLowerLayers(t *testing.T) {
	c := Default(env(nil))
	c.Grid = "FR" // as if from the file
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, &c, "grid", "preload")
	if err := fs.Parse([]string{"--preload=false"}); err != nil {
		t.Fatal(err)
	}
	if c.Grid != "FR" || c.Preload {
		t.Fatalf("grid %q preload %v", c.Grid, c.Preload)
	}
	if err := fs.Parse([]string{"--grid"}); err == nil {
		t.Fatal("flag without a value accepted")
	}
}
