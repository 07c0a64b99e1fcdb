/**
 * A module that defines its memory (Go's wasip1 port, Rust, clang without
 * --import-memory) is rewritten at deploy to import it as `env.memory`
 * instead, with the same limits: the host then creates that memory with the
 * agent's memory limit as its maximum, exactly as for a module built to
 * import it (agent ABI 2, docs/agent-abi.md "Memory"). Nothing else moves:
 * the memory keeps index 0 (imported memories come first, and there is no
 * other), so data segments, loads, stores and a memory export all still
 * name it, and function indices do not change (only function imports count
 * there).
 *
 * Refused (the host could not cap it): several memories, a shared memory
 * (threads), a 64-bit memory.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { appendToVec, insert, readSections, SECTION, vec, writeModule } from './sections.js';

/** Why a defined memory cannot be made an import (the message says it). */
export class MemoryNotCappableError extends Error {}

/** The module with its defined memory imported as env.memory (the module must already be valid). */
export function importDefinedMemory(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const at = sections.findIndex((s) => s.id === SECTION.MEMORY);
  if (at < 0) throw new MemoryNotCappableError('it defines no memory');
  const r = new ByteReader(sections[at]!.payload);
  const count = r.u32();
  if (count !== 1) throw new MemoryNotCappableError(`it defines ${count} memories (the host caps one)`);
  const limitsStart = r.pos;
  const flags = r.byte();
  if (flags & 0x02) throw new MemoryNotCappableError('its memory is shared (threads are not offered)');
  if (flags & 0x04) throw new MemoryNotCappableError('its memory is 64-bit (memory64 is not offered)');
  if (flags & ~0x01) throw new MemoryNotCappableError(`its memory has limit flags 0x${flags.toString(16)}`);
  r.u32();
  if (flags & 0x01) r.u32();
  const limits = sections[at]!.payload.subarray(limitsStart, r.pos);
  sections.splice(at, 1);
  const imports = sections.find((s) => s.id === SECTION.IMPORT) ?? insert(sections, { id: SECTION.IMPORT, payload: vec(0, new Uint8Array(0)) });
  if (hasMemoryImport(imports.payload)) throw new MemoryNotCappableError('it both imports and defines a memory');
  imports.payload = appendToVec(imports.payload, new ByteWriter().name('env').name('memory').byte(0x02).bytes(limits).finish());
  return writeModule(bytes, sections);
}

function hasMemoryImport(payload: Uint8Array): boolean {
  const r = new ByteReader(payload);
  for (let i = 0, n = r.u32(); i < n; i++) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0x02) return true;
    if (kind === 0x00) r.u32();
    else if (kind === 0x01) {
      r.byte();
      r.limits();
    } else if (kind === 0x03) {
      r.byte();
      r.byte();
    } else if (kind === 0x04) {
      r.byte();
      r.u32();
    }
  }
  return false;
}
