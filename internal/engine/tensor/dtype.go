package tensor

import "fmt"

// DType is the storage type of a weight matrix. Its values are GGML's
// ggml_type numbers (ggml/include/ggml.h), the numbers a GGUF file stores
// per tensor, so that a GGUF reader can map a tensor's type directly.
type DType uint32

// Storage types. Only F32 is implemented; quantised types (Q8_0 = 8,
// Q4_K = 12, ...) are to be added with their block layouts and kernels.
const (
	// F32 stores each element as an IEEE-754 float32, 4 bytes.
	F32 DType = 0
)

// String returns the GGML name of the type ("F32").
func (t DType) String() string {
	switch t {
	case F32:
		return "F32"
	default:
		return fmt.Sprintf("DType(%d)", uint32(t))
	}
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
