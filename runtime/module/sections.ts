/**
 * A module as a list of sections (WebAssembly core spec, "Binary Format:
 * Modules"): read, edited one section payload at a time, written back. The
 * rewrites at deploy (interrupt checks, a defined memory made an import)
 * work on this.
 */
import { ByteReader, ByteWriter } from './bytes.js';

export const SECTION = { CUSTOM: 0, TYPE: 1, IMPORT: 2, FUNCTION: 3, TABLE: 4, MEMORY: 5, GLOBAL: 6, EXPORT: 7, START: 8, ELEMENT: 9, CODE: 10, DATA: 11, DATA_COUNT: 12, TAG: 13 } as const;
/** Where each known section goes: the binary format fixes their order (tags between memory and global, data count before code). */
const ORDER: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export interface Section { id: number; payload: Uint8Array }

/** The sections of a module, payloads as views of `bytes` (the 8-byte preamble skipped). */
export function readSections(bytes: Uint8Array): Section[] {
  const r = new ByteReader(bytes, 8);
  const out: Section[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, payload: bytes.subarray(r.pos, r.pos + size) });
    r.skip(size);
  }
  return out;
}

/** The module again: `bytes`' preamble, then every section. */
export function writeModule(bytes: Uint8Array, sections: readonly Section[]): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter().bytes(bytes.subarray(0, 8));
  for (const s of sections) w.byte(s.id).u32(s.payload.length).bytes(s.payload);
  return w.finish();
}

/** Put a new section where the binary format wants it. */
export function insert(sections: Section[], s: Section): Section {
  const rank = ORDER[s.id]!;
  const at = sections.findIndex((x) => x.id !== SECTION.CUSTOM && ORDER[x.id]! > rank);
  sections.splice(at < 0 ? sections.length : at, 0, s);
  return s;
}

export function vec(count: number, body: Uint8Array): Uint8Array {
  return new ByteWriter().u32(count).bytes(body).finish();
}

/** A vector's payload with one more element at the end. */
export function appendToVec(payload: Uint8Array, element: Uint8Array): Uint8Array {
  const r = new ByteReader(payload);
  const n = r.u32();
  return new ByteWriter().u32(n + 1).bytes(payload.subarray(r.pos)).bytes(element).finish();
}
