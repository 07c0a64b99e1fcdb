package caxton

// The msgpack writer (decision 0021; the reader and the notes are in msgpack.go).

import "math"

// Writer appends msgpack values to a byte slice that it reuses: after the first
// messages have grown it, writing never allocates.
type Writer struct {
	buf []byte
}

// Bytes is what has been written; Len its length; Reset empties the Writer, keeping its capacity.
func (w *Writer) Bytes() []byte { return w.buf }
func (w *Writer) Len() int      { return len(w.buf) }
func (w *Writer) Reset()        { w.buf = w.buf[:0] }

func (w *Writer) be(head byte, v uint64, n int) {
	w.buf = append(w.buf, head)
	for i := n - 1; i >= 0; i-- {
		w.buf = append(w.buf, byte(v>>(8*i)))
	}
}

// Nil writes nil.
func (w *Writer) Nil() { w.buf = append(w.buf, 0xc0) }

// Bool writes a bool.
func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 0xc3)
	} else {
		w.buf = append(w.buf, 0xc2)
	}
}

// Int writes an integer in its shortest encoding.
func (w *Writer) Int(v int64) {
	switch {
	case v >= 0:
		w.Uint(uint64(v))
	case v >= -32:
		w.buf = append(w.buf, byte(v))
	case v >= math.MinInt8:
		w.be(0xd0, uint64(v), 1)
	case v >= math.MinInt16:
		w.be(0xd1, uint64(v), 2)
	case v >= math.MinInt32:
		w.be(0xd2, uint64(v), 4)
	default:
		w.be(0xd3, uint64(v), 8)
	}
}

// Uint writes a non-negative integer in its shortest encoding.
func (w *Writer) Uint(v uint64) {
	switch {
	case v < 0x80:
		w.buf = append(w.buf, byte(v))
	case v <= math.MaxUint8:
		w.be(0xcc, v, 1)
	case v <= math.MaxUint16:
		w.be(0xcd, v, 2)
	case v <= math.MaxUint32:
		w.be(0xce, v, 4)
	default:
		w.be(0xcf, v, 8)
	}
}

// Float64 writes a float64; Float32 a float32.
func (w *Writer) Float64(v float64) { w.be(0xcb, math.Float64bits(v), 8) }
func (w *Writer) Float32(v float32) { w.be(0xca, uint64(math.Float32bits(v)), 4) }

// String writes a string.
func (w *Writer) String(s string) {
	w.strHeader(len(s))
	w.buf = append(w.buf, s...)
}

// StringBytes writes UTF-8 bytes as a string.
func (w *Writer) StringBytes(s []byte) {
	w.strHeader(len(s))
	w.buf = append(w.buf, s...)
}

func (w *Writer) strHeader(n int) {
	switch {
	case n < 32:
		w.buf = append(w.buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		w.be(0xd9, uint64(n), 1)
	case n <= math.MaxUint16:
		w.be(0xda, uint64(n), 2)
	default:
		w.be(0xdb, uint64(n), 4)
	}
}

// Binary writes a bin value.
func (w *Writer) Binary(b []byte) {
	switch n := len(b); {
	case n <= math.MaxUint8:
		w.be(0xc4, uint64(n), 1)
	case n <= math.MaxUint16:
		w.be(0xc5, uint64(n), 2)
	default:
		w.be(0xc6, uint64(n), 4)
	}
	w.buf = append(w.buf, b...)
}

// ArrayHeader starts an array of n elements (write them next).
func (w *Writer) ArrayHeader(n int) { w.header(0x90, 0xdc, n) }

// MapHeader starts a map of n pairs (write key, value, key, value... next).
func (w *Writer) MapHeader(n int) { w.header(0x80, 0xde, n) }

func (w *Writer) header(fix, b16 byte, n int) {
	switch {
	case n < 16:
		w.buf = append(w.buf, fix|byte(n))
	case n <= math.MaxUint16:
		w.be(b16, uint64(n), 2)
	default:
		w.be(b16+1, uint64(n), 4)
	}
}

// Raw appends already-encoded msgpack (e.g. a value read with Reader.ReadRaw).
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Value writes v: nil, bool, any integer or float type, string, []byte,
// []any, map[string]any, or a RawValue. Anything else is written as nil
// (so the value stays well-formed) and makes it return false. Convenient, but boxing into `any` may allocate:
// use the typed methods on hot paths.
func (w *Writer) Value(v any) bool {
	switch x := v.(type) {
	case nil:
		w.Nil()
	case bool:
		w.Bool(x)
	case int:
		w.Int(int64(x))
	case int8:
		w.Int(int64(x))
	case int16:
		w.Int(int64(x))
	case int32:
		w.Int(int64(x))
	case int64:
		w.Int(x)
	case uint:
		w.Uint(uint64(x))
	case uint8:
		w.Uint(uint64(x))
	case uint16:
		w.Uint(uint64(x))
	case uint32:
		w.Uint(uint64(x))
	case uint64:
		w.Uint(x)
	case float32:
		w.Float32(x)
	case float64:
		w.Float64(x)
	case string:
		w.String(x)
	case []byte:
		w.Binary(x)
	case RawValue:
		w.Raw(x)
	case []any:
		w.ArrayHeader(len(x))
		ok := true
		for _, e := range x {
			ok = w.Value(e) && ok // an unsupported element is written as nil
		}
		return ok
	case map[string]any:
		w.MapHeader(len(x))
		ok := true
		for k, e := range x {
			w.String(k)
			ok = w.Value(e) && ok
		}
		return ok
	default:
		w.Nil()
		return false
	}
	return true
}

// RawValue is already-encoded msgpack, written as is by Writer.Value.
type RawValue []byte
