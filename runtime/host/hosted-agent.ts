/**
 * One agent as its worker hosts it: its compiled kind, its limits, its live
 * WebAssembly instance and what the host keeps for it between calls (timers,
 * messages parked while it restarts, log-rate window). The instance is
 * replaced on every restart; this object stays as long as the agent lives
 * on this worker.
 */
import type { RingConsumer } from '../../bus/ring.js';
import type { AgentPlacement } from '../thread-messages.js';
import type { AgentClock, TimerHandle } from './agent-clock.js';

/** A compiled agent module, shared by every instance of that kind on this worker. */
export interface Kind {
  readonly module: WebAssembly.Module;
  readonly memoryMinPages: number;
  readonly hasTimer: boolean;
  /** call _initialize first (a WASI reactor) */
  readonly initialize: boolean;
  /** the ABI 2 features the module uses ('' = none): a module using any must say ABI 2 */
  readonly abi2Uses: string;
}

export type HandleFn = (ptr: number, len: number) => number;
export type AllocFn = (size: number) => number;

/** Running: called; Backoff: restarting after traps; Throttled: past its send budget until the next tick; Removed: gone */
export const enum AgentState { Running, Backoff, Removed, Throttled }

export class HostedAgent {
  readonly slot: number;
  readonly generation: number;
  readonly name: string;
  readonly kind: Kind;
  readonly config: Uint8Array;
  readonly memoryPages: number;
  /** how many messages may wait (parked) while the agent restarts */
  readonly mailbox: number;
  /** a call running longer is ended by the interrupt checks */
  readonly timeLimitMs: number;
  /** its send budget per tick (runtime/host/send-budget.ts), the tick of its last send and its sends in that tick */
  readonly sendsPerTick: number;
  sendTick = -1;
  sendsInTick = 0;
  /** a send of the current call reached the budget: throttle when the call returns */
  overBudget = false;
  state = AgentState.Running;
  memory!: WebAssembly.Memory;
  handle!: HandleFn;
  alloc!: AllocFn;
  onTimer: ((token: number) => void) | undefined;
  /** views of the instance's memory, remade after it grows (refreshViews) */
  u8 = new Uint8Array(0);
  i32 = new Int32Array(0);
  /** where incoming frames are copied: a region of the agent's own memory, from caxton_alloc */
  inboxPtr = 0;
  inboxCap = 0;
  timers = new Map<number, TimerHandle>();
  timerSeq = 0;
  /** traps within the failure window, for the back-off (runtime/host/recovery.ts) */
  failures = 0;
  lastFailureAt = 0;
  /** frames that arrived while it was in back-off, delivered in order after the restart */
  parked: Int32Array[] = [];
  /**
   * for each parked frame, the ring it came from (undefined: made by the
   * host) and its ordinal there: while it waits, that ring's settled mark
   * stays below it (bus/ring.ts hold(); the API journal reads the mark)
   */
  parkedRing: (RingConsumer | undefined)[] = [];
  parkedOrdinal: number[] = [];
  /** id of the last message it sent (caxton.message_id_lo/hi) */
  lastMsgLo = 0;
  lastMsgHi = 0;
  logWindowStart = 0;
  logsInWindow = 0;
  logsDropped = 0;
  /** text written to WASI stdout / stderr after its last newline (runtime/host/wasi.ts) */
  stdoutTail = '';
  stderrTail = '';
  /** the first stderr line of the call numbered stderrCallSeq (CurrentCall.seq): a trap's dead letter quotes it (a Go panic's text) */
  callStderr = '';
  stderrCallSeq = -1;

  /** sendsPerTick: its budget (runtime/host/send-budget.ts sendsPerTick) */
  constructor(p: AgentPlacement, kind: Kind, sendsPerTick: number) {
    this.slot = p.slot;
    this.generation = p.generation;
    this.name = p.name;
    this.kind = kind;
    this.config = p.config;
    this.memoryPages = p.memoryPages;
    this.mailbox = p.mailbox;
    this.timeLimitMs = p.timeLimitMs;
    this.sendsPerTick = sendsPerTick;
  }

  /**
   * memory.grow() detaches the old ArrayBuffer, and a detached buffer's views
   * report length 0: checking `u8.length === 0` is a cheap way to notice
   * growth without touching `memory.buffer` on every call.
   */
  refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
  }

  clearTimers(clock: AgentClock): void {
    for (const h of this.timers.values()) clock.clearTimeout(h);
    this.timers.clear();
  }
}
