/**
 * The host functions an agent imports from module `caxton`
 * (docs/agent-abi.md): send, lookup, self_slot, log, now, set_timer,
 * cancel_timer, message_id_lo/hi. One object per worker, shared by every
 * instance on it: each function acts for the agent whose call is in
 * progress (CurrentCall), so an agent can only ever send, log or set timers
 * as itself.
 *
 * `send` is the hot path: the agent's frame is checked and copied word by
 * word from its memory into the destination thread's ring, without
 * decoding the body and without allocating; the host then stamps the fields
 * an agent must not choose (its own slot and generation, the message id,
 * the inherited trace context).
 */
import { performance } from 'node:perf_hooks';
import type { BusPeer, MessageIds } from '../../bus/peer.js';
import type { RingProducer } from '../../bus/ring.js';
import { routeGeneration, routeStopped, routeThread, type RouterTable } from '../../bus/router.js';
import * as layout from '../../bus/layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  FLAG_TRACE_SAMPLED, FRAME_HEADER_BYTES, FRAME_VERSION, PERFORMATIVES, SEND_AGENT_STOPPED, SEND_BAD_FRAME,
  SEND_MAILBOX_FULL, SEND_OK, SEND_PROTOCOL_VIOLATION, SEND_TOO_LARGE, SEND_TOO_MANY_TIMERS,
  SEND_UNKNOWN_DESTINATION, W_DST, W_DST_GEN, W_FLAGS_SHIFT, W_LENGTH, W_MSG_HI, W_MSG_LO, W_PARAMS_LENGTH,
  W_PERFORMATIVE_SHIFT, W_PROTOCOL, W_SRC, W_SRC_GEN, W_TRACE, W_TRACE_WORDS, W_VERSION,
} = layout;
import type { Verdict } from '../fipa/conversations.js';
import type { CurrentCall } from './current-call.js';
import type { AgentClock } from './agent-clock.js';
import { NO_TRACE } from './current-call.js';
import type { HostedAgent } from './hosted-agent.js';
import type { ProtocolGuard } from './protocol-guard.js';
import { CallInterrupted } from './recovery.js';
import { INTERRUPT_NAME } from '../module/interrupts.js';
import type { Reports } from './reports.js';
import type { SendBudget } from './send-budget.js';

const MAX_TIMERS_PER_AGENT = 1024;
/** log lines an agent may write per second; more are dropped and counted */
const MAX_LOG_LINES_PER_SECOND = 1000;
/** longest log line kept, in bytes of the agent's memory */
const MAX_LOG_LINE_BYTES = 8192;
const PERFORMATIVE_COUNT = PERFORMATIVES.length;

/** What the imports need from their worker besides its bus seat. */
export interface ImportsHost {
  readonly call: CurrentCall;
  /** what caxton.now and the agents' timers run on (agent-clock.ts) */
  readonly clock: AgentClock;
  readonly guard: ProtocolGuard;
  readonly reports: Reports;
  readonly budget: SendBudget;
  /** the slot of an agent or endpoint name, from the worker's name table */
  slotOf(name: string): number | undefined;
  nameOf(slot: number): string;
  warn(agent: HostedAgent, text: string): void;
  /** run the agent's caxton_on_timer (a call into agent code, watched like a handler) */
  fireTimer(agent: HostedAgent, id: number, token: number): void;
}

export type ImportFn = (...args: number[]) => number | void;

export class HostImports {
  /** the `caxton` import object handed to every instance */
  readonly object: Record<string, ImportFn>;
  private readonly peer: BusPeer;
  private readonly host: ImportsHost;
  private readonly call: CurrentCall;
  // The peer's parts the send path touches, held directly: one load each per send instead of two.
  private readonly b32: Int32Array;
  private readonly router: RouterTable;
  private readonly producers: readonly RingProducer[];
  private readonly ids: MessageIds;
  private readonly maxFrame: number;
  private readonly budget: SendBudget;
  private readonly decoder = new TextDecoder();

