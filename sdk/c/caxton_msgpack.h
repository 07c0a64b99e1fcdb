/*
 * caxton_msgpack.h: a small MessagePack writer and reader for Caxton agents
 * (included by caxton.h; usable on its own). Header-only, no libc, no
 * allocation: the writer fills a buffer you give it, the reader walks bytes in
 * place (strings and bins are returned as pointer + length into the input).
 *
 * Both are sticky on error: a write past the buffer sets `overflow` and writes
 * nothing more; a read of the wrong type or past the end returns false, leaves
 * the position unchanged and sets `err`. So a sequence of calls can be checked
 * once at the end.
 */
#ifndef CAXTON_MSGPACK_H
#define CAXTON_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of msgpack values, as cx_peek reports them. */
typedef enum {
  CX_MP_NONE = 0, /* end of input or a reserved byte (0xc1) */
  CX_MP_NIL, CX_MP_BOOL, CX_MP_INT, CX_MP_FLOAT, CX_MP_STR, CX_MP_BIN,
  CX_MP_ARRAY, CX_MP_MAP, CX_MP_EXT
} cx_mp_type;

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */

typedef struct {
  uint8_t *buf;
  uint32_t pos; /* bytes written so far (from buf) */
  uint32_t cap;
  bool overflow;
} cx_writer;

static inline cx_writer cx_writer_init(void *buf, uint32_t cap) {
  cx_writer w = { (uint8_t *)buf, 0, cap, false };
  return w;
}

/* Room for n more bytes, or NULL (and overflow set) when they do not fit. */
static inline uint8_t *cx__room(cx_writer *w, uint32_t n) {
  if (w->overflow || n > w->cap - w->pos) { w->overflow = true; return NULL; }
  uint8_t *p = w->buf + w->pos;
  w->pos += n;
  return p;
}

/* msgpack is big-endian; wasm is little-endian. */
static inline void cx__be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void cx__be32(uint8_t *p, uint32_t v) { cx__be16(p, (uint16_t)(v >> 16)); cx__be16(p + 2, (uint16_t)v); }
static inline void cx__be64(uint8_t *p, uint64_t v) { cx__be32(p, (uint32_t)(v >> 32)); cx__be32(p + 4, (uint32_t)v); }

static inline cx_writer *cx_write_raw(cx_writer *w, const void *src, uint32_t n) {
  uint8_t *p = cx__room(w, n);
  if (p && n) __builtin_memcpy(p, src, n);
  return w;
}

static inline cx_writer *cx_write_nil(cx_writer *w) {
  uint8_t *p = cx__room(w, 1);
  if (p) p[0] = 0xc0;
  return w;
}

static inline cx_writer *cx_write_bool(cx_writer *w, bool v) {
  uint8_t *p = cx__room(w, 1);
  if (p) p[0] = v ? 0xc3 : 0xc2;
  return w;
}

/* Unsigned integer, smallest encoding. */
static inline cx_writer *cx_write_uint(cx_writer *w, uint64_t v) {
  uint8_t *p;
  if (v < 128) { if ((p = cx__room(w, 1))) p[0] = (uint8_t)v; }
  else if (v <= 0xff) { if ((p = cx__room(w, 2))) { p[0] = 0xcc; p[1] = (uint8_t)v; } }
  else if (v <= 0xffff) { if ((p = cx__room(w, 3))) { p[0] = 0xcd; cx__be16(p + 1, (uint16_t)v); } }
  else if (v <= 0xffffffffu) { if ((p = cx__room(w, 5))) { p[0] = 0xce; cx__be32(p + 1, (uint32_t)v); } }
  else if ((p = cx__room(w, 9))) { p[0] = 0xcf; cx__be64(p + 1, v); }
  return w;
}

/* Signed integer, smallest encoding (non-negative values as unsigned, like other encoders). */
static inline cx_writer *cx_write_int(cx_writer *w, int64_t v) {
  uint8_t *p;
  if (v >= 0) return cx_write_uint(w, (uint64_t)v);
  if (v >= -32) { if ((p = cx__room(w, 1))) p[0] = (uint8_t)(int8_t)v; }
  else if (v >= INT8_MIN) { if ((p = cx__room(w, 2))) { p[0] = 0xd0; p[1] = (uint8_t)(int8_t)v; } }
  else if (v >= INT16_MIN) { if ((p = cx__room(w, 3))) { p[0] = 0xd1; cx__be16(p + 1, (uint16_t)(int16_t)v); } }
  else if (v >= INT32_MIN) { if ((p = cx__room(w, 5))) { p[0] = 0xd2; cx__be32(p + 1, (uint32_t)(int32_t)v); } }
  else if ((p = cx__room(w, 9))) { p[0] = 0xd3; cx__be64(p + 1, (uint64_t)v); }
  return w;
}

