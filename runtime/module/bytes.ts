/**
 * Reading and writing the WebAssembly binary format's primitives: bytes,
 * LEB128 integers, names and vectors (WebAssembly core spec, "Binary
 * Format: Values"). Shared by the module inspector (inspect.ts) and the
 * module rewriter (interrupts.ts); neither needs more than this.
 */

export class ByteReader {
  pos: number;

  constructor(readonly bytes: Uint8Array, pos = 0) {
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError('unexpected end of module');
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new RangeError('LEB128 too long');
    }
  }

  /** A signed LEB128 of up to 33 bits (block types), as a number. */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 42) throw new RangeError('LEB128 too long');
    } while (b & 0x80);
    return shift < 64 && (b & 0x40) !== 0 ? result - 2 ** shift : result;
  }

  /** Step over a LEB128 of any width (i32.const, i64.const immediates). */
  skipLeb(): void {
    for (let n = 0; this.byte() & 0x80; n++) if (n > 10) throw new RangeError('LEB128 too long');
  }

  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError('unexpected end of module');
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    this.skip(len);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos - len, len).toString('utf8');
  }

  /** Limits of a memory or table: flags, min, max if flags say so (64-bit and shared flags included). */
  limits(): { min: number; max?: number } {
    const flags = this.byte();
    const min = this.u32();
    return flags & 1 ? { min, max: this.u32() } : { min };
  }
}

/** Builds a byte array piece by piece; LEB128 encoders for the values a rewrite writes. */
export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private current: number[] = [];
  length = 0;

  byte(b: number): this {
    this.current.push(b & 0xff);
    this.length++;
    return this;
  }

  u32(v: number): this {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  bytes(b: Uint8Array): this {
    if (this.current.length) {
      this.chunks.push(Uint8Array.from(this.current));
      this.current = [];
    }
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  name(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u32(b.length).bytes(b);
  }

  finish(): Uint8Array<ArrayBuffer> {
    if (this.current.length) this.chunks.push(Uint8Array.from(this.current));
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [out];
    this.current = [];
    return out;
  }
}

/** The unsigned LEB128 encoding of `v` alone (for section and body sizes). */
export function u32Bytes(v: number): Uint8Array {
  return new ByteWriter().u32(v).finish();
}
