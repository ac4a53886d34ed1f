package gguf

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// Format constants from ggml's docs/gguf.md.
const (
	// Magic is the first four bytes of a GGUF file, "GGUF", read as a
	// little-endian uint32.
	Magic uint32 = 0x46554747
	// Version is the format version the Writer writes. Parse also accepts
	// version 2, whose layout is the same.
	Version uint32 = 3
	// DefaultAlignment is the alignment of the tensor data, in bytes, when
	// a file has no AlignmentKey.
	DefaultAlignment = 32
	// AlignmentKey is the metadata key (a UINT32) that sets the alignment
	// of the data section and of every tensor's offset in it.
	AlignmentKey = "general.alignment"
	// MaxDims is the most dimensions a tensor may have (GGML_MAX_DIMS).
	MaxDims = 4
	// MaxTensorNameLen is the longest tensor name allowed, in bytes.
	MaxTensorNameLen = 64
	// MaxKeyLen is the longest metadata key allowed, in bytes.
	MaxKeyLen = 1<<16 - 1
	// MaxArrayDepth is how deeply arrays may nest: an array of arrays has
	// depth 2. The format sets no limit; this reader does, so that a
	// hostile file cannot recurse without bound.
	MaxArrayDepth = 4
)

// Smallest encodings, used to reject counts that the remaining bytes could
// not possibly hold before anything is allocated for them.
const (
	// A key of at least one byte, its length, the value type and the
	// smallest value (one byte).
	minKVSize = 8 + 1 + 4 + 1
	// A name of at least one byte, its length, n_dims, one dimension, the
	// type and the offset.
	minTensorInfoSize = 8 + 1 + 4 + 8 + 4 + 8
)

// Errors that a FormatError wraps, for errors.Is. Every error Parse returns
// is a *FormatError, and matches ErrFormat.
var (
	// ErrFormat matches every error about a malformed file.
	ErrFormat = errors.New("malformed gguf file")
	// ErrNotGGUF means the file does not start with Magic.
	ErrNotGGUF = errors.New("not a gguf file")
	// ErrVersion means the file's version is not 2 or 3, or it is
	// big-endian.
	ErrVersion = errors.New("unsupported gguf version")
	// ErrTruncated means the file ends before the data it declares: a
	// string, an array, a tensor info or tensor data runs past the end.
	ErrTruncated = errors.New("truncated")
)

// FormatError reports a malformed file: what is wrong, the byte offset in
// the file where it was found, and the metadata key or tensor being read.
type FormatError struct {
	// Offset is the byte offset from the start of the file of the field
	// that is wrong.
	Offset int64
	// Where names what was being read: "header", `key "general.name"`,
	// `tensor "blk.0.attn_q.weight"`, or a position such as "key 3" when
	// the name itself could not be read.
	Where string
	// Err says what is wrong; it may wrap ErrNotGGUF, ErrVersion or
	// ErrTruncated.
	Err error
}

// Error returns "gguf: WHERE at offset N: WHAT".
func (e *FormatError) Error() string {
	return "gguf: " + e.Where + " at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *FormatError) Unwrap() error { return e.Err }

// Is reports whether target is ErrFormat, which every FormatError matches.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// KV is one metadata key-value pair.
type KV struct {
	// Key is a dot-separated name such as "llama.context_length".
	Key string
	// Value is the value stored under Key.
	Value Value
}

// TensorInfo describes one tensor of a file (docs/gguf.md,
// gguf_tensor_info_t).
type TensorInfo struct {
	// Name is the tensor's name, at most MaxTensorNameLen bytes.
	Name string
	// Dims are the tensor's dimensions, ne[0] first: Dims[0] is the
	// contiguous dimension (a matrix's number of columns).
	Dims []uint64
	// Type is the storage type of the elements.
	Type tensor.DType
	// Offset is the position of the tensor's data in bytes from the start
	// of the data section (not of the file); it is a multiple of the
	// file's alignment.
	Offset uint64
	// Size is the number of bytes of the tensor's data: the bytes of
	// Elements() elements of Type.
	Size int64
}

// Elements returns the number of elements, the product of Dims. For a
// TensorInfo that Parse returned, it is at least 1 and fits in an int64.
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= int64(d)
	}
	return n
}

