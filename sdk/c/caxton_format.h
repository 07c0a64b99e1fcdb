/*
 * caxton_format.h: a small vsnprintf for freestanding agents (included by
 * caxton.h), so that log lines can be written printf-style without libc.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %f %e %g %%, with flags - 0 + space,
 * a width and a precision (numbers or *), and the length modifiers hh h l ll
 * z j t. %s takes a precision as a byte count (`%.*s` prints a msgpack string
 * that is not NUL-terminated). Floats are printed with double arithmetic:
 * exact enough for logs, not a correctly rounded printf. Output past `cap`
 * is cut; the result is NUL-terminated and its length (without the NUL) is
 * returned.
 */
#ifndef CAXTON_FORMAT_H
#define CAXTON_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "caxton_msgpack.h" /* cx_strlen */

typedef struct { char *buf; uint32_t cap, len; } cx__fmt_out;

static inline void cx__putc(cx__fmt_out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len++] = c;
}
static inline void cx__pad(cx__fmt_out *o, char c, int n) {
  while (n-- > 0) cx__putc(o, c);
}

/* Digits of v in `base` into the end of tmp; returns where they start. */
static inline char *cx__utoa(char *end, uint64_t v, unsigned base, bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char *p = end;
  do { *--p = digits[v % base]; v /= base; } while (v);
  return p;
}

/* Emits sign/prefix + body with width, '-' and '0' handling. */
static inline void cx__emit(cx__fmt_out *o, const char *sign, const char *body, int n, int width, bool left, bool zero) {
  int sl = sign ? (int)cx_strlen(sign) : 0;
  int padn = width - sl - n;
  if (!left && !zero) cx__pad(o, ' ', padn);
  for (int i = 0; i < sl; i++) cx__putc(o, sign[i]);
  if (!left && zero) cx__pad(o, '0', padn);
  for (int i = 0; i < n; i++) cx__putc(o, body[i]);
  if (left) cx__pad(o, ' ', padn);
}

/* Fixed-point digits of |v| (finite, < 1e19 after scaling) with `prec` decimals. */
static inline int cx__ftoa_fixed(char *out, double v, int prec) {
  if (prec > 17) prec = 17;
  double scale = 1;
  for (int i = 0; i < prec; i++) scale *= 10;
  double ip = __builtin_floor(v);
  double frac = __builtin_floor((v - ip) * scale + 0.5);
  if (frac >= scale) { ip += 1; frac -= scale; }
  char tmp[48];
  char *end = tmp + sizeof tmp;
  char *p = end;
  if (prec > 0) {
    uint64_t f = (uint64_t)frac;
    for (int i = 0; i < prec; i++) { *--p = (char)('0' + f % 10); f /= 10; }
    *--p = '.';
  }
  p = cx__utoa(p, (uint64_t)ip, 10, false);
  int n = (int)(end - p);
  for (int i = 0; i < n; i++) out[i] = p[i];
  return n;
}

/* d.ddde+XX for |v| (finite). */
static inline int cx__ftoa_exp(char *out, double v, int prec) {
  int e = 0;
  if (v != 0) {
    while (v >= 10) { v /= 10; e++; }
    while (v < 1) { v *= 10; e--; }
  }
  int n = cx__ftoa_fixed(out, v, prec);
  if (out[0] == '1' && out[1] == '0') { /* rounding carried to 10.0 */
    n = cx__ftoa_fixed(out, v / 10, prec);
    e++;
  }
  out[n++] = 'e';
  out[n++] = e < 0 ? '-' : '+';
  if (e < 0) e = -e;
  if (e < 10) out[n++] = '0';
  char tmp[8];
  char *p = cx__utoa(tmp + sizeof tmp, (uint64_t)e, 10, false);
  while (p < tmp + sizeof tmp) out[n++] = *p++;
  return n;
}

