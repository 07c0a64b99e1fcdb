/**
 * Interrupt checks: the agent module is rewritten at deploy so that every
 * loop iteration and every tail call spends one unit of a fuel counter (a
 * global the rewrite adds), and every FUEL_PER_CHECK units it calls the host
 * (`caxton.__interrupt_check`, added as an import). The host looks at the
 * clock there and ends a call that has run past the agent's time limit by
 * throwing, which unwinds the agent's stack like a trap
 * (runtime/host/host-imports.ts).
 *
 * Why: a call that never returns used to be stopped only by terminating its
 * whole worker thread (the watchdog), and every other agent on that thread
 * lost its instance, its state and the messages held for it. With the
 * checks only the runaway agent is restarted; the watchdog stays as the
 * backstop for what the checks cannot reach (a very long memory.fill).
 *
 * Why loops and tail calls: straight-line code ends, a `br` backwards can
 * only target a `loop`, and recursion without tail calls overflows the
 * stack (a trap) within milliseconds; so a call that runs on forever must
 * pass a loop header or a tail call again and again. The cost is a global
 * decrement and a test per loop iteration; calls without loops pay nothing.
 *
 * The added import shifts the index of every function the module defines
 * by one: calls, `ref.func`, exports, the start function, element segments
 * and the name section are renumbered. Everything else is copied byte for
 * byte.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { appendToVec, insert, readSections, SECTION, vec, writeModule, type Section } from './sections.js';
import { OP, skipBlockType, skipImmediates, UnsupportedInstructionError } from './instructions.js';

export const INTERRUPT_MODULE = 'caxton';
export const INTERRUPT_NAME = '__interrupt_check';
/** Loop iterations (and tail calls) between two calls to the host's check: a few µs to a few ms of work. */
export const FUEL_PER_CHECK = 10_000;


export { UnsupportedInstructionError };

/** The module with interrupt checks added (the module must already be valid: WebAssembly.validate). */
export function addInterruptChecks(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const find = (id: number): Section | undefined => sections.find((s) => s.id === id);
  // The check's type, () -> (), appended: no existing type index moves.
  const types = find(SECTION.TYPE) ?? insert(sections, { id: SECTION.TYPE, payload: vec(0, new Uint8Array(0)) });
  const checkType = countTypes(types.payload);
  types.payload = appendToVec(types.payload, Uint8Array.of(0x60, 0x00, 0x00));
  // The import goes last among the imports: its function index is the number of imported functions.
  const imports = find(SECTION.IMPORT) ?? insert(sections, { id: SECTION.IMPORT, payload: vec(0, new Uint8Array(0)) });
  const { functions: importedFunctions, globals: importedGlobals } = countImports(imports.payload);
  const check = importedFunctions;
  imports.payload = appendToVec(imports.payload, new ByteWriter().name(INTERRUPT_MODULE).name(INTERRUPT_NAME).byte(0x00).u32(checkType).finish());
  const shift = (index: number): number => (index >= importedFunctions ? index + 1 : index);
  // The fuel counter, appended to the globals.
  const globals = find(SECTION.GLOBAL) ?? insert(sections, { id: SECTION.GLOBAL, payload: vec(0, new Uint8Array(0)) });
  globals.payload = rewriteGlobals(globals.payload, shift);
  const fuel = importedGlobals + new ByteReader(globals.payload).u32();
  globals.payload = appendToVec(globals.payload, new ByteWriter().byte(0x7f).byte(0x01).byte(OP.I32_CONST).s32(FUEL_PER_CHECK).byte(OP.END).finish());
  const checkSequence = checkCode(fuel, check);
  for (const s of sections) {
    if (s.id === SECTION.EXPORT) s.payload = rewriteExports(s.payload, shift);
    else if (s.id === SECTION.START) s.payload = new ByteWriter().u32(shift(new ByteReader(s.payload).u32())).finish();
    else if (s.id === SECTION.ELEMENT) s.payload = rewriteElements(s.payload, shift);
    else if (s.id === SECTION.CODE) s.payload = rewriteCode(s.payload, shift, checkSequence);
    else if (s.id === SECTION.CUSTOM && customName(s.payload) === 'name') s.payload = rewriteNames(s.payload, shift);
  }
  return writeModule(bytes, sections);
}

/** fuel -= 1; if (fuel == 0) { check(); fuel = FUEL_PER_CHECK } */
function checkCode(fuel: number, check: number): Uint8Array {
  return new ByteWriter()
    .byte(OP.GLOBAL_GET).u32(fuel).byte(OP.I32_CONST).s32(1).byte(OP.I32_SUB).byte(OP.GLOBAL_SET).u32(fuel)
    .byte(OP.GLOBAL_GET).u32(fuel).byte(OP.I32_EQZ).byte(OP.IF).byte(OP.BLOCKTYPE_EMPTY)
    .byte(OP.CALL).u32(check).byte(OP.I32_CONST).s32(FUEL_PER_CHECK).byte(OP.GLOBAL_SET).u32(fuel)
    .byte(OP.END)
    .finish();
}

function countTypes(payload: Uint8Array): number {
  const r = new ByteReader(payload);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const form = r.byte();
    if (form !== 0x60) throw new UnsupportedInstructionError(`it declares types of the WebAssembly GC proposal (form 0x${form.toString(16)})`);
    for (let k = 0, params = r.u32(); k < params; k++) skipValueType(r);
    for (let k = 0, results = r.u32(); k < results; k++) skipValueType(r);
  }
  return n;
}

function skipValueType(r: ByteReader): void {
  const b = r.byte();
  if (b === 0x63 || b === 0x64) r.s33();
}

