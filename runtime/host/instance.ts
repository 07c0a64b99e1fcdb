/**
 * Making an agent's WebAssembly instance: its own memory with the agent's
 * declared maximum, the imports it may use (`env.memory`, `env.abort`,
 * `env.seed`, the `caxton` host functions and, for ABI 2, the WASI preview 1
 * ones; validateAgentModule refused anything else at deploy), `_initialize`
 * when the module exports it, the ABI version check, and caxton_init with
 * the agent's config copied into its memory.
 *
 * Everything here runs agent code (the start function, caxton_abi_version,
 * caxton_alloc, caxton_init): the caller runs it under the watchdog, so a
 * module that never returns is stopped like any handler.
 */
import { RECORD_ALIGN } from '../../bus/layout.js';
import { ABI_VERSION, ABI_VERSIONS, envSeed } from '../module/abi.js';
import { WASI_MODULE } from '../module/wasi-imports.js';
import { AbiVersionMismatchError, AgentInitFailedError, type SerializedError } from '../errors.js';
import type { AllocFn, HandleFn, HostedAgent } from './hosted-agent.js';
import type { ImportFn } from './host-imports.js';

/** caxton_init's return code, or why the instance could not be made. */
export type InitResult = { rc: number; error?: undefined } | { error: SerializedError };

/** A fresh memory for the agent: its module's initial size, growable up to the agent's limit. */
export function createMemory(agent: HostedAgent): SerializedError | undefined {
  const initial = Math.max(agent.kind.memoryMinPages, 1);
  try {
    agent.memory = new WebAssembly.Memory({ initial, maximum: Math.max(initial, agent.memoryPages) });
    return undefined;
  } catch (e) {
    return new AgentInitFailedError(agent.name, `cannot create its memory (${initial}..${agent.memoryPages} pages): ${(e as Error).message}`).toJSON();
  }
}

/**
 * Instantiate the agent's module on its memory, wire its exports and run
 * caxton_init. Throws what the module throws (a trap); the caller turns it
 * into AGENT_INIT_FAILED.
 */
export function instantiateAgent(agent: HostedAgent, caxton: Record<string, ImportFn>, wasi: object): InitResult {
  const imports = {
    env: {
      memory: agent.memory,
      abort(msg: number, file: number, line: number, col: number): never {
        throw new Error(`abort: ${readAsString(agent, msg)} at ${readAsString(agent, file)}:${line}:${col}`);
      },
      seed: envSeed,
    },
    caxton,
    [WASI_MODULE]: wasi,
  };
  const instance = new WebAssembly.Instance(agent.kind.module, imports as unknown as WebAssembly.Imports);
  const ex = instance.exports;
  // A WASI reactor sets up its runtime (libc, Go's scheduler) here; nothing else may run before it.
  if (agent.kind.initialize) (ex._initialize as () => void)();
  const version = (ex.caxton_abi_version as () => number)();
  if (!ABI_VERSIONS.includes(version)) return { error: new AbiVersionMismatchError(agent.name, version, ABI_VERSION).toJSON() };
  if (version < 2 && agent.kind.abi2Uses) return { error: new AbiVersionMismatchError(agent.name, version, ABI_VERSION, agent.kind.abi2Uses).toJSON() };
  agent.handle = ex.caxton_handle as HandleFn;
  agent.alloc = ex.caxton_alloc as AllocFn;
  agent.onTimer = agent.kind.hasTimer ? (ex.caxton_on_timer as (t: number) => void) : undefined;
  agent.inboxPtr = 0;
  agent.inboxCap = 0;
  agent.refreshViews();
  const len = agent.config.byteLength;
  const ptr = (ex.caxton_alloc as AllocFn)((len + RECORD_ALIGN) & ~(RECORD_ALIGN - 1));
  if (agent.u8.length === 0) agent.refreshViews();
  agent.u8.set(agent.config, ptr);
  return { rc: (ex.caxton_init as HandleFn)(ptr, len) };
}

/** Read an AssemblyScript string (UTF-16, byte length at ptr-4) for abort messages. */
function readAsString(agent: HostedAgent, ptr: number): string {
  try {
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr < 4 || ptr >= agent.u8.length) return '?';
    const len = new DataView(agent.memory.buffer).getUint32(ptr - 4, true);
    return Buffer.from(agent.memory.buffer, ptr, Math.min(len, 1024)).toString('utf16le');
  } catch {
    return '?';
  }
}
