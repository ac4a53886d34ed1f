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

// Matrix is a row-major weight matrix of Rows×Cols elements stored as Type.
// Row r holds the Cols input weights of output r, so a matrix×vector product
// maps a vector of length Cols to one of length Rows. In GGUF's notation the
// tensor's ne[0] is Cols and ne[1] is Rows.
type Matrix struct {
	// Rows is the number of outputs (GGUF ne[1]).
	Rows int
	// Cols is the number of inputs, the contiguous dimension (GGUF ne[0]).
	Cols int
	// Type is the storage type of the elements.
	Type DType
	// F32 holds the Rows×Cols elements, row by row, when Type is F32.
	// Quantised types will add their own block storage beside it.
	F32 []float32
}

// NewMatrixF32 returns a zeroed F32 matrix of rows×cols elements.
func NewMatrixF32(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Type: F32, F32: make([]float32, rows*cols)}
}

// Elements returns the number of elements, Rows×Cols.
func (m *Matrix) Elements() int64 { return int64(m.Rows) * int64(m.Cols) }

// Bytes returns the size of the matrix's storage in bytes.
func (m *Matrix) Bytes() int64 {
	switch m.Type {
	case F32:
		return 4 * m.Elements()
	default:
		panic("tensor: unsupported type " + m.Type.String())
	}
}

// Row writes row r of m, converted to float32, into dst, which must have
// length Cols. It is how an embedding table is looked up.
func (m *Matrix) Row(r int, dst []float32) {
	if r < 0 || r >= m.Rows {
		panic(fmt.Sprintf("tensor: row %d out of range [0,%d)", r, m.Rows))
	}
	if len(dst) != m.Cols {
		panic(fmt.Sprintf("tensor: row of %d elements into %d", m.Cols, len(dst)))
	}
	switch m.Type {
	case F32:
		copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
	default:
		panic("tensor: unsupported type " + m.Type.String())
	}
}

// Validate reports whether the storage matches the dimensions and type.
func (m *Matrix) Validate() error {
	if m.Rows <= 0 || m.Cols <= 0 {
		return fmt.Errorf("matrix has non-positive shape %d×%d", m.Rows, m.Cols)
	}
	switch m.Type {
	case F32:
		if int64(len(m.F32)) != m.Elements() {
			return fmt.Errorf("F32 matrix %d×%d has %d elements", m.Rows, m.Cols, len(m.F32))
		}
		return nil
	default:
		return fmt.Errorf("matrix type %s is not supported", m.Type)
	}
}
