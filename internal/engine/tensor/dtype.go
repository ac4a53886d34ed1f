package tensor

import "fmt"

// DType is the storage type of a tensor. Its values are GGML's ggml_type
// numbers (ggml/include/ggml.h), the numbers a GGUF file stores per tensor,
// so that a GGUF reader maps a tensor's type directly.
type DType uint32

// Storage types the lab knows. Quantised types store elements in blocks of
// BlockSize elements, each block TypeSize bytes (a scale and the quantised
// values); see the layouts in quant.go.
const (
	F32  DType = 0
	F16  DType = 1
	Q4_0 DType = 2
	Q4_1 DType = 3
	Q5_0 DType = 6
	Q5_1 DType = 7
	Q8_0 DType = 8
	Q8_1 DType = 9
	Q2_K DType = 10
	Q3_K DType = 11
	Q4_K DType = 12
	Q5_K DType = 13
	Q6_K DType = 14
	Q8_K DType = 15
	BF16 DType = 30
)

// typeInfo is the block layout of one type.
type typeInfo struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// types lists the layouts of every type a GGUF file may name that the lab
// can at least size (so a reader can validate a file); Supported says which
// the kernels compute with. Sizes follow ggml's type traits: a K-quant super
// block holds 256 elements (QK_K).
var types = map[DType]typeInfo{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	Q4_0: {"Q4_0", 32, 2 + 16},
	Q4_1: {"Q4_1", 32, 2 + 2 + 16},
	Q5_0: {"Q5_0", 32, 2 + 4 + 16},
	Q5_1: {"Q5_1", 32, 2 + 2 + 4 + 16},
	Q8_0: {"Q8_0", 32, 2 + 32},
	Q8_1: {"Q8_1", 32, 2 + 2 + 32},
	Q2_K: {"Q2_K", 256, 16 + 64 + 2 + 2},
	Q3_K: {"Q3_K", 256, 32 + 64 + 12 + 2},
	Q4_K: {"Q4_K", 256, 2 + 2 + 12 + 128},
	Q5_K: {"Q5_K", 256, 2 + 2 + 12 + 32 + 128},
	Q6_K: {"Q6_K", 256, 128 + 64 + 16 + 2},
	Q8_K: {"Q8_K", 256, 4 + 256 + 2*16},
}

// Known reports whether the lab knows t's block layout.
func (t DType) Known() bool { _, ok := types[t]; return ok }

// Supported reports whether the kernels compute with t: whether a Matrix of
// type t can be made, dequantised and multiplied (MatVec, MatMul), and
// whether Quantize and Dequantize accept it. These are F32, F16, BF16, Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K and Q8_K; the other known types can only be sized.
func Supported(t DType) bool {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K:
		return true
	}
	return false
}

// BlockSize is the number of elements in one block of t (1 for float types).
// It panics for an unknown type; check Known first.
func (t DType) BlockSize() int { return t.info().blockSize }

// TypeSize is the number of bytes of one block of t.
func (t DType) TypeSize() int { return t.info().typeSize }

// RowBytes returns the bytes of n elements of t, and false when n is not a
// whole number of blocks.
func (t DType) RowBytes(n int64) (int64, bool) {
	i := t.info()
	if n%int64(i.blockSize) != 0 {
		return 0, false
	}
	return n / int64(i.blockSize) * int64(i.typeSize), true
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
