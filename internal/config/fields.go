package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// field is one setting reachable from the environment and from flags.
type field struct {
	flag  string
	env   []string // first one set wins
	usage string
	set   func(c *Config, v string) error
	get   func(c *Config) string
}

func str(name string, env []string, usage string, p func(*Config) *string) field {
	return field{flag: name, env: env, usage: usage,
		set: func(c *Config, v string) error { *p(c) = v; return nil },
		get: func(c *Config) string { return *p(c) }}
}

func num(name string, env []string, usage string, p func(*Config) *float64) field {
	return field{flag: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return fmt.Errorf("not a number")
			}
			*p(c) = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(*p(c), 'g', -1, 64) }}
}

func integer(name string, env []string, usage string, p func(*Config) *int) field {
	return field{flag: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not an integer")
			}
			*p(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*p(c)) }}
}

func dur(name string, env []string, usage string, p func(*Config) *Duration) field {
	return field{flag: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration like 1s or 250ms")
			}
			*p(c) = Duration(d)
			return nil
		},
		get: func(c *Config) string { return p(c).String() }}
}

func boolean(name string, env []string, usage string, p func(*Config) *bool) field {
	return field{flag: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not true or false")
			}
			*p(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

var fields = []field{
	str("model", []string{"ENERGYLAB_MODEL"}, "model as provider/model", func(c *Config) *string { return &c.Model }),
	str("db", []string{"ENERGYLAB_DB"}, "SQLite store path", func(c *Config) *string { return &c.DB }),
	str("presets-dir", []string{"ENERGYLAB_PRESETS_DIR"}, "directory of system-prompt preset files (.txt, .md)", func(c *Config) *string { return &c.PresetsDir }),
	str("meter", []string{"ENERGYLAB_METER"}, "energy meter: auto, rapl, cpu-model, nvml, prometheus, promql or none", func(c *Config) *string { return &c.Meter }),
	str("prom-url", []string{"ENERGYLAB_PROM_URL"}, "the exporter's metrics URL for -meter prometheus, e.g. http://gpu-host:9400/metrics", func(c *Config) *string { return &c.Prometheus.URL }),
	str("prom-server", []string{"ENERGYLAB_PROM_SERVER"}, "a Prometheus server scraping the exporter, for -meter promql, e.g. http://prometheus:9090", func(c *Config) *string { return &c.Prometheus.Server }),
	str("prom-preset", []string{"ENERGYLAB_PROM_PRESET"}, "the exporter's energy metrics: node_rapl, scaphandre, scaphandre_process, kepler, kepler_container or dcgm", func(c *Config) *string { return &c.Prometheus.Preset }),
	str("prom-select", []string{"ENERGYLAB_PROM_SELECT"}, `label matchers picking the series that serve the model, e.g. 'instance="gpu1:9400",gpu="0"'`, func(c *Config) *string { return &c.Prometheus.Selector }),
	str("sysfs", []string{"ENERGYLAB_SYSFS"}, "sysfs mount point (RAPL is read under <sysfs>/class/powercap)", func(c *Config) *string { return &c.SysfsRoot }),
	str("procfs", []string{"ENERGYLAB_PROCFS"}, "procfs mount point (CPU time for the cpu-model meter)", func(c *Config) *string { return &c.ProcRoot }),
	str("rapl-domains", []string{"ENERGYLAB_RAPL_DOMAINS"}, "RAPL domains to sum: package+dram or psys", func(c *Config) *string { return &c.RAPLDomains }),
	num("tdp", []string{"ENERGYLAB_CPU_TDP_WATTS"}, "CPU TDP in watts, for the modelled cpu-model meter", func(c *Config) *float64 { return &c.CPUModel.TDPWatts }),
	integer("cores", []string{"ENERGYLAB_CPU_CORES"}, "logical CPUs sharing the TDP (0 = this host's)", func(c *Config) *int { return &c.CPUModel.Cores }),
	dur("baseline", []string{"ENERGYLAB_BASELINE_WINDOW"}, "idle baseline sample length (0 disables)", func(c *Config) *Duration { return &c.Baseline.Window }),
	dur("baseline-max-age", []string{"ENERGYLAB_BASELINE_MAX_AGE"}, "how long an idle baseline is reused", func(c *Config) *Duration { return &c.Baseline.MaxAge }),
	dur("poll-interval", []string{"ENERGYLAB_POLL_INTERVAL"}, "meter poll period during a run", func(c *Config) *Duration { return &c.PollInterval }),
	str("grid", []string{"ENERGYLAB_GRID"}, "grid carbon intensity: country code or name (GLOBAL = IEA world average)", func(c *Config) *string { return &c.Grid }),
	num("grid-factor", []string{"ENERGYLAB_GRID_FACTOR"}, "your own grid factor in kg CO2e/kWh (overrides --grid)", func(c *Config) *float64 { return &c.GridFactor }),
	num("pue", []string{"ENERGYLAB_PUE"}, "power usage effectiveness applied to carbon", func(c *Config) *float64 { return &c.PUE }),
	boolean("preload", []string{"ENERGYLAB_PRELOAD"}, "load the model before the idle baseline and the request", func(c *Config) *bool { return &c.Preload }),
	integer("max-tokens", []string{"ENERGYLAB_MAX_TOKENS"}, "maximum tokens to generate", func(c *Config) *int { return &c.Run.MaxTokens }),
	num("temperature", []string{"ENERGYLAB_TEMPERATURE"}, "sampling temperature (0 = greedy)", func(c *Config) *float64 { return &c.Run.Temperature }),
	{flag: "ollama-host", env: []string{"OLLAMA_HOST"}, usage: "Ollama server URL; host, host:port or a full URL, as OLLAMA_HOST takes",
		set: func(c *Config, v string) error {
			u, err := OllamaURL(v)
			if err != nil {
				return err
			}
			c.Ollama.Host = u
			return nil
		},
		get: func(c *Config) string { return c.Ollama.Host }},
	str("openai-base-url", []string{"OPENAI_BASE_URL"}, "OpenAI-compatible server base URL, including /v1", func(c *Config) *string { return &c.OpenAI.BaseURL }),
	str("", []string{"OPENAI_API_KEY"}, "", func(c *Config) *string { return &c.OpenAI.APIKey }),
	str("groq-base-url", []string{"GROQ_BASE_URL", "GROQ_API_BASE_URL"}, "Groq API base URL", func(c *Config) *string { return &c.Groq.BaseURL }),
	str("", []string{"GROQ_API_KEY"}, "", func(c *Config) *string { return &c.Groq.APIKey }),
	integer("threads", []string{"ENERGYLAB_THREADS"}, "builtin engine threads (0 = every CPU)", func(c *Config) *int { return &c.Builtin.Threads }),
	str("models-dir", []string{"ENERGYLAB_MODELS_DIR"}, "directory of GGUF files the builtin engine runs", func(c *Config) *string { return &c.Builtin.ModelsDir }),
	str("ollama-models", []string{"OLLAMA_MODELS"}, "Ollama's model store, whose pulled models the builtin engine can run", func(c *Config) *string { return &c.Builtin.OllamaModels }),
	str("cache-dir", []string{"ENERGYLAB_CACHE_DIR"}, "where generated synthetic models are kept", func(c *Config) *string { return &c.Builtin.CacheDir }),
	str("family", []string{"ENERGYLAB_ESTIMATE_FAMILY"}, "estimate family shown beside measurements: auto, aes, jegham, mlenergy, custom, calibrated", func(c *Config) *string { return &c.Estimate.Family }),
	integer("mlenergy-batch", []string{"ENERGYLAB_MLENERGY_BATCH"}, "ML.ENERGY batch size (0 = the smallest)", func(c *Config) *int { return &c.Estimate.Batch }),
	str("mlenergy-task", []string{"ENERGYLAB_MLENERGY_TASK"}, "ML.ENERGY task (lm-arena-chat, gpqa, sourcegraph-fim)", func(c *Config) *string { return &c.Estimate.Task }),
	dur("timeout", []string{"ENERGYLAB_TIMEOUT"}, "limit on one request (0 = none)", func(c *Config) *Duration { return &c.Timeout }),
}

// value adapts a field to flag.Value. Set is called only for flags the user
// gave, so unset flags never override the file or the environment.
type value struct {
	f field
	c *Config
}

func (v value) String() string {
	if v.c == nil {
		return ""
	}
	return v.f.get(v.c)
}

func (v value) Set(s string) error {
	if err := v.f.set(v.c, s); err != nil {
		return err
	}
	return nil
}

// IsBoolFlag lets --preload stand for --preload=true.
func (v value) IsBoolFlag() bool { return v.f.flag == "preload" }

// Bind registers the named settings as flags on fs, writing into c. Their
// defaults show c's current values (after the file and the environment).
// It panics on an unknown name: that is a programming error.
func Bind(fs *flag.FlagSet, c *Config, names ...string) {
	for _, n := range names {
		var found bool
		for _, f := range fields {
			if f.flag == n {
				usage := f.usage
				if len(f.env) > 0 {
					usage += " (env " + f.env[0] + ")"
				}
				fs.Var(value{f: f, c: c}, n, usage)
				found = true
				break
			}
		}
		if !found {
			panic("config: no setting called " + n)
		}
	}
}

// EnvVars lists every environment variable the lab reads, for help text.
func EnvVars() []string {
	var out []string
	for _, f := range fields {
		out = append(out, f.env...)
	}
	return append(out, "ENERGYLAB_CONFIG", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
}
