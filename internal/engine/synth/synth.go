package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/llm-energy-lab/energylab/internal/engine/model"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// DefaultSeed is the weight seed used when none is given: the ASCII bytes
// of "energylb" as a big-endian integer.
const DefaultSeed uint64 = 0x656e657267796c62

// Shape is a named synthetic model configuration.
type Shape struct {
	// Name is the model's name, e.g. "synthetic-tiny".
	Name string
	// Description is one line for humans.
	Description string
	// Config is the model's hyper-parameters.
	Config model.Config
}

var shapes = []Shape{
	{
		Name:        "synthetic-tiny",
		Description: "llama architecture, 5.2M parameters: a quick workload for tests and demos",
		Config: model.Config{
			Architecture: model.ArchLlama, VocabSize: 4096, EmbeddingLength: 256, BlockCount: 4,
			HeadCount: 8, HeadCountKV: 4, FeedForwardLength: 768, RopeFreqBase: 10000, RMSEpsilon: 1e-5,
			ContextLength: 2048,
		},
	},
	{
		Name:        "synthetic-qwen3-0.6b",
		Description: "exactly Qwen3-0.6B's dimensions (596M parameters): a realistic per-token workload",
		Config: model.Config{
			Architecture: model.ArchQwen3, VocabSize: 151936, EmbeddingLength: 1024, BlockCount: 28,
			HeadCount: 16, HeadCountKV: 8, KeyLength: 128, FeedForwardLength: 3072, RopeFreqBase: 1e6,
			RMSEpsilon: 1e-6, ContextLength: 40960, TiedEmbeddings: true, QKNorm: true,
		},
	},
}

// Shapes returns the synthetic shapes, smallest first.
func Shapes() []Shape { return append([]Shape(nil), shapes...) }

// Lookup returns the shape called name.
func Lookup(name string) (Shape, bool) {
	for _, s := range shapes {
		if s.Name == name {
			return s, true
		}
	}
	return Shape{}, false
}

// Digest returns a stable identifier of the weights Generate makes for cfg
// and seed: "synth:sha256:" and the hex SHA-256 of the generator version,
// the configuration (as JSON) and the seed.
func Digest(cfg model.Config, seed uint64) string {
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // Config has only numbers, strings and booleans.
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\nseed=%d\n", GeneratorVersion, b, seed))
	return "synth:sha256:" + hex.EncodeToString(sum[:])
}

// Generate returns shape cfg's weights in memory as F32, generated from
// seed exactly as WriteGGUF writes them (row by row, each row from its own
// seed), so that an F32 GGUF file and Generate hold the same numbers. It is
// for tests and references; models are normally loaded from the files
// Ensure writes. pool generates rows in parallel.
func Generate(ctx context.Context, cfg model.Config, seed uint64, pool *tensor.Pool) (*model.Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := model.NewWeightsF32(cfg)
	ts, err := w.Tensors(cfg)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch {
		case t.Norm:
			for i := range t.Vector {
				t.Vector[i] = 1
			}
		case t.Bias:
			fill(t.Vector, rowSeed(seed, t.Name, 0), biasScale)
		default:
			data, cols, scale := t.Matrix.F32, t.Cols, scaleOf(t.Cols)
			pool.For(t.Rows, rowsPerBatch, func(_, lo, hi int) {
				for r := lo; r < hi; r++ {
					fill(data[r*cols:(r+1)*cols], rowSeed(seed, t.Name, r), scale)
				}
			})
		}
	}
	return w, nil
}

func fill(data []float32, state uint64, scale float32) {
	const twoNeg24 = 1.0 / (1 << 24)
	for i := 0; i < len(data); i += 2 {
		state += 0x9e3779b97f4a7c15
		z := mix(state)
		u := float32(z>>40) * twoNeg24 // [0, 1), exact in float32
		data[i] = (2*u - 1) * scale
		if i+1 < len(data) {
			v := float32(z>>16&(1<<24-1)) * twoNeg24
			data[i+1] = (2*v - 1) * scale
		}
	}
}

// mix is splitmix64's output function (Steele, Lea & Flood 2014,
// "Fast splittable pseudorandom number generators").
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