// tensorSize checks a tensor's dimensions and type the way docs/gguf.md
// and ggml require, and returns the tensor's size in bytes.
func tensorSize(dims []uint64, typ tensor.DType) (int64, error) {
	if len(dims) == 0 || len(dims) > MaxDims {
		return 0, fmt.Errorf("%d dimensions, want 1 to %d", len(dims), MaxDims)
	}
	if !typ.Known() {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(typ))
	}
	n := uint64(1)
	for i, d := range dims {
		if d == 0 {
			return 0, fmt.Errorf("dimension %d is zero", i)
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("element count of dimensions %v overflows int64", dims)
		}
		n = lo
	}
	// A block never straddles two rows, so each row (ne[0] elements) must
	// be whole blocks; then so is the total.
	if int64(dims[0])%int64(typ.BlockSize()) != 0 {
		return 0, fmt.Errorf("row of %d elements is not a whole number of %s blocks of %d",
			dims[0], typ, typ.BlockSize())
	}
	blocks := int64(n) / int64(typ.BlockSize())
	if blocks > math.MaxInt64/int64(typ.TypeSize()) {
		return 0, fmt.Errorf("size of %d %s elements overflows int64", n, typ)
	}
	size, _ := typ.RowBytes(int64(n))
	return size, nil
}

// File is a parsed GGUF file: its header, metadata and tensor infos, and
// the bytes its tensor data lies in (docs/gguf.md, gguf_file_t).
//
// The exported fields must not be modified: Value and Tensor look entries
// up in indexes that Parse builds. A File is safe for concurrent use by
// several goroutines, except that Close must not run concurrently with
// anything else, nor before the last use of a slice from Data.
type File struct {
	// Version is the file's format version, 2 or 3.
	Version uint32
	// Metadata holds the key-value pairs in file order.
	Metadata []KV
	// Tensors holds the tensor infos in file order.
	Tensors []TensorInfo
	// Alignment is the alignment of the data section and of every tensor
	// offset, in bytes: the AlignmentKey value, or DefaultAlignment.
	Alignment uint64
	// DataOffset is the position of the data section from the start of the
	// file, in bytes: the end of the tensor infos rounded up to Alignment.
	DataOffset int64

	data    []byte
	release func([]byte) error
	keys    map[string]int
	names   map[string]int
}

// Parse parses a GGUF file held in b. Tensor data is not copied: the File
// refers to b, which must not be modified while the File is in use.
// Metadata is copied and stays valid after b is gone.
//
// A malformed file gives a *FormatError naming the offset and the key or
// tensor at fault. Parse does not panic on any input, and allocates at most
// a small multiple of len(b).
func Parse(b []byte) (*File, error) {
	d := &decoder{b: b, what: "header", index: -1}
	return d.file()
}

// decoder reads a GGUF file from b, keeping its position and what it is
// reading for error messages.
type decoder struct {
	b   []byte
	off int
	// What is being read, formatted only for an error: what alone
	// ("header"), what and index ("key 3"), or what and name
	// (`tensor "output.weight"`).
	what  string
	index int
	name  string
	// alignOff is the offset of the AlignmentKey's value, if any.
	alignOff int
}

// at records what is being read.
func (d *decoder) at(what string, index int, name string) {
	d.what, d.index, d.name = what, index, name
}

func (d *decoder) where() string {
	switch {
	case d.name != "":
		return d.what + " " + strconv.Quote(d.name)
	case d.index >= 0:
		return d.what + " " + strconv.Itoa(d.index)
	}
	return d.what
}