function countImports(payload: Uint8Array): { functions: number; globals: number } {
  const r = new ByteReader(payload);
  let functions = 0;
  let globals = 0;
  for (let i = 0, n = r.u32(); i < n; i++) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) {
      functions++;
      r.u32();
    } else if (kind === 1) {
      skipValueType(r);
      r.limits();
    } else if (kind === 2) {
      r.limits();
    } else if (kind === 3) {
      globals++;
      skipValueType(r);
      r.byte();
    } else if (kind === 4) {
      r.byte();
      r.u32();
    } else {
      throw new UnsupportedInstructionError(`it has an import of unknown kind ${kind}`);
    }
  }
  return { functions, globals };
}

/** Copy a constant expression (up to and including its `end`), renumbering ref.func. */
function copyConstExpr(r: ByteReader, w: ByteWriter, shift: (i: number) => number): void {
  for (;;) {
    const at = r.pos;
    const op = r.byte();
    if (op === OP.REF_FUNC) {
      w.byte(op).u32(shift(r.u32()));
      continue;
    }
    skipImmediates(r, op);
    w.bytes(r.bytes.subarray(at, r.pos));
    if (op === OP.END) return;
  }
}

function rewriteGlobals(payload: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new ByteReader(payload);
  const n = r.u32();
  const w = new ByteWriter().u32(n);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    skipValueType(r);
    r.byte(); // mutability
    w.bytes(payload.subarray(at, r.pos));
    copyConstExpr(r, w, shift);
  }
  return w.finish();
}

function rewriteExports(payload: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new ByteReader(payload);
  const n = r.u32();
  const w = new ByteWriter().u32(n);
  for (let i = 0; i < n; i++) {
    const name = r.name();
    const kind = r.byte();
    const index = r.u32();
    w.name(name).byte(kind).u32(kind === 0 ? shift(index) : index);
  }
  return w.finish();
}

function rewriteElements(payload: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new ByteReader(payload);
  const n = r.u32();
  const w = new ByteWriter().u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags & 2 && !(flags & 1)) w.u32(r.u32()); // table index (active, explicit table)
    if (!(flags & 1)) copyConstExpr(r, w, shift); // offset (active)
    if (flags & 3) { // element kind (0x00 = funcref) or reference type
      const at = r.pos;
      if (flags & 4) skipValueType(r);
      else r.byte();
      w.bytes(payload.subarray(at, r.pos));
    }
    const count = r.u32();
    w.u32(count);
    for (let k = 0; k < count; k++) {
      if (flags & 4) copyConstExpr(r, w, shift);
      else w.u32(shift(r.u32()));
    }
  }
  return w.finish();
}

function rewriteCode(payload: Uint8Array, shift: (i: number) => number, check: Uint8Array): Uint8Array {
  const r = new ByteReader(payload);
  const n = r.u32();
  const w = new ByteWriter().u32(n);
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const end = r.pos + size;
    const body = new ByteWriter();
    const localsAt = r.pos;
    for (let k = 0, groups = r.u32(); k < groups; k++) {
      r.u32();
      skipValueType(r);
    }
    body.bytes(payload.subarray(localsAt, r.pos));
    let copied = r.pos;
    while (r.pos < end) {
      const at = r.pos;
      const op = r.byte();
      if (op === OP.LOOP) {
        skipBlockType(r);
        body.bytes(payload.subarray(copied, r.pos)).bytes(check);
        copied = r.pos;
      } else if (op === OP.CALL || op === OP.RETURN_CALL || op === OP.REF_FUNC) {
        const index = r.u32();
        body.bytes(payload.subarray(copied, at));
        if (op === OP.RETURN_CALL) body.bytes(check);
        body.byte(op).u32(shift(index));
        copied = r.pos;
      } else if (op === OP.RETURN_CALL_INDIRECT || op === OP.RETURN_CALL_REF) {
        skipImmediates(r, op);
        body.bytes(payload.subarray(copied, at)).bytes(check);
        copied = at;
      } else {
        skipImmediates(r, op);
      }
    }
    if (r.pos !== end) throw new RangeError(`function ${i}: its code runs past its declared size`);
    body.bytes(payload.subarray(copied, end));
    const b = body.finish();
    w.u32(b.length).bytes(b);
  }
  return w.finish();
}

function customName(payload: Uint8Array): string {
  try {
    return new ByteReader(payload).name();
  } catch {
    return '';
  }
}

/** The name section: function names (1), local names (2) and label names (3) are keyed by function index. */
function rewriteNames(payload: Uint8Array, shift: (i: number) => number): Uint8Array {
  const r = new ByteReader(payload);
  const w = new ByteWriter().name(r.name());
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    const sub = payload.subarray(r.pos, end);
    let out = sub;
    if (id === 1) {
      const s = new ByteReader(sub);
      const n = s.u32();
      const sw = new ByteWriter().u32(n);
      for (let i = 0; i < n; i++) sw.u32(shift(s.u32())).name(s.name());
      out = sw.finish();
    } else if (id === 2 || id === 3) {
      const s = new ByteReader(sub);
      const n = s.u32();
      const sw = new ByteWriter().u32(n);
      for (let i = 0; i < n; i++) {
        sw.u32(shift(s.u32()));
        const at = s.pos;
        for (let k = 0, m = s.u32(); k < m; k++) {
          s.u32();
          s.name();
        }
        sw.bytes(sub.subarray(at, s.pos));
      }
      out = sw.finish();
    }
    w.byte(id).u32(out.length).bytes(out);
    r.pos = end;
  }
  return w.finish();
}
