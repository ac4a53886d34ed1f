package loader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/chat"
	"github.com/llm-energy-lab/energylab/internal/engine/gguf"
	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
)

// Model is an opened GGUF model. Text (tokenizer, template, config) is
// available as soon as it is opened; the weights are bound by LoadWeights.
// It is safe for concurrent use once loaded.
type Model struct {
	Path      string
	File      *gguf.File
	Config    model.Config
	Tokenizer tokenizer.Tokenizer
	Template  *chat.Template
	// Name is general.name, or "" when the file has none.
	Name string
	// Quantization describes the storage: llama.cpp's file type name
	// ("Q4_K_M") or the type most of the weights use.
	Quantization string
	// Synthetic is true for the lab's generated models (random weights).
	Synthetic bool
	// Seed is a synthetic model's weight seed.
	Seed uint64

	mu      sync.Mutex
	weights *model.Model
}

// Open maps a GGUF file and builds its tokenizer and chat template. The
// weights are not touched yet. now dates templates that print today's date
// (Llama 3.1); nil means time.Now.
func Open(path string, now func() time.Time) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := open(f, now)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.Path = path
	return m, nil
}

func open(f *gguf.File, now func() time.Time) (*Model, error) {
	if now == nil {
		now = time.Now
	}
	cfg, err := model.ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	v, err := VocabFromGGUF(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if tok.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("the tokenizer has %d tokens but the model only %d", tok.VocabSize(), cfg.VocabSize)
	}
	tmplText, _ := f.String("tokenizer.chat_template")
	tmpl, err := chat.FromGGUF(tmplText, cfg.Architecture, tok, now)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	m := &Model{File: f, Config: cfg, Tokenizer: tok, Template: tmpl}
	m.Name, _ = f.String("general.name")
	m.Synthetic, _ = f.Bool(synth.KeySynthetic)
	m.Seed, _ = f.Uint64(synth.KeySeed)
	m.Quantization = quantization(f)
	return m, nil
}

// VocabFromGGUF reads the tokenizer.ggml.* keys. Absent token ids are -1;
// add_space_prefix defaults to true for SentencePiece vocabularies, as in
// llama.cpp.
func VocabFromGGUF(f *gguf.File) (tokenizer.Vocab, error) {
	var v tokenizer.Vocab
	var err error
	if v.Model, err = f.String("tokenizer.ggml.model"); err != nil {
		return v, fmt.Errorf("the file has no tokenizer: %w", err)
	}
	v.Pre, _ = f.String("tokenizer.ggml.pre")
	if v.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return v, err
	}
	if _, ok := f.Value("tokenizer.ggml.scores"); ok {
		if v.Scores, err = f.Float32s("tokenizer.ggml.scores"); err != nil {
			return v, err
		}
	}
	if _, ok := f.Value("tokenizer.ggml.token_type"); ok {
		if v.Types, err = f.Int32s("tokenizer.ggml.token_type"); err != nil {
			return v, err
		}
	}
	if _, ok := f.Value("tokenizer.ggml.merges"); ok {
		if v.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return v, err
		}
	}
	id := func(key string) (int, error) {
		if _, ok := f.Value(key); !ok {
			return -1, nil
		}
		n, err := f.Uint64(key)
		if err != nil {
			return -1, err
		}
		if n >= uint64(len(v.Tokens)) {
			return -1, fmt.Errorf("%s is %d, outside the vocabulary of %d tokens", key, n, len(v.Tokens))
		}
		return int(n), nil
	}
	for _, p := range []struct {
		key string
		dst *int
	}{
		{"tokenizer.ggml.bos_token_id", &v.BOS}, {"tokenizer.ggml.eos_token_id", &v.EOS},
		{"tokenizer.ggml.eot_token_id", &v.EOT}, {"tokenizer.ggml.unknown_token_id", &v.UNK},
		{"tokenizer.ggml.padding_token_id", &v.PAD},
	} {
		if *p.dst, err = id(p.key); err != nil {
			return v, err
		}
	}
	flag := func(key string, def bool) bool {
		b, err := f.Bool(key)
		if err != nil {
			return def
		}
		return b
	}
	v.AddBOS = flag("tokenizer.ggml.add_bos_token", v.Model == "llama")
	v.AddEOS = flag("tokenizer.ggml.add_eos_token", false)
	v.AddSpacePrefix = flag("tokenizer.ggml.add_space_prefix", v.Model == "llama")
	return v, nil
}

// fileTypes are llama.cpp's general.file_type names (llama_ftype).
var fileTypes = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
	11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
	17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
	23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
	29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
}

func quantization(f *gguf.File) string {
	if ft, err := f.Uint64("general.file_type"); err == nil {
		if s, ok := fileTypes[ft]; ok {
			return s
		}
	}
	bytes := map[tensor.DType]int64{}
	for _, t := range f.Tensors {
		bytes[t.Type] += t.Size
	}
	var best tensor.DType
	var most int64 = -1
	for t, n := range bytes {
		if n > most || (n == most && t < best) {
			best, most = t, n
		}
	}
	return best.String()
}

// LoadWeights binds the weights (no copy: they stay in the file's
// mapping). It is idempotent.
func (m *Model) LoadWeights() (*model.Model, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.weights != nil {
		return m.weights, nil
	}
	w, err := model.FromGGUF(m.File)
	if err != nil {
		return nil, err
	}
	m.weights = w
	return w, nil
}

// pageSize is the stride of Warm's reads.
const pageSize = 4096

// Warm reads one byte of every page of the weights, so that the kernel
// pages the file in now rather than during the first request (a cold load
// inside a measured window). It returns how many bytes it covered. With the
// file already in the page cache it takes a fraction of a second.
func (m *Model) Warm(ctx context.Context, pool *tensor.Pool) (int64, error) {
	var total int64
	var datas [][]byte
	for _, t := range m.File.Tensors {
		d := m.File.Data(t)
		if d == nil {
			return total, errors.New("tensor data outside the file")
		}
		datas = append(datas, d)
		total += int64(len(d))
	}
	sums := make([]byte, pool.Threads())
	pool.For(len(datas), 1, func(worker, lo, hi int) {
		var s byte
		for _, d := range datas[lo:hi] {
			if ctx.Err() != nil {
				return
			}
			for i := 0; i < len(d); i += pageSize {
				s += d[i]
			}
		}
		sums[worker] += s
	})
	return total, ctx.Err()
}

// WeightBytes returns the bytes of matrix weights one decoded token reads:
// every block's projections and the output head (the embedding lookup reads
// one row and is left out).
func WeightBytes(mm *model.Model) int64 {
	w := mm.Weights()
	var n int64
	for _, l := range w.Layers {
		for _, x := range []*tensor.Matrix{l.Q, l.K, l.V, l.Output, l.Gate, l.Up, l.Down} {
			n += x.Bytes()
		}
	}
	out := w.Output
	if out == nil {
		out = w.TokenEmbedding
	}
	return n + out.Bytes()
}

// Close unmaps the file. The model must not be used afterwards.
func (m *Model) Close() error { return m.File.Close() }
