package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "1s", "250ms" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 1s or 250ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String formats the duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Config is everything the lab can be told.
type Config struct {
	// Model is the default model, "provider/model".
	Model string `yaml:"model"`
	// DB is the SQLite store's path.
	DB string `yaml:"db"`
	// PresetsDir holds the user's system-prompt presets.
	PresetsDir string `yaml:"presets_dir"`
	// Meter is "auto", "rapl", "cpu-model", "prometheus" or "none".
	Meter string `yaml:"meter"`
	// Prometheus configures the prometheus meter: an exporter's metrics
	// URL, its preset and the label matchers that pick the series.
	Prometheus struct {
		URL string `yaml:"url"`
		// Server is a Prometheus server that scrapes the exporter, for the
		// promql meter.
		Server   string `yaml:"server"`
		Preset   string `yaml:"preset"`
		Selector string `yaml:"selector"`
	} `yaml:"prometheus"`
	// SysfsRoot and ProcRoot are where the kernel's sysfs and procfs are
	// mounted (tests and containers point them elsewhere).
	SysfsRoot string `yaml:"sysfs"`
	ProcRoot  string `yaml:"procfs"`
	// RAPLDomains is "package+dram" or "psys".
	RAPLDomains string `yaml:"rapl_domains"`
	CPUModel    struct {
		// TDPWatts is the CPU's thermal design power.
		TDPWatts float64 `yaml:"tdp_watts"`
		// Cores is the number of logical CPUs the TDP is shared by; 0
		// means the CPUs this host shows.
		Cores int `yaml:"cores"`
	} `yaml:"cpu_model"`
	Baseline struct {
		// Window is how long idle power is sampled; 0 disables the
		// baseline.
		Window Duration `yaml:"window"`
		// Samples is how many sub-samples judge whether idle was quiet.
		Samples int `yaml:"samples"`
		// MaxAge is how long a baseline is reused.
		MaxAge Duration `yaml:"max_age"`
	} `yaml:"baseline"`
	// PollInterval is the meter's background poll period during a run.
	PollInterval Duration `yaml:"poll_interval"`
	// Grid is a country code or name from the bundled table.
	Grid string `yaml:"grid"`
	// GridFactor, when positive, overrides Grid with a user-supplied kg
	// CO2e per kWh.
	GridFactor float64 `yaml:"grid_factor"`
	// PUE multiplies energy for carbon (1.0 for a workstation).
	PUE float64 `yaml:"pue"`
	// Preload loads the model before the idle baseline and the request.
	Preload bool `yaml:"preload"`
	// Run holds request defaults.
	Run struct {
		MaxTokens   int     `yaml:"max_tokens"`
		Temperature float64 `yaml:"temperature"`
	} `yaml:"run"`
	Ollama struct {
		// Host is Ollama's base URL (OLLAMA_HOST).
		Host string `yaml:"host"`
	} `yaml:"ollama"`
	OpenAI struct {
		BaseURL string `yaml:"base_url"`
		APIKey  string `yaml:"api_key"`
	} `yaml:"openai"`
	Groq struct {
		BaseURL string `yaml:"base_url"`
		APIKey  string `yaml:"api_key"`
	} `yaml:"groq"`
	Builtin struct {
		// Threads is the engine's worker count; 0 means every CPU.
		Threads int `yaml:"threads"`
		// Seed generates the synthetic weights; 0 means the default.
		Seed uint64 `yaml:"seed"`
		// ModelsDir holds GGUF files the engine lists as builtin/<name>.
		ModelsDir string `yaml:"models_dir"`
		// OllamaModels is Ollama's model store (OLLAMA_MODELS), whose
		// pulled models the engine lists as builtin/ollama/<name>.
		OllamaModels string `yaml:"ollama_models"`
		// CacheDir holds the synthetic models' generated GGUF files.
		CacheDir string `yaml:"cache_dir"`
	} `yaml:"builtin"`
	// Estimate chooses the benchmark family runs are shown against.
	Estimate struct {
		// Family is "auto", a family ID (aes, jegham, mlenergy, custom,
		// calibrated), or "" for the one set with `benchmarks use`, else
		// auto.
		Family string `yaml:"family"`
		// Batch, Task and GPU narrow ML.ENERGY's rows (0/"" = its
		// defaults: the smallest batch, lm-arena-chat).
		Batch int    `yaml:"batch"`
		Task  string `yaml:"task"`
		GPU   string `yaml:"gpu"`
	} `yaml:"estimate"`
	// Timeout bounds one request; 0 means none.
	Timeout Duration `yaml:"timeout"`

	// Path is the file this configuration was read from, if any.
	Path string `yaml:"-"`
}