  constructor(peer: BusPeer, host: ImportsHost, maxFrameBytes: number) {
    this.peer = peer;
    this.host = host;
    this.call = host.call;
    this.b32 = peer.bus.i32;
    this.router = peer.router;
    this.producers = peer.producers;
    this.ids = peer.ids;
    this.budget = host.budget;
    this.maxFrame = maxFrameBytes;
    const call = this.call;
    this.object = {
      send: this.send.bind(this),
      lookup: this.lookup.bind(this),
      self_slot: () => (call.agent ? call.agent.slot : -1),
      log: (level: number, ptr: number, len: number) => this.log(level, ptr, len),
      now: host.clock.now.bind(host.clock),
      set_timer: this.setTimer.bind(this),
      cancel_timer: this.cancelTimer.bind(this),
      message_id_lo: () => (call.agent ? call.agent.lastMsgLo : 0),
      message_id_hi: () => (call.agent ? call.agent.lastMsgHi : 0),
      // Not offered to agents (runtime/module/abi.ts refuses it): the rewrite adds it.
      [INTERRUPT_NAME]: this.interruptCheck.bind(this),
    };
  }

  // ---------------------------------------------------------------- send

  /** caxton.send over the bus: copy the agent's frame into the destination thread's ring. */
  send(ptr: number, len: number): number {
    // Pointers and lengths come from wasm as i32: read them unsigned.
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.call.agent;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (len > this.maxFrame) return SEND_TOO_LARGE;
    if (len < FRAME_HEADER_BYTES || (ptr & 3) !== 0) return len < FRAME_HEADER_BYTES ? SEND_BAD_FRAME : this.sendUnaligned(agent, ptr, len);
    if (agent.u8.length === 0) agent.refreshViews();
    const a32 = agent.i32;
    const w = ptr >>> 2;
    if (ptr + len > agent.u8.length || a32[w + W_LENGTH] !== len || (a32[w + W_VERSION]! & 0xff) !== FRAME_VERSION ||
        (a32[w + W_PARAMS_LENGTH]! >>> 0) > len - FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    const dst = a32[w + W_DST]!;
    const entry = this.router.lookup(dst);
    if (entry === 0) return SEND_UNKNOWN_DESTINATION;
    if (routeStopped(entry)) return SEND_AGENT_STOPPED;
    let verdict: Verdict | undefined;
    if ((a32[w + W_PROTOCOL]! & 0xff) !== 0) {
      verdict = this.host.guard.check(agent, true, a32, w, dst, agent.u8, ptr);
      if (!verdict.ok) {
        this.host.warn(agent, `send refused: ${verdict.reason}`);
        return SEND_PROTOCOL_VIOLATION;
      }
    }
    const p = this.producers[routeThread(entry)]!;
    const off = p.reserve(len);
    if (off < 0) {
      this.peer.countRefused();
      return SEND_MAILBOX_FULL;
    }
    if (verdict?.ok) verdict.apply();
    // The send budget (send-budget.ts): a count per tick, no clock read.
    const tick = this.budget.tick;
    if (agent.sendTick !== tick) {
      agent.sendTick = tick;
      agent.sendsInTick = 0;
    }
    if (++agent.sendsInTick === agent.sendsPerTick) agent.overBudget = true;
    const b32 = this.b32;
    const bw = off >> 2;
    const words = (len + 3) >> 2;
    for (let i = 0; i < words; i++) b32[bw + i] = a32[w + i]!;
    this.stamp(b32, bw, entry, agent);
    const perf = (a32[w + W_VERSION]! >>> W_PERFORMATIVE_SHIFT) & 0xff;
    if (perf < PERFORMATIVE_COUNT) {
      this.peer.countAccepted(perf);
      this.call.pushPerformative(perf);
    }
    return SEND_OK;
  }

  /** A frame at an unaligned address: re-run the aligned path on a private aligned copy. */
  private sendUnaligned(agent: HostedAgent, ptr: number, len: number): number {
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const copy = new Int32Array(((len + 7) & ~7) >> 2);
    new Uint8Array(copy.buffer).set(agent.u8.subarray(ptr, ptr + len));
    const saved = agent.i32;
    agent.i32 = copy;
    const savedU8 = agent.u8;
    agent.u8 = new Uint8Array(copy.buffer);
    try {
      return this.send(0, len);
    } finally {
      agent.i32 = saved;
      agent.u8 = savedU8;
    }
  }

  /** Fill the host-owned header fields of an outgoing frame (words from `bw` of `b32`). */
  stamp(b32: Int32Array, bw: number, entry: number, agent: HostedAgent): void {
    b32[bw + W_DST_GEN] = routeGeneration(entry);
    b32[bw + W_SRC] = agent.slot;
    b32[bw + W_SRC_GEN] = agent.generation;
    const ids = this.ids;
    const lo = ids.next();
    b32[bw + W_MSG_LO] = lo;
    b32[bw + W_MSG_HI] = ids.hi;
    agent.lastMsgLo = lo;
    agent.lastMsgHi = ids.hi;
    // W3C trace context is inherited from the message being handled, and
    // so is the sampled flag (whatever the agent wrote there).
    const call = this.call;
    b32[bw + W_VERSION] = (b32[bw + W_VERSION]! & ~(FLAG_TRACE_SAMPLED << W_FLAGS_SHIFT)) | (call.traceFlags << W_FLAGS_SHIFT);
    const t = call.traceSrc;
    const tw = call.traceWord;
    if (t === NO_TRACE) {
      for (let i = 0; i < W_TRACE_WORDS; i++) b32[bw + W_TRACE + i] = 0;
    } else {
      for (let i = 0; i < W_TRACE_WORDS; i++) b32[bw + W_TRACE + i] = t[tw + i]!;
    }
  }

  // ---------------------------------------------------------------- names, logs

  private lookup(ptr: number, len: number): number {
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.call.agent;
    if (agent === undefined) return SEND_UNKNOWN_DESTINATION;
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr < 0 || len < 0 || ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const slot = this.host.slotOf(this.decoder.decode(agent.u8.subarray(ptr, ptr + len)));
    return slot === undefined ? SEND_UNKNOWN_DESTINATION : slot;
  }

  /** caxton.log: the text at [ptr, ptr + len) of the agent's memory (at most MAX_LOG_LINE_BYTES of it). */
  private log(level: number, ptr: number, len: number): void {
    const agent = this.call.agent;
    if (agent === undefined) return;
    ptr >>>= 0;
    len >>>= 0;
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr + len > agent.u8.length) return;
    this.logText(agent, level, this.decoder.decode(agent.u8.subarray(ptr, ptr + Math.min(len, MAX_LOG_LINE_BYTES))));
  }

