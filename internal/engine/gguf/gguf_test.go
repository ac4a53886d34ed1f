package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// raw builds GGUF bytes by hand, field by field, independently of Writer.
type raw struct{ b []byte }

func header(version uint32, nTensors, nKV uint64) *raw {
	r := &raw{b: []byte("GGUF")}
	return r.u32(version).u64(nTensors).u64(nKV)
}

func (r *raw) u8(v uint8) *raw   { r.b = append(r.b, v); return r }
func (r *raw) u32(v uint32) *raw { r.b = binary.LittleEndian.AppendUint32(r.b, v); return r }
func (r *raw) u64(v uint64) *raw { r.b = binary.LittleEndian.AppendUint64(r.b, v); return r }
func (r *raw) str(s string) *raw { r.u64(uint64(len(s))); r.b = append(r.b, s...); return r }

// kv appends a key and a value type; the caller appends the value.
func (r *raw) kv(key string, t ValueType) *raw { return r.str(key).u32(uint32(t)) }

// ti appends a tensor info.
func (r *raw) ti(name string, dims []uint64, t tensor.DType, off uint64) *raw {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(uint32(t)).u64(off)
}

// pad appends zeros up to a multiple of align.
func (r *raw) pad(align int) *raw {
	for len(r.b)%align != 0 {
		r.b = append(r.b, 0)
	}
	return r
}

func (r *raw) zeros(n int) *raw { r.b = append(r.b, make([]byte, n)...); return r }

// filled returns n bytes of a recognisable pattern.
func filled(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// sampleKVs has a value of every type, including empty and nested arrays.
func sampleKVs() []KV {
	return []KV{
		{"general.architecture", String("llama")},
		{"general.name", String("")},
		{"test.uint8", Uint8(200)},
		{"test.int8", Int8(-7)},
		{"test.uint16", Uint16(60000)},
		{"test.int16", Int16(-30000)},
		{"test.uint32", Uint32(4000000000)},
		{"test.int32", Int32(-2000000000)},
		{"test.uint64", Uint64(math.MaxUint64)},
		{"test.int64", Int64(math.MinInt64)},
		{"test.float32", Float32(1.5)},
		{"test.float64", Float64(-2.25)},
		{"test.nan", Float32(float32(math.NaN()))},
		{"test.true", Bool(true)},
		{"test.false", Bool(false)},
		{"tokenizer.ggml.tokens", Array([]string{"<s>", "</s>", "a", "", "é", "▁the"})},
		{"tokenizer.ggml.scores", Array([]float32{0, -1, -2.5, 3, float32(math.Inf(-1)), 6})},
		{"tokenizer.ggml.token_type", Array([]int32{3, 3, 1, 1, 1, 1})},
		{"test.u8s", Array([]uint8{1, 2, 255})},
		{"test.i8s", Array([]int8{-1, 0, 1})},
		{"test.u16s", Array([]uint16{1, 65535})},
		{"test.i16s", Array([]int16{-32768, 5})},
		{"test.u32s", Array([]uint32{7, 8})},
		{"test.u64s", Array([]uint64{1 << 40})},
		{"test.i64s", Array([]int64{-1 << 40})},
		{"test.f64s", Array([]float64{0.5, -0.25})},
		{"test.bools", Array([]bool{true, false, true})},
		{"test.empty", Array([]string{})},
		{"test.nested", Array([]Value{
			Array([]uint8{1, 2}),
			Array([]string{"x", "yz"}),
			Array([]Value{Array([]float32{1}), Array([]Value{})}),
		})},
	}
}

// sampleTensors has tensors of float and block types, of 1 to 4
// dimensions, some of sizes that need padding.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "token_embd.weight", Type: tensor.F32, Dims: []uint64{4, 3}, Data: filled(48, 1)},
		{Name: "output_norm.weight", Type: tensor.F16, Dims: []uint64{5}, Data: filled(10, 2)},
		{Name: "blk.0.attn_q.weight", Type: tensor.Q8_0, Dims: []uint64{64, 2}, Data: filled(4*34, 3)},
		{Name: "blk.0.ffn_up.weight", Type: tensor.Q4_K, Dims: []uint64{256}, Data: filled(144, 4)},
		{Name: "blk.0.4d", Type: tensor.BF16, Dims: []uint64{2, 1, 3, 1}, Data: filled(12, 5)},
	}
}

