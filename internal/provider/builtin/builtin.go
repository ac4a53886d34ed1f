package builtin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/catalog"
	"github.com/llm-energy-lab/energylab/internal/engine/chat"
	"github.com/llm-energy-lab/energylab/internal/engine/loader"
	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/sampler"
	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

// ProviderName is the provider's prefix in lab model names.
const ProviderName = "builtin"

// Defaults for request options left unset.
const (
	// DefaultMaxTokens is the generation cap when Options.MaxTokens is 0.
	DefaultMaxTokens = 256
	// DefaultTemperature applies when Options.Temperature is nil; an
	// explicit 0 means greedy decoding.
	DefaultTemperature = 0.7
	// DefaultTopP applies when Options.TopP is nil.
	DefaultTopP = 0.9
)

// largeModelBytes is the weight size above which a model counts as large:
// the provider keeps at most one large model loaded (small ones stay).
const largeModelBytes = 256 << 20

// ollamaPrefix names models from the local Ollama store.
const ollamaPrefix = "ollama/"

// defaultQuant is the storage of each synthetic shape when its name has no
// ":tag": the tiny model stays F32; the realistic one is stored as Q8_0,
// a common download format and the one the engine benchmark uses.
var defaultQuant = map[string]string{
	"synthetic-tiny":       "f32",
	"synthetic-qwen3-0.6b": "q8_0",
}

// Options configure a Provider.
type Options struct {
	// Threads is the number of worker goroutines of the matrix kernels;
	// 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Seed is the weight seed of every synthetic model; 0 means
	// synth.DefaultSeed (0x656e657267796c62, "energylb").
	Seed uint64
	// CacheDir holds the synthetic models' GGUF files, generated on first
	// use; "" means a directory under os.TempDir().
	CacheDir string
	// ModelsDir holds GGUF files listed as builtin/<name>; "" means none.
	ModelsDir string
	// OllamaModels is an Ollama store (OLLAMA_MODELS) whose pulled models
	// are listed as builtin/ollama/<name>; "" means none.
	OllamaModels string
	// Now dates chat templates that print today's date; nil is time.Now.
	Now func() time.Time
}

// Provider runs GGUF models with the embedded engine: synthetic models it
// generates, files in a models directory, and the models of a local Ollama
// store. It is safe for concurrent use; each request runs its own KV cache
// and sampler over shared read-only weights.
type Provider struct {
	opts Options
	pool *tensor.Pool

	mu      sync.Mutex
	entries map[string]*entry // by resolved name, created on first use
}

// entry is one model: how to find its file, its text side (tokenizer,
// template, config) and, once loaded, its weights.
type entry struct {
	name string
	// A synthetic model has a shape and a quant; the others a catalog
	// entry.
	shape *synth.Shape
	quant synth.Quant
	cat   *catalog.Entry

	textOnce sync.Once
	text     *text
	textErr  error

	loading chan struct{} // a one-slot semaphore serialising loads
	file    *loaded       // guarded by Provider.mu; nil until loaded
}

// text is what counting and rendering need; for files it keeps the opened
// model (cheap: a memory mapping, nothing read yet).
type text struct {
	cfg  model.Config
	tok  tokenizer.Tokenizer
	tmpl *chat.Template
	info provider.ModelInfo
}

// loaded is an opened model with its weights bound, shared by the requests
// running on it; it is closed (unmapped) when evicted and no request holds it.
type loaded struct {
	m       *loader.Model
	weights *model.Model
	bytes   int64
	refs    int
	evicted bool
}

// New returns the provider. It reads nothing yet: models are found when
// listed or named, and generated or mapped when first used.
func New(opts Options) *Provider {
	if opts.Seed == 0 {
		opts.Seed = synth.DefaultSeed
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "energylab-synthetic")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Provider{opts: opts, pool: tensor.NewPool(opts.Threads), entries: map[string]*entry{}}
}

// FormatParameters formats a parameter count the way model cards do:
// "596M", "5.2M", "1.5B" (three significant digits at most, SI prefixes K,
// M, B).
func FormatParameters(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		scale  float64
		suffix string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "K"}} {
		if f >= u.scale {
			v := f / u.scale
			if v >= 100 {
				return fmt.Sprintf("%.0f%s", v, u.suffix)
			}
			return fmt.Sprintf("%.1f%s", v, u.suffix)
		}
	}
	return fmt.Sprintf("%d", n)
}

