/**
 * Agent ABI 1 and 2 (docs/agent-abi.md): the imports the host offers, the
 * exports it requires, and deploy-time validation of a module against them.
 * ABI 2 adds, compatibly: a memory the module defines (made an import here:
 * memory-import.ts), the WASI preview 1 imports (wasi-imports.ts; what they
 * do: runtime/host/wasi.ts) and an `_initialize` export called first.
 */
import { inspectModule, sameSig, sigToString, type FuncSig, type ModuleShape } from './inspect.js';
import { addInterruptChecks, UnsupportedInstructionError } from './interrupts.js';
import { importDefinedMemory, MemoryNotCappableError } from './memory-import.js';
import { capUnboundedTables } from './table-cap.js';
import { WASI_IMPORTS, WASI_MODULE } from './wasi-imports.js';
import {
  InvalidWasmError, MemoryNotImportedError, MissingExportError, ModuleTooLargeError, TablesTooLargeError, UnknownImportError,
  UnsupportedModuleError,
} from '../errors.js';
import { MAX_MODULE_BYTES, TABLE_ENTRY_BYTES } from '../limits.js';

/** The newest agent ABI this host speaks; every older one is still accepted (ABI_VERSIONS). */
export const ABI_VERSION = 2;
export const ABI_VERSIONS: readonly number[] = [1, 2];
export const WASM_PAGE = 65536;

const i32 = 'i32' as const;
const f64 = 'f64' as const;
const sig = (params: FuncSig['params'], results: FuncSig['results'] = []): FuncSig => ({ params, results });

/** Module "caxton": every function the host offers, with its exact signature. */
export const HOST_IMPORTS: Readonly<Record<string, FuncSig>> = Object.freeze({
  send: sig([i32, i32], [i32]),
  lookup: sig([i32, i32], [i32]),
  self_slot: sig([], [i32]),
  log: sig([i32, i32, i32]),
  now: sig([], [f64]),
  set_timer: sig([i32, i32], [i32]),
  cancel_timer: sig([i32], [i32]),
  message_id_lo: sig([], [i32]),
  message_id_hi: sig([], [i32]),
});

/** Module "env": AssemblyScript's abort hook and random seed (optional) and the memory (required). */
export const ENV_ABORT_SIG = sig([i32, i32, i32, i32]);
export const ENV_SEED_SIG = sig([], [f64]);

/** AssemblyScript's Math.random asks the host for a seed once. */
export function envSeed(): number {
  return Math.random() * 2 ** 52;
}

export const REQUIRED_EXPORTS: Readonly<Record<string, FuncSig>> = Object.freeze({
  caxton_abi_version: sig([], [i32]),
  caxton_alloc: sig([i32], [i32]),
  caxton_init: sig([i32, i32], [i32]),
  caxton_handle: sig([i32, i32], [i32]),
});

export const OPTIONAL_EXPORTS: Readonly<Record<string, FuncSig>> = Object.freeze({
  caxton_on_timer: sig([i32]),
  _initialize: sig([]),
});

export interface ValidatedModule {
  readonly module: WebAssembly.Module;
  readonly shape: ModuleShape;
  /** pages the module's memory import declares as its minimum */
  readonly memoryMinPages: number;
  /** the module's own declared maximum, if any */
  readonly memoryMaxPages: number | undefined;
  readonly hasTimerExport: boolean;
  /** exports _initialize (a WASI reactor): the host calls it once, first */
  readonly initialize: boolean;
  /** the ABI 2 features the module uses, '' when none: such a module must return 2 from caxton_abi_version */
  readonly abi2Uses: string;
}

export interface CompileOptions {
  /** compile the module with interrupt checks added (runtime/module/interrupts.ts); default true */
  readonly interruptChecks?: boolean;
}

/**
 * Refuse anything that is not an ABI v1 agent, with an error that names the
 * problem and the fix; compile what passes (with interrupt checks added,
 * unless told not to).
 */
