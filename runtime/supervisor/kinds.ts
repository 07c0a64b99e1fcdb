/**
 * Agent kinds: compiled modules, cached by the hash of their bytes (agents
 * deployed from the same .wasm share one). Workers get each kind once
 * (worker-pool.ts ensureKind).
 */
import { createHash } from 'node:crypto';
import { validateAgentModule } from '../module/abi.js';
import type { ModuleShape } from '../module/inspect.js';

export interface Kind {
  id: string;
  module: WebAssembly.Module;
  memoryMinPages: number;
  memoryMaxPages: number | undefined;
  hasTimer: boolean;
  /** the module exports _initialize (a WASI reactor): called once before anything else */
  initialize: boolean;
  /** the ABI 2 features the module uses, '' when none (runtime/module/abi.ts) */
  abi2Uses: string;
  /** what the module declares (tables are checked against each agent's limit: runtime/module/abi.ts checkTables) */
  shape: ModuleShape;
}

export class Kinds {
  private readonly kinds = new Map<string, Kind>();

  /** interruptChecks: compile each module with interrupt checks added (runtime/module/interrupts.ts) */
  constructor(private readonly interruptChecks: boolean) {}

  /** The kind of these module bytes, compiled and checked the first time they are seen. */
  kindFor(name: string, bytes: Uint8Array): Kind {
    const id = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    let kind = this.kinds.get(id);
    if (!kind) {
      // Structure, imports and exports are checked here; the ABI version is
      // asked by the worker that instantiates it (under the watchdog: a start
      // function that never returns must not hang the supervisor).
      const v = validateAgentModule(name, bytes, { interruptChecks: this.interruptChecks });
      kind = { id, module: v.module, memoryMinPages: v.memoryMinPages, memoryMaxPages: v.memoryMaxPages, hasTimer: v.hasTimerExport, initialize: v.initialize, abi2Uses: v.abi2Uses, shape: v.shape };
      this.kinds.set(id, kind);
    }
    return kind;
  }

  get(id: string): Kind | undefined {
    return this.kinds.get(id);
  }
}
