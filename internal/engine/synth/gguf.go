package synth

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/engine/chat"
	"github.com/llm-energy-lab/energylab/internal/engine/gguf"
	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
)

// GeneratorVersion names the weight generator. Files written by another
// version have other weights, so it is part of their names and digests.
const GeneratorVersion = "synth-v2"

// Quant is how a synthetic model's matrices are stored, by tag name.
type Quant struct {
	// Name is the tag: "q8_0", "q4_k_m", ...
	Name string
	// FileType is llama.cpp's general.file_type number for the mix.
	FileType uint32
	// pick returns the type of a matrix: name, block index (-1 outside
	// blocks) and the block count.
	pick func(name string, block, blocks int) tensor.DType
}

func uniform(t tensor.DType) func(string, int, int) tensor.DType {
	return func(string, int, int) tensor.DType { return t }
}

// q4KM approximates llama.cpp's Q4_K_M mix: Q4_K everywhere except the
// token embedding (the output head too when tied) and output head in Q6_K,
// and attn_v and ffn_down in Q6_K in the first and last eighth of the
// blocks and every third block between (llama.cpp's use_more_bits).
func q4KM(name string, block, blocks int) tensor.DType {
	switch {
	case name == "token_embd.weight", name == "output.weight":
		return tensor.Q6_K
	case strings.HasSuffix(name, ".attn_v.weight"), strings.HasSuffix(name, ".ffn_down.weight"):
		if block < blocks/8 || block >= 7*blocks/8 || (block-blocks/8)%3 == 2 {
			return tensor.Q6_K
		}
	}
	return tensor.Q4_K
}

var quants = []Quant{
	{"f32", 0, uniform(tensor.F32)},
	{"f16", 1, uniform(tensor.F16)},
	{"bf16", 32, uniform(tensor.BF16)},
	{"q8_0", 7, uniform(tensor.Q8_0)},
	{"q4_0", 2, uniform(tensor.Q4_0)},
	{"q4_1", 3, uniform(tensor.Q4_1)},
	{"q5_0", 8, uniform(tensor.Q5_0)},
	{"q5_1", 9, uniform(tensor.Q5_1)},
	{"iq4_nl", 25, uniform(tensor.IQ4_NL)},
	{"q4_k", 14, uniform(tensor.Q4_K)},
	{"q5_k", 16, uniform(tensor.Q5_K)},
	{"q6_k", 18, uniform(tensor.Q6_K)},
	{"q4_k_m", 15, q4KM},
}

// Quants lists the storage tags a synthetic model can be written with.
func Quants() []Quant { return append([]Quant(nil), quants...) }