export function validateAgentModule(agent: string, bytes: Uint8Array, options: CompileOptions = {}): ValidatedModule {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new InvalidWasmError(agent, 'it does not start with the WebAssembly magic bytes "\\0asm"');
  }
  if (bytes.byteLength > MAX_MODULE_BYTES) throw new ModuleTooLargeError(agent, bytes.byteLength, MAX_MODULE_BYTES);
  // validate() is cheaper than compiling; compiling once more tells why a module is invalid.
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    try {
      new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new InvalidWasmError(agent, (e as Error).message);
    }
  }
  let shape: ModuleShape;
  try {
    shape = inspectModule(bytes);
  } catch (e) {
    throw new InvalidWasmError(agent, `cannot read its sections: ${(e as Error).message}`);
  }
  const uses: string[] = [];
  if (shape.definesMemory) {
    // ABI 2: made an import, so that the host sets its maximum.
    try {
      bytes = importDefinedMemory(bytes);
      shape = inspectModule(bytes);
    } catch (e) {
      if (!(e instanceof MemoryNotCappableError || e instanceof RangeError)) throw e;
      throw new MemoryNotImportedError(agent, e.message);
    }
    uses.push('defines its own memory');
  }
  let memoryMinPages = -1;
  let memoryMaxPages: number | undefined;
  for (const imp of shape.imports) {
    if (imp.module === 'env' && imp.name === 'memory' && imp.kind === 'memory') {
      memoryMinPages = imp.memory!.min;
      memoryMaxPages = imp.memory!.max;
      continue;
    }
    if (imp.module === 'env' && imp.name === 'abort' && imp.kind === 'function' && sameSig(imp.sig, ENV_ABORT_SIG)) continue;
    if (imp.module === 'env' && imp.name === 'seed' && imp.kind === 'function' && sameSig(imp.sig, ENV_SEED_SIG)) continue;
    const wasi = imp.module === WASI_MODULE && imp.kind === 'function';
    const offered = imp.kind !== 'function' ? undefined : imp.module === 'caxton' ? HOST_IMPORTS[imp.name] : wasi ? WASI_IMPORTS[imp.name] : undefined;
    if (!offered) throw new UnknownImportError(agent, imp.module, imp.name, imp.kind);
    if (!sameSig(imp.sig, offered)) {
      throw new UnknownImportError(agent, imp.module, imp.name, `function with signature ${sigToString(imp.sig)} (the host offers ${sigToString(offered)})`);
    }
    if (wasi && !uses.includes(`imports ${WASI_MODULE}`)) uses.push(`imports ${WASI_MODULE}`);
  }
  if (memoryMinPages < 0) throw new MemoryNotImportedError(agent, 'it has no memory');
  if (uses.length > 0 && shape.tables.some((t) => t.max === undefined)) {
    // ABI 2 (table-cap.ts): a WASI toolchain's table without a maximum is capped at its minimum.
    bytes = capUnboundedTables(bytes);
    shape = inspectModule(bytes);
    uses.push('has a table without a maximum (capped at its minimum)');
  }
  for (const [name, want] of Object.entries(REQUIRED_EXPORTS)) {
    const exp = shape.exports.find((e) => e.name === name && e.kind === 'function');
    if (!exp) throw new MissingExportError(agent, name);
    if (!sameSig(exp.sig, want)) throw new MissingExportError(agent, `${name}: ${sigToString(want)} (found ${sigToString(exp.sig)})`);
  }
  const timer = shape.exports.find((e) => e.name === 'caxton_on_timer' && e.kind === 'function');
  if (timer && !sameSig(timer.sig, OPTIONAL_EXPORTS.caxton_on_timer!)) {
    throw new MissingExportError(agent, `caxton_on_timer: ${sigToString(OPTIONAL_EXPORTS.caxton_on_timer)} (found ${sigToString(timer.sig)})`);
  }
  const init = shape.exports.find((e) => e.name === '_initialize' && e.kind === 'function');
  if (init && !sameSig(init.sig, OPTIONAL_EXPORTS._initialize!)) {
    throw new MissingExportError(agent, `_initialize: ${sigToString(OPTIONAL_EXPORTS._initialize)} (found ${sigToString(init.sig)})`);
  }
  if (init) uses.push('exports _initialize');
  return {
    module: compile(agent, bytes, options.interruptChecks ?? true), shape, memoryMinPages, memoryMaxPages, hasTimerExport: !!timer,
    initialize: !!init, abi2Uses: uses.join(', '),
  };
}

/**
 * Tables are not in the agent's linear memory but cost the host memory per
 * entry, and a table without a maximum can grow to V8's limit (10 million
 * entries) at run time: every table must declare a maximum, and all of them
 * at their maximum may take at most the agent's memory limit again
 * (TABLE_ENTRY_BYTES per entry). Checked at deploy; table.grow cannot pass
 * a declared maximum, so that bounds run time too.
 */
export function checkTables(agent: string, shape: ModuleShape, memoryLimitBytes: number): void {
  let entries = 0;
  shape.tables.forEach((table, i) => {
    if (table.max === undefined) {
      throw new TablesTooLargeError(agent, `table ${i} declares no maximum, so it could grow to millions of entries`, memoryLimitBytes);
    }
    entries += table.max;
  });
  if (entries * TABLE_ENTRY_BYTES > memoryLimitBytes) {
    throw new TablesTooLargeError(agent, `its tables hold up to ${entries} entries (${entries * TABLE_ENTRY_BYTES} bytes)`, memoryLimitBytes);
  }
}

/** The module the workers instantiate: the agent's bytes, with interrupt checks added when asked. */
function compile(agent: string, bytes: Uint8Array, interruptChecks: boolean): WebAssembly.Module {
  let code = bytes;
  if (interruptChecks) {
    try {
      code = addInterruptChecks(bytes);
    } catch (e) {
      if (!(e instanceof UnsupportedInstructionError || e instanceof RangeError)) throw e;
      throw new UnsupportedModuleError(agent, e.message);
    }
  }
  try {
    return new WebAssembly.Module(code as Uint8Array<ArrayBuffer>);
  } catch (e) {
    // The agent's own bytes were valid: a module the rewrite made invalid is Caxton's bug.
    throw new UnsupportedModuleError(agent, `compiling it with the checks failed: ${(e as Error).message}`);
  }
}
