package gguf

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// a *FormatError, and that whatever it accepts the Writer writes again and
// Parse reads back to the same metadata, tensor infos and data. It is
// seeded with files the Writer makes and with the malformed files of
// TestParseBadFiles.
func FuzzParse(f *testing.F) {
	f.Add(mustWrite(sampleKVs(), sampleTensors()))
	f.Add(mustWrite(append(sampleKVs(), KV{AlignmentKey, Uint32(8)}), sampleTensors()[:2]))
	f.Add(mustWrite([]KV{{"a", Array([]Value{Array([]bool{true})})}}, nil))
	f.Add(mustWrite(nil, []Tensor{{Name: "q", Type: tensor.Q4_0, Dims: []uint64{32, 1, 1}, Data: make([]byte, 18)}}))
	f.Add(header(2, 0, 0).b)
	for _, c := range badFiles() {
		f.Add(c.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Parse(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			return
		}
		if len(g.Tensors) == 0 && g.DataOffset > int64(len(b)) && g.Alignment > 1<<16 {
			// A file without tensors need not end with the padding
			// (TestParseLenient), but the Writer writes it, and a
			// hostile alignment of up to 2^31 bytes would make the
			// re-written file that large.
			return
		}
		tensors := make([]Tensor, len(g.Tensors))
		for i, ti := range g.Tensors {
			d := g.Data(ti)
			if int64(len(d)) != ti.Size {
				t.Fatalf("tensor %q: Data has %d bytes, Size is %d", ti.Name, len(d), ti.Size)
			}
			tensors[i] = Tensor{Name: ti.Name, Type: ti.Type, Dims: ti.Dims, Data: d}
		}
		var buf bytes.Buffer
		if err := Write(&buf, g.Metadata, tensors); err != nil {
			t.Fatalf("re-writing a parsed file: %v", err)
		}
		g2, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("parsing a re-written file: %v", err)
		}
		if diff := cmp.Diff(g.Metadata, g2.Metadata); diff != "" {
			t.Fatalf("metadata changed (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(wantTensors(tensors), tensorsOf(g2)); diff != "" {
			t.Fatalf("tensors changed (-first +second):\n%s", diff)
		}
		if g.Alignment != g2.Alignment {
			t.Fatalf("alignment %d became %d", g.Alignment, g2.Alignment)
		}
	})
}
