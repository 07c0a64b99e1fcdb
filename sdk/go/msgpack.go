package caxton

// A small MessagePack reader and writer for the values agents exchange. It is
// hand-written (decision 0021) so the SDK has no dependency to download and no
// reflection: the reader works in place over the frame, and the writer appends
// to a reused buffer, so neither allocates except where a method says so.

import (
	"encoding/binary"
	"math"
)

// Type is the kind of a msgpack value, as told by its first byte.
type Type uint8

const (
	// Invalid is the end of the data or a byte that starts no value (0xc1).
	Invalid Type = iota
	Nil
	Bool
	// Int is any integer encoding: fixint, int8..int64, uint8..uint64.
	Int
	// Float is float32 or float64.
	Float
	String
	Binary
	Array
	Map
	Ext
)

var typeNames = [...]string{"invalid", "nil", "bool", "int", "float", "string", "binary", "array", "map", "ext"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// TypeOfByte returns the kind of value whose first byte is b.
func TypeOfByte(b byte) Type {
	switch {
	case b < 0x80, b >= 0xe0:
		return Int
	case b < 0x90:
		return Map
	case b < 0xa0:
		return Array
	case b < 0xc0:
		return String
	}
	switch b {
	case 0xc0:
		return Nil
	case 0xc2, 0xc3:
		return Bool
	case 0xc4, 0xc5, 0xc6:
		return Binary
	case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return Ext
	case 0xca, 0xcb:
		return Float
	case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
		return Int
	case 0xd9, 0xda, 0xdb:
		return String
	case 0xdc, 0xdd:
		return Array
	case 0xde, 0xdf:
		return Map
	}
	return Invalid
}

// Reader decodes msgpack values from a byte slice without copying them. Every
// Read method returns ok=false, and leaves the position unchanged, when the next
// value is not of the asked kind or is truncated.
type Reader struct {
	b   []byte
	pos int
}

// NewReader returns a Reader over b (one allocation; prefer Reset on a kept Reader).
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Reset points the reader at the start of b.
func (r *Reader) Reset(b []byte) *Reader {
	r.b, r.pos = b, 0
	return r
}

// Pos is the offset of the next value; Remaining is what is left from there.
func (r *Reader) Pos() int          { return r.pos }
func (r *Reader) Remaining() []byte { return r.b[r.pos:] }

// PeekType is the kind of the next value (Invalid at the end).
func (r *Reader) PeekType() Type {
	if r.pos >= len(r.b) {
		return Invalid
	}
	return TypeOfByte(r.b[r.pos])
}

func (r *Reader) need(n int) bool { return n >= 0 && len(r.b)-r.pos >= n }

func (r *Reader) be(off, n int) uint64 {
	p := r.b[r.pos+off : r.pos+off+n]
	switch n {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	}
	return binary.BigEndian.Uint64(p)
}

// ReadNil consumes a nil.
func (r *Reader) ReadNil() bool {
	if r.need(1) && r.b[r.pos] == 0xc0 {
		r.pos++
		return true
	}
	return false
}

// ReadBool reads a bool.
func (r *Reader) ReadBool() (v, ok bool) {
	if !r.need(1) {
		return false, false
	}
	switch r.b[r.pos] {
	case 0xc2:
		r.pos++
		return false, true
	case 0xc3:
		r.pos++
		return true, true
	}
	return false, false
}

// ReadInt reads an integer of any width. A uint64 above MaxInt64 and floats are refused.
func (r *Reader) ReadInt() (int64, bool) {
	if !r.need(1) {
		return 0, false
	}
	b := r.b[r.pos]
	var size int
	switch {
	case b < 0x80:
		r.pos++
		return int64(b), true
	case b >= 0xe0:
		r.pos++
		return int64(int8(b)), true
	case b >= 0xcc && b <= 0xcf:
		size = 1 << (b - 0xcc)
	case b >= 0xd0 && b <= 0xd3:
		size = 1 << (b - 0xd0)
	default:
		return 0, false
	}
	if !r.need(1 + size) {
		return 0, false
	}
	u := r.be(1, size)
	var v int64
	if b >= 0xd0 { // signed: sign-extend from its width
		shift := 64 - 8*size
		v = int64(u<<shift) >> shift
	} else {
		if u > math.MaxInt64 {
			return 0, false
		}
		v = int64(u)
	}
	r.pos += 1 + size
	return v, true
}

// ReadFloat reads a float32 or float64, or an integer converted to float64.
func (r *Reader) ReadFloat() (float64, bool) {
	if !r.need(1) {
		return 0, false
	}
	switch r.b[r.pos] {
	case 0xcb:
		if !r.need(9) {
			return 0, false
		}
		v := math.Float64frombits(r.be(1, 8))
		r.pos += 9
		return v, true
	case 0xca:
		if !r.need(5) {
			return 0, false
		}
		v := float64(math.Float32frombits(uint32(r.be(1, 4))))
		r.pos += 5
		return v, true
	}
	if r.b[r.pos] == 0xcf { // uint64 beyond int64
		if !r.need(9) {
			return 0, false
		}
		v := float64(r.be(1, 8))
		r.pos += 9
		return v, true
	}
	i, ok := r.ReadInt()
	return float64(i), ok
}

// strLen decodes a string header: payload offset and length.
func (r *Reader) strLen() (hdr, n int, ok bool) {
	if !r.need(1) {
		return 0, 0, false
	}
	b := r.b[r.pos]
	switch {
	case b >= 0xa0 && b <= 0xbf:
		hdr, n = 1, int(b&0x1f)
	case b == 0xd9 && r.need(2):
		hdr, n = 2, int(r.be(1, 1))
	case b == 0xda && r.need(3):
		hdr, n = 3, int(r.be(1, 2))
	case b == 0xdb && r.need(5):
		hdr, n = 5, int(r.be(1, 4))
	default:
		return 0, 0, false
	}
	return hdr, n, r.need(hdr + n)
}

// ReadStringBytes reads a string and returns its UTF-8 bytes in place (no copy:
// valid as long as the underlying data, i.e. only during the handler for a message).
func (r *Reader) ReadStringBytes() ([]byte, bool) {
	hdr, n, ok := r.strLen()
	if !ok {
		return nil, false
	}
	s := r.b[r.pos+hdr : r.pos+hdr+n]
	r.pos += hdr + n
	return s, true
}

// ReadString reads a string (allocates a copy; use ReadStringBytes or
// ReadStringEquals on hot paths).
func (r *Reader) ReadString() (string, bool) {
	s, ok := r.ReadStringBytes()
	return string(s), ok
}

// ReadStringEquals consumes the next value if it is the string s.
func (r *Reader) ReadStringEquals(s string) bool {
	hdr, n, ok := r.strLen()
	if !ok || n != len(s) || string(r.b[r.pos+hdr:r.pos+hdr+n]) != s { // no allocation: compiler-optimised compare
		return false
	}
	r.pos += hdr + n
	return true
}

// ReadBinary reads a bin value in place.
func (r *Reader) ReadBinary() ([]byte, bool) {
	if !r.need(1) {
		return nil, false
	}
	var hdr, n int
	switch b := r.b[r.pos]; {
	case b == 0xc4 && r.need(2):
		hdr, n = 2, int(r.be(1, 1))
	case b == 0xc5 && r.need(3):
		hdr, n = 3, int(r.be(1, 2))
	case b == 0xc6 && r.need(5):
		hdr, n = 5, int(r.be(1, 4))
	default:
		return nil, false
	}
	if !r.need(hdr + n) {
		return nil, false
	}
	v := r.b[r.pos+hdr : r.pos+hdr+n]
	r.pos += hdr + n
	return v, true
}

// ReadArrayHeader reads an array header: the number of elements that follow.
func (r *Reader) ReadArrayHeader() (int, bool) { return r.header(0x90, 0xdc) }

// ReadMapHeader reads a map header: the number of key/value pairs that follow.
func (r *Reader) ReadMapHeader() (int, bool) { return r.header(0x80, 0xde) }

func (r *Reader) header(fix, b16 byte) (int, bool) {
	if !r.need(1) {
		return 0, false
	}
	b := r.b[r.pos]
	switch {
	case b >= fix && b <= fix+0x0f:
		r.pos++
		return int(b & 0x0f), true
	case b == b16 && r.need(3):
		n := int(r.be(1, 2))
		r.pos += 3
		return n, true
	case b == b16+1 && r.need(5):
		n := int(r.be(1, 4))
		r.pos += 5
		return n, true
	}
	return 0, false
}

// Skip consumes the next value whatever it is (nested ones included).
func (r *Reader) Skip() bool {
	_, ok := r.ReadRaw()
	return ok
}

// ReadRaw consumes the next value and returns its encoded bytes in place.
func (r *Reader) ReadRaw() ([]byte, bool) {
	start := r.pos
	if !r.skip(1) {
		r.pos = start
		return nil, false
	}
	return r.b[start:r.pos], true
}

// skip skips `count` values iteratively (a deep nesting cannot overflow the stack).
func (r *Reader) skip(count int) bool {
	for ; count > 0; count-- {
		if !r.need(1) {
			return false
		}
		b := r.b[r.pos]
		size := 0 // payload bytes after a header of hdr bytes
		hdr := 1
		switch {
		case b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3:
		case b < 0x90: // fixmap
			count += 2 * int(b&0x0f)
		case b < 0xa0: // fixarray
			count += int(b & 0x0f)
		case b < 0xc0: // fixstr
			size = int(b & 0x1f)
		case b == 0xcc || b == 0xd0:
			size = 1
		case b == 0xcd || b == 0xd1:
			size = 2
		case b == 0xca || b == 0xce || b == 0xd2:
			size = 4
		case b == 0xcb || b == 0xcf || b == 0xd3:
			size = 8
		case b == 0xd4, b == 0xd5, b == 0xd6, b == 0xd7, b == 0xd8: // fixext 1..16 + type byte
			size = 1 + 1<<(b-0xd4)
		case b == 0xc4 || b == 0xd9 || b == 0xc7:
			hdr = 2
		case b == 0xc5 || b == 0xda || b == 0xc8 || b == 0xdc || b == 0xde:
			hdr = 3
		case b == 0xc6 || b == 0xdb || b == 0xc9 || b == 0xdd || b == 0xdf:
			hdr = 5
		default:
			return false
		}
		if !r.need(hdr) {
			return false
		}
		if hdr > 1 {
			n := int(r.be(1, hdr-1))
			switch b {
			case 0xdc, 0xdd:
				count += n
			case 0xde, 0xdf:
				count += 2 * n
			case 0xc7, 0xc8, 0xc9:
				size = n + 1 // ext: type byte, then data
			default:
				size = n
			}
		}
		if !r.need(hdr + size) {
			return false
		}
		r.pos += hdr + size
	}
	return true
}

// FindKey reads a map whose keys are strings and positions the reader on the
// value of key; false (position unchanged) when the value is not a map or has no such key.
func (r *Reader) FindKey(key string) bool {
	start := r.pos
	n, ok := r.ReadMapHeader()
	for ; ok && n > 0; n-- {
		if r.ReadStringEquals(key) {
			return true
		}
		ok = r.Skip() && r.Skip() // the key (string or not) and its value
	}
	r.pos = start
	return false
}
