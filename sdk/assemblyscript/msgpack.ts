// Allocation-light MessagePack: a Writer into a reusable growable buffer and a
// Reader over (ptr, len). Only `Reader.readString`, `Reader.readStringArray` and
// `new Writer()` allocate; everything else works on raw memory.

import { growBuffer, roundCapacity, utf8Equals, utf8Length, utf8Write } from "./memory";

/** Kinds of msgpack values, as returned by `Reader.peekType()` / `typeOfByte()`. */
export enum MsgpackType {
  /** End of data, or a byte that is not a valid msgpack type (0xc1). */
  INVALID = 0,
  NIL = 1,
  BOOL = 2,
  /** Any integer: positive/negative fixint, int8..int64, uint8..uint64. */
  INT = 3,
  /** float32 or float64. */
  FLOAT = 4,
  STRING = 5,
  BINARY = 6,
  ARRAY = 7,
  MAP = 8,
  EXT = 9,
}

/** The kind of value whose first byte is `b`. */
export function typeOfByte(b: u32): i32 {
  if (b < 0x80) return MsgpackType.INT;
  if (b < 0x90) return MsgpackType.MAP;
  if (b < 0xa0) return MsgpackType.ARRAY;
  if (b < 0xc0) return MsgpackType.STRING;
  if (b >= 0xe0) return MsgpackType.INT;
  switch (b) {
    case 0xc0: return MsgpackType.NIL;
    case 0xc2: case 0xc3: return MsgpackType.BOOL;
    case 0xc4: case 0xc5: case 0xc6: return MsgpackType.BINARY;
    case 0xc7: case 0xc8: case 0xc9: return MsgpackType.EXT;
    case 0xca: case 0xcb: return MsgpackType.FLOAT;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: return MsgpackType.INT;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return MsgpackType.EXT;
    case 0xd9: case 0xda: case 0xdb: return MsgpackType.STRING;
    case 0xdc: case 0xdd: return MsgpackType.ARRAY;
    case 0xde: case 0xdf: return MsgpackType.MAP;
  }
  return MsgpackType.INVALID;
}

// Big-endian loads/stores.
// @ts-ignore: decorator
@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
// @ts-ignore: decorator
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
// @ts-ignore: decorator
@inline function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

/** Decodes the float64 at `ptr` if the `len` bytes there are exactly a msgpack float64 (0xcb); else NaN. */
// @ts-ignore: decorator
@inline export function readF64Fast(ptr: usize, len: i32): f64 {
  if (len == 9 && load<u8>(ptr) == 0xcb) return reinterpret<f64>(be64(ptr + 1));
  return NaN;
}

/**
 * Writes msgpack values into a growable buffer. Create one at top level and
 * `reset()` it for every message: after warm-up it never allocates.
 * Unmanaged: the object and its buffer are never freed (nor traced by the GC),
 * so do not create Writers per message.
 */