// Default returns the built-in defaults. home and the XDG variables decide
// the default paths.
func Default(lookupEnv func(string) (string, bool)) Config {
	var c Config
	c.Model = "builtin/synthetic-tiny"
	c.DB = filepath.Join(dataDir(lookupEnv), "energylab", "energylab.db")
	c.PresetsDir = filepath.Join(configDir(lookupEnv), "energylab", "presets")
	c.Meter = "auto"
	c.SysfsRoot = "/sys"
	c.ProcRoot = "/proc"
	c.RAPLDomains = "package+dram"
	c.CPUModel.TDPWatts = 65
	c.Baseline.Window = Duration(time.Second)
	c.Baseline.Samples = 10
	c.Baseline.MaxAge = Duration(5 * time.Minute)
	c.PollInterval = Duration(250 * time.Millisecond)
	c.Grid = "GLOBAL"
	c.PUE = 1.0
	c.Preload = true
	c.Run.MaxTokens = 256
	c.Run.Temperature = 0.7
	c.Ollama.Host = "http://127.0.0.1:11434"
	c.OpenAI.BaseURL = "https://api.openai.com/v1"
	c.Groq.BaseURL = "https://api.groq.com/openai/v1"
	c.Builtin.ModelsDir = filepath.Join(dataDir(lookupEnv), "energylab", "models")
	c.Builtin.OllamaModels = filepath.Join(home(lookupEnv), ".ollama", "models")
	c.Builtin.CacheDir = filepath.Join(cacheDir(lookupEnv), "energylab")
	return c
}

func home(lookupEnv func(string) (string, bool)) string {
	if h, ok := lookupEnv("HOME"); ok && h != "" {
		return h
	}
	return "."
}

func dataDir(lookupEnv func(string) (string, bool)) string {
	if d, ok := lookupEnv("XDG_DATA_HOME"); ok && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home(lookupEnv), ".local", "share")
}

func cacheDir(lookupEnv func(string) (string, bool)) string {
	if d, ok := lookupEnv("XDG_CACHE_HOME"); ok && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home(lookupEnv), ".cache")
}

func configDir(lookupEnv func(string) (string, bool)) string {
	if d, ok := lookupEnv("XDG_CONFIG_HOME"); ok && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home(lookupEnv), ".config")
}

// DefaultPath is where Load looks for a configuration file when none is
// named: $XDG_CONFIG_HOME/energylab/config.yaml.
func DefaultPath(lookupEnv func(string) (string, bool)) string {
	return filepath.Join(configDir(lookupEnv), "energylab", "config.yaml")
}

// MaxFileSize bounds the configuration file.
const MaxFileSize = 1 << 20

// Load builds the configuration from defaults, the file and the environment.
// path names the file; "" means $ENERGYLAB_CONFIG, else the default path if
// it exists. A named file that does not exist is an error; so is an unknown
// key in it. Flags are applied afterwards by the caller (see Bind), then
// Validate.
func Load(path string, lookupEnv func(string) (string, bool)) (Config, error) {
	c := Default(lookupEnv)
	named := path != ""
	if !named {
		if p, ok := lookupEnv("ENERGYLAB_CONFIG"); ok && p != "" {
			path, named = p, true
		} else {
			path = DefaultPath(lookupEnv)
		}
	}
	if err := c.readFile(path, named); err != nil {
		return Config{}, err
	}
	if err := c.applyEnv(lookupEnv); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) readFile(path string, named bool) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !named {
			return nil
		}
		return fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return fmt.Errorf("config file %s is larger than %d bytes", path, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	c.Path = path
	return nil
}

func (c *Config) applyEnv(lookupEnv func(string) (string, bool)) error {
	for _, f := range fields {
		for _, name := range f.env {
			v, ok := lookupEnv(name)
			if !ok || v == "" {
				continue
			}
			if err := f.set(c, v); err != nil {
				return &FieldError{Field: name, Value: v, Err: err}
			}
			break
		}
	}
	return nil
}

