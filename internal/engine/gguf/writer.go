package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Tensor is a tensor to write with Write: its info and all its data, which
// must be exactly the bytes its type and dimensions call for.
type Tensor struct {
	// Name is the tensor's name, 1 to MaxTensorNameLen bytes.
	Name string
	// Type is the storage type of the elements.
	Type tensor.DType
	// Dims are the dimensions, ne[0] (the contiguous one) first.
	Dims []uint64
	// Data holds the encoded elements.
	Data []byte
}

// Write writes a GGUF version 3 file holding kvs, in order, and tensors,
// in order, to w. It holds all the tensor data at once; to generate or
// copy tensors one at a time, use a Writer.
func Write(w io.Writer, kvs []KV, tensors []Tensor) error {
	gw := NewWriter(w)
	for _, kv := range kvs {
		if err := gw.AddKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	for _, t := range tensors {
		if err := gw.AddTensor(t.Name, t.Type, t.Dims); err != nil {
			return err
		}
	}
	for _, t := range tensors {
		if err := gw.WriteTensor(t.Data); err != nil {
			return err
		}
	}
	return gw.Close()
}

// Writer writes a GGUF version 3 file (docs/gguf.md) in one pass, without
// holding tensor data: first AddKV and AddTensor describe the file, then
// the tensors' data is written in the order they were added, with
// WriteTensor (one whole tensor per call) or Write (any pieces), and Close
// finishes. The header is written by WriteHeader, or by the first data
// write or Close if WriteHeader was not called. The Writer inserts the
// alignment padding after the header and after every tensor, so the
// file's length is a multiple of the alignment.
//
// The alignment is DefaultAlignment, or the value of an AlignmentKey added
// with AddKV (a UINT32 power of two).
//
// After an error from writing to the underlying io.Writer, every method
// returns that error. A Writer is not safe for concurrent use.
type Writer struct {
	w      *bufio.Writer
	kvs    []KV
	keys   map[string]struct{}
	infos  []TensorInfo
	names  map[string]struct{}
	align  uint64
	state  int
	off    int64 // bytes written to w so far
	next   int   // the tensor whose data is being written
	filled int64 // bytes of tensor next written so far
	err    error // the first write error
	zeros  [512]byte
	buf    [8]byte // scratch for encoding numbers
}

// Writer states.
const (
	describing = iota // AddKV and AddTensor
	writing           // header written, tensor data being written
	closed
)

var _ io.Writer = (*Writer)(nil)

// ErrWriterState is wrapped by the errors of Writer methods called out of
// order, such as AddKV after the header was written.
var ErrWriterState = errors.New("gguf writer used out of order")

// NewWriter returns a Writer that writes to w. Close flushes its buffer but
// does not close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{
		w:     bufio.NewWriterSize(w, 1<<16),
		keys:  map[string]struct{}{},
		names: map[string]struct{}{},
		align: DefaultAlignment,
	}
}

// AddKV adds the metadata pair key=v. Keys are 1 to MaxKeyLen bytes and
// unique; v must be a valid Value with arrays nested at most MaxArrayDepth
// deep. Adding AlignmentKey sets the alignment.
func (w *Writer) AddKV(key string, v Value) error {
	if w.state != describing {
		return fmt.Errorf("gguf: add key %q: %w: the header is written", key, ErrWriterState)
	}
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("gguf: add key %q: length %d, want 1 to %d", key, len(key), MaxKeyLen)
	}
	if _, dup := w.keys[key]; dup {
		return fmt.Errorf("gguf: add key %q: duplicate key", key)
	}
	if err := checkValue(v, 0); err != nil {
		return fmt.Errorf("gguf: add key %q: %w", key, err)
	}
	if key == AlignmentKey {
		if v.Type() != TypeUint32 {
			return fmt.Errorf("gguf: add key %q: alignment is %s, want UINT32", key, v.describe())
		}
		if a := v.num; a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: add key %q: alignment %d is not a power of two", key, a)
		}
		w.align = v.num
	}
	w.keys[key] = struct{}{}
	w.kvs = append(w.kvs, KV{Key: key, Value: v})
	return nil
}