@unmanaged
export class Writer {
  /** Start of the underlying buffer (may move when the buffer grows). */
  buf: usize = 0;
  /** Capacity of the buffer in bytes. */
  cap: i32 = 0;
  /** Write position, relative to `buf`. */
  pos: i32 = 0;
  /** Position `reset()` returns to; the written value starts here. */
  base: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.cap = roundCapacity(capacity);
    this.buf = heap.alloc(<usize>this.cap);
  }

  /** Forgets what was written. */
  reset(): Writer { this.pos = this.base; return this; }
  /** Address of the first written byte. Valid until the next write (the buffer may move). */
  get ptr(): usize { return this.buf + <usize>this.base; }
  /** Number of bytes written since the last reset. */
  get length(): i32 { return this.pos - this.base; }

  /** Makes room for `n` more bytes and returns the address to write them at. */
  reserve(n: i32): usize {
    const need = this.pos + n;
    if (need > this.cap) {
      this.buf = growBuffer(this.buf, need);
      this.cap = roundCapacity(need);
    }
    const at = this.buf + <usize>this.pos;
    this.pos = need;
    return at;
  }

  writeNil(): Writer { store<u8>(this.reserve(1), 0xc0); return this; }

  writeBool(v: bool): Writer { store<u8>(this.reserve(1), v ? 0xc3 : 0xc2); return this; }

  /** Any signed integer, in the smallest msgpack encoding. */
  writeInt(v: i64): Writer {
    if (v >= 0) return this.writeUint(<u64>v);
    if (v >= -32) {
      store<u8>(this.reserve(1), <u8>v);
    } else if (v >= -128) {
      const p = this.reserve(2); store<u8>(p, 0xd0); store<u8>(p, <u8>v, 1);
    } else if (v >= -32768) {
      const p = this.reserve(3); store<u8>(p, 0xd1); store<u16>(p + 1, bswap<u16>(<u16>v));
    } else if (v >= -2147483648) {
      const p = this.reserve(5); store<u8>(p, 0xd2); store<u32>(p + 1, bswap<u32>(<u32>v));
    } else {
      const p = this.reserve(9); store<u8>(p, 0xd3); store<u64>(p + 1, bswap<u64>(<u64>v));
    }
    return this;
  }

  /** Any unsigned integer, in the smallest msgpack encoding. */
  writeUint(v: u64): Writer {
    if (v < 0x80) {
      store<u8>(this.reserve(1), <u8>v);
    } else if (v <= 0xff) {
      const p = this.reserve(2); store<u8>(p, 0xcc); store<u8>(p, <u8>v, 1);
    } else if (v <= 0xffff) {
      const p = this.reserve(3); store<u8>(p, 0xcd); store<u16>(p + 1, bswap<u16>(<u16>v));
    } else if (v <= 0xffffffff) {
      const p = this.reserve(5); store<u8>(p, 0xce); store<u32>(p + 1, bswap<u32>(<u32>v));
    } else {
      const p = this.reserve(9); store<u8>(p, 0xcf); store<u64>(p + 1, bswap<u64>(v));
    }
    return this;
  }

  writeF64(v: f64): Writer {
    const p = this.reserve(9);
    store<u8>(p, 0xcb);
    store<u64>(p + 1, bswap<u64>(reinterpret<u64>(v)));
    return this;
  }

  writeF32(v: f32): Writer {
    const p = this.reserve(5);
    store<u8>(p, 0xca);
    store<u32>(p + 1, bswap<u32>(reinterpret<u32>(v)));
    return this;
  }

  /** Header of a string of `len` UTF-8 bytes; the bytes must follow (writeRaw). */
  writeStringHeader(len: i32): Writer {
    if (len < 32) {
      store<u8>(this.reserve(1), <u8>(0xa0 | len));
    } else if (len <= 0xff) {
      const p = this.reserve(2); store<u8>(p, 0xd9); store<u8>(p, <u8>len, 1);
    } else if (len <= 0xffff) {
      const p = this.reserve(3); store<u8>(p, 0xda); store<u16>(p + 1, bswap<u16>(<u16>len));
    } else {
      const p = this.reserve(5); store<u8>(p, 0xdb); store<u32>(p + 1, bswap<u32>(<u32>len));
    }
    return this;
  }

  /** A string (encoded as UTF-8). Does not allocate. */
  writeString(s: string): Writer {
    const n = utf8Length(s);
    this.writeStringHeader(n);
    utf8Write(s, this.reserve(n));
    return this;
  }

  /** A string given as `len` UTF-8 bytes at `ptr`. */
  writeStringBytes(ptr: usize, len: i32): Writer {
    this.writeStringHeader(len);
    memory.copy(this.reserve(len), ptr, <usize>len);
    return this;
  }

  /** A bin value of `len` bytes at `ptr`. */
  writeBin(ptr: usize, len: i32): Writer {
    if (len <= 0xff) {
      const p = this.reserve(2); store<u8>(p, 0xc4); store<u8>(p, <u8>len, 1);
    } else if (len <= 0xffff) {
      const p = this.reserve(3); store<u8>(p, 0xc5); store<u16>(p + 1, bswap<u16>(<u16>len));
    } else {
      const p = this.reserve(5); store<u8>(p, 0xc6); store<u32>(p + 1, bswap<u32>(<u32>len));
    }
    memory.copy(this.reserve(len), ptr, <usize>len);
    return this;
  }

  /** Header of an array of `n` elements; write the `n` values next. */
  writeArrayHeader(n: i32): Writer {
    if (n < 16) {
      store<u8>(this.reserve(1), <u8>(0x90 | n));
    } else if (n <= 0xffff) {
      const p = this.reserve(3); store<u8>(p, 0xdc); store<u16>(p + 1, bswap<u16>(<u16>n));
    } else {
      const p = this.reserve(5); store<u8>(p, 0xdd); store<u32>(p + 1, bswap<u32>(<u32>n));
    }
    return this;
  }

  /** Header of a map of `n` entries; write `n` key/value pairs next. */
  writeMapHeader(n: i32): Writer {
    if (n < 16) {
      store<u8>(this.reserve(1), <u8>(0x80 | n));
    } else if (n <= 0xffff) {
      const p = this.reserve(3); store<u8>(p, 0xde); store<u16>(p + 1, bswap<u16>(<u16>n));
    } else {
      const p = this.reserve(5); store<u8>(p, 0xdf); store<u32>(p + 1, bswap<u32>(<u32>n));
    }
    return this;
  }

  /** Already-encoded msgpack (or string payload) bytes, copied as they are. */
  writeRaw(ptr: usize, len: i32): Writer {
    memory.copy(this.reserve(len), ptr, <usize>len);
    return this;
  }
}