// errorf returns a FormatError at offset off.
func (d *decoder) errorf(off int, format string, args ...any) error {
	return d.errorf64(int64(off), format, args...)
}

func (d *decoder) errorf64(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Where: d.where(), Err: fmt.Errorf(format, args...)}
}

func (d *decoder) left() uint64 { return uint64(len(d.b) - d.off) }

// need checks that n more bytes remain for what.
func (d *decoder) need(n uint64, what string) error {
	if n > d.left() {
		return d.errorf(d.off, "%w: %s needs %d bytes, %d left", ErrTruncated, what, n, d.left())
	}
	return nil
}

// The readers below must be called after need has checked their size.

func (d *decoder) u8() uint8 { v := d.b[d.off]; d.off++; return v }

func (d *decoder) u16() uint16 {
	v := binary.LittleEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
}

func (d *decoder) u32() uint32 {
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *decoder) u64() uint64 {
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// readU32 and readU64 check the size and read.
func (d *decoder) readU32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	return d.u32(), nil
}

func (d *decoder) readU64(what string) (uint64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	return d.u64(), nil
}

// stringBytes reads a gguf string (uint64 length, then the bytes) and
// returns its bytes without copying them.
func (d *decoder) stringBytes(what string) ([]byte, error) {
	start := d.off
	if d.left() < 8 {
		return nil, d.errorf(start, "%w: %s length needs 8 bytes, %d left", ErrTruncated, what, d.left())
	}
	n := d.u64()
	if n > d.left() {
		return nil, d.errorf(start, "%w: %s of %d bytes, %d left", ErrTruncated, what, n, d.left())
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

func (d *decoder) file() (*File, error) {
	f := &File{Alignment: DefaultAlignment, data: d.b}
	if err := d.header(f); err != nil {
		return nil, err
	}
	return f, nil
}

func (d *decoder) header(f *File) error {
	if err := d.need(4, "magic"); err != nil {
		return err
	}
	if m := d.u32(); m != Magic {
		return d.errorf(0, "%w: magic %q, want %q", ErrNotGGUF, d.b[:4], "GGUF")
	}
	v, err := d.readU32("version")
	if err != nil {
		return err
	}
	switch {
	case v == 2 || v == 3:
	case bits.ReverseBytes32(v) == 2 || bits.ReverseBytes32(v) == 3:
		return d.errorf(4, "%w: big-endian version %d files are not supported", ErrVersion, bits.ReverseBytes32(v))
	default:
		return d.errorf(4, "%w: version %d, want 2 or 3", ErrVersion, v)
	}
	f.Version = v
	nTensors, err := d.readU64("tensor count")
	if err != nil {
		return err
	}
	nKV, err := d.readU64("metadata key-value count")
	if err != nil {
		return err
	}
	if nKV > d.left()/minKVSize {
		return d.errorf(16, "%w: %d key-value pairs cannot fit in the %d bytes left (each takes at least %d)",
			ErrTruncated, nKV, d.left(), minKVSize)
	}
	if nTensors > d.left()/minTensorInfoSize {
		return d.errorf(8, "%w: %d tensor infos cannot fit in the %d bytes left (each takes at least %d)",
			ErrTruncated, nTensors, d.left(), minTensorInfoSize)
	}
	if err := d.metadata(f, int(nKV)); err != nil {
		return err
	}
	if err := d.alignment(f); err != nil {
		return err
	}
	if err := d.tensorInfos(f, nTensors); err != nil {
		return err
	}
	return d.tensorData(f)
}

func (d *decoder) metadata(f *File, n int) error {
	f.Metadata = make([]KV, 0, n)
	f.keys = make(map[string]int, n)
	for i := range n {
		start := d.off
		d.at("key", i, "")
		kb, err := d.stringBytes("key")
		if err != nil {
			return err
		}
		if len(kb) == 0 {
			return d.errorf(start, "empty key")
		}
		if len(kb) > MaxKeyLen {
			return d.errorf(start, "key of %d bytes is longer than %d", len(kb), MaxKeyLen)
		}
		key := string(kb)
		d.at("key", i, key)
		if j, dup := f.keys[key]; dup {
			return d.errorf(start, "duplicate key (also key %d)", j)
		}
		typOff := d.off
		t, err := d.readU32("value type")
		if err != nil {
			return err
		}
		if !ValueType(t).Valid() {
			return d.errorf(typOff, "unknown value type %d", t)
		}
		if key == AlignmentKey {
			d.alignOff = d.off
		}
		v, err := d.value(ValueType(t), 0)
		if err != nil {
			return err
		}
		f.keys[key] = len(f.Metadata)
		f.Metadata = append(f.Metadata, KV{Key: key, Value: v})
	}
	return nil
}

// value reads a value of type t inside depth enclosing arrays.
func (d *decoder) value(t ValueType, depth int) (Value, error) {
	start := d.off
	if t == TypeString {
		s, err := d.stringBytes("string")
		if err != nil {
			return Value{}, err
		}
		return String(string(s)), nil
	}
	if t == TypeArray {
		return d.array(depth + 1)
	}
	if err := d.need(uint64(t.size()), t.String()); err != nil {
		return Value{}, err
	}
	switch t {
	case TypeUint8:
		return Uint8(d.u8()), nil
	case TypeInt8:
		return Int8(int8(d.u8())), nil
	case TypeUint16:
		return Uint16(d.u16()), nil
	case TypeInt16:
		return Int16(int16(d.u16())), nil
	case TypeUint32:
		return Uint32(d.u32()), nil
	case TypeInt32:
		return Int32(int32(d.u32())), nil
	case TypeFloat32:
		return Value{typ: TypeFloat32, set: true, num: uint64(d.u32())}, nil
	case TypeUint64:
		return Uint64(d.u64()), nil
	case TypeInt64:
		return Int64(int64(d.u64())), nil
	case TypeFloat64:
		return Value{typ: TypeFloat64, set: true, num: d.u64()}, nil
	case TypeBool:
		b := d.u8()
		if b > 1 {
			return Value{}, d.errorf(start, "BOOL byte is %d, want 0 or 1", b)
		}
		return Bool(b == 1), nil
	}
	return Value{}, d.errorf(start, "unknown value type %d", uint32(t))
}

// array reads an array (element type, count, elements) at nesting depth
// depth, the outermost array having depth 1.
func (d *decoder) array(depth int) (Value, error) {
	start := d.off
	if depth > MaxArrayDepth {
		return Value{}, d.errorf(start, "arrays nested %d deep, more than %d", depth, MaxArrayDepth)
	}
	et, err := d.readU32("array element type")
	if err != nil {
		return Value{}, err
	}
	t := ValueType(et)
	if !t.Valid() {
		return Value{}, d.errorf(start, "unknown array element type %d", et)
	}
	n, err := d.readU64("array length")
	if err != nil {
		return Value{}, err
	}
	if n > d.left()/uint64(t.minSize()) {
		return Value{}, d.errorf(start, "%w: array of %d %s elements cannot fit in the %d bytes left",
			ErrTruncated, n, t, d.left())
	}
	// From here n elements of t fit in the bytes left, so n is small
	// enough for int and for allocating.
	count := int(n)
	body := d.b[d.off:]
	size := count * t.size()
	var arr any
	switch t {
	case TypeUint8:
		a := make([]uint8, count)
		copy(a, body)
		arr = a
	case TypeInt8:
		a := make([]int8, count)
		for i := range a {
			a[i] = int8(body[i])
		}
		arr = a
	case TypeBool:
		a := make([]bool, count)
		for i := range a {
			if body[i] > 1 {
				return Value{}, d.errorf(d.off+i, "BOOL element %d is %d, want 0 or 1", i, body[i])
			}
			a[i] = body[i] == 1
		}
		arr = a
	case TypeUint16:
		arr = decodeArray(body, count, 2, func(b []byte) uint16 { return binary.LittleEndian.Uint16(b) })
	case TypeInt16:
		arr = decodeArray(body, count, 2, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) })
	case TypeUint32:
		arr = decodeArray(body, count, 4, binary.LittleEndian.Uint32)
	case TypeInt32:
		arr = decodeArray(body, count, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
	case TypeFloat32:
		arr = decodeArray(body, count, 4, func(b []byte) float32 {
			return math.Float32frombits(binary.LittleEndian.Uint32(b))
		})
	case TypeUint64:
		arr = decodeArray(body, count, 8, binary.LittleEndian.Uint64)
	case TypeInt64:
		arr = decodeArray(body, count, 8, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
	case TypeFloat64:
		arr = decodeArray(body, count, 8, func(b []byte) float64 {
			return math.Float64frombits(binary.LittleEndian.Uint64(b))
		})
	case TypeString:
		a, err := d.strings(count)
		if err != nil {
			return Value{}, err
		}
		return Value{typ: TypeArray, set: true, elem: t, arr: a}, nil
	case TypeArray:
		a := make([]Value, count)
		for i := range a {
			if a[i], err = d.array(depth + 1); err != nil {
				return Value{}, err
			}
		}
		return Value{typ: TypeArray, set: true, elem: t, arr: a}, nil
	}
	d.off += size
	return Value{typ: TypeArray, set: true, elem: t, arr: arr}, nil
}

// decodeArray decodes count little-endian elements of width bytes each.
func decodeArray[T any](b []byte, count, width int, get func([]byte) T) []T {
	a := make([]T, count)
	for i := range a {
		a[i] = get(b[i*width:])
	}
	return a
}

// strings reads count gguf strings. A vocabulary has ~150k of them, so it
// copies all their bytes into one allocation that the returned strings
// share, rather than allocating each: the first pass checks the lengths and
// adds them up, the second copies, the third slices.
func (d *decoder) strings(count int) ([]string, error) {
	start := d.off
	total := 0
	for i := range count {
		if d.left() < 8 {
			return nil, d.errorf(d.off, "%w: length of string %d needs 8 bytes, %d left", ErrTruncated, i, d.left())
		}
		n := d.u64()
		if n > d.left() {
			return nil, d.errorf(d.off-8, "%w: string %d of %d bytes, %d left", ErrTruncated, i, n, d.left())
		}
		d.off += int(n)
		total += int(n)
	}
	var all strings.Builder
	all.Grow(total)
	for off, i := start, 0; i < count; i++ {
		n := int(binary.LittleEndian.Uint64(d.b[off:]))
		all.Write(d.b[off+8 : off+8+n])
		off += 8 + n
	}
	s := all.String()
	a := make([]string, count)
	for off, pos, i := start, 0, 0; i < count; i++ {
		n := int(binary.LittleEndian.Uint64(d.b[off:]))
		a[i] = s[pos : pos+n]
		pos += n
		off += 8 + n
	}
	return a, nil
}

// alignment applies the AlignmentKey, which must be a UINT32 power of two
// (ggml's gguf.cpp checks the same; docs/gguf.md also asks for a multiple
// of 8, which ggml does not enforce, so neither does this reader).
func (d *decoder) alignment(f *File) error {
	i, ok := f.keys[AlignmentKey]
	if !ok {
		return nil
	}
	d.at("key", i, AlignmentKey)
	v := f.Metadata[i].Value
	if v.Type() != TypeUint32 {
		return d.errorf(d.alignOff, "alignment is %s, want UINT32", v.describe())
	}
	a := v.num
	if a == 0 || a&(a-1) != 0 {
		return d.errorf(d.alignOff, "alignment %d is not a power of two", a)
	}
	f.Alignment = a
	return nil
}

func (d *decoder) tensorInfos(f *File, n uint64) error {
	d.at("tensor infos", -1, "")
	if n > d.left()/minTensorInfoSize {
		return d.errorf(d.off, "%w: %d tensor infos cannot fit in the %d bytes left (each takes at least %d)",
			ErrTruncated, n, d.left(), minTensorInfoSize)
	}
	count := int(n)
	f.Tensors = make([]TensorInfo, 0, count)
	f.names = make(map[string]int, count)
	dims := make([]uint64, 0, count*MaxDims)
	for i := range count {
		start := d.off
		d.at("tensor", i, "")
		nb, err := d.stringBytes("tensor name")
		if err != nil {
			return err
		}
		if len(nb) == 0 {
			return d.errorf(start, "empty tensor name")
		}
		if len(nb) > MaxTensorNameLen {
			return d.errorf(start, "tensor name of %d bytes is longer than %d", len(nb), MaxTensorNameLen)
		}
		t := TensorInfo{Name: string(nb)}
		d.at("tensor", i, t.Name)
		if j, dup := f.names[t.Name]; dup {
			return d.errorf(start, "duplicate tensor name (also tensor %d)", j)
		}
		nDims, err := d.readU32("n_dims")
		if err != nil {
			return err
		}
		if nDims == 0 || nDims > MaxDims {
			return d.errorf(d.off-4, "%d dimensions, want 1 to %d", nDims, MaxDims)
		}
		if err := d.need(8*uint64(nDims), "dimensions"); err != nil {
			return err
		}
		first := len(dims)
		for range nDims {
			dims = append(dims, d.u64())
		}
		t.Dims = dims[first:len(dims):len(dims)]
		typ, err := d.readU32("type")
		if err != nil {
			return err
		}
		t.Type = tensor.DType(typ)
		if t.Size, err = tensorSize(t.Dims, t.Type); err != nil {
			return d.errorf(start, "%v", err)
		}
		if t.Offset, err = d.readU64("offset"); err != nil {
			return err
		}
		if t.Offset%f.Alignment != 0 {
			return d.errorf(d.off-8, "data offset %d is not a multiple of the alignment %d", t.Offset, f.Alignment)
		}
		f.names[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	return nil
}

// tensorData places the data section and checks that every tensor lies
// inside the file and that no two overlap. docs/gguf.md has tensors packed
// in order; like ggml's reader, gaps are allowed, but unlike it so is any
// order.
func (d *decoder) tensorData(f *File) error {
	end := uint64(d.off)
	start := (end + f.Alignment - 1) &^ (f.Alignment - 1)
	// start < 2^63 since end ≤ len(b) and Alignment ≤ 2^32; but a file with
	// no tensors may end before the padding, so start may exceed len(b).
	f.DataOffset = int64(start)
	avail := uint64(0)
	if start <= uint64(len(d.b)) {
		avail = uint64(len(d.b)) - start
	}
	for i, t := range f.Tensors {
		if t.Offset > avail || uint64(t.Size) > avail-t.Offset {
			d.at("tensor", i, t.Name)
			return d.errorf64(int64(min(t.Offset, math.MaxInt64-start)+start),
				"%w: data of %d bytes at data offset %d runs past the end of the file (data section holds %d bytes)",
				ErrTruncated, t.Size, t.Offset, avail)
		}
	}
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(f.Tensors[a].Offset, f.Tensors[b].Offset)
	})
	for k := 1; k < len(order); k++ {
		p, t := f.Tensors[order[k-1]], f.Tensors[order[k]]
		if p.Offset+uint64(p.Size) > t.Offset {
			d.at("tensor", order[k], t.Name)
			return d.errorf(int(start+t.Offset), "data at data offset %d overlaps tensor %q (data offset %d, %d bytes)",
				t.Offset, p.Name, p.Offset, p.Size)
		}
	}
	return nil
}
