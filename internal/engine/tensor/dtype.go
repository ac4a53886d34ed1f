package tensor

import (
	"fmt"
	"math"
)

// DType is the storage type of a tensor. Its values are GGML's ggml_type
// numbers (ggml/include/ggml.h), the numbers a GGUF file stores per tensor,
// so that a GGUF reader maps a tensor's type directly.
type DType uint32

// Storage types the lab knows: every type a GGUF file may name (GGML's
// ggml_type values up to MXFP4; 4, 5 and 31–33, 36–38 are retired).
// Quantised types store elements in blocks of BlockSize elements, each
// block TypeSize bytes (a scale and the quantised values); see the layouts
// of the supported ones in quant.go.
const (
	F32     DType = 0
	F16     DType = 1
	Q4_0    DType = 2
	Q4_1    DType = 3
	Q5_0    DType = 6
	Q5_1    DType = 7
	Q8_0    DType = 8
	Q8_1    DType = 9
	Q2_K    DType = 10
	Q3_K    DType = 11
	Q4_K    DType = 12
	Q5_K    DType = 13
	Q6_K    DType = 14
	Q8_K    DType = 15
	IQ2_XXS DType = 16
	IQ2_XS  DType = 17
	IQ3_XXS DType = 18
	IQ1_S   DType = 19
	IQ4_NL  DType = 20
	IQ3_S   DType = 21
	IQ2_S   DType = 22
	IQ4_XS  DType = 23
	I8      DType = 24
	I16     DType = 25
	I32     DType = 26
	I64     DType = 27
	F64     DType = 28
	IQ1_M   DType = 29
	BF16    DType = 30
	TQ1_0   DType = 34
	TQ2_0   DType = 35
	MXFP4   DType = 39
)

// typeInfo is the block layout of one type.
type typeInfo struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// types lists the layouts of every type a GGUF file may name, so that a
// reader can size (and validate) any file; Supported says which the kernels
// compute with. Sizes follow ggml's type traits (ggml.c's type_traits, the
// block structs of ggml-common.h): a K-quant or most IQ super block holds
// 256 elements (QK_K).
var types = map[DType]typeInfo{
	F32:     {"F32", 1, 4},
	F16:     {"F16", 1, 2},
	BF16:    {"BF16", 1, 2},
	F64:     {"F64", 1, 8},
	I8:      {"I8", 1, 1},
	I16:     {"I16", 1, 2},
	I32:     {"I32", 1, 4},
	I64:     {"I64", 1, 8},
	Q4_0:    {"Q4_0", 32, 2 + 16},
	Q4_1:    {"Q4_1", 32, 2 + 2 + 16},
	Q5_0:    {"Q5_0", 32, 2 + 4 + 16},
	Q5_1:    {"Q5_1", 32, 2 + 2 + 4 + 16},
	Q8_0:    {"Q8_0", 32, 2 + 32},
	Q8_1:    {"Q8_1", 32, 2 + 2 + 32},
	Q2_K:    {"Q2_K", 256, 16 + 64 + 2 + 2},
	Q3_K:    {"Q3_K", 256, 32 + 64 + 12 + 2},
	Q4_K:    {"Q4_K", 256, 2 + 2 + 12 + 128},
	Q5_K:    {"Q5_K", 256, 2 + 2 + 12 + 32 + 128},
	Q6_K:    {"Q6_K", 256, 128 + 64 + 16 + 2},
	Q8_K:    {"Q8_K", 256, 4 + 256 + 2*16},
	IQ2_XXS: {"IQ2_XXS", 256, 2 + 64},            // d, qs[32] uint16
	IQ2_XS:  {"IQ2_XS", 256, 2 + 64 + 8},         // d, qs[32] uint16, scales[8]
	IQ2_S:   {"IQ2_S", 256, 2 + 64 + 8 + 8},      // d, qs[64], qh[8], scales[8]
	IQ3_XXS: {"IQ3_XXS", 256, 2 + 96},            // d, qs[96]
	IQ3_S:   {"IQ3_S", 256, 2 + 64 + 8 + 32 + 4}, // d, qs[64], qh[8], signs[32], scales[4]
	IQ1_S:   {"IQ1_S", 256, 2 + 32 + 16},         // d, qs[32], qh[8] uint16
	IQ1_M:   {"IQ1_M", 256, 32 + 16 + 8},         // qs[32], qh[16], scales[8]
	IQ4_NL:  {"IQ4_NL", 32, 2 + 16},              // d, qs[16]
	IQ4_XS:  {"IQ4_XS", 256, 2 + 2 + 4 + 128},    // d, scales_h, scales_l[4], qs[128]
	TQ1_0:   {"TQ1_0", 256, 48 + 4 + 2},          // qs[48], qh[4], d
	TQ2_0:   {"TQ2_0", 256, 64 + 2},              // qs[64], d
	MXFP4:   {"MXFP4", 32, 1 + 16},               // e (E8M0), qs[16]
}

// Known reports whether the lab knows t's block layout.
func (t DType) Known() bool { _, ok := types[t]; return ok }

// Supported reports whether the kernels compute with t: whether a Matrix of
// type t can be made, dequantised and multiplied (MatVec, MatMul), and
// whether Quantize and Dequantize accept it. These are F32, F16, BF16,
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K and Q8_K; the other
// known types can only be sized.
func Supported(t DType) bool {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K, Q8_K:
		return true
	}
	return false
}

// BlockSize is the number of elements in one block of t (1 for float types).
// It panics for an unknown type; check Known first.
func (t DType) BlockSize() int { return t.info().blockSize }

// TypeSize is the number of bytes of one block of t.
func (t DType) TypeSize() int { return t.info().typeSize }

// RowBytes returns the bytes of n elements of t, and false when n is
// negative, is not a whole number of blocks, or its size does not fit in an
// int64. It panics for an unknown type.
func (t DType) RowBytes(n int64) (int64, bool) {
	i := t.info()
	bs, ts := int64(i.blockSize), int64(i.typeSize)
	if n < 0 || n%bs != 0 {
		return 0, false
	}
	blocks := n / bs
	if blocks > math.MaxInt64/ts {
		return 0, false
	}
	return blocks * ts, true
}

func (t DType) info() typeInfo {
	i, ok := types[t]
	if !ok {
		panic(fmt.Sprintf("tensor: unknown type %d", uint32(t)))
	}
	return i
}

// String returns the GGML name of the type ("F32", "Q4_K").
func (t DType) String() string {
	if i, ok := types[t]; ok {
		return i.name
	}
	return fmt.Sprintf("DType(%d)", uint32(t))
}