// LookupQuant returns the quant of a tag (case-insensitive).
func LookupQuant(name string) (Quant, bool) {
	for _, q := range quants {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Quant{}, false
}

// QuantNames returns the tags, for messages.
func QuantNames() []string {
	var out []string
	for _, q := range quants {
		out = append(out, q.Name)
	}
	return out
}

// chatTemplate is the ChatML template the synthetic models carry (written
// for this project; Jinja, so that other GGUF tools can use it too). Its
// enable_thinking switch makes the lab treat them as Qwen3-style thinking
// models.
const chatTemplate = `{%- for message in messages %}{{ '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}{%- endfor %}` +
	`{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}`

// Metadata keys the lab adds to the GGUF files it generates.
const (
	KeySynthetic = "energylab.synthetic"
	KeyShape     = "energylab.synthetic.shape"
	KeySeed      = "energylab.synthetic.seed"
	KeyGenerator = "energylab.synthetic.generator"
)

// rowSeed is the state that generates row r of a tensor: weights do not
// depend on how rows are batched or how many threads generate them.
func rowSeed(seed uint64, name string, r int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return mix(seed ^ h.Sum64() + uint64(r)*0x9e3779b97f4a7c15)
}

// scaleOf is the half-width of a matrix's uniform weights: variance
// 1/fan_in keeps activations of the random network finite.
func scaleOf(cols int) float32 { return float32(math.Sqrt(3 / float64(cols))) }

// biasScale is the half-width of the synthetic biases: small, so that the
// bias path is exercised without dominating the projections.
const biasScale = 0.02

// WriteGGUF writes shape as a GGUF file with weights from seed, matrices
// stored per quant and vectors (norms 1, biases small and random) as F32,
// carrying a synthetic byte-level BPE vocabulary of the shape's size and a
// ChatML template. It generates and writes one batch of rows at a time, so
// its memory stays small whatever the model's size. pool generates rows in
// parallel; the file does not depend on the thread count.
func WriteGGUF(ctx context.Context, w io.Writer, shape Shape, seed uint64, q Quant, pool *tensor.Pool) error {
	cfg := shape.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	vocab, err := tokenizer.SyntheticVocab(cfg.VocabSize)
	if err != nil {
		return fmt.Errorf("synthetic vocabulary: %w", err)
	}
	gw := gguf.NewWriter(w)
	arch := cfg.Architecture
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.String(arch)},
		{Key: "general.name", Value: gguf.String(shape.Name)},
		{Key: "general.type", Value: gguf.String("model")},
		{Key: "general.file_type", Value: gguf.Uint32(q.FileType)},
		{Key: arch + ".context_length", Value: gguf.Uint32(uint32(cfg.ContextLength))},
		{Key: arch + ".embedding_length", Value: gguf.Uint32(uint32(cfg.EmbeddingLength))},
		{Key: arch + ".block_count", Value: gguf.Uint32(uint32(cfg.BlockCount))},
		{Key: arch + ".feed_forward_length", Value: gguf.Uint32(uint32(cfg.FeedForwardLength))},
		{Key: arch + ".attention.head_count", Value: gguf.Uint32(uint32(cfg.HeadCount))},
		{Key: arch + ".attention.head_count_kv", Value: gguf.Uint32(uint32(cfg.HeadCountKV))},
		{Key: arch + ".rope.freq_base", Value: gguf.Float32(float32(cfg.RopeFreqBase))},
		{Key: arch + ".attention.layer_norm_rms_epsilon", Value: gguf.Float32(float32(cfg.RMSEpsilon))},
		{Key: arch + ".vocab_size", Value: gguf.Uint32(uint32(cfg.VocabSize))},
		{Key: "tokenizer.ggml.model", Value: gguf.String(vocab.Model)},
		{Key: "tokenizer.ggml.pre", Value: gguf.String(vocab.Pre)},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Array(vocab.Tokens)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Array(vocab.Types)},
		{Key: "tokenizer.ggml.merges", Value: gguf.Array(vocab.Merges)},
		{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Bool(false)},
		{Key: "tokenizer.chat_template", Value: gguf.String(chatTemplate)},
		{Key: KeySynthetic, Value: gguf.Bool(true)},
		{Key: KeyShape, Value: gguf.String(shape.Name)},
		{Key: KeySeed, Value: gguf.Uint64(seed)},
		{Key: KeyGenerator, Value: gguf.String(GeneratorVersion)},
	}
	if cfg.KeyLength > 0 {
		kvs = append(kvs,
			gguf.KV{Key: arch + ".attention.key_length", Value: gguf.Uint32(uint32(cfg.KeyLength))},
			gguf.KV{Key: arch + ".attention.value_length", Value: gguf.Uint32(uint32(cfg.KeyLength))})
	}
	for _, id := range []struct {
		key string
		id  int
	}{{"tokenizer.ggml.eos_token_id", vocab.EOS}, {"tokenizer.ggml.bos_token_id", vocab.BOS}, {"tokenizer.ggml.padding_token_id", vocab.PAD}} {
		if id.id >= 0 {
			kvs = append(kvs, gguf.KV{Key: id.key, Value: gguf.Uint32(uint32(id.id))})
		}
	}
	for _, kv := range kvs {
		if err := gw.AddKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	infos := cfg.Tensors()
	types := make([]tensor.DType, len(infos))
	for i, t := range infos {
		types[i] = tensor.F32
		if !t.IsVector() {
			types[i] = fitting(q.pick(t.Name, blockOf(t.Name), cfg.BlockCount), t.Cols)
		}
		dims := []uint64{uint64(t.Cols)}
		if !t.IsVector() {
			dims = append(dims, uint64(t.Rows))
		}
		if err := gw.AddTensor(t.Name, types[i], dims); err != nil {
			return err
		}
	}
	for i, t := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeTensor(gw, t, types[i], seed, pool); err != nil {
			return fmt.Errorf("write %s: %w", t.Name, err)
		}
	}
	return gw.Close()
}