static inline cx_writer *cx_write_f64(cx_writer *w, double v) {
  uint8_t *p = cx__room(w, 9);
  uint64_t bits;
  __builtin_memcpy(&bits, &v, 8);
  if (p) { p[0] = 0xcb; cx__be64(p + 1, bits); }
  return w;
}

/* A header with a 1/2/4-byte length; `fix` is the fixed-size form's base (0 if none). */
static inline void cx__write_len(cx_writer *w, uint32_t n, uint8_t fix, uint32_t fixmax, uint8_t b8, uint8_t b16, uint8_t b32) {
  uint8_t *p;
  if (fix && n <= fixmax) { if ((p = cx__room(w, 1))) p[0] = (uint8_t)(fix | n); }
  else if (b8 && n <= 0xff) { if ((p = cx__room(w, 2))) { p[0] = b8; p[1] = (uint8_t)n; } }
  else if (n <= 0xffff) { if ((p = cx__room(w, 3))) { p[0] = b16; cx__be16(p + 1, (uint16_t)n); } }
  else if ((p = cx__room(w, 5))) { p[0] = b32; cx__be32(p + 1, n); }
}

/* A string of `n` UTF-8 bytes (need not be NUL-terminated). */
static inline cx_writer *cx_write_strn(cx_writer *w, const char *s, uint32_t n) {
  cx__write_len(w, n, 0xa0, 31, 0xd9, 0xda, 0xdb);
  return cx_write_raw(w, s, n);
}
/* Length of a NUL-terminated string (our own: a freestanding module has no strlen). */
static inline uint32_t cx_strlen(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}
static inline cx_writer *cx_write_str(cx_writer *w, const char *s) {
  return cx_write_strn(w, s, cx_strlen(s));
}
static inline cx_writer *cx_write_bin(cx_writer *w, const void *b, uint32_t n) {
  cx__write_len(w, n, 0, 0, 0xc4, 0xc5, 0xc6);
  return cx_write_raw(w, b, n);
}
/* Headers: then write n values (array) or n key/value pairs (map). */
static inline cx_writer *cx_write_array(cx_writer *w, uint32_t n) {
  cx__write_len(w, n, 0x90, 15, 0, 0xdc, 0xdd);
  return w;
}
static inline cx_writer *cx_write_map(cx_writer *w, uint32_t n) {
  cx__write_len(w, n, 0x80, 15, 0, 0xde, 0xdf);
  return w;
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */

typedef struct {
  const uint8_t *p;   /* next byte */
  const uint8_t *end;
  bool err;
} cx_reader;

static inline cx_reader cx_reader_init(const void *data, uint32_t len) {
  cx_reader r = { (const uint8_t *)data, (const uint8_t *)data + len, false };
  return r;
}
static inline bool cx_at_end(const cx_reader *r) { return r->p >= r->end; }

static inline uint16_t cx__rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t cx__rd32(const uint8_t *p) { return ((uint32_t)cx__rd16(p) << 16) | cx__rd16(p + 2); }
static inline uint64_t cx__rd64(const uint8_t *p) { return ((uint64_t)cx__rd32(p) << 32) | cx__rd32(p + 4); }

static inline cx_mp_type cx_peek(const cx_reader *r) {
  if (r->p >= r->end) return CX_MP_NONE;
  uint8_t b = r->p[0];
  if (b <= 0x7f || b >= 0xe0) return CX_MP_INT;
  if (b <= 0x8f) return CX_MP_MAP;
  if (b <= 0x9f) return CX_MP_ARRAY;
  if (b <= 0xbf) return CX_MP_STR;
  switch (b) {
    case 0xc0: return CX_MP_NIL;
    case 0xc2: case 0xc3: return CX_MP_BOOL;
    case 0xc4: case 0xc5: case 0xc6: return CX_MP_BIN;
    case 0xca: case 0xcb: return CX_MP_FLOAT;
    case 0xd9: case 0xda: case 0xdb: return CX_MP_STR;
    case 0xdc: case 0xdd: return CX_MP_ARRAY;
    case 0xde: case 0xdf: return CX_MP_MAP;
    case 0xc7: case 0xc8: case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return CX_MP_EXT;
    case 0xc1: return CX_MP_NONE;
    default: return CX_MP_INT; /* 0xcc-0xcf, 0xd0-0xd3 */
  }
}

static inline bool cx__fail(cx_reader *r) { r->err = true; return false; }
static inline bool cx__has(const cx_reader *r, uint32_t n) { return (uint32_t)(r->end - r->p) >= n; }

static inline bool cx_read_nil(cx_reader *r) {
  if (cx_peek(r) != CX_MP_NIL) return cx__fail(r);
  r->p++;
  return true;
}

static inline bool cx_read_bool(cx_reader *r, bool *out) {
  if (cx_peek(r) != CX_MP_BOOL) return cx__fail(r);
  *out = *r->p++ == 0xc3;
  return true;
}

/* Any number as a double (integers converted, float32 widened). */
static inline bool cx_read_f64(cx_reader *r, double *out) {
  const uint8_t *p = r->p;
  if (p < r->end && p[0] == 0xcb && cx__has(r, 9)) {
    uint64_t bits = cx__rd64(p + 1);
    __builtin_memcpy(out, &bits, 8);
    r->p += 9;
    return true;
  }
  if (p < r->end && p[0] == 0xca && cx__has(r, 5)) {
    uint32_t bits = cx__rd32(p + 1);
    float f;
    __builtin_memcpy(&f, &bits, 4);
    *out = f;
    r->p += 5;
    return true;
  }
  if (cx_peek(r) != CX_MP_INT) return cx__fail(r);
  uint8_t b = p[0];
  uint32_t n = b <= 0x7f || b >= 0xe0 ? 1 : 1u + (1u << ((b - 0xcc) & 3));
  if (!cx__has(r, n)) return cx__fail(r);
  if (b <= 0x7f) *out = b;
  else if (b >= 0xe0) *out = (int8_t)b;
  else if (b == 0xcc) *out = p[1];
  else if (b == 0xcd) *out = cx__rd16(p + 1);
  else if (b == 0xce) *out = cx__rd32(p + 1);
  else if (b == 0xcf) *out = (double)cx__rd64(p + 1);
  else if (b == 0xd0) *out = (int8_t)p[1];
  else if (b == 0xd1) *out = (int16_t)cx__rd16(p + 1);
  else if (b == 0xd2) *out = (int32_t)cx__rd32(p + 1);
  else *out = (double)(int64_t)cx__rd64(p + 1);
  r->p += n;
  return true;
}

/*
 * A signed 64-bit integer. Also accepts a float with an integral value in
 * range, because JavaScript encoders (msgpackr) write integers beyond 32 bits
 * as float64. A uint64 above INT64_MAX or a fractional float fails.
 */
static inline bool cx_read_int(cx_reader *r, int64_t *out) {
  const uint8_t *p = r->p;
  cx_mp_type t = cx_peek(r);
  if (t == CX_MP_FLOAT) {
    double d;
    cx_reader probe = *r;
    if (!cx_read_f64(&probe, &d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || (double)(int64_t)d != d) return cx__fail(r);
    *out = (int64_t)d;
    r->p = probe.p;
    return true;
  }
  if (t != CX_MP_INT) return cx__fail(r);
  uint8_t b = p[0];
  uint32_t n = b <= 0x7f || b >= 0xe0 ? 1 : 1u + (1u << ((b - 0xcc) & 3));
  if (!cx__has(r, n)) return cx__fail(r);
  if (b <= 0x7f) *out = b;
  else if (b >= 0xe0) *out = (int8_t)b;
  else if (b == 0xcc) *out = p[1];
  else if (b == 0xcd) *out = cx__rd16(p + 1);
  else if (b == 0xce) *out = cx__rd32(p + 1);
  else if (b == 0xcf) { uint64_t u = cx__rd64(p + 1); if (u > INT64_MAX) return cx__fail(r); *out = (int64_t)u; }
  else if (b == 0xd0) *out = (int8_t)p[1];
  else if (b == 0xd1) *out = (int16_t)cx__rd16(p + 1);
  else if (b == 0xd2) *out = (int32_t)cx__rd32(p + 1);
  else *out = (int64_t)cx__rd64(p + 1);
  r->p += n;
  return true;
}

/* Reads a length header: `fix`/`fixmask` give the fixed form (0 if none). */
static inline bool cx__read_len(cx_reader *r, uint32_t *n, uint8_t fix, uint8_t fixmask, uint8_t b8, uint8_t b16, uint8_t b32) {
  const uint8_t *p = r->p;
  if (p >= r->end) return cx__fail(r);
  uint8_t b = p[0];
  uint32_t len, hdr;
  if (fix && (b & (uint8_t)~fixmask) == fix) { len = b & fixmask; hdr = 1; }
  else if (b8 && b == b8 && cx__has(r, 2)) { len = p[1]; hdr = 2; }
  else if (b == b16 && cx__has(r, 3)) { len = cx__rd16(p + 1); hdr = 3; }
  else if (b == b32 && cx__has(r, 5)) { len = cx__rd32(p + 1); hdr = 5; }
  else return cx__fail(r);
  *n = len;
  r->p += hdr;
  return true;
}

/* A string: *s points at its UTF-8 bytes in the input (not NUL-terminated), *len is their count. */
static inline bool cx_read_str(cx_reader *r, const char **s, uint32_t *len) {
  cx_reader save = *r;
  if (!cx__read_len(r, len, 0xa0, 0x1f, 0xd9, 0xda, 0xdb)) return false;
  if (!cx__has(r, *len)) { *r = save; return cx__fail(r); }
  *s = (const char *)r->p;
  r->p += *len;
  return true;
}

static inline bool cx_read_bin(cx_reader *r, const uint8_t **b, uint32_t *len) {
  cx_reader save = *r;
  if (!cx__read_len(r, len, 0, 0, 0xc4, 0xc5, 0xc6)) return false;
  if (!cx__has(r, *len)) { *r = save; return cx__fail(r); }
  *b = r->p;
  r->p += *len;
  return true;
}

/* Headers: then read n values (array) or n key/value pairs (map). */
static inline bool cx_read_array(cx_reader *r, uint32_t *n) { return cx__read_len(r, n, 0x90, 0x0f, 0, 0xdc, 0xdd); }
static inline bool cx_read_map(cx_reader *r, uint32_t *n) { return cx__read_len(r, n, 0x80, 0x0f, 0, 0xde, 0xdf); }

/* Whether `n` bytes at `a` equal the NUL-terminated `s`. */
static inline bool cx_bytes_eq(const char *a, uint32_t n, const char *s) {
  uint32_t i = 0;
  for (; i < n; i++) if (s[i] == 0 || s[i] != a[i]) return false;
  return s[i] == 0;
}

/* Consumes the next value only if it is the string `s` (so alternatives can be tried in a row). */
static inline bool cx_read_str_eq(cx_reader *r, const char *s) {
  cx_reader probe = *r;
  const char *v;
  uint32_t n;
  if (!cx_read_str(&probe, &v, &n) || !cx_bytes_eq(v, n, s)) return false;
  *r = probe;
  return true;
}

/* Skips one whole value (nested arrays and maps included), without recursion. */
static inline bool cx_skip(cx_reader *r) {
  cx_reader save = *r;
  uint64_t todo = 1;
  while (todo > 0) {
    todo--;
    const uint8_t *p = r->p;
    uint32_t n;
    switch (cx_peek(r)) {
      case CX_MP_NIL: case CX_MP_BOOL: r->p++; break;
      case CX_MP_INT: case CX_MP_FLOAT: { double d; if (!cx_read_f64(r, &d)) goto bad; break; }
      case CX_MP_STR: { const char *s; if (!cx_read_str(r, &s, &n)) goto bad; break; }
      case CX_MP_BIN: { const uint8_t *b; if (!cx_read_bin(r, &b, &n)) goto bad; break; }
      case CX_MP_ARRAY: if (!cx_read_array(r, &n)) goto bad; todo += n; break;
      case CX_MP_MAP: if (!cx_read_map(r, &n)) goto bad; todo += 2ull * n; break;
      case CX_MP_EXT: {
        /* fixext 1/2/4/8/16 (d4-d8) or ext 8/16/32 (c7-c9): type byte + data */
        uint8_t b = p[0];
        uint64_t size;
        if (b >= 0xd4) size = 2u + (1u << (b - 0xd4));
        else if (b == 0xc7 && cx__has(r, 2)) size = 3u + p[1];
        else if (b == 0xc8 && cx__has(r, 3)) size = 4u + cx__rd16(p + 1);
        else if (b == 0xc9 && cx__has(r, 5)) size = 6u + cx__rd32(p + 1);
        else goto bad;
        if ((uint64_t)(r->end - p) < size) goto bad;
        r->p += size;
        break;
      }
      default: goto bad;
    }
  }
  return true;
bad:
  *r = save;
  return cx__fail(r);
}

/*
 * In a map (the reader on its header), finds the string key `key` and leaves
 * the reader on its value. On a miss the reader is unchanged and false is
 * returned (err is not set: a missing key is not a malformed input).
 */
static inline bool cx_find_key(cx_reader *r, const char *key) {
  cx_reader it = *r;
  uint32_t n;
  if (!cx_read_map(&it, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (cx_read_str_eq(&it, key)) { *r = it; return true; }
    if (!cx_skip(&it) || !cx_skip(&it)) return false;
  }
  return false;
}

#endif /* CAXTON_MSGPACK_H */
