package gguf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueType is the type of a metadata value, gguf_metadata_value_type in
// ggml's docs/gguf.md. It is stored in a file as a little-endian uint32.
type ValueType uint32

// The metadata value types of docs/gguf.md, with their numbers in the file.
const (
	TypeUint8   ValueType = 0  // 8-bit unsigned integer
	TypeInt8    ValueType = 1  // 8-bit signed integer
	TypeUint16  ValueType = 2  // 16-bit unsigned integer
	TypeInt16   ValueType = 3  // 16-bit signed integer
	TypeUint32  ValueType = 4  // 32-bit unsigned integer
	TypeInt32   ValueType = 5  // 32-bit signed integer
	TypeFloat32 ValueType = 6  // IEEE 754 binary32
	TypeBool    ValueType = 7  // one byte, 0 (false) or 1 (true)
	TypeString  ValueType = 8  // uint64 byte length, then UTF-8 bytes
	TypeArray   ValueType = 9  // element type, uint64 element count, elements
	TypeUint64  ValueType = 10 // 64-bit unsigned integer
	TypeInt64   ValueType = 11 // 64-bit signed integer
	TypeFloat64 ValueType = 12 // IEEE 754 binary64
)

var typeNames = [...]string{
	TypeUint8: "UINT8", TypeInt8: "INT8", TypeUint16: "UINT16", TypeInt16: "INT16",
	TypeUint32: "UINT32", TypeInt32: "INT32", TypeFloat32: "FLOAT32", TypeBool: "BOOL",
	TypeString: "STRING", TypeArray: "ARRAY", TypeUint64: "UINT64", TypeInt64: "INT64",
	TypeFloat64: "FLOAT64",
}

// Valid reports whether t is one of the thirteen types of docs/gguf.md.
func (t ValueType) Valid() bool { return t <= TypeFloat64 }

// String returns the name docs/gguf.md gives t, without its
// GGUF_METADATA_VALUE_TYPE_ prefix ("UINT32", "STRING").
func (t ValueType) String() string {
	if t.Valid() {
		return typeNames[t]
	}
	return "ValueType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// size returns the encoded size in bytes of a value of t, or 0 for STRING
// and ARRAY, whose size depends on their content.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize returns the fewest bytes an encoded value of t can take: a STRING
// needs its 8-byte length, an ARRAY its 4-byte type and 8-byte count.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.size()
}

// ErrType is wrapped by the errors of the typed metadata getters when a
// value's type differs from the one asked for and cannot be converted to it
// without loss.
var ErrType = errors.New("metadata value has the wrong type")

// Value is one metadata value: a scalar of one of the ValueType numbers, a
// string, or an array of elements of one type (docs/gguf.md,
// gguf_metadata_value_t). Make one with the constructors (Uint32, String,
// Array, ...); the zero Value is invalid and the Writer rejects it.
//
// Values are immutable once made. Arrays share their storage with the slice
// given to Array, or with the File they were parsed from; the slices that
// AsStrings, AsFloat32s and AsInt32s return may be that storage and must not
// be modified.
type Value struct {
	typ  ValueType
	set  bool
	elem ValueType // element type of an ARRAY
	num  uint64    // scalar numbers and BOOL: see the constructors
	str  string    // STRING
	arr  any       // ARRAY: []uint8, []int8, ..., []string, []bool or []Value
}

// Uint8 returns a UINT8 value.
func Uint8(v uint8) Value { return Value{typ: TypeUint8, set: true, num: uint64(v)} }

// Int8 returns an INT8 value.
func Int8(v int8) Value { return Value{typ: TypeInt8, set: true, num: uint64(int64(v))} }

// Uint16 returns a UINT16 value.
func Uint16(v uint16) Value { return Value{typ: TypeUint16, set: true, num: uint64(v)} }

// Int16 returns an INT16 value.
func Int16(v int16) Value { return Value{typ: TypeInt16, set: true, num: uint64(int64(v))} }

// Uint32 returns a UINT32 value.
func Uint32(v uint32) Value { return Value{typ: TypeUint32, set: true, num: uint64(v)} }

// Int32 returns an INT32 value.
func Int32(v int32) Value { return Value{typ: TypeInt32, set: true, num: uint64(int64(v))} }

// Uint64 returns a UINT64 value.
func Uint64(v uint64) Value { return Value{typ: TypeUint64, set: true, num: v} }

// Int64 returns an INT64 value.
func Int64(v int64) Value { return Value{typ: TypeInt64, set: true, num: uint64(v)} }

