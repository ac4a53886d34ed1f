package model

import (
	"errors"
	"fmt"
)

// Architectures the forward pass implements, as GGUF's general.architecture
// names them.
const (
	// ArchLlama is the Llama 2/3 architecture: RMSNorm, RoPE, grouped-query
	// attention, SwiGLU.
	ArchLlama = "llama"
	// ArchQwen3 is Llama plus a per-head RMSNorm of queries and keys before
	// RoPE (attn_q_norm, attn_k_norm), without attention biases.
	ArchQwen3 = "qwen3"
	// ArchQwen2 is Qwen2 and Qwen2.5: llama's layout with biases on the
	// query, key and value projections and NeoX rotary embedding.
	ArchQwen2 = "qwen2"
)

// RopeStyle says which elements of a head RoPE rotates together.
type RopeStyle int

const (
	// RopeNeoX pairs element i with element i+headDim/2 (GPT-NeoX, Hugging
	// Face Llama and Qwen weights; GGML_ROPE_TYPE_NEOX). It is the zero
	// value and what synthetic models use.
	RopeNeoX RopeStyle = iota
	// RopeInterleaved pairs elements 2i and 2i+1 (GGML_ROPE_TYPE_NORMAL),
	// which llama-architecture GGUF files need because llama.cpp's converter
	// permutes their q and k weights for it.
	RopeInterleaved
)

// String names the style.
func (s RopeStyle) String() string {
	switch s {
	case RopeNeoX:
		return "neox"
	case RopeInterleaved:
		return "interleaved"
	default:
		return fmt.Sprintf("RopeStyle(%d)", int(s))
	}
}

// Config holds a model's hyper-parameters. Field comments give the GGUF
// metadata key each one is read from ({arch} is Architecture).
type Config struct {
	// Architecture is general.architecture: ArchLlama or ArchQwen3.
	Architecture string
	// VocabSize is the number of tokens (the length of tokenizer.ggml.tokens;
	// the rows of token_embd.weight).
	VocabSize int
	// EmbeddingLength is {arch}.embedding_length, the width of the residual
	// stream.
	EmbeddingLength int
	// BlockCount is {arch}.block_count, the number of transformer layers.
	BlockCount int
	// HeadCount is {arch}.attention.head_count, the number of query heads.
	HeadCount int
	// HeadCountKV is {arch}.attention.head_count_kv, the number of key/value
	// heads; HeadCount must be a multiple of it (grouped-query attention).
	HeadCountKV int
	// KeyLength is {arch}.attention.key_length, the dimension of one head
	// (keys, queries and values alike). 0 means EmbeddingLength/HeadCount.
	KeyLength int
	// FeedForwardLength is {arch}.feed_forward_length, the hidden width of
	// the SwiGLU feed-forward.
	FeedForwardLength int
	// RopeFreqBase is {arch}.rope.freq_base, the base θ of the rotary
	// frequencies (10,000 for Llama 2, 500,000 for Llama 3, 1,000,000 for
	// Qwen3).
	RopeFreqBase float64
	// RopeStyle is the pairing of rotated elements; GGUF implies it from the
	// architecture.
	RopeStyle RopeStyle
	// RMSEpsilon is {arch}.attention.layer_norm_rms_epsilon.
	RMSEpsilon float64
	// ContextLength is {arch}.context_length, the longest sequence (prompt
	// plus generated tokens) the model supports.
	ContextLength int
	// TiedEmbeddings is true when the output head reuses token_embd.weight
	// (the file has no output.weight).
	TiedEmbeddings bool
	// QKNorm is true when queries and keys get a per-head RMSNorm
	// (blk.N.attn_q_norm.weight, blk.N.attn_k_norm.weight) before RoPE, as in
	// Qwen3.
	QKNorm bool
	// QKVBias is true when the query, key and value projections have bias
	// vectors (Qwen2: blk.N.attn_{q,k,v}.bias).
	QKVBias bool
}

// HeadDim returns the dimension of one attention head: KeyLength, or
// EmbeddingLength/HeadCount when KeyLength is 0.
func (c Config) HeadDim() int {
	if c.KeyLength > 0 {
		return c.KeyLength
	}
	if c.HeadCount == 0 {
		return 0
	}
	return c.EmbeddingLength / c.HeadCount
}

// QueryDim returns the width of all query heads together, HeadCount×HeadDim
// (2,048 for Qwen3-0.6B, whose embedding is 1,024).
func (c Config) QueryDim() int { return c.HeadCount * c.HeadDim() }

