package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Weights holds a model's tensors. Matrices are tensor.Matrix values, so
// quantised storage types fit without changing this struct; norm weights are
// float32 vectors, as GGUF stores them.
type Weights struct {
	// TokenEmbedding is token_embd.weight, VocabSize×EmbeddingLength.
	TokenEmbedding *tensor.Matrix
	// Layers holds the BlockCount transformer blocks.
	Layers []Layer
	// OutputNorm is output_norm.weight, EmbeddingLength elements.
	OutputNorm []float32
	// Output is output.weight, VocabSize×EmbeddingLength; nil when the
	// embeddings are tied and TokenEmbedding serves as the output head.
	Output *tensor.Matrix
	// RopeFreqs is rope_freqs.weight, HeadDim/2 factors that divide the
	// rotary frequencies (Llama 3.1's long-context scaling, precomputed by
	// the GGUF converter); nil when absent.
	RopeFreqs []float32
}

// Layer holds the tensors of one transformer block, named blk.N.* in GGUF.
type Layer struct {
	// AttnNorm is attn_norm.weight, EmbeddingLength elements.
	AttnNorm []float32
	// Q is attn_q.weight, QueryDim×EmbeddingLength.
	Q *tensor.Matrix
	// K is attn_k.weight, KVDim×EmbeddingLength.
	K *tensor.Matrix
	// V is attn_v.weight, KVDim×EmbeddingLength.
	V *tensor.Matrix
	// QNorm is attn_q_norm.weight, HeadDim elements (QKNorm models only).
	QNorm []float32
	// QBias, KBias and VBias are the projections' biases (Qwen2), nil
	// when the architecture has none.
	QBias, KBias, VBias []float32
	// KNorm is attn_k_norm.weight, HeadDim elements (QKNorm models only).
	KNorm []float32
	// Output is attn_output.weight, EmbeddingLength×QueryDim.
	Output *tensor.Matrix
	// FFNNorm is ffn_norm.weight, EmbeddingLength elements.
	FFNNorm []float32
	// Gate is ffn_gate.weight, FeedForwardLength×EmbeddingLength.
	Gate *tensor.Matrix
	// Up is ffn_up.weight, FeedForwardLength×EmbeddingLength.
	Up *tensor.Matrix
	// Down is ffn_down.weight, EmbeddingLength×FeedForwardLength.
	Down *tensor.Matrix
}

// Tensor is one named tensor of a Weights value: Matrix is set for a
// matrix, Vector for a norm's weights.
type Tensor struct {
	TensorInfo
	// Matrix is the storage of a matrix tensor.
	Matrix *tensor.Matrix
	// Vector is the storage of a vector tensor.
	Vector []float32
}

// NewWeightsF32 allocates zeroed F32 weights for config c
// (4 × c.ParameterCount() bytes). Fill them through Tensors.
func NewWeightsF32(c Config) *Weights {
	w := &Weights{Layers: make([]Layer, c.BlockCount)}
	for _, t := range c.Tensors() {
		var m *tensor.Matrix
		var v []float32
		if t.IsVector() {
			v = make([]float32, t.Cols)
		} else {
			m = tensor.NewMatrixF32(t.Rows, t.Cols)
		}
		if err := w.set(t.Name, m, v); err != nil {
			panic(err) // Config.Tensors only names tensors set knows.
		}
	}
	return w
}

// slot returns pointers to the fields that hold the tensor called name.
func (w *Weights) slot(name string) (*(*tensor.Matrix), *[]float32, error) {
	switch name {
	case "token_embd.weight":
		return &w.TokenEmbedding, nil, nil
	case "output_norm.weight":
		return nil, &w.OutputNorm, nil
	case "output.weight":
		return &w.Output, nil, nil
	}
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return nil, nil, fmt.Errorf("unknown tensor %q", name)
	}
	num, field, ok := strings.Cut(rest, ".")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || i < 0 || i >= len(w.Layers) {
		return nil, nil, fmt.Errorf("tensor %q names no block of %d", name, len(w.Layers))
	}
	l := &w.Layers[i]
	switch field {
	case "attn_norm.weight":
		return nil, &l.AttnNorm, nil
	case "attn_q.weight":
		return &l.Q, nil, nil
	case "attn_k.weight":
		return &l.K, nil, nil
	case "attn_v.weight":
		return &l.V, nil, nil
	case "attn_q.bias":
		return nil, &l.QBias, nil
	case "attn_k.bias":
		return nil, &l.KBias, nil
	case "attn_v.bias":
		return nil, &l.VBias, nil
	case "attn_q_norm.weight":
		return nil, &l.QNorm, nil
	case "attn_k_norm.weight":
		return nil, &l.KNorm, nil
	case "attn_output.weight":
		return &l.Output, nil, nil
	case "ffn_norm.weight":
		return nil, &l.FFNNorm, nil
	case "ffn_gate.weight":
		return &l.Gate, nil, nil
	case "ffn_up.weight":
		return &l.Up, nil, nil
	case "ffn_down.weight":
		return &l.Down, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown tensor %q", name)
}

func (w *Weights) set(name string, m *tensor.Matrix, v []float32) error {
	mp, vp, err := w.slot(name)
	if err != nil {
		return err
	}
	if mp != nil {
		*mp = m
	} else {
		*vp = v
	}
	return nil
}

// Tensors returns the storage of every tensor that config c names, in the
// order of c.Tensors(). It fails if a tensor is missing or has the wrong
// shape.
func (w *Weights) Tensors(c Config) ([]Tensor, error) {
	if len(w.Layers) != c.BlockCount {
		return nil, fmt.Errorf("weights have %d blocks, config %d", len(w.Layers), c.BlockCount)
	}
	infos := c.Tensors()
	out := make([]Tensor, 0, len(infos))
	for _, t := range infos {
		mp, vp, err := w.slot(t.Name)
		if err != nil {
			return nil, err
		}
		tt := Tensor{TensorInfo: t}
		if mp != nil {
			m := *mp
			if m == nil {
				return nil, fmt.Errorf("tensor %s is missing", t.Name)
			}
			if m.Rows != t.Rows || m.Cols != t.Cols {
				return nil, fmt.Errorf("tensor %s is %d×%d, want %d×%d", t.Name, m.Rows, m.Cols, t.Rows, t.Cols)
			}
			if err := m.Validate(); err != nil {
				return nil, fmt.Errorf("tensor %s: %w", t.Name, err)
			}
			tt.Matrix = m
		} else {
			v := *vp
			if len(v) != t.Cols {
				return nil, fmt.Errorf("tensor %s has %d elements, want %d", t.Name, len(v), t.Cols)
			}
			tt.Vector = v
		}
		out = append(out, tt)
	}
	if c.TiedEmbeddings && w.Output != nil {
		return nil, fmt.Errorf("config ties the output head to token_embd.weight but the weights have output.weight")
	}
	return out, nil
}

// Bytes returns the storage size of all tensors in bytes.
func (w *Weights) Bytes() int64 {
	var n int64
	add := func(m *tensor.Matrix) {
		if m != nil {
			n += m.Bytes()
		}
	}
	add(w.TokenEmbedding)
	add(w.Output)
	n += 4 * int64(len(w.OutputNorm))
	for i := range w.Layers {
		l := &w.Layers[i]
		for _, m := range []*tensor.Matrix{l.Q, l.K, l.V, l.Output, l.Gate, l.Up, l.Down} {
			add(m)
		}
		n += 4 * int64(len(l.AttnNorm)+len(l.QNorm)+len(l.KNorm)+len(l.FFNNorm))
	}
	return n
}
