package tensor

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Matrix is a row-major weight matrix of Rows×Cols elements stored as Type.
// Row r holds the Cols input weights of output r, so a matrix×vector product
// maps a vector of length Cols to one of length Rows. In GGUF's notation the
// tensor's ne[0] is Cols and ne[1] is Rows.
//
// An F32 matrix keeps its elements in F32; a matrix of any other supported
// type keeps its rows of blocks, exactly as a GGUF file stores them, in
// Data, which may alias a memory-mapped file: the kernels read it in place
// and never write it.
type Matrix struct {
	// Rows is the number of outputs (GGUF ne[1]).
	Rows int
	// Cols is the number of inputs, the contiguous dimension (GGUF ne[0]).
	// For a block type it is a multiple of Type.BlockSize().
	Cols int
	// Type is the storage type of the elements.
	Type DType
	// F32 holds the Rows×Cols elements, row by row, when Type is F32; it is
	// nil otherwise.
	F32 []float32
	// Data holds the Rows×Type.RowBytes(Cols) bytes of the rows, row by
	// row, when Type is not F32 (ggml's block layouts; see quant.go); it is
	// nil for an F32 matrix.
	Data []byte
}

// NewMatrixF32 returns a zeroed F32 matrix of rows×cols elements.
func NewMatrixF32(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Type: F32, F32: make([]float32, rows*cols)}
}

// NewMatrix returns a rows×cols matrix of type t whose storage is data, the
// rows one after another in t's layout (a GGUF tensor's bytes), without
// copying it: the matrix aliases data, which must not change while the
// matrix is in use. It fails if t is not Supported, if the shape is not
// positive, if cols is not a whole number of t's blocks or if len(data) is
// not rows × t.RowBytes(cols).
//
// F32 data is viewed as []float32 in place on little-endian hosts when it is
// 4-byte aligned (GGUF aligns tensor data to 32 bytes, so a memory-mapped
// file always is); unaligned data, or any F32 data on a big-endian host, is
// copied into a new []float32 instead.
func NewMatrix(rows, cols int, t DType, data []byte) (*Matrix, error) {
	if !Supported(t) {
		return nil, fmt.Errorf("new %d×%d matrix: type %s is not supported", rows, cols, t)
	}
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("new matrix: non-positive shape %d×%d", rows, cols)
	}
	rb, ok := t.RowBytes(int64(cols))
	if !ok {
		return nil, fmt.Errorf("new %s matrix: %d columns are not a whole number of %d-element blocks", t, cols, t.BlockSize())
	}
	if want := int64(rows) * rb; int64(len(data)) != want {
		return nil, fmt.Errorf("new %d×%d %s matrix: %d bytes of data, want %d", rows, cols, t, len(data), want)
	}
	m := &Matrix{Rows: rows, Cols: cols, Type: t}
	if t != F32 {
		m.Data = data
		return m, nil
	}
	n := rows * cols
	if littleEndian && uintptr(unsafe.Pointer(&data[0]))%4 == 0 {
		m.F32 = unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), n)
		return m, nil
	}
	// Unaligned (or big-endian) data cannot be viewed as float32: copy it.
	m.F32 = make([]float32, n)
	if err := Dequantize(F32, data, m.F32); err != nil {
		return nil, err
	}
	return m, nil
}

// littleEndian is true on hosts that store a float32 least significant byte
// first, as GGUF files do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Elements returns the number of elements, Rows×Cols.
func (m *Matrix) Elements() int64 { return int64(m.Rows) * int64(m.Cols) }

// rowBytes returns the bytes of one row of m.
func (m *Matrix) rowBytes() int {
	rb, _ := m.Type.RowBytes(int64(m.Cols))
	return int(rb)
}

// Bytes returns the size of the matrix's storage in bytes: what one
// matrix×vector product reads (4×Rows×Cols for F32, Rows × the row's blocks
// for a block type).
func (m *Matrix) Bytes() int64 {
	if !Supported(m.Type) {
		panic("tensor: unsupported type " + m.Type.String())
	}
	return int64(m.Rows) * int64(m.rowBytes())
}

// Row writes row r of m, converted (dequantised) to float32, into dst, which
// must have length Cols. It is how an embedding table is looked up.
func (m *Matrix) Row(r int, dst []float32) {
	if r < 0 || r >= m.Rows {
		panic(fmt.Sprintf("tensor: row %d out of range [0,%d)", r, m.Rows))
	}
	if len(dst) != m.Cols {
		panic(fmt.Sprintf("tensor: row of %d elements into %d", m.Cols, len(dst)))
	}
	if m.Type == F32 {
		copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
		return
	}
	rb := m.rowBytes()
	if err := Dequantize(m.Type, m.Data[r*rb:(r+1)*rb], dst); err != nil {
		panic("tensor: " + err.Error())
	}
}

// Validate reports whether the storage matches the dimensions and type.
func (m *Matrix) Validate() error {
	if m.Rows <= 0 || m.Cols <= 0 {
		return fmt.Errorf("matrix has non-positive shape %d×%d", m.Rows, m.Cols)
	}
	if !Supported(m.Type) {
		return fmt.Errorf("matrix type %s is not supported", m.Type)
	}
	if m.Type == F32 {
		if int64(len(m.F32)) != m.Elements() {
			return fmt.Errorf("F32 matrix %d×%d has %d elements", m.Rows, m.Cols, len(m.F32))
		}
		return nil
	}
	rb, ok := m.Type.RowBytes(int64(m.Cols))
	if !ok {
		return fmt.Errorf("%s matrix has %d columns, not a whole number of %d-element blocks", m.Type, m.Cols, m.Type.BlockSize())
	}
	if want := int64(m.Rows) * rb; int64(len(m.Data)) != want {
		return fmt.Errorf("%s matrix %d×%d has %d bytes, want %d", m.Type, m.Rows, m.Cols, len(m.Data), want)
	}
	return nil
}
