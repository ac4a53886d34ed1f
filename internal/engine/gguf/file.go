package gguf

import (
	"errors"
	"fmt"
	"os"
)

// ErrKeyNotFound is wrapped by the errors of the typed metadata getters
// when the file has no such key; callers test it with errors.Is to apply a
// default for an optional key.
var ErrKeyNotFound = errors.New("metadata key not found")

// Open memory-maps the GGUF file at path read-only (on systems without
// mmap it reads the file into memory) and parses it with Parse. Tensor data
// is never copied: Data returns slices of the mapping, valid until Close.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gguf: open %s: not a regular file", path)
	}
	b, release, err := mapFile(fd, st.Size())
	if err != nil {
		return nil, fmt.Errorf("gguf: map %s: %w", path, err)
	}
	f, err := Parse(b)
	if err != nil {
		if release != nil {
			_ = release(b)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f.release = release
	return f, nil
}

// Close releases the memory that Open mapped; slices that Data returned
// must not be used afterwards. Metadata and tensor infos stay valid. Close
// is safe to call more than once, and on a File from Parse (where it only
// drops the reference to the bytes).
func (f *File) Close() error {
	b, release := f.data, f.release
	f.data, f.release = nil, nil
	if release != nil {
		if err := release(b); err != nil {
			return fmt.Errorf("gguf: unmap: %w", err)
		}
	}
	return nil
}

// Data returns the bytes of tensor t, a slice of the file's memory that
// must not be modified (it is mapped read-only: writing to it faults). It
// returns nil after Close, or if t does not lie inside the data section.
func (f *File) Data(t TensorInfo) []byte {
	if t.Size < 0 || f.DataOffset < 0 || uint64(f.DataOffset) > uint64(len(f.data)) {
		return nil
	}
	avail := uint64(len(f.data)) - uint64(f.DataOffset)
	if t.Offset > avail || uint64(t.Size) > avail-t.Offset {
		return nil
	}
	start := f.DataOffset + int64(t.Offset)
	end := start + t.Size
	return f.data[start:end:end]
}

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.names[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// Value returns the metadata value stored under key.
func (f *File) Value(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.Metadata[i].Value, true
}

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string {
	keys := make([]string, len(f.Metadata))
	for i, kv := range f.Metadata {
		keys[i] = kv.Key
	}
	return keys
}

// lookup returns the value under key, or an error wrapping ErrKeyNotFound.
func (f *File) lookup(key string) (Value, error) {
	v, ok := f.Value(key)
	if !ok {
		return Value{}, fmt.Errorf("gguf: key %q: %w", key, ErrKeyNotFound)
	}
	return v, nil
}

// get applies a Value conversion to the value under key, naming the key in
// its error.
func get[T any](f *File, key string, conv func(Value) (T, error)) (T, error) {
	v, err := f.lookup(key)
	if err != nil {
		var zero T
		return zero, err
	}
	x, err := conv(v)
	if err != nil {
		return x, fmt.Errorf("gguf: key %q: %w", key, err)
	}
	return x, nil
}

// String returns the STRING stored under key. The error wraps
// ErrKeyNotFound or ErrType.
func (f *File) String(key string) (string, error) {
	return get(f, key, func(v Value) (string, error) {
		if s, ok := v.AsString(); ok {
			return s, nil
		}
		return "", v.wrongType("STRING")
	})
}

// Uint64 returns the integer stored under key, of any integer type, widened
// to uint64; a negative value is an error. The error wraps ErrKeyNotFound
// or ErrType.
func (f *File) Uint64(key string) (uint64, error) { return get(f, key, Value.uint64) }

// Int64 returns the integer stored under key, of any integer type, widened
// to int64; a UINT64 above math.MaxInt64 is an error. The error wraps
// ErrKeyNotFound or ErrType.
func (f *File) Int64(key string) (int64, error) { return get(f, key, Value.int64) }

// Float64 returns the FLOAT32 or FLOAT64 stored under key, or an integer
// that float64 holds exactly. The error wraps ErrKeyNotFound or ErrType.
func (f *File) Float64(key string) (float64, error) { return get(f, key, Value.float64) }

// Bool returns the BOOL stored under key. The error wraps ErrKeyNotFound or
// ErrType.
func (f *File) Bool(key string) (bool, error) {
	return get(f, key, func(v Value) (bool, error) {
		if b, ok := v.AsBool(); ok {
			return b, nil
		}
		return false, v.wrongType("BOOL")
	})
}

// Strings returns the ARRAY of STRING stored under key, such as
// tokenizer.ggml.tokens. The slice is shared with the File and must not be
// modified; its strings share one allocation. The error wraps
// ErrKeyNotFound or ErrType.
func (f *File) Strings(key string) ([]string, error) {
	return get(f, key, func(v Value) ([]string, error) {
		if s, ok := v.AsStrings(); ok {
			return s, nil
		}
		return nil, v.wrongType("ARRAY of STRING")
	})
}

// Float32s returns the ARRAY of FLOAT32 stored under key (such as
// tokenizer.ggml.scores), shared with the File and not to be modified, or a
// new slice converted from an array of FLOAT64 or integers whose every
// element float32 holds exactly. The error wraps ErrKeyNotFound or ErrType.
func (f *File) Float32s(key string) ([]float32, error) { return get(f, key, Value.float32s) }

// Int32s returns the ARRAY of INT32 stored under key (such as
// tokenizer.ggml.token_type), shared with the File and not to be modified,
// or a new slice converted from an array of another integer type whose
// every element fits in int32. The error wraps ErrKeyNotFound or ErrType.
func (f *File) Int32s(key string) ([]int32, error) { return get(f, key, Value.int32s) }

// ArrayLen returns the number of elements of the ARRAY stored under key.
// The error wraps ErrKeyNotFound or ErrType.
func (f *File) ArrayLen(key string) (int, error) {
	return get(f, key, func(v Value) (int, error) {
		if v.Type() != TypeArray {
			return 0, v.wrongType("ARRAY")
		}
		return v.Len(), nil
	})
}