// writeFile writes kvs and tensors with Write.
func writeFile(t testing.TB, kvs []KV, tensors []Tensor) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, kvs, tensors); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// mustWrite is writeFile for building test tables outside a test.
func mustWrite(kvs []KV, tensors []Tensor) []byte {
	var buf bytes.Buffer
	if err := Write(&buf, kvs, tensors); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// infoOf is the part of a TensorInfo a writer's caller decides.
type infoOf struct {
	Name string
	Type tensor.DType
	Dims []uint64
	Size int64
	Data []byte
}

func tensorsOf(f *File) []infoOf {
	var out []infoOf
	for _, t := range f.Tensors {
		out = append(out, infoOf{t.Name, t.Type, t.Dims, t.Size, f.Data(t)})
	}
	return out
}

func wantTensors(ts []Tensor) []infoOf {
	var out []infoOf
	for _, t := range ts {
		out = append(out, infoOf{t.Name, t.Type, t.Dims, int64(len(t.Data)), t.Data})
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		align uint32 // 0: no general.alignment key
	}{
		{"default alignment", 0},
		{"alignment 1", 1},
		{"alignment 64", 64},
		{"alignment 4096", 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kvs := sampleKVs()
			want := uint64(DefaultAlignment)
			if tc.align != 0 {
				kvs = append(kvs, KV{AlignmentKey, Uint32(tc.align)})
				want = uint64(tc.align)
			}
			b := writeFile(t, kvs, sampleTensors())
			f, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.Version != Version || f.Alignment != want {
				t.Errorf("version %d, alignment %d; want %d, %d", f.Version, f.Alignment, Version, want)
			}
			if uint64(len(b))%want != 0 || uint64(f.DataOffset)%want != 0 {
				t.Errorf("file length %d and data offset %d are not multiples of %d", len(b), f.DataOffset, want)
			}
			if diff := cmp.Diff(kvs, f.Metadata); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantTensors(sampleTensors()), tensorsOf(f)); diff != "" {
				t.Errorf("tensors (-want +got):\n%s", diff)
			}
			for _, ti := range f.Tensors {
				if ti.Offset%want != 0 {
					t.Errorf("tensor %q at offset %d, not a multiple of %d", ti.Name, ti.Offset, want)
				}
			}
		})
	}
}

// TestWriterBytes checks the writer's output byte for byte against a file
// built by hand from docs/gguf.md, so that writer and parser cannot agree
// on a misreading of the format.
func TestWriterBytes(t *testing.T) {
	want := header(3, 2, 3).
		kv("a", TypeUint32).u32(5).
		kv("b", TypeArray).u32(uint32(TypeString)).u64(2).str("x").str("").
		kv("c", TypeArray).u32(uint32(TypeArray)).u64(1).u32(uint32(TypeInt8)).u64(1).u8(0xff).
		ti("t", []uint64{2}, tensor.F32, 0).
		ti("u", []uint64{3, 1}, tensor.F16, 32).
		pad(32)
	want.b = append(want.b, filled(8, 9)...)
	want.pad(32)
	want.b = append(want.b, filled(6, 8)...)
	want.pad(32)

	got := writeFile(t,
		[]KV{
			{"a", Uint32(5)},
			{"b", Array([]string{"x", ""})},
			{"c", Array([]Value{Array([]int8{-1})})},
		},
		[]Tensor{
			{Name: "t", Type: tensor.F32, Dims: []uint64{2}, Data: filled(8, 9)},
			{Name: "u", Type: tensor.F16, Dims: []uint64{3, 1}, Data: filled(6, 8)},
		})
	if !bytes.Equal(got, want.b) {
		t.Errorf("writer output\n%x\nwant\n%x", got, want.b)
	}
	f, err := Parse(want.b)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := f.Tensor("u")
	if f.DataOffset != int64(len(want.b)-64) || !bytes.Equal(f.Data(u), filled(6, 8)) {
		t.Errorf("data offset %d, tensor u data %x", f.DataOffset, f.Data(u))
	}
}