// fitting returns t, or the first of Q8_0, F16, F32 whose blocks divide a
// row of cols elements when t's do not (K-quants need rows of a multiple of
// 256; llama.cpp falls back the same way for such tensors).
func fitting(t tensor.DType, cols int) tensor.DType {
	for _, c := range []tensor.DType{t, tensor.Q8_0, tensor.F16, tensor.F32} {
		if cols%c.BlockSize() == 0 {
			return c
		}
	}
	return tensor.F32
}

// blockOf returns N of a "blk.N." tensor name, or -1.
func blockOf(name string) int {
	var n int
	if _, err := fmt.Sscanf(name, "blk.%d.", &n); err != nil {
		return -1
	}
	return n
}

// rowsPerBatch bounds the rows generated before they are written.
const rowsPerBatch = 64

func writeTensor(gw *gguf.Writer, t model.TensorInfo, typ tensor.DType, seed uint64, pool *tensor.Pool) error {
	if t.IsVector() {
		v := make([]float32, t.Cols)
		switch {
		case t.Norm:
			for i := range v {
				v[i] = 1
			}
		default:
			fill(v, rowSeed(seed, t.Name, 0), biasScale)
		}
		b, err := tensor.Quantize(tensor.F32, v)
		if err != nil {
			return err
		}
		return gw.WriteTensor(b)
	}
	rb, ok := typ.RowBytes(int64(t.Cols))
	if !ok {
		return fmt.Errorf("%d columns are not a whole number of %s blocks", t.Cols, typ)
	}
	batch := rowsPerBatch * pool.Threads()
	rowsF := make([]float32, batch*t.Cols)
	out := make([]byte, int64(batch)*rb)
	scale := scaleOf(t.Cols)
	for r0 := 0; r0 < t.Rows; r0 += batch {
		n := min(batch, t.Rows-r0)
		var qerr error
		errs := make([]error, pool.Threads())
		pool.For(n, rowsPerBatch, func(worker, lo, hi int) {
			for r := lo; r < hi; r++ {
				fill(rowsF[r*t.Cols:(r+1)*t.Cols], rowSeed(seed, t.Name, r0+r), scale)
			}
			b, err := tensor.Quantize(typ, rowsF[lo*t.Cols:hi*t.Cols])
			if err != nil {
				errs[worker] = err
				return
			}
			copy(out[int64(lo)*rb:int64(hi)*rb], b)
		})
		if qerr = errors.Join(errs...); qerr != nil {
			return qerr
		}
		if _, err := gw.Write(out[:int64(n)*rb]); err != nil {
			return err
		}
	}
	return nil
}

// FileName is the cache file name of a synthetic model.
func FileName(shape string, q Quant, seed uint64) string {
	return fmt.Sprintf("%s-%s-%016x-%s.gguf", shape, q.Name, seed, GeneratorVersion)
}

// Ensure returns the path of shape's GGUF file in dir, writing it first if
// it is not there (to a temporary file renamed into place, so that no
// process ever sees half a file). generated reports whether it was written
// now.
func Ensure(ctx context.Context, dir string, shape Shape, seed uint64, q Quant, pool *tensor.Pool) (path string, generated bool, err error) {
	path = filepath.Join(dir, FileName(shape.Name, q, seed))
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return path, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("create the synthetic model cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+FileName(shape.Name, q, seed)+".*")
	if err != nil {
		return "", false, fmt.Errorf("create the synthetic model cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteGGUF(ctx, tmp, shape, seed, q, pool); err != nil {
		tmp.Close()
		return "", false, fmt.Errorf("generate %s:%s: %w", shape.Name, q.Name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", false, err
	}
	if err := tmp.Close(); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// Cached lists the synthetic model files in dir, for housekeeping.
func Cached(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "synthetic-*.gguf"))
	sort.Strings(m)
	return m
}

// Text returns the tokenizer and chat template shape's GGUF file carries,
// built without writing the file (same vocabulary, same template).
func Text(shape Shape) (tokenizer.Tokenizer, *chat.Template, error) {
	v, err := tokenizer.SyntheticVocab(shape.Config.VocabSize)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := chat.FromGGUF(chatTemplate, shape.Config.Architecture, tok, nil)
	if err != nil {
		return nil, nil, err
	}
	return tok, tmpl, nil
}