/**
 * Reads msgpack values from `len` bytes at `ptr`, front to back. Never traps on
 * bad input: a read of the wrong type or past the end returns a neutral value
 * (0, false, "", -1 for headers) and sets `error`; a wrong-type read does not move
 * the position, so you can `peekType()` and try again or `skip()`.
 * Unmanaged (never freed): keep one at top level and `reset()` it.
 */
@unmanaged
export class Reader {
  start: usize = 0;
  pos: usize = 0;
  end: usize = 0;
  /** Set by the first failed read; cleared by reset(). */
  error: bool = false;

  constructor(ptr: usize = 0, len: i32 = 0) { this.reset(ptr, len); }

  /** Points the reader at new data. */
  reset(ptr: usize, len: i32): Reader {
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + <usize>(len < 0 ? 0 : len);
    this.error = false;
    return this;
  }

  /** Bytes left to read. */
  get remaining(): i32 { return <i32>(this.end - this.pos); }
  /** Bytes read so far. */
  get offset(): i32 { return <i32>(this.pos - this.start); }
  /** Whether everything has been read. */
  get done(): bool { return this.pos >= this.end; }

  private fail(): void { this.error = true; }

  /** Whether `n` bytes are available from the current position (sets `error` if not). */
  private has(n: usize): bool {
    if (this.pos <= this.end && this.end - this.pos >= n) return true;
    this.error = true;
    return false;
  }

  /** Kind of the next value (`MsgpackType`), without consuming it. */
  peekType(): i32 {
    if (this.pos >= this.end) return MsgpackType.INVALID;
    return typeOfByte(<u32>load<u8>(this.pos));
  }

  /** Whether the next value is nil (not consumed). */
  isNil(): bool { return this.pos < this.end && load<u8>(this.pos) == 0xc0; }

  /** Consumes a nil; returns false (and consumes nothing) if the next value is not nil. */
  readNil(): bool {
    if (this.isNil()) { this.pos++; return true; }
    this.fail();
    return false;
  }

  readBool(): bool {
    if (this.pos < this.end) {
      const b = load<u8>(this.pos);
      if (b == 0xc2 || b == 0xc3) { this.pos++; return b == 0xc3; }
    }
    this.fail();
    return false;
  }

  /**
   * An integer of any width (uint64 above 2^63-1 wraps). A float is accepted and
   * truncated toward zero. Anything else: 0 and `error`.
   */
  readInt(): i64 {
    const p = this.pos;
    if (p >= this.end) { this.fail(); return 0; }
    const b = <u32>load<u8>(p);
    if (b < 0x80) { this.pos = p + 1; return <i64>b; }
    if (b >= 0xe0) { this.pos = p + 1; return <i64><i8>b; }
    let n: usize;
    switch (b) {
      case 0xcc: case 0xd0: n = 1; break;
      case 0xcd: case 0xd1: n = 2; break;
      case 0xce: case 0xd2: case 0xca: n = 4; break;
      case 0xcf: case 0xd3: case 0xcb: n = 8; break;
      default: this.fail(); return 0;
    }
    if (!this.has(n + 1)) return 0;
    this.pos = p + 1 + n;
    switch (b) {
      case 0xcc: return <i64>load<u8>(p, 1);
      case 0xcd: return <i64>be16(p + 1);
      case 0xce: return <i64>be32(p + 1);
      case 0xd0: return <i64>load<i8>(p, 1);
      case 0xd1: return <i64><i16>be16(p + 1);
      case 0xd2: return <i64><i32>be32(p + 1);
      case 0xca: return <i64><f64>reinterpret<f32>(be32(p + 1)); // saturating, NaN -> 0
      case 0xcb: return <i64>reinterpret<f64>(be64(p + 1));
    }
    return <i64>be64(p + 1); // 0xcf, 0xd3
  }