// Float32 returns a FLOAT32 value.
func Float32(v float32) Value {
	return Value{typ: TypeFloat32, set: true, num: uint64(math.Float32bits(v))}
}

// Float64 returns a FLOAT64 value.
func Float64(v float64) Value { return Value{typ: TypeFloat64, set: true, num: math.Float64bits(v)} }

// Bool returns a BOOL value.
func Bool(v bool) Value {
	var n uint64
	if v {
		n = 1
	}
	return Value{typ: TypeBool, set: true, num: n}
}

// String returns a STRING value.
func String(v string) Value { return Value{typ: TypeString, set: true, str: v} }

// Elem is the set of Go element types an ARRAY value can hold: one per
// scalar ValueType, string, and Value for an array of arrays (whose elements
// must themselves be arrays; docs/gguf.md allows nesting).
type Elem interface {
	uint8 | int8 | uint16 | int16 | uint32 | int32 | float32 | bool | string |
		uint64 | int64 | float64 | Value
}

// Array returns an ARRAY value whose element type follows from T
// ([]float32 makes an array of FLOAT32, []Value an array of arrays). The
// value keeps vs without copying it, so vs must not be modified afterwards.
func Array[T Elem](vs []T) Value {
	v := Value{typ: TypeArray, set: true, arr: vs}
	switch any(vs).(type) {
	case []uint8:
		v.elem = TypeUint8
	case []int8:
		v.elem = TypeInt8
	case []uint16:
		v.elem = TypeUint16
	case []int16:
		v.elem = TypeInt16
	case []uint32:
		v.elem = TypeUint32
	case []int32:
		v.elem = TypeInt32
	case []float32:
		v.elem = TypeFloat32
	case []bool:
		v.elem = TypeBool
	case []string:
		v.elem = TypeString
	case []uint64:
		v.elem = TypeUint64
	case []int64:
		v.elem = TypeInt64
	case []float64:
		v.elem = TypeFloat64
	case []Value:
		v.elem = TypeArray
	}
	return v
}

// IsValid reports whether v was made by a constructor or parsed from a file,
// as opposed to being the zero Value.
func (v Value) IsValid() bool { return v.set }

// Type returns the type of v.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns the element type of an ARRAY value; for other values it
// returns TypeUint8 and means nothing.
func (v Value) ElemType() ValueType { return v.elem }

// Len returns the number of elements of an ARRAY value, and 0 for other
// values.
func (v Value) Len() int {
	switch a := v.arr.(type) {
	case nil:
		return 0
	case []uint8:
		return len(a)
	case []int8:
		return len(a)
	case []uint16:
		return len(a)
	case []int16:
		return len(a)
	case []uint32:
		return len(a)
	case []int32:
		return len(a)
	case []float32:
		return len(a)
	case []bool:
		return len(a)
	case []string:
		return len(a)
	case []uint64:
		return len(a)
	case []int64:
		return len(a)
	case []float64:
		return len(a)
	case []Value:
		return len(a)
	}
	return 0
}

// Index returns element i of an ARRAY value as a Value of the array's
// element type. It panics if v is not an array or i is out of range, like a
// slice index.
func (v Value) Index(i int) Value {
	switch a := v.arr.(type) {
	case []uint8:
		return Uint8(a[i])
	case []int8:
		return Int8(a[i])
	case []uint16:
		return Uint16(a[i])
	case []int16:
		return Int16(a[i])
	case []uint32:
		return Uint32(a[i])
	case []int32:
		return Int32(a[i])
	case []float32:
		return Float32(a[i])
	case []bool:
		return Bool(a[i])
	case []string:
		return String(a[i])
	case []uint64:
		return Uint64(a[i])
	case []int64:
		return Int64(a[i])
	case []float64:
		return Float64(a[i])
	case []Value:
		return a[i]
	}
	panic(fmt.Sprintf("gguf: Index of a %s value", v.typ))
}