  /**
   * One line of the agent's log (caxton.log, and WASI stdout/stderr:
   * runtime/host/wasi.ts). Rate-limited per agent: an agent logging in a loop
   * must not flood the supervisor's memory. Dropped lines are counted and
   * reported once the next window opens.
   */
  logText(agent: HostedAgent, level: number, msg: string): void {
    const now = Date.now();
    if (now - agent.logWindowStart >= 1000) {
      if (agent.logsDropped > 0) {
        this.host.reports.log({ agent: agent.name, level: 40, msg: `${agent.logsDropped} log line(s) dropped: more than ${MAX_LOG_LINES_PER_SECOND} per second`, at: now });
      }
      agent.logWindowStart = now;
      agent.logsInWindow = 0;
      agent.logsDropped = 0;
    }
    if (++agent.logsInWindow > MAX_LOG_LINES_PER_SECOND) {
      agent.logsDropped++;
      return;
    }
    this.host.reports.log({ agent: agent.name, level, msg, at: now, ...this.call.context((s) => this.host.nameOf(s)) });
  }

  // ---------------------------------------------------------------- time limit

  /**
   * Called by the agent's own code every FUEL_PER_CHECK loop iterations
   * (runtime/module/interrupts.ts). The first check of a call notes the
   * time; a later one that finds the call past the agent's time limit
   * throws, which unwinds the agent's stack like a trap and ends the call
   * (runtime/host/recovery.ts restarts the agent). No clock is read for a
   * call that never reaches a check: most calls end before their first.
   */
  private interruptCheck(): void {
    const call = this.call;
    const agent = call.agent;
    if (agent === undefined) return;
    const now = performance.now();
    if (call.checkedSeq !== call.seq) {
      call.checkedSeq = call.seq;
      call.checkedSince = now;
    } else if (now - call.checkedSince > agent.timeLimitMs) {
      throw new CallInterrupted(agent.timeLimitMs);
    }
  }

  // ---------------------------------------------------------------- timers

  private setTimer(delayMs: number, token: number): number {
    const agent = this.call.agent;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (agent.timers.size >= MAX_TIMERS_PER_AGENT) return SEND_TOO_MANY_TIMERS;
    const id = (agent.timerSeq = (agent.timerSeq + 1) & 0x7fffffff);
    const handle = this.host.clock.setTimeout(() => this.host.fireTimer(agent, id, token), Math.max(0, delayMs | 0));
    agent.timers.set(id, handle);
    return id;
  }

  private cancelTimer(id: number): number {
    const agent = this.call.agent;
    if (agent === undefined) return SEND_UNKNOWN_DESTINATION;
    const handle = agent.timers.get(id);
    if (!handle) return SEND_UNKNOWN_DESTINATION;
    this.host.clock.clearTimeout(handle);
    agent.timers.delete(id);
    return 0;
  }
}
