package gguf

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// TestWriterStreaming writes the sample tensors' data in odd-sized pieces
// with Write, and through io.Copy, and expects the bytes that Write (the
// one-call form) produces.
func TestWriterStreaming(t *testing.T) {
	want := writeFile(t, sampleKVs(), sampleTensors())
	var all []byte
	for _, ts := range sampleTensors() {
		all = append(all, ts.Data...)
	}
	newWriter := func(out io.Writer) *Writer {
		w := NewWriter(out)
		for _, kv := range sampleKVs() {
			if err := w.AddKV(kv.Key, kv.Value); err != nil {
				t.Fatal(err)
			}
		}
		for _, ts := range sampleTensors() {
			if err := w.AddTensor(ts.Name, ts.Type, ts.Dims); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	for _, piece := range []int{1, 7, 100, len(all)} {
		var buf bytes.Buffer
		w := newWriter(&buf)
		for p := all; len(p) > 0; {
			k := min(piece, len(p))
			if n, err := w.Write(p[:k]); n != k || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", k, n, err)
			}
			p = p[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("pieces of %d bytes: output differs from Write's", piece)
		}
	}
	t.Run("io.Copy", func(t *testing.T) {
		var buf bytes.Buffer
		w := newWriter(&buf)
		if err := w.WriteHeader(); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, iotest.OneByteReader(bytes.NewReader(all))); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("output differs from Write's")
		}
	})
}

func TestWriterErrors(t *testing.T) {
	deep := Array([]uint8{})
	for range MaxArrayDepth - 1 {
		deep = Array([]Value{deep})
	}
	for _, tc := range []struct {
		name string
		run  func(w *Writer) error
		want string
		is   error
	}{
		{"empty key", func(w *Writer) error { return w.AddKV("", Uint8(1)) }, "length 0, want 1 to 65535", nil},
		{"key too long", func(w *Writer) error { return w.AddKV(strings.Repeat("k", MaxKeyLen+1), Uint8(1)) },
			"length 65536", nil},
		{"duplicate key", func(w *Writer) error {
			_ = w.AddKV("a", Uint8(1))
			return w.AddKV("a", Uint8(2))
		}, `add key "a": duplicate key`, nil},
		{"zero Value", func(w *Writer) error { return w.AddKV("a", Value{}) }, "invalid Value", nil},
		{"array of arrays holding a scalar", func(w *Writer) error {
			return w.AddKV("a", Array([]Value{Array([]int8{1}), Uint8(1)}))
		}, "element 1 of an array of arrays is UINT8", nil},
		{"arrays nested too deep", func(w *Writer) error { return w.AddKV("a", Array([]Value{deep})) },
			"arrays nested more than 4 deep", nil},
		{"alignment not UINT32", func(w *Writer) error { return w.AddKV(AlignmentKey, Uint64(32)) },
			"alignment is UINT64, want UINT32", nil},
		{"alignment not a power of two", func(w *Writer) error { return w.AddKV(AlignmentKey, Uint32(24)) },
			"alignment 24 is not a power of two", nil},
		{"key after the header", func(w *Writer) error {
			_ = w.WriteHeader()
			return w.AddKV("a", Uint8(1))
		}, "the header is written", ErrWriterState},
		{"tensor after the header", func(w *Writer) error {
			_ = w.WriteHeader()
			return w.AddTensor("t", tensor.F32, []uint64{1})
		}, "the header is written", ErrWriterState},
		{"header twice", func(w *Writer) error {
			_ = w.WriteHeader()
			return w.WriteHeader()
		}, "already written", ErrWriterState},
		{"empty tensor name", func(w *Writer) error { return w.AddTensor("", tensor.F32, []uint64{1}) },
			"name of 0 bytes", nil},
		{"tensor name too long", func(w *Writer) error { return w.AddTensor(strings.Repeat("n", 65), tensor.F32, []uint64{1}) },
			"name of 65 bytes, want 1 to 64", nil},
		{"duplicate tensor", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{1})
			return w.AddTensor("t", tensor.F32, []uint64{1})
		}, `add tensor "t": duplicate name`, nil},
		{"unknown tensor type", func(w *Writer) error { return w.AddTensor("t", 99, []uint64{1}) },
			"unknown tensor type 99", nil},
		{"no dimensions", func(w *Writer) error { return w.AddTensor("t", tensor.F32, nil) }, "0 dimensions", nil},
		{"partial block", func(w *Writer) error { return w.AddTensor("t", tensor.Q4_K, []uint64{128}) },
			"row of 128 elements is not a whole number of Q4_K blocks of 256", nil},
		{"data section too large", func(w *Writer) error {
			_ = w.AddTensor("a", tensor.F32, []uint64{1 << 60})
			_ = w.AddTensor("b", tensor.F32, []uint64{1 << 60})
			return w.WriteHeader()
		}, `tensor data beyond tensor "b" exceeds`, nil},
		{"tensor of the wrong size", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{2})
			return w.WriteTensor(make([]byte, 7))
		}, `write tensor "t": 7 bytes, want 8 for F32 [2]`, nil},
		{"one tensor too many", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{1})
			_ = w.WriteTensor(make([]byte, 4))
			return w.WriteTensor(make([]byte, 4))
		}, "all 1 tensors are written", nil},
		{"WriteTensor after a partial Write", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{2})
			_, _ = w.Write(make([]byte, 3))
			return w.WriteTensor(make([]byte, 8))
		}, "3 of its bytes were written by Write", ErrWriterState},
		{"Write past the last tensor", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{1})
			_, err := w.Write(make([]byte, 6))
			return err
		}, "2 bytes past the last tensor", nil},
		{"Close with tensors unwritten", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []uint64{2})
			_ = w.AddTensor("u", tensor.F32, []uint64{2})
			_, _ = w.Write(make([]byte, 5))
			return w.Close()
		}, `close: tensor "t" has 5 of its 8 bytes; 2 tensors unwritten`, nil},
		{"Write after Close", func(w *Writer) error {
			_ = w.Close()
			_, err := w.Write([]byte{1})
			return err
		}, "the writer is closed", ErrWriterState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(NewWriter(io.Discard))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
		})
	}
}