// Name returns "builtin".
func (p *Provider) Name() string { return ProviderName }

// Models lists the synthetic models (each shape at its default storage),
// then the GGUF files of the models directory, then the Ollama store's
// models. Files that cannot be opened are listed with a note saying why.
func (p *Provider) Models(ctx context.Context) ([]provider.ModelInfo, error) {
	var out []provider.ModelInfo
	for _, s := range synth.Shapes() {
		info, err := p.Describe(ctx, s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	cats, err := p.catalog()
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		info, err := p.Describe(ctx, c.Name)
		if err != nil {
			info = provider.ModelInfo{Name: ProviderName + "/" + c.Name, Provider: ProviderName, Model: c.Name, Note: "cannot be used: " + err.Error()}
		}
		out = append(out, info)
	}
	return out, nil
}

// catalog scans the models directory and the Ollama store.
func (p *Provider) catalog() ([]catalog.Entry, error) {
	var out []catalog.Entry
	if p.opts.ModelsDir != "" {
		es, err := catalog.Dir(p.opts.ModelsDir)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	if p.opts.OllamaModels != "" {
		es, err := catalog.Ollama(p.opts.OllamaModels)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// Describe returns the ModelInfo of one model, or an
// *provider.UnknownModelError listing the models there are.
func (p *Provider) Describe(_ context.Context, name string) (provider.ModelInfo, error) {
	e, err := p.lookup(name)
	if err != nil {
		return provider.ModelInfo{}, err
	}
	t, err := e.loadText(p)
	if err != nil {
		return provider.ModelInfo{}, err
	}
	return t.info, nil
}

// lookup resolves a model name: "synthetic-<shape>[:<quant>]", a models
// directory file's name, or "ollama/<name>" for the Ollama store.
func (p *Provider) lookup(name string) (*entry, error) {
	p.mu.Lock()
	e, ok := p.entries[name]
	p.mu.Unlock()
	if ok {
		return e, nil
	}
	e = &entry{name: name, loading: make(chan struct{}, 1)}
	base, tag, hasTag := strings.Cut(name, ":")
	if s, ok := synth.Lookup(base); ok && !strings.HasPrefix(name, ollamaPrefix) {
		if !hasTag {
			tag = defaultQuant[s.Name]
		}
		q, ok := synth.LookupQuant(tag)
		if !ok {
			return nil, &provider.UnknownModelError{Provider: ProviderName, Model: name,
				Available: []string{fmt.Sprintf("%s:<%s>", s.Name, strings.Join(synth.QuantNames(), "|"))}}
		}
		e.shape, e.quant = &s, q
	} else {
		cats, err := p.catalog()
		if err != nil {
			return nil, err
		}
		var found *catalog.Entry
		if o, ok := strings.CutPrefix(name, ollamaPrefix); ok {
			if c, ok := catalog.Lookup(cats, o); ok {
				found = &c
			}
		} else {
			for i := range cats {
				if cats[i].Source == catalog.SourceDir && cats[i].Name == name {
					found = &cats[i]
				}
			}
		}
		if found == nil {
			avail := []string{}
			for _, s := range synth.Shapes() {
				avail = append(avail, s.Name)
			}
			for _, c := range cats {
				avail = append(avail, c.Name)
			}
			return nil, &provider.UnknownModelError{Provider: ProviderName, Model: name, Available: avail}
		}
		if found.Note != "" {
			return nil, fmt.Errorf("%s/%s: %s", ProviderName, name, found.Note)
		}
		e.cat = found
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.entries[name]; ok {
		return old, nil
	}
	p.entries[name] = e
	return e, nil
}

// loadText builds the entry's tokenizer, template and description once. A
// synthetic model's text needs no file: its vocabulary is generated the
// same way the file's is, so counting a prompt never triggers the
// generation of a large model.
func (e *entry) loadText(p *Provider) (*text, error) {
	e.textOnce.Do(func() {
		if e.shape != nil {
			e.text, e.textErr = syntheticText(*e.shape, e.quant, p.opts.Seed, e.name, p.opts.Now)
			return
		}
		m, err := loader.Open(e.cat.Path, p.opts.Now)
		if err != nil {
			e.textErr = fmt.Errorf("%s/%s: %w", ProviderName, e.name, err)
			return
		}
		defer m.Close()
		e.text = &text{cfg: m.Config, tok: m.Tokenizer, tmpl: m.Template, info: fileInfo(e, m)}
	})
	return e.text, e.textErr
}

func syntheticText(s synth.Shape, q synth.Quant, seed uint64, name string, now func() time.Time) (*text, error) {
	tok, tmpl, err := synth.Text(s)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", ProviderName, name, err)
	}
	n := s.Config.ParameterCount()
	info := provider.ModelInfo{
		Name: ProviderName + "/" + name, Provider: ProviderName, Model: name,
		ContextLength: s.Config.ContextLength, Family: s.Config.Architecture,
		ParameterSize: FormatParameters(n), Parameters: n, Quantization: strings.ToUpper(q.Name),
		Digest:    synth.Digest(s.Config, seed) + ":" + q.Name,
		Synthetic: true,
		Note: fmt.Sprintf("synthetic model: random weights from seed %d; its text is meaningless, its compute is real (storage tags: %s)",
			seed, strings.Join(synth.QuantNames(), ", ")),
	}
	return &text{cfg: s.Config, tok: tok, tmpl: tmpl, info: info}, nil
}

func fileInfo(e *entry, m *loader.Model) provider.ModelInfo {
	var n int64
	for _, t := range m.File.Tensors {
		n += t.Elements()
	}
	info := provider.ModelInfo{
		Name: ProviderName + "/" + e.name, Provider: ProviderName, Model: e.name,
		ContextLength: m.Config.ContextLength, Family: m.Config.Architecture,
		ParameterSize: FormatParameters(n), Parameters: n, Quantization: m.Quantization,
		Synthetic: m.Synthetic,
	}
	switch e.cat.Source {
	case catalog.SourceOllama:
		info.Digest = e.cat.Digest
		info.Note = fmt.Sprintf("the weights Ollama runs as %s, run by the embedded engine", e.cat.OllamaName)
	default:
		info.Note = "GGUF file " + e.cat.Path
	}
	if m.Synthetic {
		info.Note += "; synthetic: its text is meaningless, its compute is real"
	}
	return info
}

// Prepare makes the model ready: generates a synthetic model's GGUF file
// the first time, maps the file, binds the weights and reads every page of
// them, so that the request that follows finds them in memory (its
// LoadDuration is then 0). Loading a large model unloads any other large
// one once no request uses it. opts do not matter: the weights are the same
// for every request, and each request allocates its own KV cache.
func (p *Provider) Prepare(ctx context.Context, name string, _ provider.Options) error {
	e, err := p.lookup(name)
	if err != nil {
		return err
	}
	if _, err := e.loadText(p); err != nil {
		return err
	}
	l, _, err := p.acquire(ctx, e)
	if err != nil {
		return err
	}
	p.release(l)
	return nil
}

// acquire returns the entry's loaded model, loading it if needed, with a
// reference the caller must release; and how long the caller waited for a
// load (0 when it was already loaded).
func (p *Provider) acquire(ctx context.Context, e *entry) (*loaded, time.Duration, error) {
	p.mu.Lock()
	if l := e.file; l != nil {
		l.refs++
		p.mu.Unlock()
		return l, 0, nil
	}
	p.mu.Unlock()
	start := time.Now()
	select {
	case e.loading <- struct{}{}:
	case <-ctx.Done():
		return nil, time.Since(start), fmt.Errorf("wait for %s/%s to load: %w", ProviderName, e.name, ctx.Err())
	}
	defer func() { <-e.loading }()
	p.mu.Lock()
	if l := e.file; l != nil {
		l.refs++
		p.mu.Unlock()
		return l, time.Since(start), nil
	}
	p.mu.Unlock()
	l, err := p.load(ctx, e)
	if err != nil {
		return nil, time.Since(start), fmt.Errorf("load %s/%s: %w", ProviderName, e.name, err)
	}
	p.mu.Lock()
	if l.bytes > largeModelBytes {
		// Evict other large models, so that two never need memory at once
		// (requests that hold one keep it until they end).
		for _, o := range p.entries {
			if o != e && o.file != nil && o.file.bytes > largeModelBytes {
				p.evictLocked(o)
			}
		}
	}
	l.refs++
	e.file = l
	p.mu.Unlock()
	return l, time.Since(start), nil
}

func (p *Provider) load(ctx context.Context, e *entry) (*loaded, error) {
	path := ""
	if e.shape != nil {
		var err error
		if path, _, err = synth.Ensure(ctx, p.opts.CacheDir, *e.shape, p.opts.Seed, e.quant, p.pool); err != nil {
			return nil, err
		}
	} else {
		path = e.cat.Path
	}
	m, err := loader.Open(path, p.opts.Now)
	if err != nil {
		return nil, err
	}
	w, err := m.LoadWeights()
	if err != nil {
		m.Close()
		return nil, err
	}
	n, err := m.Warm(ctx, p.pool)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &loaded{m: m, weights: w, bytes: n}, nil
}

func (p *Provider) evictLocked(e *entry) {
	l := e.file
	e.file = nil
	l.evicted = true
	if l.refs == 0 {
		l.m.Close()
	}
}

func (p *Provider) release(l *loaded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.refs--
	if l.refs == 0 && l.evicted {
		l.m.Close()
	}
}

// Close unmaps every loaded model. Requests must have ended.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		if e.file != nil {
			p.evictLocked(e)
		}
	}
	return nil
}

// prompt renders the request's messages with the model's template.
func (e *entry) prompt(p *Provider, msgs []provider.Message, think bool) ([]int, *text, error) {
	t, err := e.loadText(p)
	if err != nil {
		return nil, nil, err
	}
	cm := make([]chat.Message, len(msgs))
	for i, m := range msgs {
		cm[i] = chat.Message{Role: m.Role, Content: m.Content}
	}
	return t.tmpl.Render(cm, think && t.tmpl.CanThink()), t, nil
}

// CountText returns the number of tokens text encodes to with the model's
// tokenizer, without any template.
func (p *Provider) CountText(_ context.Context, name, text string) (int, error) {
	e, err := p.lookup(name)
	if err != nil {
		return 0, err
	}
	t, err := e.loadText(p)
	if err != nil {
		return 0, err
	}
	return len(t.tok.Encode(text)), nil
}

// CountPrompt returns the number of prompt tokens Stream evaluates for
// messages and opts (the chat template and think-block switch included):
// the same rendering code path as Stream.
func (p *Provider) CountPrompt(_ context.Context, name string, messages []provider.Message, opts provider.Options) (int, error) {
	e, err := p.lookup(name)
	if err != nil {
		return 0, err
	}
	t, err := e.loadText(p)
	if err != nil {
		return 0, err
	}
	ids, _, err := e.prompt(p, messages, thinking(opts, t))
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// thinking reports whether a request asks for a think block: Think when
// set; otherwise the model's default, which is off for synthetic models and
// on for real models whose template can think (as Ollama and Qwen3's own
// template default).
func thinking(o provider.Options, t *text) bool {
	if o.Think != nil {
		return *o.Think
	}
	return !t.info.Synthetic && t.tmpl.CanThink()
}

// Stream renders req.Messages with the model's chat template, evaluates the
// prompt as a batch, then generates up to MaxTokens tokens (DefaultMaxTokens
// when 0), calling fn with each piece of text as it is produced.
//
// Sampling: Temperature nil means DefaultTemperature (0.7) and 0 means
// greedy; TopP nil means DefaultTopP (0.9); Seed nil means a seed from the
// clock. NumCtx, when positive, lowers the context limit below the model's.
// The prompt plus MaxTokens must fit in the context; the KV cache is
// allocated for exactly that many tokens.
//
// Thinking (templates that can think, such as Qwen3's and the synthetic
// models'): when on (see thinking), the prompt ends inside a think block
// ("<think>\n"), generated tokens are sent as Chunk.Thinking, and since a
// synthetic model almost never closes the block itself, after max(1,
// MaxTokens/2) thinking tokens the provider appends "</think>\n\n"
// (evaluated like generated tokens and counted in CompletionTokens and
// ThinkingTokens, but sent as no chunk); the answer follows as
// Chunk.Content. A </think> the model samples itself ends thinking the same
// way, without the forced newlines. When off, the prompt holds Qwen3's
// empty think block and every token is answer.
//
// Chunks: fn is called once per generated token whose text completes at
// least one character; a character split across byte tokens is sent with its
// last byte, and invalid bytes come out as U+FFFD. Generation stops when the
// model samples one of its template's stop tokens (DoneReason "stop"; the
// stop token is neither counted nor sent) or after MaxTokens tokens
// ("length").
//
// Usage: PromptTokens is the template-rendered prompt length,
// CompletionTokens every generated or forced token, ThinkingTokens those of
// the think block (with its closing), CachedPromptTokens 0 (there is no
// prompt cache). PromptEvalDuration is the prefill compute, EvalDuration the
// decode forward passes and sampling (not fn), LoadDuration the generation,
// mapping and paging-in of the weights this request waited for,
// TotalDuration the whole call. On error (ctx cancelled, fn failed) Stream
// returns the counts so far: PromptTokens then counts the prompt tokens
// already evaluated. A cancelled ctx stops generation within one decode
// step, or one layer during prefill, and its error is returned wrapped.
func (p *Provider) Stream(ctx context.Context, req provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	start := time.Now()
	var u provider.Usage
	finish := func(err error) (provider.Usage, error) {
		u.TotalDuration = time.Since(start)
		return u, err
	}
	e, err := p.lookup(req.Model)
	if err != nil {
		return finish(err)
	}
	t, err := e.loadText(p)
	if err != nil {
		return finish(err)
	}
	o := req.Options
	think := thinking(o, t) && t.tmpl.CanThink()
	ids, _, err := e.prompt(p, req.Messages, think)
	if err != nil {
		return finish(err)
	}
	maxTokens := o.MaxTokens
	if maxTokens < 0 {
		return finish(fmt.Errorf("%s/%s: max_tokens %d is negative; use 0 for the default of %d", ProviderName, req.Model, maxTokens, DefaultMaxTokens))
	}
	if maxTokens == 0 {
		maxTokens = DefaultMaxTokens
	}
	limit, limitName := t.cfg.ContextLength, "context length"
	if o.NumCtx > 0 && o.NumCtx < limit {
		limit, limitName = o.NumCtx, "num_ctx"
	}
	if len(ids) >= limit {
		return finish(fmt.Errorf("%s/%s: prompt of %d tokens leaves no room for an answer in the %s of %d tokens; shorten the prompt to under %d tokens",
			ProviderName, req.Model, len(ids), limitName, limit, limit))
	}
	if len(ids)+maxTokens > limit {
		return finish(fmt.Errorf("%s/%s: prompt of %d tokens plus max_tokens %d = %d exceeds the %s of %d tokens; lower max_tokens to at most %d or shorten the prompt",
			ProviderName, req.Model, len(ids), maxTokens, len(ids)+maxTokens, limitName, limit, limit-len(ids)))
	}
	temperature, topP := DefaultTemperature, DefaultTopP
	if o.Temperature != nil {
		temperature = *o.Temperature
	}
	if o.TopP != nil {
		topP = *o.TopP
	}
	seed := uint64(time.Now().UnixNano())
	if o.Seed != nil {
		seed = uint64(*o.Seed)
	}

	l, loadDur, err := p.acquire(ctx, e)
	u.LoadDuration = loadDur
	if err != nil {
		return finish(err)
	}
	defer p.release(l)
	sess, err := l.weights.NewSession(p.pool, len(ids)+maxTokens)
	if err != nil {
		return finish(fmt.Errorf("%s/%s: %w", ProviderName, req.Model, err))
	}
	g := &generation{
		ctx: ctx, sess: sess, tmpl: t.tmpl, fn: fn, u: &u, ignoreEOS: o.IgnoreEOS,
		sampler:  sampler.New(temperature, topP, seed),
		content:  tokenizer.NewStreamDecoder(t.tok),
		thoughts: tokenizer.NewStreamDecoder(t.tok),
	}

	t0 := time.Now()
	logits, err := sess.Prefill(ctx, ids)
	u.PromptEvalDuration = time.Since(t0)
	u.PromptTokens = sess.Pos()
	if err != nil {
		return finish(fmt.Errorf("%s/%s: prefill: %w", ProviderName, req.Model, err))
	}
	err = g.run(logits, maxTokens, think)
	var fe errFn
	if errors.As(err, &fe) {
		return finish(fe.err)
	}
	if err != nil {
		err = fmt.Errorf("%s/%s: %w", ProviderName, req.Model, err)
	}
	return finish(err)
}

// generation is the decode loop of one Stream call.
type generation struct {
	ctx      context.Context
	sess     *model.Session
	tmpl     *chat.Template
	sampler  *sampler.Sampler
	fn       func(provider.Chunk) error
	u        *provider.Usage
	content  *tokenizer.StreamDecoder
	thoughts *tokenizer.StreamDecoder
	fnTime   time.Duration
	// ignoreEOS masks the stop tokens so that generation runs to maxTokens.
	ignoreEOS bool
}

// errFn marks an error returned by fn, which Stream returns unwrapped.
type errFn struct{ err error }

// Error returns fn's error message.
func (e errFn) Error() string { return e.err.Error() }

// emit sends text to fn, timing fn so that EvalDuration excludes it.
func (g *generation) emit(c provider.Chunk) error {
	if c.Content == "" && c.Thinking == "" {
		return nil
	}
	t := time.Now()
	err := g.fn(c)
	g.fnTime += time.Since(t)
	if err != nil {
		return errFn{err}
	}
	return nil
}

// run samples from logits, sends and evaluates tokens until a stop token or
// maxTokens, and fills in the completion counts and EvalDuration. An error
// from fn comes back as an errFn.
func (g *generation) run(logits []float32, maxTokens int, think bool) (err error) {
	u := g.u
	start := time.Now()
	defer func() { u.EvalDuration = time.Since(start) - g.fnTime }()
	budget := max(1, maxTokens/2)
	sampledThoughts := 0
	inThink := think
	for {
		if inThink && sampledThoughts >= budget {
			// Force the end of the think block.
			closing := g.tmpl.CloseThink()
			if u.CompletionTokens+len(closing) > maxTokens {
				u.DoneReason = "length"
				return g.flush()
			}
			if err := g.flushThoughts(); err != nil {
				return err
			}
			inThink = false
			if logits, err = g.sess.Prefill(g.ctx, closing); err != nil {
				return fmt.Errorf("evaluate forced </think>: %w", err)
			}
			u.CompletionTokens += len(closing)
			u.ThinkingTokens += len(closing)
			if u.CompletionTokens >= maxTokens {
				u.DoneReason = "length"
				return g.flush()
			}
		}
		if err := g.ctx.Err(); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if g.ignoreEOS {
			for _, s := range g.tmpl.Stops() {
				if s < len(logits) {
					logits[s] = float32(math.Inf(-1))
				}
			}
		}
		id := g.sampler.Sample(logits)
		if g.tmpl.IsStop(id) {
			u.DoneReason = "stop"
			return g.flush()
		}
		u.CompletionTokens++
		switch {
		case inThink && id == g.tmpl.ThinkEnd():
			u.ThinkingTokens++
			inThink = false
			if err := g.flushThoughts(); err != nil {
				return err
			}
		case inThink:
			u.ThinkingTokens++
			sampledThoughts++
			if err := g.emit(provider.Chunk{Thinking: g.thoughts.Next(id)}); err != nil {
				return err
			}
		default:
			if err := g.emit(provider.Chunk{Content: g.content.Next(id)}); err != nil {
				return err
			}
		}
		if u.CompletionTokens >= maxTokens {
			u.DoneReason = "length"
			return g.flush()
		}
		if logits, err = g.sess.Decode(g.ctx, id); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
	}
}

func (g *generation) flushThoughts() error {
	return g.emit(provider.Chunk{Thinking: g.thoughts.Flush()})
}

// flush sends what the decoders hold back at the end of the stream (an
// incomplete character, as U+FFFD).
func (g *generation) flush() error {
	if err := g.flushThoughts(); err != nil {
		return err
	}
	return g.emit(provider.Chunk{Content: g.content.Flush()})
}

var (
	_ provider.Provider     = (*Provider)(nil)
	_ provider.Preparer     = (*Provider)(nil)
	_ provider.TokenCounter = (*Provider)(nil)
)