// Interface returns v as a Go value: uint8, int8, ..., float64, bool or
// string for a scalar, and for an ARRAY the slice it holds ([]string,
// []float32, ..., or []Value for an array of arrays). It returns nil for the
// zero Value. A returned slice is shared with v and must not be modified.
func (v Value) Interface() any {
	if !v.set {
		return nil
	}
	switch v.typ {
	case TypeUint8:
		return uint8(v.num)
	case TypeInt8:
		return int8(v.num)
	case TypeUint16:
		return uint16(v.num)
	case TypeInt16:
		return int16(v.num)
	case TypeUint32:
		return uint32(v.num)
	case TypeInt32:
		return int32(v.num)
	case TypeUint64:
		return v.num
	case TypeInt64:
		return int64(v.num)
	case TypeFloat32:
		return math.Float32frombits(uint32(v.num))
	case TypeFloat64:
		return math.Float64frombits(v.num)
	case TypeBool:
		return v.num != 0
	case TypeString:
		return v.str
	case TypeArray:
		return v.arr
	}
	return nil
}

func (v Value) isUnsigned() bool {
	return v.typ == TypeUint8 || v.typ == TypeUint16 || v.typ == TypeUint32 || v.typ == TypeUint64
}

func (v Value) isSigned() bool {
	return v.typ == TypeInt8 || v.typ == TypeInt16 || v.typ == TypeInt32 || v.typ == TypeInt64
}

func (v Value) wrongType(want string) error {
	return fmt.Errorf("%w: %s, not %s", ErrType, v.describe(), want)
}

// describe names v's type for an error message ("ARRAY of STRING").
func (v Value) describe() string {
	if !v.set {
		return "no value"
	}
	if v.typ == TypeArray {
		return "ARRAY of " + v.elem.String()
	}
	return v.typ.String()
}

// uint64 converts an integer value to uint64 when it is not negative.
func (v Value) uint64() (uint64, error) {
	switch {
	case v.isUnsigned():
		return v.num, nil
	case v.isSigned():
		if int64(v.num) < 0 {
			return 0, fmt.Errorf("%w: %s value %d is negative", ErrType, v.typ, int64(v.num))
		}
		return v.num, nil
	}
	return 0, v.wrongType("an unsigned integer")
}

// int64 converts an integer value to int64 when it fits.
func (v Value) int64() (int64, error) {
	switch {
	case v.isSigned():
		return int64(v.num), nil
	case v.isUnsigned():
		if v.num > math.MaxInt64 {
			return 0, fmt.Errorf("%w: %s value %d overflows int64", ErrType, v.typ, v.num)
		}
		return int64(v.num), nil
	}
	return 0, v.wrongType("an integer")
}

// float64 converts a float value, or an integer value that float64 holds
// exactly, to float64.
func (v Value) float64() (float64, error) {
	switch {
	case v.typ == TypeFloat32:
		return float64(math.Float32frombits(uint32(v.num))), nil
	case v.typ == TypeFloat64:
		return math.Float64frombits(v.num), nil
	case v.isSigned():
		f := float64(int64(v.num))
		if f >= -(1<<63) && f < 1<<63 && int64(f) == int64(v.num) {
			return f, nil
		}
		return 0, fmt.Errorf("%w: %s value %d is not exact in float64", ErrType, v.typ, int64(v.num))
	case v.isUnsigned():
		f := float64(v.num)
		if f < 1<<64 && uint64(f) == v.num {
			return f, nil
		}
		return 0, fmt.Errorf("%w: %s value %d is not exact in float64", ErrType, v.typ, v.num)
	}
	return 0, v.wrongType("a number")
}

// AsUint64 returns the value of an unsigned integer, or of a signed integer
// that is not negative, widened to uint64; ok is false for any other value.
func (v Value) AsUint64() (x uint64, ok bool) {
	x, err := v.uint64()
	return x, err == nil
}

// AsInt64 returns the value of an integer that fits in int64; ok is false
// for any other value (including a UINT64 above math.MaxInt64).
func (v Value) AsInt64() (x int64, ok bool) {
	x, err := v.int64()
	return x, err == nil
}

// AsFloat64 returns the value of a FLOAT32 or FLOAT64, or of an integer that
// float64 holds exactly; ok is false for any other value.
func (v Value) AsFloat64() (x float64, ok bool) {
	x, err := v.float64()
	return x, err == nil
}

// AsBool returns the value of a BOOL; ok is false for any other type.
func (v Value) AsBool() (x, ok bool) {
	if v.typ != TypeBool || !v.set {
		return false, false
	}
	return v.num != 0, true
}

// AsString returns the value of a STRING; ok is false for any other type.
func (v Value) AsString() (string, bool) {
	if v.typ != TypeString || !v.set {
		return "", false
	}
	return v.str, true
}

// AsStrings returns the elements of an ARRAY of STRING; ok is false for any
// other value. The slice is shared with v and must not be modified.
func (v Value) AsStrings() ([]string, bool) {
	a, ok := v.arr.([]string)
	return a, ok
}

