/**
 * Reads what WebAssembly.Module.imports()/exports() do not tell: function
 * signatures and memory limits. Only the type, import, function and export
 * sections are read; everything else is skipped by its size.
 */
import { ByteReader } from './bytes.js';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';
export interface FuncSig { params: ValType[]; results: ValType[] }
export interface ImportEntry { module: string; name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; sig?: FuncSig; memory?: { min: number; max?: number } }
export interface ExportEntry { name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; sig?: FuncSig }
export interface ModuleShape {
  imports: ImportEntry[];
  exports: ExportEntry[];
  definesMemory: boolean;
  /** the tables the module defines (imported tables are refused by the ABI check) */
  tables: { min: number; max?: number }[];
}

const VALTYPES: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

/** The shared binary reader, with the value types this inspector names. */
class Reader extends ByteReader {
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new RangeError(`unknown value type 0x${b.toString(16)}`);
    return t;
  }
}

/** Inspect a module that WebAssembly.validate() already accepted. */
export function inspectModule(bytes: Uint8Array): ModuleShape {
  const r = new Reader(bytes);
  r.pos = 8; // magic + version
  const types: FuncSig[] = [];
  const imports: ImportEntry[] = [];
  const funcTypes: number[] = []; // function index space: imports first
  const exportsRaw: { name: string; kind: number; index: number }[] = [];
  let definesMemory = false;
  const tables: ModuleShape['tables'] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) throw new RangeError(`unsupported type form 0x${form.toString(16)}`);
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const t = r.u32();
          funcTypes.push(t);
          imports.push({ module, name, kind: 'function', sig: types[t] });
        } else if (kind === 1) {
          r.byte();
          r.limits();
          imports.push({ module, name, kind: 'table' });
        } else if (kind === 2) {
          imports.push({ module, name, kind: 'memory', memory: r.limits() });
        } else if (kind === 3) {
          r.valtype();
          r.byte();
          imports.push({ module, name, kind: 'global' });
        } else if (kind === 4) {
          r.byte();
          r.u32();
          imports.push({ module, name, kind: 'tag' });
        } else {
          throw new RangeError(`unknown import kind ${kind}`);
        }
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (id === 4) {
      for (let i = 0, n = r.u32(); i < n; i++) {
        if (r.bytes[r.pos] === 0x40) throw new RangeError('tables with an initialiser expression are not supported');
        r.valtype();
        tables.push(r.limits());
      }
    } else if (id === 5) {
      definesMemory = r.u32() > 0;
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) exportsRaw.push({ name: r.name(), kind: r.byte(), index: r.u32() });
    }
    r.pos = end;
  }
  const exports: ExportEntry[] = exportsRaw.map((e) => ({
    name: e.name,
    kind: KINDS[e.kind] ?? 'function',
    sig: e.kind === 0 ? types[funcTypes[e.index]!] : undefined,
  }));
  return { imports, exports, definesMemory, tables };
}

export function sigToString(sig: FuncSig | undefined): string {
  if (!sig) return '?';
  return `(${sig.params.join(', ')}) -> ${sig.results.length ? sig.results.join(', ') : 'void'}`;
}

export function sameSig(a: FuncSig | undefined, b: FuncSig): boolean {
  return !!a && a.params.join() === b.params.join() && a.results.join() === b.results.join();
}
