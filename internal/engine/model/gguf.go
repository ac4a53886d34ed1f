package model

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/llm-energy-lab/energylab/internal/engine/gguf"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// ErrUnsupported marks a GGUF model the engine cannot run: an architecture,
// a tensor type or a hyper-parameter it does not implement. The message
// names it.
var ErrUnsupported = errors.New("unsupported model")

// ConfigFromGGUF reads an architecture's hyper-parameters from GGUF
// metadata (llama.cpp's key names, "<arch>.embedding_length" and so on) and
// the tensors the file has (tied output, q/k norms, biases).
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return Config{}, fmt.Errorf("read the architecture: %w", err)
	}
	c := Config{Architecture: arch}
	switch arch {
	case ArchLlama:
		c.RopeStyle = RopeInterleaved // GGML rope type NORM: llama.cpp's converter permutes q/k for it
	case ArchQwen2, ArchQwen3:
		c.RopeStyle = RopeNeoX
	default:
		return Config{}, fmt.Errorf("%w: architecture %q (the engine runs %s, %s and %s)", ErrUnsupported, arch, ArchLlama, ArchQwen2, ArchQwen3)
	}
	key := func(k string) string { return arch + "." + k }
	req := func(k string) (int, error) {
		v, err := f.Uint64(key(k))
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", key(k), err)
		}
		if v == 0 || v > 1<<31 {
			return 0, fmt.Errorf("%s is %d", key(k), v)
		}
		return int(v), nil
	}
	opt := func(k string, def int) (int, error) {
		if _, ok := f.Value(key(k)); !ok {
			return def, nil
		}
		return req(k)
	}
	optF := func(k string, def float64) (float64, error) {
		if _, ok := f.Value(key(k)); !ok {
			return def, nil
		}
		v, err := f.Float64(key(k))
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", key(k), err)
		}
		if val, _ := f.Value(key(k)); val.Type() == gguf.TypeFloat32 {
			// Converters write these as float32 (1e-5 becomes
			// 9.99999975e-06); take the shortest decimal that rounds to
			// the same float32, the value the converter meant.
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
		}
		return v, nil
	}
	for _, p := range []struct {
		k   string
		dst *int
	}{
		{"context_length", &c.ContextLength}, {"embedding_length", &c.EmbeddingLength},
		{"block_count", &c.BlockCount}, {"feed_forward_length", &c.FeedForwardLength},
		{"attention.head_count", &c.HeadCount},
	} {
		if *p.dst, err = req(p.k); err != nil {
			return Config{}, err
		}
	}
	if c.HeadCountKV, err = opt("attention.head_count_kv", c.HeadCount); err != nil {
		return Config{}, err
	}
	if c.KeyLength, err = opt("attention.key_length", 0); err != nil {
		return Config{}, err
	}
	if v, err := opt("attention.value_length", c.HeadDim()); err != nil {
		return Config{}, err
	} else if v != c.HeadDim() {
		return Config{}, fmt.Errorf("%w: value length %d differs from key length %d", ErrUnsupported, v, c.HeadDim())
	}
	if d, err := opt("rope.dimension_count", c.HeadDim()); err != nil {
		return Config{}, err
	} else if d != c.HeadDim() {
		return Config{}, fmt.Errorf("%w: rotary embedding over %d of %d head dimensions", ErrUnsupported, d, c.HeadDim())
	}
	if c.RopeFreqBase, err = optF("rope.freq_base", 10000); err != nil {
		return Config{}, err
	}
	if c.RMSEpsilon, err = optF("attention.layer_norm_rms_epsilon", 1e-5); err != nil {
		return Config{}, err
	}
	if st, err := f.String(key("rope.scaling.type")); err == nil && st != "none" && st != "" {
		factor, _ := f.Float64(key("rope.scaling.factor"))
		if factor > 1 {
			return Config{}, fmt.Errorf("%w: rope scaling %q (factor %g)", ErrUnsupported, st, factor)
		}
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok {
		return Config{}, fmt.Errorf("the file has no token_embd.weight tensor")
	}
	c.VocabSize, err = opt("vocab_size", 0)
	if err != nil {
		return Config{}, err
	}
	if c.VocabSize == 0 && len(emb.Dims) == 2 {
		c.VocabSize = int(emb.Dims[1])
	}
	_, hasOutput := f.Tensor("output.weight")
	c.TiedEmbeddings = !hasOutput
	_, c.QKNorm = f.Tensor("blk.0.attn_q_norm.weight")
	_, c.QKVBias = f.Tensor("blk.0.attn_q.bias")
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// FromGGUF builds a model from a GGUF file: the configuration from its
// metadata and the weights bound to its tensor data without copying it
// (the matrices alias the file's memory mapping, so f must stay open as long
// as the model is used). Vectors (norms, biases, rope factors) are converted
// to float32.
func FromGGUF(f *gguf.File) (*Model, error) {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	w := &Weights{Layers: make([]Layer, c.BlockCount)}
	for _, t := range c.Tensors() {
		ti, ok := f.Tensor(t.Name)
		if !ok {
			return nil, fmt.Errorf("the file has no %s tensor", t.Name)
		}
		m, v, err := bind(f, ti, t)
		if err != nil {
			return nil, err
		}
		if err := w.set(t.Name, m, v); err != nil {
			return nil, err
		}
	}
	if ti, ok := f.Tensor("rope_freqs.weight"); ok {
		_, v, err := bind(f, ti, TensorInfo{Name: ti.Name, Rows: 1, Cols: c.HeadDim() / 2, Norm: true})
		if err != nil {
			return nil, err
		}
		w.RopeFreqs = v
	}
	return New(c, w)
}

// bind checks a file tensor against the shape the config expects and wraps
// its data.
func bind(f *gguf.File, ti gguf.TensorInfo, want TensorInfo) (*tensor.Matrix, []float32, error) {
	data := f.Data(ti)
	if data == nil {
		return nil, nil, fmt.Errorf("tensor %s: data outside the file", ti.Name)
	}
	if want.IsVector() {
		if len(ti.Dims) != 1 || ti.Dims[0] != uint64(want.Cols) {
			return nil, nil, fmt.Errorf("tensor %s has dimensions %v, want [%d]", ti.Name, ti.Dims, want.Cols)
		}
		if !tensor.Supported(ti.Type) {
			return nil, nil, fmt.Errorf("%w: tensor %s is stored as %s", ErrUnsupported, ti.Name, ti.Type)
		}
		v := make([]float32, want.Cols)
		if err := tensor.Dequantize(ti.Type, data, v); err != nil {
			return nil, nil, fmt.Errorf("tensor %s: %w", ti.Name, err)
		}
		return nil, v, nil
	}
	if len(ti.Dims) != 2 || ti.Dims[0] != uint64(want.Cols) || ti.Dims[1] != uint64(want.Rows) {
		return nil, nil, fmt.Errorf("tensor %s has dimensions %v, want [%d %d] (columns, rows)", ti.Name, ti.Dims, want.Cols, want.Rows)
	}
	if !tensor.Supported(ti.Type) {
		return nil, nil, fmt.Errorf("%w: tensor %s is stored as %s; the engine computes with %s", ErrUnsupported, ti.Name, ti.Type, supportedList())
	}
	m, err := tensor.NewMatrix(want.Rows, want.Cols, ti.Type, data)
	if err != nil {
		return nil, nil, fmt.Errorf("tensor %s: %w", ti.Name, err)
	}
	return m, nil, nil
}

func supportedList() string {
	var out string
	for _, t := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16, tensor.Q8_0, tensor.Q4_0, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.IQ4_NL, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q8_K} {
		if tensor.Supported(t) {
			if out != "" {
				out += ", "
			}
			out += t.String()
		}
	}
	return out
}