  /** A float64/float32, or an integer converted to f64. Anything else: NaN and `error`. */
  readF64(): f64 {
    const p = this.pos;
    if (p < this.end) {
      const b = <u32>load<u8>(p);
      if (b == 0xcb) {
        if (!this.has(9)) return NaN;
        this.pos = p + 9;
        return reinterpret<f64>(be64(p + 1));
      }
      if (b == 0xca) {
        if (!this.has(5)) return NaN;
        this.pos = p + 5;
        return <f64>reinterpret<f32>(be32(p + 1));
      }
      if (typeOfByte(b) == MsgpackType.INT) {
        if (b == 0xcf) {
          // uint64: convert as unsigned
          if (!this.has(9)) return NaN;
          this.pos = p + 9;
          return <f64>be64(p + 1);
        }
        return <f64>this.readInt();
      }
    }
    this.fail();
    return NaN;
  }

  /**
   * Reads a string header and returns the UTF-8 byte length; the bytes start at
   * `pos` and are NOT consumed (use them, then `skipBytes(len)`). -1 if the next
   * value is not a string (nothing consumed).
   */
  readStringHeader(): i32 {
    const p = this.pos;
    if (p >= this.end) { this.fail(); return -1; }
    const b = <u32>load<u8>(p);
    let h: usize = 1;
    let n: u32 = 0;
    if (b >= 0xa0 && b < 0xc0) {
      n = b & 0x1f;
    } else if (b == 0xd9) {
      h = 2; if (!this.has(2)) return -1; n = <u32>load<u8>(p, 1);
    } else if (b == 0xda) {
      h = 3; if (!this.has(3)) return -1; n = be16(p + 1);
    } else if (b == 0xdb) {
      h = 5; if (!this.has(5)) return -1; n = be32(p + 1);
    } else {
      this.fail();
      return -1;
    }
    if (<u64>(this.end - p) < <u64>h + <u64>n) { this.fail(); return -1; }
    this.pos = p + h;
    return <i32>n;
  }

  /** Reads a string. Allocates the result; "" (and `error`) if the next value is not a string. */
  readString(): string {
    const n = this.readStringHeader();
    if (n < 0) return "";
    const p = this.pos;
    this.pos = p + <usize>n;
    return String.UTF8.decodeUnsafe(p, <usize>n);
  }

  /**
   * Whether the next value is the string `s`, without allocating. Consumes it
   * only when it matches, so alternatives can be tried in a row:
   * `if (r.readStringEquals("get")) ... else if (r.readStringEquals("put")) ...`
   * A mismatch (or a value of another type) is not an error.
   */
  readStringEquals(s: string): bool {
    if (this.peekType() != MsgpackType.STRING) return false;
    const start = this.pos;
    const wasError = this.error;
    const n = this.readStringHeader();
    if (n < 0) { this.pos = start; this.error = wasError; return false; }
    const p = this.pos;
    if (utf8Equals(p, n, s)) { this.pos = p + <usize>n; return true; }
    this.pos = start;
    return false;
  }

  /** Like readStringHeader, for bin values. */
  readBinHeader(): i32 {
    const p = this.pos;
    if (p >= this.end) { this.fail(); return -1; }
    const b = <u32>load<u8>(p);
    let h: usize = 0;
    let n: u32 = 0;
    if (b == 0xc4) {
      h = 2; if (!this.has(2)) return -1; n = <u32>load<u8>(p, 1);
    } else if (b == 0xc5) {
      h = 3; if (!this.has(3)) return -1; n = be16(p + 1);
    } else if (b == 0xc6) {
      h = 5; if (!this.has(5)) return -1; n = be32(p + 1);
    } else {
      this.fail();
      return -1;
    }
    if (<u64>(this.end - p) < <u64>h + <u64>n) { this.fail(); return -1; }
    this.pos = p + h;
    return <i32>n;
  }

  /** Number of elements of the array that starts here (consumes the header), or -1. */
  readArrayHeader(): i32 {
    const p = this.pos;
    if (p >= this.end) { this.fail(); return -1; }
    const b = <u32>load<u8>(p);
    if ((b & 0xf0) == 0x90) { this.pos = p + 1; return <i32>(b & 0x0f); }
    if (b == 0xdc) { if (!this.has(3)) return -1; this.pos = p + 3; return <i32>be16(p + 1); }
    if (b == 0xdd) { if (!this.has(5)) return -1; this.pos = p + 5; return <i32>be32(p + 1); }
    this.fail();
    return -1;
  }

