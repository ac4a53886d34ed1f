package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/builtin"
	"github.com/llm-energy-lab/energylab/internal/provider/ollama"
	"github.com/llm-energy-lab/energylab/internal/provider/openaicompat"
)

// backend is one configured provider and where it runs.
type backend struct {
	p provider.Provider
	// endpoint is the server's base URL ("" for the embedded engine).
	endpoint string
	// local is true when the server runs on this host, so this host's
	// meters see its work.
	local bool
	// target is whose CPU time the modelled meter counts for it.
	target     cpumodel.Target
	targetDesc string
	// missing, when set, says why the provider cannot be used as
	// configured (no API key).
	missing string
	hint    string
}

// ollamaProcesses are the executable names of Ollama's server and its
// model runners (older releases ran ollama_llama_server).
var ollamaProcesses = []string{"ollama", "ollama_llama_server"}

func backends(cfg config.Config, env Env) (map[string]*backend, []string, error) {
	bs := map[string]*backend{}
	bs["builtin"] = &backend{
		p: builtin.New(builtin.Options{Threads: cfg.Builtin.Threads, Seed: cfg.Builtin.Seed,
			CacheDir: filepath.Join(cfg.Builtin.CacheDir, "synthetic"), ModelsDir: cfg.Builtin.ModelsDir, OllamaModels: cfg.Builtin.OllamaModels}),
		local: true, target: cpumodel.Target{Kind: cpumodel.Self}, targetDesc: "this process (the embedded engine runs in it)",
	}
	oc, err := ollama.New(cfg.Ollama.Host, env.HTTP)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("ollama host %s: %w", cfg.Ollama.Host, err)}
	}
	ob := &backend{p: oc, endpoint: cfg.Ollama.Host, local: isLocalURL(cfg.Ollama.Host)}
	ob.target = cpumodel.Target{Kind: cpumodel.Processes, Names: ollamaProcesses}
	ob.targetDesc = "the ollama server process tree"
	bs["ollama"] = ob

	for _, o := range []struct {
		name, base, key, env string
		cloud                bool
	}{
		{"openai", cfg.OpenAI.BaseURL, cfg.OpenAI.APIKey, "OPENAI_API_KEY", false},
		{"groq", cfg.Groq.BaseURL, cfg.Groq.APIKey, "GROQ_API_KEY", true},
	} {
		local := !o.cloud && isLocalURL(o.base)
		c, err := openaicompat.New(openaicompat.Config{Name: o.name, BaseURL: o.base, APIKey: o.key, KeyEnv: o.env, Remote: !local, HTTP: env.HTTP})
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("%s base URL %s: %w", o.name, o.base, err)}
		}
		b := &backend{p: c, endpoint: o.base, local: local, target: cpumodel.Target{Kind: cpumodel.Machine}, targetDesc: "the whole machine (the server's processes are not known)"}
		if o.key == "" && !local {
			b.missing = fmt.Sprintf("%s is not set", o.env)
			b.hint = fmt.Sprintf("export %s=<your key>", o.env)
			if o.name == "openai" {
				b.hint += ", or point OPENAI_BASE_URL at a local server (vLLM, llama.cpp, LM Studio), e.g. http://127.0.0.1:8080/v1"
			}
		}
		bs[o.name] = b
	}
	names := make([]string, 0, len(bs))
	for n := range bs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return order(names[i]) < order(names[j]) })
	return bs, names, nil
}

func order(name string) int {
	switch name {
	case "builtin":
		return 0
	case "ollama":
		return 1
	case "openai":
		return 2
	default:
		return 3
	}
}

// resolve finds the backend and describes the model of a "provider/model"
// name.
func resolve(ctx context.Context, bs map[string]*backend, names []string, full string) (*backend, provider.ModelInfo, error) {
	pname, model, err := provider.SplitName(full)
	if err != nil {
		return nil, provider.ModelInfo{}, usageError{err}
	}
	b, ok := bs[pname]
	if !ok {
		return nil, provider.ModelInfo{}, hinted{usagef("unknown provider %q in %q; providers: %s", pname, full, strings.Join(names, ", ")),
			"energylab models"}
	}
	if b.missing != "" {
		return nil, provider.ModelInfo{}, hinted{usagef("%s: %s", pname, b.missing), b.hint}
	}
	info, err := b.p.Describe(ctx, model)
	if err != nil {
		var um *provider.UnknownModelError
		switch {
		case errors.As(err, &um):
			hint := "energylab models --provider " + pname
			if pname == "ollama" {
				hint = "ollama pull " + model
			}
			return nil, provider.ModelInfo{}, hinted{usageError{err}, hint}
		case errors.Is(err, provider.ErrUnavailable):
			return nil, provider.ModelInfo{}, hinted{err, startHint(pname)}
		}
		return nil, provider.ModelInfo{}, fmt.Errorf("describe %s: %w", full, err)
	}
	if info.Name == "" {
		info.Name = pname + "/" + model
	}
	if info.Provider == "" {
		info.Provider = pname
	}
	if !b.local {
		info.Remote = true
	}
	return b, info, nil
}

func startHint(pname string) string {
	switch pname {
	case "ollama":
		return "start Ollama with `ollama serve`, or set OLLAMA_HOST to where it runs; or measure the embedded model: energylab run -model builtin/synthetic-tiny \"...\""
	case "openai":
		return "start your OpenAI-compatible server, or set OPENAI_BASE_URL to its address (including /v1)"
	default:
		return "check your network connection and the provider's base URL"
	}
}

// isLocalURL reports whether u names this host: a loopback or unspecified
// address, "localhost", this host's name, or one of its interface addresses.
func isLocalURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := strings.ToLower(p.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true
		}
		return isOwnAddress(ip)
	}
	if h, err := os.Hostname(); err == nil && strings.EqualFold(h, host) {
		return true
	}
	return false
}

func isOwnAddress(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}