// TestParseLenient covers files that other writers may produce and that
// are valid although this Writer never makes them.
func TestParseLenient(t *testing.T) {
	t.Run("version 2", func(t *testing.T) {
		f, err := Parse(header(2, 0, 0).b)
		if err != nil || f.Version != 2 {
			t.Fatalf("got %+v, %v", f, err)
		}
	})
	t.Run("no tensors and no padding", func(t *testing.T) {
		f, err := Parse(header(3, 0, 1).kv("a", TypeBool).u8(1).b)
		if err != nil {
			t.Fatal(err)
		}
		if f.DataOffset != 64 {
			t.Errorf("data offset %d, want 64", f.DataOffset)
		}
	})
	t.Run("tensors out of order with gaps", func(t *testing.T) {
		r := header(3, 2, 0).
			ti("late", []uint64{2}, tensor.F32, 64).
			ti("early", []uint64{1}, tensor.F32, 0).
			pad(32)
		r.b = append(r.b, filled(4, 1)...)
		r.pad(32).zeros(32)
		r.b = append(r.b, filled(8, 2)...)
		f, err := Parse(r.b)
		if err != nil {
			t.Fatal(err)
		}
		late, _ := f.Tensor("late")
		early, _ := f.Tensor("early")
		if !bytes.Equal(f.Data(late), filled(8, 2)) || !bytes.Equal(f.Data(early), filled(4, 1)) {
			t.Errorf("late %x, early %x", f.Data(late), f.Data(early))
		}
	})
}

