package gguf

import (
	"errors"
	"math/bits"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// badFile is a malformed file and what Parse must say about it.
type badFile struct {
	name  string
	b     []byte
	is    error  // a sentinel the error must match, besides ErrFormat
	where string // FormatError.Where
	off   int64  // FormatError.Offset, or -1 not to check it
	msg   string // a part of the message
}

// The header is 24 bytes, so the first key starts at offset 24; a
// one-byte key's value type is at 33 and its value at 37.
const firstKV = 24

// badFiles returns the malformed files of the table test, which also seed
// the fuzzer.
func badFiles() []badFile {
	// A valid file from the writer, to corrupt.
	valid := func() []byte {
		return mustWrite([]KV{{"a", Uint8(1)}}, []Tensor{
			{Name: "w", Type: tensor.F32, Dims: []uint64{4}, Data: filled(16, 1)},
		})
	}
	aligned := func(r *raw) *raw { return r.pad(32) }
	kvFile := func() *raw { return header(3, 0, 1) }
	oneTensor := func(name string, dims []uint64, t tensor.DType, off uint64) []byte {
		return aligned(header(3, 1, 0).ti(name, dims, t, off)).zeros(64).b
	}
	nested := kvFile().kv("a", TypeArray)
	for range MaxArrayDepth {
		nested.u32(uint32(TypeArray)).u64(1)
	}
	nested.u32(uint32(TypeUint8)).u64(0)

	cut := valid()
	cut = cut[:len(cut)-17] // the file is 16 data bytes + 16 padding

	return []badFile{
		{"empty file", nil, ErrTruncated, "header", 0, "magic needs 4 bytes, 0 left"},
		{"wrong magic", []byte("GGML\x03\x00\x00\x00"), ErrNotGGUF, "header", 0, `magic "GGML", want "GGUF"`},
		{"version 1", header(1, 0, 0).b, ErrVersion, "header", 4, "version 1, want 2 or 3"},
		{"version 4", header(4, 0, 0).b, ErrVersion, "header", 4, "version 4, want 2 or 3"},
		{"big-endian", header(bits.ReverseBytes32(3), 0, 0).b, ErrVersion, "header", 4, "big-endian"},
		{"truncated header", header(3, 0, 0).b[:20], ErrTruncated, "header", 16,
			"metadata key-value count needs 8 bytes, 4 left"},
		{"absurd key-value count", header(3, 0, 1<<62).b, ErrTruncated, "header", 16,
			"4611686018427387904 key-value pairs cannot fit in the 0 bytes left"},
		{"absurd tensor count", header(3, 1<<62, 0).zeros(100).b, ErrTruncated, "header", 8,
			"4611686018427387904 tensor infos cannot fit in the 100 bytes left"},
		{"more key-values than bytes", header(3, 0, 2).kv("a", TypeUint8).u8(1).b, ErrTruncated, "header", 16,
			"2 key-value pairs cannot fit in the 14 bytes left"},
		{"key longer than the file", kvFile().u64(10).zeros(6).b, ErrTruncated, "key 0", firstKV,
			"key of 10 bytes, 6 left"},
		{"empty key", kvFile().kv("", TypeUint8).u8(0).zeros(1).b, nil, "key 0", firstKV, "empty key"},
		{"duplicate key", header(3, 0, 2).kv("a", TypeUint8).u8(1).kv("a", TypeUint8).u8(2).b, nil,
			`key "a"`, firstKV + 14, "duplicate key (also key 0)"},
		{"unknown value type", kvFile().kv("a", 13).u8(0).b, nil, `key "a"`, 33, "unknown value type 13"},
		{"string longer than the file", kvFile().kv("a", TypeString).u64(100).str("abc").b, ErrTruncated,
			`key "a"`, 37, "string of 100 bytes, 11 left"},
		{"truncated scalar", kvFile().kv("abcd", TypeUint64).u32(0).b, ErrTruncated, `key "abcd"`, 40,
			"UINT64 needs 8 bytes, 4 left"},
		{"bool of 2", kvFile().kv("a", TypeBool).u8(2).b, nil, `key "a"`, 37, "BOOL byte is 2, want 0 or 1"},
		{"absurd array length", kvFile().kv("a", TypeArray).u32(uint32(TypeUint32)).u64(1 << 61).b, ErrTruncated,
			`key "a"`, 37, "array of 2305843009213693952 UINT32 elements cannot fit in the 0 bytes left"},
		{"array length beyond the strings left", kvFile().kv("a", TypeArray).u32(uint32(TypeString)).u64(3).str("x").b,
			ErrTruncated, `key "a"`, 37, "array of 3 STRING elements cannot fit in the 9 bytes left"},
		{"unknown array element type", kvFile().kv("a", TypeArray).u32(13).u64(0).b, nil, `key "a"`, 37,
			"unknown array element type 13"},
		{"string in an array longer than the file",
			kvFile().kv("a", TypeArray).u32(uint32(TypeString)).u64(2).str("x").u64(50).zeros(10).b,
			ErrTruncated, `key "a"`, 58, "string 1 of 50 bytes, 10 left"},
		{"arrays nested too deep", nested.b, nil, `key "a"`, 37 + 4*12, "arrays nested 5 deep, more than 4"},
		{"bool array element of 2", kvFile().kv("a", TypeArray).u32(uint32(TypeBool)).u64(2).u8(1).u8(2).b, nil,
			`key "a"`, 50, "BOOL element 1 is 2, want 0 or 1"},
		{"alignment not UINT32", kvFile().kv(AlignmentKey, TypeUint64).u64(32).b, nil, `key "general.alignment"`,
			53, "alignment is UINT64, want UINT32"},
		{"alignment zero", kvFile().kv(AlignmentKey, TypeUint32).u32(0).b, nil, `key "general.alignment"`,
			53, "alignment 0 is not a power of two"},
		{"alignment not a power of two", kvFile().kv(AlignmentKey, TypeUint32).u32(48).b, nil,
			`key "general.alignment"`, 53, "alignment 48 is not a power of two"},
		{"more tensors than bytes", header(3, 2, 0).ti("w", []uint64{1}, tensor.F32, 0).b, ErrTruncated, "header", 8,
			"2 tensor infos cannot fit in the 33 bytes left"},
		{"empty tensor name", oneTensor("", []uint64{1}, tensor.F32, 0), nil, "tensor 0", 24, "empty tensor name"},
		{"tensor name too long", oneTensor(strings.Repeat("n", 65), []uint64{1}, tensor.F32, 0), nil, "tensor 0", 24,
			"tensor name of 65 bytes is longer than 64"},
		{"duplicate tensor name",
			aligned(header(3, 2, 0).ti("w", []uint64{1}, tensor.F32, 0).ti("w", []uint64{1}, tensor.F32, 32)).zeros(64).b,
			nil, `tensor "w"`, 24 + 33, "duplicate tensor name (also tensor 0)"},
		{"no dimensions", oneTensor("w", nil, tensor.F32, 0), nil, `tensor "w"`, 33, "0 dimensions, want 1 to 4"},
		{"five dimensions", oneTensor("w", []uint64{1, 1, 1, 1, 1}, tensor.F32, 0), nil, `tensor "w"`, 33,
			"5 dimensions, want 1 to 4"},
		{"truncated dimensions", header(3, 1, 0).str("w").u32(4).u64(1).u64(1).u64(1).b, ErrTruncated, `tensor "w"`, 37,
			"dimensions needs 32 bytes, 24 left"},
		{"zero dimension", oneTensor("w", []uint64{4, 0}, tensor.F32, 0), nil, `tensor "w"`, 24, "dimension 1 is zero"},
		{"element count overflow", oneTensor("w", []uint64{1 << 32, 1 << 32}, tensor.F32, 0), nil, `tensor "w"`, 24,
			"element count of dimensions [4294967296 4294967296] overflows int64"},
		{"byte size overflow", oneTensor("w", []uint64{1 << 62}, tensor.F32, 0), nil, `tensor "w"`, 24,
			"size of 4611686018427387904 F32 elements overflows int64"},
		{"partial block", oneTensor("w", []uint64{33, 2}, tensor.Q8_0, 0), nil, `tensor "w"`, 24,
			"row of 33 elements is not a whole number of Q8_0 blocks of 32"},
		{"rows of partial blocks", oneTensor("w", []uint64{16, 2}, tensor.Q8_0, 0), nil, `tensor "w"`, 24,
			"row of 16 elements is not a whole number of Q8_0 blocks of 32"},
		{"unknown tensor type", oneTensor("w", []uint64{256}, 31, 0), nil, `tensor "w"`, 24, "unknown tensor type 31"},
		{"unaligned offset", oneTensor("w", []uint64{1}, tensor.F32, 4), nil, `tensor "w"`, 49,
			"data offset 4 is not a multiple of the alignment 32"},
		{"data past the end", aligned(header(3, 1, 0).ti("w", []uint64{8}, tensor.F32, 0)).zeros(16).b, ErrTruncated,
			`tensor "w"`, 64, "data of 32 bytes at data offset 0 runs past the end of the file (data section holds 16 bytes)"},
		{"offset far past the end", oneTensor("w", []uint64{1}, tensor.F32, 1<<62), ErrTruncated, `tensor "w"`, -1,
			"data of 4 bytes at data offset 4611686018427387904 runs past the end"},
		{"writer output cut short", cut, ErrTruncated, `tensor "w"`, -1, "data of 16 bytes at data offset 0 runs past"},
		{"overlapping tensors",
			aligned(header(3, 2, 0).ti("a", []uint64{16}, tensor.F32, 0).ti("b", []uint64{1}, tensor.F32, 32)).zeros(64).b,
			nil, `tensor "b"`, 96 + 32, `data at data offset 32 overlaps tensor "a" (data offset 0, 64 bytes)`},
		{"tensors at the same offset",
			aligned(header(3, 2, 0).ti("a", []uint64{1}, tensor.F32, 0).ti("b", []uint64{1}, tensor.F32, 0)).zeros(64).b,
			nil, `tensor "b"`, 96, `overlaps tensor "a"`},
	}
}

func TestParseBadFiles(t *testing.T) {
	for _, tc := range badFiles() {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.b)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", f)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not match ErrFormat", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			if fe.Where != tc.where {
				t.Errorf("Where = %q, want %q", fe.Where, tc.where)
			}
			if tc.off >= 0 && fe.Offset != tc.off {
				t.Errorf("Offset = %d, want %d", fe.Offset, tc.off)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.msg)
			}
		})
	}
}

func TestFormatErrorMessage(t *testing.T) {
	_, err := Parse(header(3, 0, 1).kv("a", TypeBool).u8(3).b)
	want := `gguf: key "a" at offset 37: BOOL byte is 3, want 0 or 1`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