/* Not inlined, and compiled for size (cold): one small copy of the formatter, off the hot path. */
__attribute__((noinline, cold, unused)) static uint32_t cx_vformat(char *buf, uint32_t cap, const char *fmt, va_list ap) {
  cx__fmt_out o = { buf, cap, 0 };
  char tmp[80];
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') { cx__putc(&o, *f); continue; }
    bool left = false, zero = false, plus = false, space = false;
    for (;; f++) {
      if (f[1] == '-') left = true;
      else if (f[1] == '0') zero = true;
      else if (f[1] == '+') plus = true;
      else if (f[1] == ' ') space = true;
      else break;
    }
    f++;
    int width = 0, prec = -1;
    if (*f == '*') { width = va_arg(ap, int); if (width < 0) { left = true; width = -width; } f++; }
    else while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    if (*f == '.') {
      f++;
      prec = 0;
      if (*f == '*') { prec = va_arg(ap, int); f++; }
      else while (*f >= '0' && *f <= '9') prec = prec * 10 + (*f++ - '0');
    }
    int size = 0; /* 0 int, 1 long, 2 long long / 64-bit */
    for (;; f++) {
      if (*f == 'h') continue;
      if (*f == 'l') { size++; continue; }
      if (*f == 'z' || *f == 't') { size = sizeof(size_t) == 8 ? 2 : 1; continue; }
      if (*f == 'j') { size = 2; continue; }
      break;
    }
    char c = *f;
    if (!c) break;
    switch (c) {
      case 'd': case 'i': {
        int64_t v = size == 2 ? va_arg(ap, long long) : size == 1 ? va_arg(ap, long) : va_arg(ap, int);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        char *p = cx__utoa(tmp + sizeof tmp, u, 10, false);
        cx__emit(&o, v < 0 ? "-" : plus ? "+" : space ? " " : 0, p, (int)(tmp + sizeof tmp - p), width, left, zero);
        break;
      }
      case 'u': case 'x': case 'X': case 'o': case 'p': {
        uint64_t u = c == 'p' ? (uintptr_t)va_arg(ap, void *)
                   : size == 2 ? va_arg(ap, unsigned long long) : size == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
        char *p = cx__utoa(tmp + sizeof tmp, u, base, c == 'X');
        cx__emit(&o, c == 'p' ? "0x" : 0, p, (int)(tmp + sizeof tmp - p), width, left, zero);
        break;
      }
      case 'c': tmp[0] = (char)va_arg(ap, int); cx__emit(&o, 0, tmp, 1, width, left, false); break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        int n = 0;
        while ((prec < 0 || n < prec) && s[n]) n++;
        cx__emit(&o, 0, s, n, width, left, false);
        break;
      }
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        double v = va_arg(ap, double);
        const char *sign = __builtin_signbit(v) ? "-" : plus ? "+" : space ? " " : 0;
        if (v < 0) v = -v;
        int n;
        if (v != v) { n = 3; __builtin_memcpy(tmp, "nan", 3); zero = false; }
        else if (v == __builtin_inf()) { n = 3; __builtin_memcpy(tmp, "inf", 3); zero = false; }
        else {
          if (prec < 0) prec = 6;
          bool expo = c == 'e' || c == 'E' || v >= 1e18;
          if (c == 'g' || c == 'G') {
            if (prec == 0) prec = 1;
            expo = v != 0 && (v < 1e-4 || v >= 1e15);
            int digits = 1;
            for (double t = v; t >= 10; t /= 10) digits++;
            prec = expo ? prec - 1 : (v >= 1 ? prec - digits : prec);
            if (prec < 0) prec = 0;
          }
          n = expo ? cx__ftoa_exp(tmp, v, prec) : cx__ftoa_fixed(tmp, v, prec);
          if (c == 'g' || c == 'G') { /* %g drops trailing zeros */
            int e = 0;
            while (e < n && tmp[e] != 'e') e++;
            int k = e;
            bool dot = false;
            for (int i = 0; i < e; i++) dot |= tmp[i] == '.';
            if (dot) { while (k > 0 && tmp[k - 1] == '0') k--; if (k > 0 && tmp[k - 1] == '.') k--; }
            for (int i = e; i < n; i++) tmp[k + i - e] = tmp[i];
            n = k + (n - e);
          }
        }
        cx__emit(&o, sign, tmp, n, width, left, zero);
        break;
      }
      case '%': cx__putc(&o, '%'); break;
      default: cx__putc(&o, '%'); cx__putc(&o, c); break;
    }
  }
  if (o.cap) o.buf[o.len] = 0;
  return o.len;
}

/* snprintf-like: formats into buf (cap bytes, NUL-terminated); returns the length written. */
__attribute__((format(printf, 3, 4))) static inline uint32_t cx_format(char *buf, uint32_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  uint32_t n = cx_vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

#endif /* CAXTON_FORMAT_H */