// AsFloat32s returns the elements of an ARRAY of FLOAT32, shared with v (not
// to be modified), or a new slice converted from an array of FLOAT64 or
// integers when every element is exact in float32; ok is false otherwise.
func (v Value) AsFloat32s() ([]float32, bool) {
	x, err := v.float32s()
	return x, err == nil
}

func (v Value) float32s() ([]float32, error) {
	if a, ok := v.arr.([]float32); ok {
		return a, nil
	}
	if v.typ != TypeArray || v.elem == TypeArray || v.elem == TypeString || v.elem == TypeBool {
		return nil, v.wrongType("ARRAY of FLOAT32")
	}
	out := make([]float32, v.Len())
	for i := range out {
		f, err := v.Index(i).float64()
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = float32(f)
		if float64(out[i]) != f && !math.IsNaN(f) {
			return nil, fmt.Errorf("%w: element %d (%v) is not exact in float32", ErrType, i, f)
		}
	}
	return out, nil
}

// AsInt32s returns the elements of an ARRAY of INT32, shared with v (not to
// be modified), or a new slice converted from an array of another integer
// type when every element fits in int32; ok is false otherwise.
func (v Value) AsInt32s() ([]int32, bool) {
	x, err := v.int32s()
	return x, err == nil
}

func (v Value) int32s() ([]int32, error) {
	if a, ok := v.arr.([]int32); ok {
		return a, nil
	}
	if v.typ != TypeArray || !(Value{typ: v.elem}).isSigned() && !(Value{typ: v.elem}).isUnsigned() {
		return nil, v.wrongType("ARRAY of INT32")
	}
	out := make([]int32, v.Len())
	for i := range out {
		x, err := v.Index(i).int64()
		if err != nil || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("%w: element %d (%v) does not fit in int32", ErrType, i, v.Index(i).Interface())
		}
		out[i] = int32(x)
	}
	return out, nil
}

// Equal reports whether v and u have the same type and content. Floats are
// compared by their bits, so a NaN equals itself and 0 differs from -0: two
// Values are Equal exactly when they encode to the same bytes.
func (v Value) Equal(u Value) bool {
	if v.set != u.set || v.typ != u.typ {
		return false
	}
	switch v.typ {
	case TypeString:
		return v.str == u.str
	case TypeArray:
		if v.elem != u.elem || v.Len() != u.Len() {
			return false
		}
		return arraysEqual(v.arr, u.arr)
	}
	return v.num == u.num
}

func arraysEqual(a, b any) bool {
	switch a := a.(type) {
	case []uint8:
		return slicesEqual(a, b.([]uint8))
	case []int8:
		return slicesEqual(a, b.([]int8))
	case []uint16:
		return slicesEqual(a, b.([]uint16))
	case []int16:
		return slicesEqual(a, b.([]int16))
	case []uint32:
		return slicesEqual(a, b.([]uint32))
	case []int32:
		return slicesEqual(a, b.([]int32))
	case []bool:
		return slicesEqual(a, b.([]bool))
	case []string:
		return slicesEqual(a, b.([]string))
	case []uint64:
		return slicesEqual(a, b.([]uint64))
	case []int64:
		return slicesEqual(a, b.([]int64))
	case []float32:
		b := b.([]float32)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	case []float64:
		b := b.([]float64)
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	case []Value:
		b := b.([]Value)
		for i := range a {
			if !a[i].Equal(b[i]) {
				return false
			}
		}
		return true
	}
	return a == nil && b == nil
}

func slicesEqual[T comparable](a, b []T) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String formats v for people: a number or quoted string as Go prints it,
// and an array as its element type, length and first few elements
// ("[STRING × 151936: "!" "\"" "#" ...]").
func (v Value) String() string {
	if !v.set {
		return "<invalid>"
	}
	switch v.typ {
	case TypeString:
		return strconv.Quote(v.str)
	case TypeArray:
		const show = 3
		var b strings.Builder
		fmt.Fprintf(&b, "[%s × %d", v.elem, v.Len())
		for i := 0; i < v.Len() && i < show; i++ {
			if i == 0 {
				b.WriteString(":")
			}
			b.WriteString(" ")
			b.WriteString(v.Index(i).String())
		}
		if v.Len() > show {
			b.WriteString(" ...")
		}
		b.WriteString("]")
		return b.String()
	}
	return fmt.Sprint(v.Interface())
}