// TestWriterNestingLimit checks that the deepest nesting the writer
// accepts parses back.
func TestWriterNestingLimit(t *testing.T) {
	deep := Array([]string{"leaf"})
	for range MaxArrayDepth - 1 {
		deep = Array([]Value{deep})
	}
	kvs := []KV{{"deep", deep}}
	f, err := Parse(writeFile(t, kvs, nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kvs, f.Metadata); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriterSticksToWriteError(t *testing.T) {
	w := NewWriter(&failWriter{n: 100})
	if err := w.AddTensor("t", tensor.F32, []uint64{1 << 16}); err != nil {
		t.Fatal(err)
	}
	// The header fits in the buffer; the data does not fit the writer.
	err := w.WriteTensor(make([]byte, 1<<18))
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("WriteTensor: got %v, want %v", err, errDiskFull)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, errDiskFull) {
		t.Errorf("Write after failure: %v", err)
	}
	if err := w.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close after failure: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// sparseFile writes all-zero chunks by seeking, so that a file of several
// gigabytes of zeros takes no disk space.
type sparseFile struct {
	f    *os.File
	pos  int64
	zero []byte
}

func (s *sparseFile) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), len(s.zero))
		var err error
		if bytes.Equal(p[:k], s.zero[:k]) {
			_, err = s.f.Seek(int64(k), io.SeekCurrent)
		} else {
			_, err = s.f.Write(p[:k])
		}
		if err != nil {
			return n - len(p), err
		}
		s.pos += int64(k)
		p = p[k:]
	}
	return n, nil
}

// TestWriteLargeSparse streams a file of more than 4 GiB, one tensor at a
// time in 1 MiB pieces that are generated and dropped, and maps it back:
// offsets past 2^32 survive, and the writer never holds the data.
func TestWriteLargeSparse(t *testing.T) {
	if testing.Short() || math.MaxInt == math.MaxInt32 || (runtime.GOOS != "linux" && runtime.GOOS != "darwin") {
		// Elsewhere the file may not be sparse, or Open reads it into
		// memory.
		t.Skip("writes and maps a 4 GiB sparse file")
	}
	path := filepath.Join(t.TempDir(), "large.gguf")
	fd, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	out := &sparseFile{f: fd, zero: make([]byte, 1<<20)}
	w := NewWriter(out)
	const big int64 = 1<<30 + 8 // F32 elements: 4 GiB + 32 bytes
	if err := w.AddKV("general.architecture", String("test")); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("big", tensor.F32, []uint64{uint64(big)}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("tail", tensor.F32, []uint64{4}); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for left := 4 * big; left > 0; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteTensor(filled(16, 3)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fd.Truncate(out.pos); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tail, _ := f.Tensor("tail")
	if tail.Offset != uint64(4*big) || !bytes.Equal(f.Data(tail), filled(16, 3)) {
		t.Errorf("tail at data offset %d holds %x", tail.Offset, f.Data(tail))
	}
	b, _ := f.Tensor("big")
	if d := f.Data(b); int64(len(d)) != 4*big || d[len(d)-1] != 0 {
		t.Errorf("big tensor has %d bytes", len(d))
	}
}
