/**
 * ABI 2: a table the module defines without a maximum gets its minimum as
 * maximum, at deploy. WASI toolchains declare their function table that way
 * (Go's wasip1 port does) although their code never grows it; ABI 1 refuses
 * such a table (TABLES_TOO_LARGE) because table.grow could then reach
 * millions of entries. Capped, a table.grow fails (-1) instead, and the
 * table is counted at its minimum against the agent's limit (checkTables).
 * Only the limits of tables without a maximum change; nothing moves.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { readSections, SECTION, writeModule } from './sections.js';

/** The module with every uncapped table capped at its minimum, or the same bytes when there is none. */
export function capUnboundedTables(bytes: Uint8Array): Uint8Array {
  const sections = readSections(bytes);
  const table = sections.find((s) => s.id === SECTION.TABLE);
  if (!table) return bytes;
  const r = new ByteReader(table.payload);
  const n = r.u32();
  const w = new ByteWriter().u32(n);
  let changed = false;
  for (let i = 0; i < n; i++) {
    // A table type: its reference type (one byte for funcref/externref), then its limits.
    const refType = r.byte();
    const flags = r.byte();
    const min = r.u32();
    w.byte(refType);
    if (flags === 0x00) {
      w.byte(0x01).u32(min).u32(min);
      changed = true;
    } else {
      w.byte(flags).u32(min);
      if (flags & 0x01) w.u32(r.u32());
    }
  }
  if (!changed) return bytes;
  table.payload = w.finish();
  return writeModule(bytes, sections);
}
