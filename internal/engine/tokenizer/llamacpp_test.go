package tokenizer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// vocabDir names a directory holding llama.cpp's tokenizer test vocabularies
// (models/ggml-vocab-NAME.gguf with .gguf.inp and .gguf.out, from
// github.com/ggml-org/llama.cpp): the inputs and the ids Hugging Face's
// tokenizer gives for them (tests/test-tokenizer-0.py writes the .out
// files). The files are not in this repository; the test is skipped
// without the flag:
//
//	go test ./internal/engine/tokenizer -run LlamaCpp -args -vocabdir=/path/to/llama.cpp/models
var vocabDir = flag.String("vocabdir", "", "directory with llama.cpp's ggml-vocab-*.gguf test vocabularies")

// TestLlamaCppVocabs encodes llama.cpp's tokenizer test inputs with real
// vocabularies and compares the ids with Hugging Face's, which llama.cpp
// recorded in the .out files.
func TestLlamaCppVocabs(t *testing.T) {
	if *vocabDir == "" {
		t.Skip("no -vocabdir: real vocabularies not available")
	}
	for _, name := range []string{"llama-spm", "gpt-2", "phi-3", "llama-bpe", "qwen2"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(*vocabDir, "ggml-vocab-"+name+".gguf")
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				t.Skipf("%s not present", path)
			}
			v, err := readGGUFVocab(path)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := New(v)
			if err != nil {
				t.Fatal(err)
			}
			inp, err := os.ReadFile(path + ".inp")
			if err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(path + ".out")
			if err != nil {
				t.Fatal(err)
			}
			inputs := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
			inputs = inputs[:len(inputs)-1] // the file ends with the separator
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(inputs) != len(lines) {
				t.Fatalf("%d inputs, %d outputs", len(inputs), len(lines))
			}
			failed := 0
			for i, text := range inputs {
				var want []int
				for _, f := range strings.Fields(lines[i]) {
					id, err := strconv.Atoi(f)
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, id)
				}
				got := tok.Encode(text)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					failed++
					t.Errorf("%s: Encode(%q) (-want +got):\n%s", name, text, diff)
				}
				if v.Model == "gpt2" && tok.Decode(got) != text {
					t.Errorf("%s: Decode(Encode(%q)) = %q", name, text, tok.Decode(got))
				}
			}
			t.Logf("%s: %d of %d inputs match Hugging Face's ids", name, len(inputs)-failed, len(inputs))
		})
	}
}

// readGGUFVocab reads the tokenizer.ggml.* keys of a GGUF file (format:
// github.com/ggml-org/ggml docs/gguf.md): just enough of a reader for the
// test, independent of the engine's gguf package.
func readGGUFVocab(path string) (Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return Vocab{}, err
	}
	defer f.Close()
	r := &ggufReader{r: bufio.NewReader(f)}
	var magic [4]byte
	r.read(&magic)
	if string(magic[:]) != "GGUF" {
		return Vocab{}, fmt.Errorf("%s: not a GGUF file", path)
	}
	version := r.u32()
	if version < 2 {
		return Vocab{}, fmt.Errorf("%s: GGUF version %d", path, version)
	}
	r.u64() // tensor count
	nkv := r.u64()
	v := Vocab{BOS: -1, EOS: -1, EOT: -1, UNK: -1, PAD: -1}
	addSpace := -1
	for range nkv {
		key := r.str()
		val := r.value(r.u32())
		if r.err != nil {
			return Vocab{}, fmt.Errorf("%s: %w", path, r.err)
		}
		switch key {
		case "tokenizer.ggml.model":
			v.Model = val.(string)
		case "tokenizer.ggml.pre":
			v.Pre = val.(string)
		case "tokenizer.ggml.tokens":
			for _, s := range val.([]any) {
				v.Tokens = append(v.Tokens, s.(string))
			}
		case "tokenizer.ggml.merges":
			for _, s := range val.([]any) {
				v.Merges = append(v.Merges, s.(string))
			}
		case "tokenizer.ggml.scores":
			for _, s := range val.([]any) {
				v.Scores = append(v.Scores, s.(float32))
			}
		case "tokenizer.ggml.token_type":
			for _, s := range val.([]any) {
				v.Types = append(v.Types, s.(int32))
			}
		case "tokenizer.ggml.bos_token_id":
			v.BOS = int(val.(uint32))
		case "tokenizer.ggml.eos_token_id":
			v.EOS = int(val.(uint32))
		case "tokenizer.ggml.eot_token_id":
			v.EOT = int(val.(uint32))
		case "tokenizer.ggml.unknown_token_id":
			v.UNK = int(val.(uint32))
		case "tokenizer.ggml.padding_token_id":
			v.PAD = int(val.(uint32))
		case "tokenizer.ggml.add_bos_token":
			v.AddBOS = val.(bool)
		case "tokenizer.ggml.add_eos_token":
			v.AddEOS = val.(bool)
		case "tokenizer.ggml.add_space_prefix":
			if val.(bool) {
				addSpace = 1
			} else {
				addSpace = 0
			}
		}
	}
	// llama.cpp's default: true for SentencePiece when the key is absent.
	v.AddSpacePrefix = addSpace == 1 || (addSpace < 0 && v.Model == "llama")
	return v, nil
}

type ggufReader struct {
	r   io.Reader
	err error
}

func (g *ggufReader) read(p any) {
	if g.err == nil {
		g.err = binary.Read(g.r, binary.LittleEndian, p)
	}
}

func (g *ggufReader) u32() uint32 { var x uint32; g.read(&x); return x }
func (g *ggufReader) u64() uint64 { var x uint64; g.read(&x); return x }

func (g *ggufReader) str() string {
	n := g.u64()
	if g.err != nil || n > 1<<24 {
		if g.err == nil {
			g.err = fmt.Errorf("string of %d bytes", n)
		}
		return ""
	}
	b := make([]byte, n)
	if g.err == nil {
		_, g.err = io.ReadFull(g.r, b)
	}
	return string(b)
}

func (g *ggufReader) value(typ uint32) any {
	switch typ {
	case 0:
		var x uint8
		g.read(&x)
		return x
	case 1:
		var x int8
		g.read(&x)
		return x
	case 2:
		var x uint16
		g.read(&x)
		return x
	case 3:
		var x int16
		g.read(&x)
		return x
	case 4:
		return g.u32()
	case 5:
		var x int32
		g.read(&x)
		return x
	case 6:
		return math.Float32frombits(g.u32())
	case 7:
		var x uint8
		g.read(&x)
		return x != 0
	case 8:
		return g.str()
	case 9:
		et := g.u32()
		n := g.u64()
		if n > 1<<24 {
			g.err = fmt.Errorf("array of %d elements", n)
			return nil
		}
		out := make([]any, 0, n)
		for range n {
			if g.err != nil {
				return nil
			}
			out = append(out, g.value(et))
		}
		return out
	case 10:
		return g.u64()
	case 11:
		var x int64
		g.read(&x)
		return x
	case 12:
		var x float64
		g.read(&x)
		return x
	}
	g.err = fmt.Errorf("unknown GGUF value type %d", typ)
	return nil
}