  /** Number of entries of the map that starts here (consumes the header), or -1. */
  readMapHeader(): i32 {
    const p = this.pos;
    if (p >= this.end) { this.fail(); return -1; }
    const b = <u32>load<u8>(p);
    if ((b & 0xf0) == 0x80) { this.pos = p + 1; return <i32>(b & 0x0f); }
    if (b == 0xde) { if (!this.has(3)) return -1; this.pos = p + 3; return <i32>be16(p + 1); }
    if (b == 0xdf) { if (!this.has(5)) return -1; this.pos = p + 5; return <i32>be32(p + 1); }
    this.fail();
    return -1;
  }

  /** Moves forward `n` raw bytes. */
  skipBytes(n: i32): void {
    if (n < 0 || !this.has(<usize>n)) { this.pos = this.end; return; }
    this.pos += <usize>n;
  }

  /** Skips one complete value (arrays and maps with everything inside). No recursion. */
  skip(): void {
    let pending: i64 = 1;
    while (pending > 0) {
      pending--;
      const p = this.pos;
      if (p >= this.end) { this.fail(); return; }
      const b = <u32>load<u8>(p);
      let h: usize = 1;   // header bytes
      let n: u64 = 0;     // payload bytes
      if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        // single byte
      } else if (b < 0x90) {
        pending += <i64>(b & 0x0f) * 2;
      } else if (b < 0xa0) {
        pending += <i64>(b & 0x0f);
      } else if (b < 0xc0) {
        n = b & 0x1f;
      } else {
        // Extended types: read the length field if there is one.
        switch (b) {
          case 0xcc: case 0xd0: n = 1; break;
          case 0xcd: case 0xd1: n = 2; break;
          case 0xca: case 0xce: case 0xd2: n = 4; break;
          case 0xcb: case 0xcf: case 0xd3: n = 8; break;
          case 0xd4: n = 2; break;   // fixext 1: type + 1
          case 0xd5: n = 3; break;
          case 0xd6: n = 5; break;
          case 0xd7: n = 9; break;
          case 0xd8: n = 17; break;
          case 0xc4: case 0xd9: h = 2; if (!this.has(2)) return; n = <u64>load<u8>(p, 1); break;
          case 0xc5: case 0xda: h = 3; if (!this.has(3)) return; n = <u64>be16(p + 1); break;
          case 0xc6: case 0xdb: h = 5; if (!this.has(5)) return; n = <u64>be32(p + 1); break;
          case 0xc7: h = 2; if (!this.has(2)) return; n = <u64>load<u8>(p, 1) + 1; break;
          case 0xc8: h = 3; if (!this.has(3)) return; n = <u64>be16(p + 1) + 1; break;
          case 0xc9: h = 5; if (!this.has(5)) return; n = <u64>be32(p + 1) + 1; break;
          case 0xdc: h = 3; if (!this.has(3)) return; pending += <i64>be16(p + 1); break;
          case 0xdd: h = 5; if (!this.has(5)) return; pending += <i64>be32(p + 1); break;
          case 0xde: h = 3; if (!this.has(3)) return; pending += <i64>be16(p + 1) * 2; break;
          case 0xdf: h = 5; if (!this.has(5)) return; pending += <i64>be32(p + 1) * 2; break;
          default: this.fail(); return; // 0xc1
        }
      }
      if (<u64>(this.end - p) < <u64>h + n) { this.pos = this.end; this.fail(); return; }
      this.pos = p + h + <usize>n;
    }
  }

  /**
   * Expects a map; looks for the string key `key` and leaves the reader on its
   * value. Returns false (reader at the end of the map, or where reading failed)
   * when the key is absent or the next value is not a map.
   */
  findKey(key: string): bool {
    const n = this.readMapHeader();
    for (let i = 0; i < n; i++) {
      if (this.readStringEquals(key)) return true;
      this.skip(); // the key
      this.skip(); // its value
      if (this.error) return false;
    }
    return false;
  }

  /** Reads an array of strings (allocates); non-string elements become "". */
  readStringArray(): string[] {
    const n = this.readArrayHeader();
    const out = new Array<string>(0);
    for (let i = 0; i < n; i++) {
      if (this.peekType() == MsgpackType.STRING) out.push(this.readString());
      else { this.skip(); out.push(""); }
      if (this.error) break;
    }
    return out;
  }
}