// checkValue checks that v can be encoded inside depth enclosing arrays.
func checkValue(v Value, depth int) error {
	if !v.set || !v.typ.Valid() {
		return errors.New("invalid Value (the zero Value?)")
	}
	if v.typ != TypeArray {
		return nil
	}
	if depth+1 > MaxArrayDepth {
		return fmt.Errorf("arrays nested more than %d deep", MaxArrayDepth)
	}
	elems, ok := v.arr.([]Value)
	if !ok {
		return nil
	}
	for i, e := range elems {
		if !e.set || e.typ != TypeArray {
			return fmt.Errorf("element %d of an array of arrays is %s", i, e.describe())
		}
		if err := checkValue(e, depth+1); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// AddTensor adds a tensor's info: its name (1 to MaxTensorNameLen bytes,
// unique), storage type (one that tensor.DType knows) and 1 to MaxDims
// dimensions, ne[0] first, whose rows are whole blocks of typ. Its data is
// written later, in the order the tensors were added.
func (w *Writer) AddTensor(name string, typ tensor.DType, dims []uint64) error {
	if w.state != describing {
		return fmt.Errorf("gguf: add tensor %q: %w: the header is written", name, ErrWriterState)
	}
	if name == "" || len(name) > MaxTensorNameLen {
		return fmt.Errorf("gguf: add tensor %q: name of %d bytes, want 1 to %d", name, len(name), MaxTensorNameLen)
	}
	if _, dup := w.names[name]; dup {
		return fmt.Errorf("gguf: add tensor %q: duplicate name", name)
	}
	size, err := tensorSize(dims, typ)
	if err != nil {
		return fmt.Errorf("gguf: add tensor %q: %w", name, err)
	}
	w.names[name] = struct{}{}
	w.infos = append(w.infos, TensorInfo{Name: name, Dims: slices.Clone(dims), Type: typ, Size: size})
	return nil
}

// WriteHeader writes the header, metadata and tensor infos and the padding
// that ends them; after it, only tensor data may be written.
func (w *Writer) WriteHeader() error {
	if w.err != nil {
		return w.err
	}
	if w.state != describing {
		return fmt.Errorf("gguf: write header: %w: already written", ErrWriterState)
	}
	// Place the tensors one after the other, each at a multiple of the
	// alignment.
	var off uint64
	for i := range w.infos {
		w.infos[i].Offset = off
		off += padded(uint64(w.infos[i].Size), w.align)
		if off > math.MaxInt64 {
			return fmt.Errorf("gguf: write header: tensor data beyond tensor %q exceeds %d bytes",
				w.infos[i].Name, int64(math.MaxInt64))
		}
	}
	w.state = writing
	w.u32(Magic)
	w.u32(Version)
	w.u64(uint64(len(w.infos)))
	w.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		w.str(kv.Key)
		w.u32(uint32(kv.Value.typ))
		w.value(kv.Value)
	}
	for _, t := range w.infos {
		w.str(t.Name)
		w.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.u64(d)
		}
		w.u32(uint32(t.Type))
		w.u64(t.Offset)
	}
	w.pad()
	w.kvs = nil // the Writer no longer needs the metadata
	return w.err
}

// padded rounds n up to a multiple of align, a power of two.
func padded(n, align uint64) uint64 { return (n + align - 1) &^ (align - 1) }

// Write writes the next len(p) bytes of tensor data: the rest of the
// current tensor, then the next tensors in the order they were added, with
// the padding between them inserted. Writing past the last tensor is an
// error. Write makes the Writer an io.Writer, for io.Copy from a tensor's
// source.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.startData(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if w.next >= len(w.infos) {
			return n, fmt.Errorf("gguf: write tensor data: %d bytes past the last tensor", len(p))
		}
		t := w.infos[w.next]
		k := int(min(int64(len(p)), t.Size-w.filled))
		w.write(p[:k])
		if w.err != nil {
			return n, w.err
		}
		n += k
		p = p[k:]
		w.filled += int64(k)
		if w.filled == t.Size {
			w.pad()
			w.next++
			w.filled = 0
		}
	}
	return n, w.err
}

// WriteTensor writes the data of the next tensor, all of it: len(data) must
// be the tensor's size.
func (w *Writer) WriteTensor(data []byte) error {
	if err := w.startData(); err != nil {
		return err
	}
	if w.next >= len(w.infos) {
		return fmt.Errorf("gguf: write tensor: all %d tensors are written", len(w.infos))
	}
	t := w.infos[w.next]
	if w.filled != 0 {
		return fmt.Errorf("gguf: write tensor %q: %w: %d of its bytes were written by Write", t.Name, ErrWriterState, w.filled)
	}
	if int64(len(data)) != t.Size {
		return fmt.Errorf("gguf: write tensor %q: %d bytes, want %d for %s %v", t.Name, len(data), t.Size, t.Type, t.Dims)
	}
	_, err := w.Write(data)
	return err
}

