/**
 * Stepping over WebAssembly instructions: each opcode with the immediates it
 * carries (core spec "Instructions", plus the shipped proposals a compiler
 * may emit: sign extension, saturating truncation, bulk memory, reference
 * types, multi-value, SIMD and relaxed SIMD, threads, exception handling,
 * tail calls). The rewriter (interrupts.ts) walks every function body with
 * it to find loops and calls without decoding what it does not need.
 *
 * Instructions of the GC proposal (prefix 0xFB) and string references are
 * not supported: a module that uses them is refused with a clear error
 * rather than rewritten wrongly.
 */
import type { ByteReader } from './bytes.js';

export const OP = Object.freeze({
  BLOCK: 0x02, LOOP: 0x03, IF: 0x04, END: 0x0b,
  CALL: 0x10, RETURN_CALL: 0x12, RETURN_CALL_INDIRECT: 0x13, RETURN_CALL_REF: 0x15,
  GLOBAL_GET: 0x23, GLOBAL_SET: 0x24, I32_CONST: 0x41, I32_SUB: 0x6b, I32_EQZ: 0x45,
  REF_FUNC: 0xd2, PREFIX_FC: 0xfc, PREFIX_FD: 0xfd, PREFIX_FE: 0xfe, PREFIX_GC: 0xfb,
  BLOCKTYPE_EMPTY: 0x40,
});

export class UnsupportedInstructionError extends Error {}

/** A block type: empty, a value type (one byte, or a reference type with its heap type) or a type index. */
export function skipBlockType(r: ByteReader): void {
  const b = r.bytes[r.pos];
  if (b === 0x63 || b === 0x64) {
    r.byte();
    r.s33();
  } else {
    r.s33();
  }
}

/** A value type (one byte, or a reference type with its heap type). */
function skipValType(r: ByteReader): void {
  const b = r.byte();
  if (b === 0x63 || b === 0x64) r.s33();
}

/** align, [memory index when align's bit 6 is set], offset. */
function skipMemArg(r: ByteReader): void {
  const align = r.u32();
  if (align & 0x40) r.u32();
  r.skipLeb();
}

/**
 * Step over the immediates of `op` (its first byte, already read). For a
 * prefixed opcode (0xFC, 0xFD, 0xFE) the sub-opcode is read here too.
 */
export function skipImmediates(r: ByteReader, op: number): void {
  switch (op) {
    case 0x02: case 0x03: case 0x04: case 0x06: // block loop if try
      skipBlockType(r);
      return;
    case 0x07: case 0x08: case 0x09: case 0x18: // catch throw rethrow delegate
    case 0x0c: case 0x0d: // br br_if
    case 0x10: case 0x12: // call return_call
    case 0x14: case 0x15: // call_ref return_call_ref
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: // local.*, global.*
    case 0x25: case 0x26: // table.get table.set
    case 0xd2: // ref.func
    case 0xd5: case 0xd6: // br_on_null br_on_non_null
      r.u32();
      return;
    case 0x0e: { // br_table
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11: case 0x13: // call_indirect return_call_indirect: type, table
      r.u32();
      r.u32();
      return;
    case 0x1c: { // select t*
      const n = r.u32();
      for (let i = 0; i < n; i++) skipValType(r);
      return;
    }
    case 0x1f: { // try_table: block type, catch clauses
      skipBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const kind = r.byte();
        if (kind === 0x00 || kind === 0x01) r.u32(); // catch / catch_ref: tag
        r.u32(); // label
      }
      return;
    }
    case 0x3f: case 0x40: // memory.size memory.grow
      r.u32();
      return;
    case 0x41: case 0x42: // i32.const i64.const
      r.skipLeb();
      return;
    case 0x43:
      r.skip(4);
      return;
    case 0x44:
      r.skip(8);
      return;
    case 0xd0: // ref.null heap type
      if (r.bytes[r.pos] === 0x63 || r.bytes[r.pos] === 0x64) r.byte();
      r.s33();
      return;
    case 0xfc:
      skipFc(r, r.u32());
      return;
    case 0xfd:
      skipSimd(r, r.u32());
      return;
    case 0xfe:
      skipAtomic(r, r.u32());
      return;
    case 0xfb:
      throw new UnsupportedInstructionError('it uses instructions of the WebAssembly GC proposal (prefix 0xFB)');
    default:
      if (op >= 0x28 && op <= 0x3e) { // loads and stores
        skipMemArg(r);
        return;
      }
      if (op <= 0x0f || (op >= 0x19 && op <= 0x1b) || (op >= 0x45 && op <= 0xc4) || op === 0xd1 || op === 0xd3 || op === 0xd4 || op === 0x0a) return;
      throw new UnsupportedInstructionError(`it uses an unknown instruction (opcode 0x${op.toString(16)})`);
  }
}

function skipFc(r: ByteReader, sub: number): void {
  if (sub <= 7) return; // saturating truncation
  switch (sub) {
    case 8: r.u32(); r.u32(); return; // memory.init data, memory
    case 9: case 13: case 15: case 16: case 17: r.u32(); return; // data.drop elem.drop table.grow table.size table.fill
    case 10: case 12: case 14: r.u32(); r.u32(); return; // memory.copy table.init table.copy
    case 11: r.u32(); return; // memory.fill
    default: throw new UnsupportedInstructionError(`it uses an unknown instruction (0xFC ${sub})`);
  }
}

function skipSimd(r: ByteReader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemArg(r); // loads, store, load_zero
  if (sub === 12 || sub === 13) return r.skip(16); // v128.const, i8x16.shuffle
  if (sub >= 21 && sub <= 34) return r.skip(1); // extract/replace lane
  if (sub >= 84 && sub <= 91) { // load/store lane
    skipMemArg(r);
    r.skip(1);
    return;
  }
  if (sub <= 0x113) return; // every other SIMD and relaxed SIMD instruction has no immediate
  throw new UnsupportedInstructionError(`it uses an unknown instruction (0xFD ${sub})`);
}

function skipAtomic(r: ByteReader, sub: number): void {
  if (sub === 3) return r.skip(1); // atomic.fence
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) return skipMemArg(r);
  throw new UnsupportedInstructionError(`it uses an unknown instruction (0xFE ${sub})`);
}
