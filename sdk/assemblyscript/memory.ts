// Small raw-memory helpers shared by the SDK: growable unmanaged buffers and
// UTF-8 comparison without allocation. Buffers come from `heap.alloc`, are never
// seen by the garbage collector, and are grown (rarely), never shrunk.

/** Capacity to allocate for `needed` bytes: the next power of two, at least 64. */
export function roundCapacity(needed: i32): i32 {
  if (needed <= 64) return 64;
  return 1 << (32 - clz<i32>(needed - 1));
}

/** Grows a raw buffer to hold `needed` bytes, keeping its content; returns the new pointer. */
export function growBuffer(ptr: usize, needed: i32): usize {
  const cap = roundCapacity(needed);
  return ptr == 0 ? heap.alloc(<usize>cap) : heap.realloc(ptr, <usize>cap);
}

let scratchPtr: usize = 0;
let scratchCap: i32 = 0;

/**
 * A shared scratch area of at least `n` bytes. Its content is only valid until the
 * next SDK call that may use it (log, lookup, string comparison).
 */
export function scratch(n: i32): usize {
  if (n > scratchCap) {
    scratchPtr = growBuffer(scratchPtr, n);
    scratchCap = roundCapacity(n);
  }
  return scratchPtr;
}

/** UTF-8 length of an AssemblyScript string. */
// @ts-ignore: decorator
@inline export function utf8Length(s: string): i32 {
  return String.UTF8.byteLength(s);
}

/** Writes `s` as UTF-8 at `dest` (which must have room for utf8Length(s) bytes); returns bytes written. */
// @ts-ignore: decorator
@inline export function utf8Write(s: string, dest: usize): i32 {
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, dest);
}

/** Whether the `len` UTF-8 bytes at `ptr` spell exactly `s`. Does not allocate. */
export function utf8Equals(ptr: usize, len: i32, s: string): bool {
  const n = s.length;
  const sp = changetype<usize>(s);
  if (n == len) {
    // Fast path for ASCII text: one code unit per byte.
    let i = 0;
    for (; i < n; i++) {
      const c = <u32>load<u16>(sp + (<usize>i << 1));
      if (c >= 0x80) break;
      if (<u32>load<u8>(ptr + <usize>i) != c) return false;
    }
    if (i == n) return true;
  }
  const bl = utf8Length(s);
  if (bl != len) return false;
  const tmp = scratch(bl);
  utf8Write(s, tmp);
  return memory.compare(tmp, ptr, <usize>len) == 0;
}