func TestGetters(t *testing.T) {
	f, err := Parse(writeFile(t, sampleKVs(), sampleTensors()))
	if err != nil {
		t.Fatal(err)
	}
	// check compares a getter's result with want, or its error with
	// wantErr.
	check := func(t *testing.T, got any, err error, want any, wantErr error) {
		t.Helper()
		if wantErr != nil {
			if !errors.Is(err, wantErr) {
				t.Errorf("got %v, %v; want error %v", got, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	u64 := func(k string) (any, error) { return f.Uint64(k) }
	i64 := func(k string) (any, error) { return f.Int64(k) }
	f64 := func(k string) (any, error) { return f.Float64(k) }
	str := func(k string) (any, error) { return f.String(k) }
	boo := func(k string) (any, error) { return f.Bool(k) }
	strs := func(k string) (any, error) { return f.Strings(k) }
	f32s := func(k string) (any, error) { return f.Float32s(k) }
	i32s := func(k string) (any, error) { return f.Int32s(k) }
	alen := func(k string) (any, error) { return f.ArrayLen(k) }
	for _, tc := range []struct {
		name    string
		get     func(string) (any, error)
		key     string
		want    any
		wantErr error
	}{
		{"Uint64 widens UINT8", u64, "test.uint8", uint64(200), nil},
		{"Uint64 widens UINT32", u64, "test.uint32", uint64(4000000000), nil},
		{"Uint64 of UINT64", u64, "test.uint64", uint64(math.MaxUint64), nil},
		{"Uint64 of negative INT8", u64, "test.int8", nil, ErrType},
		{"Uint64 of a float", u64, "test.float32", nil, ErrType},
		{"Uint64 of a missing key", u64, "no.such.key", nil, ErrKeyNotFound},
		{"Int64 widens INT16", i64, "test.int16", int64(-30000), nil},
		{"Int64 widens UINT32", i64, "test.uint32", int64(4000000000), nil},
		{"Int64 of INT64", i64, "test.int64", int64(math.MinInt64), nil},
		{"Int64 of UINT64 above MaxInt64", i64, "test.uint64", nil, ErrType},
		{"Int64 of a string", i64, "general.architecture", nil, ErrType},
		{"Float64 widens FLOAT32", f64, "test.float32", 1.5, nil},
		{"Float64 of FLOAT64", f64, "test.float64", -2.25, nil},
		{"Float64 of an exact integer", f64, "test.int32", -2e9, nil},
		{"Float64 of an inexact integer", f64, "test.uint64", nil, ErrType},
		{"Float64 of a bool", f64, "test.true", nil, ErrType},
		{"String", str, "general.architecture", "llama", nil},
		{"String of an empty string", str, "general.name", "", nil},
		{"String of an array", str, "tokenizer.ggml.tokens", nil, ErrType},
		{"Bool", boo, "test.true", true, nil},
		{"Bool of an integer", boo, "test.uint8", nil, ErrType},
		{"Strings", strs, "tokenizer.ggml.tokens", []string{"<s>", "</s>", "a", "", "é", "▁the"}, nil},
		{"Strings of an empty array", strs, "test.empty", []string{}, nil},
		{"Strings of floats", strs, "tokenizer.ggml.scores", nil, ErrType},
		{"Strings of a scalar", strs, "test.uint8", nil, ErrType},
		{"Float32s", f32s, "test.f64s", []float32{0.5, -0.25}, nil},
		{"Float32s of integers", f32s, "test.u16s", []float32{1, 65535}, nil},
		{"Float32s of large exact integers", f32s, "test.u64s", []float32{1 << 40}, nil},
		{"Float32s of strings", f32s, "tokenizer.ggml.tokens", nil, ErrType},
		{"Int32s", i32s, "tokenizer.ggml.token_type", []int32{3, 3, 1, 1, 1, 1}, nil},
		{"Int32s widens UINT8", i32s, "test.u8s", []int32{1, 2, 255}, nil},
		{"Int32s of too large INT64", i32s, "test.i64s", nil, ErrType},
		{"Int32s of floats", i32s, "test.f64s", nil, ErrType},
		{"Int32s of a missing key", i32s, "no.such.key", nil, ErrKeyNotFound},
		{"ArrayLen", alen, "tokenizer.ggml.tokens", 6, nil},
		{"ArrayLen of nested", alen, "test.nested", 3, nil},
		{"ArrayLen of a scalar", alen, "test.int8", nil, ErrType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.get(tc.key)
			check(t, got, err, tc.want, tc.wantErr)
		})
	}

	t.Run("error names key and types", func(t *testing.T) {
		_, err := f.String("tokenizer.ggml.scores")
		want := `gguf: key "tokenizer.ggml.scores": metadata value has the wrong type: ARRAY of FLOAT32, not STRING`
		if err == nil || err.Error() != want {
			t.Errorf("got %v\nwant %s", err, want)
		}
	})
	t.Run("Float32s shares a FLOAT32 array", func(t *testing.T) {
		a, _ := f.Float32s("tokenizer.ggml.scores")
		b, _ := f.Float32s("tokenizer.ggml.scores")
		if len(a) != 6 || &a[0] != &b[0] {
			t.Errorf("Float32s copied the array")
		}
	})
	t.Run("Keys in file order", func(t *testing.T) {
		var want []string
		for _, kv := range sampleKVs() {
			want = append(want, kv.Key)
		}
		if diff := cmp.Diff(want, f.Keys()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("Value and Tensor", func(t *testing.T) {
		v, ok := f.Value("test.nested")
		if !ok || v.Type() != TypeArray || v.ElemType() != TypeArray || v.Index(1).Len() != 2 {
			t.Errorf("Value(test.nested) = %v, %v", v, ok)
		}
		if _, ok := f.Value("missing"); ok {
			t.Error("Value(missing) found")
		}
		ti, ok := f.Tensor("blk.0.attn_q.weight")
		if !ok || ti.Type != tensor.Q8_0 || ti.Elements() != 128 || ti.Size != 136 {
			t.Errorf("Tensor = %+v, %v", ti, ok)
		}
		if _, ok := f.Tensor("missing"); ok {
			t.Error("Tensor(missing) found")
		}
	})
}

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Uint32(7), "7"},
		{Int8(-1), "-1"},
		{Float32(0.5), "0.5"},
		{Bool(true), "true"},
		{String(`a"b`), `"a\"b"`},
		{Array([]string{"a", "b", "c", "d"}), `[STRING × 4: "a" "b" "c" ...]`},
		{Array([]int32{}), "[INT32 × 0]"},
		{Value{}, "<invalid>"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() = %s, want %s", got, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(path, writeFile(t, sampleKVs(), sampleTensors()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTensors(sampleTensors()), tensorsOf(f)); diff != "" {
		t.Errorf("tensors (-want +got):\n%s", diff)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if d := f.Data(f.Tensors[0]); d != nil {
		t.Errorf("Data after Close = %x, want nil", d)
	}
	if s, err := f.Strings("tokenizer.ggml.tokens"); err != nil || s[4] != "é" {
		t.Errorf("metadata after Close: %q, %v", s, err)
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := Open(filepath.Join(dir, "missing.gguf"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		p := filepath.Join(dir, "empty.gguf")
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(p)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("got %v, want ErrTruncated", err)
		}
	})
	t.Run("truncated file names the path", func(t *testing.T) {
		p := filepath.Join(dir, "cut.gguf")
		b := writeFile(t, sampleKVs(), sampleTensors())
		if err := os.WriteFile(p, b[:len(b)-40], 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(p)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) || !bytes.Contains([]byte(err.Error()), []byte(p)) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, err := Open(dir); err == nil {
			t.Error("Open(dir) succeeded")
		}
	})
}

func TestValueAccessors(t *testing.T) {
	t.Run("Interface returns the Go value", func(t *testing.T) {
		got := map[string]any{}
		for _, kv := range sampleKVs()[2:15] {
			got[kv.Key] = kv.Value.Interface()
		}
		want := map[string]any{
			"test.uint8": uint8(200), "test.int8": int8(-7), "test.uint16": uint16(60000),
			"test.int16": int16(-30000), "test.uint32": uint32(4000000000), "test.int32": int32(-2000000000),
			"test.uint64": uint64(math.MaxUint64), "test.int64": int64(math.MinInt64),
			"test.float32": float32(1.5), "test.float64": -2.25, "test.nan": float32(math.NaN()),
			"test.true": true, "test.false": false,
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if Array([]int16{1}).Interface().([]int16)[0] != 1 || (Value{}).Interface() != nil {
			t.Error("Interface of an array or of the zero Value")
		}
	})
	t.Run("Index returns elements as Values", func(t *testing.T) {
		for _, kv := range sampleKVs() {
			v := kv.Value
			if v.Type() != TypeArray {
				continue
			}
			for i := range v.Len() {
				e := v.Index(i)
				if v.ElemType() != e.Type() {
					t.Errorf("%s[%d] is %s, want %s", kv.Key, i, e.Type(), v.ElemType())
				}
			}
		}
	})
	t.Run("As methods", func(t *testing.T) {
		if x, ok := Int8(-1).AsUint64(); ok {
			t.Errorf("Int8(-1).AsUint64() = %d, true", x)
		}
		if x, ok := Uint16(9).AsInt64(); !ok || x != 9 {
			t.Errorf("Uint16(9).AsInt64() = %d, %v", x, ok)
		}
		if x, ok := Uint64(1<<53 + 1).AsFloat64(); ok {
			t.Errorf("AsFloat64 of 2^53+1 = %v, true", x)
		}
		if x, ok := Int64(-1 << 53).AsFloat64(); !ok || x != -(1<<53) {
			t.Errorf("AsFloat64 of -2^53 = %v, %v", x, ok)
		}
		if x, ok := Array([]float64{0.1}).AsFloat32s(); ok {
			t.Errorf("AsFloat32s of an inexact 0.1 = %v, true", x)
		}
		if x, ok := Array([]int64{-5}).AsInt32s(); !ok || x[0] != -5 {
			t.Errorf("AsInt32s = %v, %v", x, ok)
		}
		if _, ok := Array([]bool{true}).AsInt32s(); ok {
			t.Error("AsInt32s of bools succeeded")
		}
		if _, ok := String("x").AsBool(); ok || (Value{}).IsValid() || !Bool(false).IsValid() {
			t.Error("AsBool or IsValid")
		}
	})
	t.Run("Equal compares encodings", func(t *testing.T) {
		nan := float32(math.NaN())
		for _, tc := range []struct {
			a, b Value
			want bool
		}{
			{Float32(nan), Float32(nan), true},
			{Float64(0), Float64(math.Copysign(0, -1)), false},
			{Uint32(1), Int32(1), false},
			{Uint32(1), Uint32(1), true},
			{String("a"), String("b"), false},
			{Array([]float32{nan}), Array([]float32{nan}), true},
			{Array([]float64{1}), Array([]float64{2}), false},
			{Array([]string{"a"}), Array([]string{"a", "b"}), false},
			{Array([]int8{}), Array([]uint8{}), false},
			{Array([]Value{Array([]bool{true})}), Array([]Value{Array([]bool{false})}), false},
			{Array([]uint64(nil)), Array([]uint64{}), true},
			{Value{}, Value{}, true},
		} {
			if got := tc.a.Equal(tc.b); got != tc.want {
				t.Errorf("%v.Equal(%v) = %v", tc.a, tc.b, got)
			}
		}
	})
}