// startData writes the header if it is not written yet.
func (w *Writer) startData() error {
	if w.err != nil {
		return w.err
	}
	switch w.state {
	case describing:
		return w.WriteHeader()
	case closed:
		return fmt.Errorf("gguf: write tensor data: %w: the writer is closed", ErrWriterState)
	}
	return nil
}

// Close writes the header if it was not written, checks that the data of
// every tensor was, and flushes the Writer's buffer. It does not close the
// underlying io.Writer. Calling it again returns nil.
func (w *Writer) Close() error {
	if w.state == closed {
		return nil
	}
	err := w.startData()
	w.state = closed
	if err != nil {
		return err
	}
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.err
	}
	if w.next < len(w.infos) {
		t := w.infos[w.next]
		return fmt.Errorf("gguf: close: tensor %q has %d of its %d bytes; %d tensors unwritten",
			t.Name, w.filled, t.Size, len(w.infos)-w.next)
	}
	return nil
}

// The encoders below record the first error and then do nothing.

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(p)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("gguf: write: %w", err)
	}
}

func (w *Writer) u8(v uint8) {
	w.buf[0] = v
	w.write(w.buf[:1])
}

func (w *Writer) u16(v uint16) {
	binary.LittleEndian.PutUint16(w.buf[:], v)
	w.write(w.buf[:2])
}

func (w *Writer) u32(v uint32) {
	binary.LittleEndian.PutUint32(w.buf[:], v)
	w.write(w.buf[:4])
}

func (w *Writer) u64(v uint64) {
	binary.LittleEndian.PutUint64(w.buf[:], v)
	w.write(w.buf[:8])
}

func (w *Writer) str(s string) {
	w.u64(uint64(len(s)))
	if w.err == nil {
		n, err := w.w.WriteString(s)
		w.off += int64(n)
		if err != nil {
			w.err = fmt.Errorf("gguf: write: %w", err)
		}
	}
}

// pad writes zeros up to the next multiple of the alignment.
func (w *Writer) pad() {
	for n := padded(uint64(w.off), w.align) - uint64(w.off); n > 0 && w.err == nil; {
		k := min(n, uint64(len(w.zeros)))
		w.write(w.zeros[:k])
		n -= k
	}
}

// value writes v's encoding, without its type.
func (w *Writer) value(v Value) {
	switch v.typ {
	case TypeString:
		w.str(v.str)
	case TypeArray:
		w.u32(uint32(v.elem))
		w.u64(uint64(v.Len()))
		w.array(v.arr)
	default:
		w.scalar(v.typ.size(), v.num)
	}
}

// scalar writes the low size bytes of a number's bits.
func (w *Writer) scalar(size int, num uint64) {
	switch size {
	case 1:
		w.u8(uint8(num))
	case 2:
		w.u16(uint16(num))
	case 4:
		w.u32(uint32(num))
	default:
		w.u64(num)
	}
}

func (w *Writer) array(arr any) {
	switch a := arr.(type) {
	case []uint8:
		w.write(a)
	case []int8:
		for _, x := range a {
			w.u8(uint8(x))
		}
	case []bool:
		for _, x := range a {
			if x {
				w.u8(1)
			} else {
				w.u8(0)
			}
		}
	case []uint16:
		for _, x := range a {
			w.u16(x)
		}
	case []int16:
		for _, x := range a {
			w.u16(uint16(x))
		}
	case []uint32:
		for _, x := range a {
			w.u32(x)
		}
	case []int32:
		for _, x := range a {
			w.u32(uint32(x))
		}
	case []float32:
		for _, x := range a {
			w.u32(math.Float32bits(x))
		}
	case []uint64:
		for _, x := range a {
			w.u64(x)
		}
	case []int64:
		for _, x := range a {
			w.u64(uint64(x))
		}
	case []float64:
		for _, x := range a {
			w.u64(math.Float64bits(x))
		}
	case []string:
		for _, s := range a {
			w.str(s)
		}
	case []Value:
		for _, e := range a {
			w.value(e)
		}
	}
}