// FieldError is one invalid setting.
type FieldError struct {
	// Field is the flag, key or variable that was set.
	Field string
	Value string
	Err   error
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("%s=%q: %v", e.Field, e.Value, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// ValidationError lists every invalid field.
type ValidationError []*FieldError

func (v ValidationError) Error() string {
	msgs := make([]string, len(v))
	for i, e := range v {
		msgs[i] = e.Error()
	}
	return "invalid configuration: " + strings.Join(msgs, "; ")
}

// Validate checks every field and returns all problems at once.
func (c *Config) Validate() error {
	var errs ValidationError
	bad := func(field string, value any, format string, a ...any) {
		errs = append(errs, &FieldError{Field: field, Value: fmt.Sprint(value), Err: fmt.Errorf(format, a...)})
	}
	if p, m, ok := strings.Cut(c.Model, "/"); !ok || p == "" || m == "" {
		bad("model", c.Model, "want provider/model, e.g. builtin/synthetic-tiny or ollama/llama3.2:1b")
	}
	switch c.Meter {
	case "auto", "rapl", "cpu-model", "nvml", "none":
	case "prometheus", "promql":
		if c.Meter == "prometheus" && c.Prometheus.URL == "" {
			bad("prom-url", c.Prometheus.URL, "-meter prometheus needs the exporter's metrics URL, e.g. http://host:9100/metrics")
		}
		if c.Meter == "promql" && c.Prometheus.Server == "" {
			bad("prom-server", c.Prometheus.Server, "-meter promql needs the Prometheus server's URL, e.g. http://prometheus:9090")
		}
		if c.Prometheus.Preset == "" {
			bad("prom-preset", c.Prometheus.Preset, "-meter %s needs the exporter's preset: node_rapl, scaphandre, kepler, kepler_container or dcgm", c.Meter)
		}
	default:
		bad("meter", c.Meter, "want auto, rapl, cpu-model, nvml, prometheus, promql or none")
	}
	switch c.RAPLDomains {
	case "package+dram", "psys":
	default:
		bad("rapl-domains", c.RAPLDomains, "want package+dram or psys")
	}
	if !(c.CPUModel.TDPWatts > 0 && c.CPUModel.TDPWatts <= 2000) {
		bad("tdp", c.CPUModel.TDPWatts, "want a CPU TDP in watts between 0 and 2000")
	}
	if c.CPUModel.Cores < 0 {
		bad("cores", c.CPUModel.Cores, "want a number of logical CPUs, or 0 for this host's")
	}
	if c.Baseline.Window < 0 || time.Duration(c.Baseline.Window) > time.Minute {
		bad("baseline", c.Baseline.Window, "want an idle window between 0 (off) and 1m")
	}
	if c.Baseline.Samples < 1 || c.Baseline.Samples > 1000 {
		bad("baseline.samples", c.Baseline.Samples, "want between 1 and 1000")
	}
	if c.Baseline.MaxAge < 0 {
		bad("baseline-max-age", c.Baseline.MaxAge, "want a duration >= 0")
	}
	if c.PollInterval != 0 && (time.Duration(c.PollInterval) < 10*time.Millisecond || time.Duration(c.PollInterval) > 10*time.Second) {
		bad("poll-interval", c.PollInterval, "want 0 (marks only) or between 10ms and 10s")
	}
	if strings.TrimSpace(c.Grid) == "" && c.GridFactor == 0 {
		bad("grid", c.Grid, "want a country code or name, e.g. FR, or --grid-factor")
	}
	if c.GridFactor < 0 || c.GridFactor > 2 {
		bad("grid-factor", c.GridFactor, "want kg CO2e per kWh between 0 and 2")
	}
	if !(c.PUE >= 1 && c.PUE <= 3) {
		bad("pue", c.PUE, "want a power usage effectiveness between 1.0 and 3.0")
	}
	if c.Run.MaxTokens < 1 {
		bad("max-tokens", c.Run.MaxTokens, "want at least 1")
	}
	if !(c.Run.Temperature >= 0 && c.Run.Temperature <= 2) {
		bad("temperature", c.Run.Temperature, "want between 0 (greedy) and 2")
	}
	if c.Builtin.Threads < 0 {
		bad("threads", c.Builtin.Threads, "want 0 (every CPU) or more")
	}
	switch c.Estimate.Family {
	case "", "auto", "aes", "jegham", "mlenergy", "custom", "calibrated":
	default:
		bad("family", c.Estimate.Family, "want auto, aes, jegham, mlenergy, custom or calibrated")
	}
	if c.Estimate.Batch < 0 {
		bad("mlenergy-batch", c.Estimate.Batch, "want a vLLM batch size (max_num_seqs), or 0 for the smallest")
	}
	if c.Timeout < 0 {
		bad("timeout", c.Timeout, "want a duration >= 0")
	}
	for _, u := range []struct{ name, v string }{{"ollama-host", c.Ollama.Host}, {"openai-base-url", c.OpenAI.BaseURL}, {"groq-base-url", c.Groq.BaseURL}} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad(u.name, u.v, "want an http(s) URL")
		}
	}
	if c.DB == "" {
		bad("db", c.DB, "want a file path")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// OllamaURL turns an OLLAMA_HOST value into a base URL the way Ollama's own
// client does: a missing scheme means http, a missing port means 11434 (80
// or 443 when a scheme was given), a missing host means 127.0.0.1.
func OllamaURL(v string) (string, error) {
	s := strings.TrimSpace(v)
	port := "11434"
	scheme, hostport, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		scheme, hostport = "http", s
	case scheme == "http":
		port = "80"
	case scheme == "https":
		port = "443"
	default:
		return "", fmt.Errorf("scheme %q: want http or https", scheme)
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		host, p = "127.0.0.1", port
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, p)}
	if path != "" {
		u.Path = "/" + path
	}
	return u.String(), nil
}
