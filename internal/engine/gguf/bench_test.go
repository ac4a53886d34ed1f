package gguf

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// writeVocabModel writes a file shaped like a real model's header: a
// vocabulary of nVocab tokens (strings of 4 to 7 bytes, with scores and
// token types), a merges list of the same length, and nTensors small
// tensors, generated one at a time.
func writeVocabModel(tb testing.TB, path string, nVocab, nTensors int) {
	tb.Helper()
	fd, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fd.Close()
	tokens := make([]string, nVocab)
	merges := make([]string, nVocab)
	scores := make([]float32, nVocab)
	types := make([]int32, nVocab)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("ĠT%x", i)
		merges[i] = fmt.Sprintf("m%d n%d", i%997, i)
		scores[i] = -float32(i)
		types[i] = 1
	}
	bw := bufio.NewWriter(fd)
	w := NewWriter(bw)
	for _, kv := range []KV{
		{"general.architecture", String("qwen3")},
		{"qwen3.context_length", Uint32(40960)},
		{"qwen3.embedding_length", Uint32(1024)},
		{"qwen3.rope.freq_base", Float32(1e6)},
		{"tokenizer.ggml.model", String("gpt2")},
		{"tokenizer.ggml.tokens", Array(tokens)},
		{"tokenizer.ggml.scores", Array(scores)},
		{"tokenizer.ggml.token_type", Array(types)},
		{"tokenizer.ggml.merges", Array(merges)},
	} {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range nTensors {
		if err := w.AddTensor(fmt.Sprintf("blk.%d.attn_q.weight", i), tensor.Q8_0, []uint64{256, 4}); err != nil {
			tb.Fatal(err)
		}
	}
	data := make([]byte, 32*34) // 1024 Q8_0 elements
	for range nTensors {
		if err := w.WriteTensor(data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkOpen opens and closes a file with a 151,936-token vocabulary
// (Qwen3's size), as many merges, and 300 tensors.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vocab.gguf")
	writeVocabModel(b, path, 151936, 300)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := f.ArrayLen("tokenizer.ggml.tokens"); n != 151936 || len(f.Tensors) != 300 {
			b.Fatalf("%d tokens, %d tensors", n, len(f.Tensors))
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