// KVDim returns the width of all key (or value) heads together,
// HeadCountKV×HeadDim.
func (c Config) KVDim() int { return c.HeadCountKV * c.HeadDim() }

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	var errs []error
	switch c.Architecture {
	case ArchLlama, ArchQwen2, ArchQwen3:
	default:
		errs = append(errs, fmt.Errorf("architecture %q is not one of %s, %s, %s", c.Architecture, ArchLlama, ArchQwen2, ArchQwen3))
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab size", c.VocabSize}, {"embedding length", c.EmbeddingLength}, {"block count", c.BlockCount},
		{"head count", c.HeadCount}, {"KV head count", c.HeadCountKV}, {"feed-forward length", c.FeedForwardLength},
		{"context length", c.ContextLength},
	} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %d, must be positive", f.name, f.v))
		}
	}
	if c.KeyLength < 0 {
		errs = append(errs, fmt.Errorf("key length is %d, must be 0 (derived) or positive", c.KeyLength))
	}
	if c.HeadCountKV > 0 && c.HeadCount%c.HeadCountKV != 0 {
		errs = append(errs, fmt.Errorf("head count %d is not a multiple of KV head count %d", c.HeadCount, c.HeadCountKV))
	}
	if hd := c.HeadDim(); hd <= 0 || hd%2 != 0 {
		errs = append(errs, fmt.Errorf("head dimension %d must be positive and even (RoPE rotates pairs)", hd))
	}
	if c.KeyLength == 0 && c.HeadCount > 0 && c.EmbeddingLength%c.HeadCount != 0 {
		errs = append(errs, fmt.Errorf("embedding length %d is not a multiple of head count %d; set the key length", c.EmbeddingLength, c.HeadCount))
	}
	if c.RopeFreqBase <= 0 {
		errs = append(errs, fmt.Errorf("rope frequency base is %g, must be positive", c.RopeFreqBase))
	}
	if c.RopeStyle != RopeNeoX && c.RopeStyle != RopeInterleaved {
		errs = append(errs, fmt.Errorf("unknown rope style %d", int(c.RopeStyle)))
	}
	if c.RMSEpsilon <= 0 {
		errs = append(errs, fmt.Errorf("RMS epsilon is %g, must be positive", c.RMSEpsilon))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid %s config: %w", c.Architecture, err)
	}
	return nil
}

// TensorInfo describes one weight tensor of a model.
type TensorInfo struct {
	// Name is the tensor's GGUF name, e.g. "blk.0.attn_q.weight".
	Name string
	// Rows and Cols are a matrix's shape (outputs × inputs; GGUF ne[1] and
	// ne[0]). A vector (a norm's weights) has Rows 1 and Cols elements.
	Rows, Cols int
	// Norm is true for the weights of an RMSNorm, a vector whose neutral
	// value is 1.
	Norm bool
	// Bias is true for a projection's bias, a vector whose neutral value
	// is 0.
	Bias bool
}

// IsVector reports whether the tensor is a vector (a norm's weights or a
// bias), kept as float32 in memory.
func (t TensorInfo) IsVector() bool { return t.Norm || t.Bias }

// Elements returns Rows×Cols.
func (t TensorInfo) Elements() int64 { return int64(t.Rows) * int64(t.Cols) }

// Tensors lists the weight tensors of a model with config c, in GGUF order:
// token_embd, then each block's tensors, then output_norm and (unless tied)
// output.
func (c Config) Tensors() []TensorInfo {
	emb, ff, hd := c.EmbeddingLength, c.FeedForwardLength, c.HeadDim()
	ts := []TensorInfo{{Name: "token_embd.weight", Rows: c.VocabSize, Cols: emb}}
	for i := range c.BlockCount {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			TensorInfo{Name: p + "attn_norm.weight", Rows: 1, Cols: emb, Norm: true},
			TensorInfo{Name: p + "attn_q.weight", Rows: c.QueryDim(), Cols: emb},
			TensorInfo{Name: p + "attn_k.weight", Rows: c.KVDim(), Cols: emb},
			TensorInfo{Name: p + "attn_v.weight", Rows: c.KVDim(), Cols: emb},
		)
		if c.QKVBias {
			ts = append(ts,
				TensorInfo{Name: p + "attn_q.bias", Rows: 1, Cols: c.QueryDim(), Bias: true},
				TensorInfo{Name: p + "attn_k.bias", Rows: 1, Cols: c.KVDim(), Bias: true},
				TensorInfo{Name: p + "attn_v.bias", Rows: 1, Cols: c.KVDim(), Bias: true},
			)
		}
		if c.QKNorm {
			ts = append(ts,
				TensorInfo{Name: p + "attn_q_norm.weight", Rows: 1, Cols: hd, Norm: true},
				TensorInfo{Name: p + "attn_k_norm.weight", Rows: 1, Cols: hd, Norm: true},
			)
		}
		ts = append(ts,
			TensorInfo{Name: p + "attn_output.weight", Rows: emb, Cols: c.QueryDim()},
			TensorInfo{Name: p + "ffn_norm.weight", Rows: 1, Cols: emb, Norm: true},
			TensorInfo{Name: p + "ffn_gate.weight", Rows: ff, Cols: emb},
			TensorInfo{Name: p + "ffn_up.weight", Rows: ff, Cols: emb},
			TensorInfo{Name: p + "ffn_down.weight", Rows: emb, Cols: ff},
		)
	}
	ts = append(ts, TensorInfo{Name: "output_norm.weight", Rows: 1, Cols: emb, Norm: true})
	if !c.TiedEmbeddings {
		ts = append(ts, TensorInfo{Name: "output.weight", Rows: c.VocabSize, Cols: emb})
	}
	return ts
}

// ParameterCount returns the exact number of weights of a model with config
// c (a tied output head is counted once).
func (c Config) ParameterCount() int64 {
	var n int64
	for _, t := range c.Tensors() {
		n += t.Elements()
	}
	return n
}

// KVCacheBytesPerToken returns the bytes the KV cache holds per token: keys
// and values of every layer, as binary16.
func (c Config) KVCacheBytesPerToken() int64 {
	return int64(2*c.BlockCount*c.KVDim()) * 2
}
