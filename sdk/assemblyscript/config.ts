// The agent's configuration: the msgpack value given to `caxton_init` (the
// deployment's `config` map, or nil). The SDK copies it out of the host-owned
// region at init, so it stays readable for the whole life of the instance.

import { MsgpackType, Reader } from "./msgpack";

export class Config {
  /** Owned copy of the config bytes. */
  ptr: usize = 0;
  len: i32 = 0;
  private r: Reader = new Reader();

  /** Replaces the config with a copy of `len` bytes at `ptr` (called by caxton_init). */
  load(ptr: usize, len: i32): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
    if (len > 0) {
      this.ptr = heap.alloc(<usize>len);
      memory.copy(this.ptr, ptr, <usize>len);
      this.len = len;
    }
  }

  /** Whether the config is a map (false when it is nil or absent). */
  get isMap(): bool {
    return this.r.reset(this.ptr, this.len).peekType() == MsgpackType.MAP;
  }

  /**
   * A Reader positioned on the value of `key`, or null when the key is absent.
   * The Reader is shared by all Config getters: use it before the next call.
   */
  reader(key: string): Reader | null {
    const r = this.r.reset(this.ptr, this.len);
    if (r.peekType() != MsgpackType.MAP) return null;
    return r.findKey(key) ? r : null;
  }

  /** Whether `key` is present (with any value, including nil). */
  has(key: string): bool { return this.reader(key) !== null; }

  /** `MsgpackType` of the value of `key`, or INVALID when absent. */
  typeOf(key: string): i32 {
    const r = this.reader(key);
    return r === null ? MsgpackType.INVALID : r.peekType();
  }

  /** String value of `key`, or `dflt` when absent or not a string. */
  getString(key: string, dflt: string = ""): string {
    const r = this.reader(key);
    if (r === null || r.peekType() != MsgpackType.STRING) return dflt;
    return r.readString();
  }

  /** Integer value of `key` (floats are truncated), or `dflt` when absent or not a number. */
  getInt(key: string, dflt: i64 = 0): i64 {
    const r = this.reader(key);
    if (r === null) return dflt;
    const t = r.peekType();
    if (t != MsgpackType.INT && t != MsgpackType.FLOAT) return dflt;
    return r.readInt();
  }

  /** Number value of `key` as f64 (ints accepted), or `dflt`. */
  getF64(key: string, dflt: f64 = 0): f64 {
    const r = this.reader(key);
    if (r === null) return dflt;
    const t = r.peekType();
    if (t != MsgpackType.INT && t != MsgpackType.FLOAT) return dflt;
    return r.readF64();
  }

  /** Boolean value of `key`, or `dflt` when absent or not a bool. */
  getBool(key: string, dflt: bool = false): bool {
    const r = this.reader(key);
    if (r === null || r.peekType() != MsgpackType.BOOL) return dflt;
    return r.readBool();
  }

  /** Array-of-strings value of `key` (non-string elements become ""); empty when absent. */
  getStringArray(key: string): string[] {
    const r = this.reader(key);
    if (r === null || r.peekType() != MsgpackType.ARRAY) return new Array<string>(0);
    return r.readStringArray();
  }
}

/** The configuration of this agent (filled before `onInit` runs). */
export const config = new Config();
