/**
 * The worker host: one long-lived piscina task per worker thread. It hosts many
 * WASM agent instances and runs the drain loop: take frames from this thread's
 * inbound rings, copy each into its agent's memory, call `caxton_handle`, and
 * write what the agent sends into the destination thread's ring.
 *
 * Hot-path rules (see docs/architecture.md):
 * - no allocation per message: frames are copied word by word between the bus
 *   and agent memories through typed arrays made once;
 * - branches are decided at construction (bus or postMessage transport);
 * - a handler's sends become visible when the handler returns (the touched
 *   rings are published then), and are rolled back if it traps, so a failed
 *   call has no effects;
 * - the consumed frame is released only after the sends it caused are
 *   published, so a worker killed mid-call loses nothing that was accepted.
 */
import { MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Bus } from '../../bus/shared.js';
import { RingConsumer, RingProducer } from '../../bus/ring.js';
import { Pump } from '../../bus/pump.js';
import {
  FRAME_HEADER_BYTES, FRAME_VERSION, RECORD_ALIGN, ROUTE_GENERATION_SHIFT, ROUTE_STOPPED, ROUTE_THREAD_MASK,
  SEND_AGENT_STOPPED, SEND_BAD_FRAME, SEND_MAILBOX_FULL, SEND_OK, SEND_TOO_LARGE, SEND_TOO_MANY_TIMERS,
  SEND_UNKNOWN_DESTINATION, T_DOORBELL, T_OWNER_EPOCH, T_STAT_AGENTS, T_STAT_BASELINE_SENT, T_STAT_DEAD_LETTERED,
  T_STAT_DELIVERED, T_STAT_PARKED, T_STAT_REFUSED, T_STAT_RESTARTS, T_STAT_TRAPS, T_WD_CURRENT, T_WD_PROGRESS,
  T_WD_RING, FLAG_TRACE_SAMPLED, HANDLE_BUCKETS, HANDLE_TIMING_SAMPLE, M_ACCEPTED, M_BUSY_MS, M_DELIVERED, M_HANDLE_BUCKET, M_HANDLE_SUM_US,
} from '../../bus/layout.js';
import { wordsToHex } from '../observability/tracing.js';
import { IDLE_FLUSH_MS, MAX_AGE_MS, SpanRecorder } from '../observability/span-recorder.js';
import type { MessageContext } from '../observability/logger.js';
import { AbiVersionMismatchError, AgentInitFailedError, DeadLetterReason, type SerializedError } from '../errors.js';
import { ABI_VERSION, envSeed } from '../abi.js';
import { ConversationTable, type Conversation, type Verdict } from '../fipa/conversations.js';
import { protocolByCode } from '../fipa/protocols.js';
import { encodeFrame, idToString, msgpack } from '../../bus/frame.js';
import { FLAG_HOST_GENERATED, PERFORMATIVES, SEND_PROTOCOL_VIOLATION, T_STAT_CONVERSATIONS, T_STAT_SYNTHESIZED, AC_FAILED, AC_HANDLED } from '../../bus/layout.js';
import { ConversationTap } from '../../bus/tap.js';
import { NameTable } from '../../bus/names.js';
import type {
  AgentLogRecord, AgentPlacement, DeadLetterRecord, FromWorker, HostTaskInput, ToWorker,
} from '../thread-messages.js';

// Header word indices (byte offset / 4), see bus/layout.ts FRAME_*.
const W_LENGTH = 0;
const W_VERSION = 1; // low byte = version, next = performative, high half = flags
const W_DST = 2;
const W_DST_GEN = 3;
const W_SRC = 4;
const W_SRC_GEN = 5;
const W_MSG_LO = 6;
const W_MSG_HI = 7;
const W_CONV_LO = 8;
const W_CONV_HI = 9;
const W_TRACE = 12; // 6 words: trace id (4) + span id (2)
const W_PARAMS_LENGTH = 18;
const W_PROTOCOL = 19; // low byte = protocol code (runtime/protocols.ts)
const PERF_NOT_UNDERSTOOD = 10;
const PERF_FAILURE = 6;

const MAX_TIMERS_PER_AGENT = 1024;
/** log lines an agent may write per second; more are dropped and counted */
const MAX_LOG_LINES_PER_SECOND = 1000;
const BACKOFF_FIRST_MS = 10;
const BACKOFF_MAX_MS = 5000;
const FAILURE_WINDOW_MS = 10_000;
const NO_TRACE = new Int32Array(6);
/** This thread's time origin (epoch ms): performance.timeOrigin is a getter that calls into C++ each time. */
const TIME_ORIGIN = performance.timeOrigin;
/** stands for "no message is being handled" in the log context */
const NO_FRAME = new Int32Array(20);
const PERFORMATIVE_COUNT = PERFORMATIVES.length;

const enum AgentState { Running, Backoff, Removed }

interface Kind {
  readonly module: WebAssembly.Module;
  readonly memoryMinPages: number;
  readonly hasTimer: boolean;
}

type HandleFn = (ptr: number, len: number) => number;
type AllocFn = (size: number) => number;

/** One hosted agent. Its instance is replaced on restart; the slot object stays. */
class HostedAgent {
  readonly slot: number;
  readonly generation: number;
  readonly name: string;
  readonly kind: Kind;
  readonly config: Uint8Array;
  readonly memoryPages: number;
  readonly mailbox: number;
  state = AgentState.Running;
  memory!: WebAssembly.Memory;
  handle!: HandleFn;
  alloc!: AllocFn;
  onTimer: ((token: number) => void) | undefined;
  u8 = new Uint8Array(0);
  i32 = new Int32Array(0);
  inboxPtr = 0;
  inboxCap = 0;
  timers = new Map<number, NodeJS.Timeout>();
  timerSeq = 0;
  failures = 0;
  lastFailureAt = 0;
  parked: Int32Array[] = [];
  lastMsgLo = 0;
  lastMsgHi = 0;
  logWindowStart = 0;
  logsInWindow = 0;
  logsDropped = 0;

  constructor(p: AgentPlacement, kind: Kind) {
    this.slot = p.slot;
    this.generation = p.generation;
    this.name = p.name;
    this.kind = kind;
    this.config = p.config;
    this.memoryPages = p.memoryPages;
    this.mailbox = p.mailbox;
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
}

export class WorkerHost {
  readonly thread: number;
  private readonly bus: Bus;
  private readonly b32: Int32Array;
  private readonly bu8: Uint8Array;
  private readonly f64: Float64Array;
  private readonly port: MessagePort;
  private readonly maxFrame: number;
  private readonly drainBudget: number;
  private readonly routerBase: number;
  private readonly maxAgents: number;
  private readonly producers: (RingProducer | undefined)[] = [];
  private readonly consumers: RingConsumer[] = [];
  private readonly agents: (HostedAgent | undefined)[] = [];
  private readonly kinds = new Map<string, Kind>();
  private readonly names = new NameTable();
  private readonly pump: Pump;
  private readonly wdCurrent: number;
  private readonly wdProgress: number;
  private readonly wdRing: number;
  private readonly stat: number; // f64 index of this thread's stats
  private readonly decoder = new TextDecoder();
  private readonly peers: (MessagePort | undefined)[] = [];
  private readonly baseline: boolean;

  // state of the call in progress
  private current: HostedAgent | undefined;
  private traceSrc: Int32Array = NO_TRACE;
  private traceWord = 0;
  /** FLAG_TRACE_SAMPLED when the message being handled is sampled: its sends are too */
  private traceFlags = 0;
  /** the frame being handled (log lines about it carry its ids) */
  private ctxSrc: Int32Array = NO_FRAME;
  private ctxWord = 0;
  /** trace id (4 words) + this thread's handling span id (2 words), when the message is sampled */
  private readonly spanWords = new Int32Array(6);
  /** undefined = tracing off: sampled flags are passed on untouched (runtime/span-recorder.ts) */
  private readonly spans: SpanRecorder | undefined;
  private readonly spanPort: MessagePort | undefined;
  /** debug level: one line per handled message (decided once; the level is fixed for the run) */
  private readonly logMessages: boolean;
  /** f64 index of this thread's metrics block (bus/layout.ts M_*) */
  private readonly metrics: number;
  /**
   * The handle-time histogram times one caxton_handle call in 16: two clock
   * reads per message cost about 15 % of the throughput benchmark, one
   * call in 16 costs too little to measure, and the quantiles stay the same.
   * CAXTON_HANDLE_TIMING=all times every call, =off none (to measure the cost).
   */
  private readonly timeHandles: boolean;
  private readonly timeMask: number;
  private handleSeq = 0;
  /**
   * The performatives of the current call's sends (taken back out of
   * "accepted" if the call traps): a stack in a typed array, reset by its
   * count. An array emptied with `length = 0` after every call gave its
   * backing store back and grew a new one at the next send: an allocation
   * per message, and a scavenge every few milliseconds under load.
   */
  private callPerfs = new Int32Array(64);
  private callPerfCount = 0;
  private msgLo = 0;
  private msgHi: number;

  // counters mirrored into the bus (plain f64 stores, read by the supervisor)
  private delivered: number;
  private deadLettered: number;
  private traps: number;
  private restarts: number;
  private parkedCount = 0;
  private refused: number;
  private baselineSent: number;

  private synthesized: number;
  /** f64 index of the per-agent counters (handled, failed), one entry per slot */
  private readonly agentCounters: number;
  /** copies frames of streamed conversations to the API thread (bus/tap.ts) */
  private readonly tap: ConversationTap;
  /** conversations of this worker's agents that follow an interaction protocol */
  private readonly conversations: ConversationTable;

  private pendingDeadLetters: DeadLetterRecord[] = [];
  private pendingLogs: AgentLogRecord[] = [];
  private flushScheduled = false;
  private finished!: () => void;
  readonly done: Promise<void>;

  /** The import object's `caxton` functions, shared by every instance on this thread. */
  private readonly hostImports: Record<string, (...args: number[]) => number | void>;

  constructor(input: HostTaskInput) {
    this.thread = input.thread;
    this.bus = new Bus(input.bus);
    this.b32 = this.bus.i32;
    this.bu8 = this.bus.u8;
    this.f64 = this.bus.f64;
    this.port = input.port as unknown as MessagePort;
    this.maxFrame = input.options.maxFrameBytes;
    this.drainBudget = input.options.drainBudget;
    this.routerBase = this.bus.layout.routerOffset >> 2;
    this.maxAgents = this.bus.layout.maxAgents;
    this.baseline = input.options.transport === 'postmessage';
    const t32 = this.bus.threadI32(this.thread);
    this.wdCurrent = t32 + T_WD_CURRENT;
    this.wdProgress = t32 + T_WD_PROGRESS;
    this.wdRing = t32 + T_WD_RING;
    this.stat = this.bus.threadF64(this.thread);
    // A new owner of this thread index: message ids stay unique across restarts.
    const epoch = Atomics.add(this.b32, t32 + T_OWNER_EPOCH, 1) + 1;
    this.msgHi = ((this.thread & 0xff) << 24) | (epoch & 0xffffff);
    this.delivered = this.f64[this.stat + T_STAT_DELIVERED]!;
    this.deadLettered = this.f64[this.stat + T_STAT_DEAD_LETTERED]!;
    this.traps = this.f64[this.stat + T_STAT_TRAPS]!;
    this.restarts = this.f64[this.stat + T_STAT_RESTARTS]!;
    this.refused = this.f64[this.stat + T_STAT_REFUSED]!;
    this.baselineSent = this.f64[this.stat + T_STAT_BASELINE_SENT]!;
    this.synthesized = this.f64[this.stat + T_STAT_SYNTHESIZED]!;
    this.conversations = new ConversationTable({ idleMs: 10 * 60_000, lateGraceMs: 60_000, onTimeout: (c) => this.replyByPassed(c) });
    setInterval(() => {
      this.conversations.sweep();
      this.f64[this.stat + T_STAT_CONVERSATIONS] = this.conversations.size;
    }, 1000).unref();
    // Messages parked by a predecessor died with it (the supervisor counted them as WORKER_LOST).
    this.f64[this.stat + T_STAT_PARKED] = 0;
    for (let t = 0; t < this.bus.layout.threads; t++) {
      this.producers.push(new RingProducer(this.bus, this.thread, t));
      this.consumers.push(new RingConsumer(this.bus, t, this.thread));
    }
    this.agentCounters = this.bus.layout.agentCountersOffset >> 3;
    this.metrics = this.bus.metricsF64(this.thread);
    this.logMessages = input.options.logLevel <= 20;
    const spanPort = input.spans as unknown as MessagePort | undefined;
    this.spanPort = spanPort;
    this.spans = spanPort ? new SpanRecorder(this.thread, (batch) => spanPort.postMessage(batch)) : undefined;
    this.timeHandles = process.env.CAXTON_HANDLE_TIMING !== 'off';
    this.timeMask = process.env.CAXTON_HANDLE_TIMING === 'all' ? 0 : HANDLE_TIMING_SAMPLE - 1;
    this.tap = new ConversationTap(this.bus, this.thread, this.producers);
    if (input.peers) for (const [t, p] of Object.entries(input.peers)) this.peers[Number(t)] = p as unknown as MessagePort;

    const send = this.baseline ? this.sendPostMessage.bind(this) : this.sendBus.bind(this);
    this.hostImports = {
      send,
      lookup: this.lookup.bind(this),
      self_slot: () => (this.current ? this.current.slot : -1),
      log: (level: number, ptr: number, len: number) => this.log(level, ptr, len),
      now: () => TIME_ORIGIN + performance.now(),
      set_timer: this.setTimer.bind(this),
      cancel_timer: this.cancelTimer.bind(this),
      message_id_lo: () => (this.current ? this.current.lastMsgLo : 0),
      message_id_hi: () => (this.current ? this.current.lastMsgHi : 0),
    };

    // A worker about to sleep hands on its span batch (runtime/span-recorder.ts).
    const spans = this.spans;
    this.pump = new Pump(this.b32, t32 + T_DOORBELL, this.drain.bind(this), this.hasData.bind(this), input.options,
      spans ? { beforeSleep: () => spans.flushIfOld(performance.now(), IDLE_FLUSH_MS) } : {});
    this.done = new Promise((resolve) => { this.finished = resolve; });
  }

  async run(): Promise<void> {
    this.port.on('message', (m: ToWorker) => this.control(m));
    if (this.baseline) {
      for (const p of this.peers) p?.on('message', (frame: Uint8Array) => this.deliverCopy(frame));
    }
    // The rings are drained only after 'start': a replacement worker must
    // first get its agents back, or their waiting messages would look
    // addressed to nobody.
    this.post({ type: 'ready', thread: this.thread });
    return this.done;
  }

  private post(m: FromWorker): void {
    this.port.postMessage(m);
  }

  // ---------------------------------------------------------------- control

  private control(m: ToWorker): void {
    switch (m.type) {
      case 'kind':
        this.kinds.set(m.kindId, { module: m.module, memoryMinPages: m.memoryMinPages, hasTimer: m.hasTimer });
        break;
      case 'names':
        this.names.apply(m.add, m.remove);
        break;
      case 'deploy': {
        const results = m.agents.map((p) => {
          const kind = this.kinds.get(p.kindId);
          if (!kind) return { slot: p.slot, error: { code: 'WORKER_FAILED', message: `kind ${p.kindId} not loaded`, hint: 'internal error', details: {} } };
          const agent = new HostedAgent(p, kind);
          const error = this.instantiate(agent);
          if (error) return { slot: p.slot, error };
          this.agents[p.slot] = agent;
          return { slot: p.slot };
        });
        this.f64[this.stat + T_STAT_AGENTS] = this.countAgents();
        this.post({ type: 'deployed', reqId: m.reqId, results });
        this.flush();
        this.pump.kick();
        break;
      }
      case 'remove':
        for (const slot of m.slots) this.removeAgent(slot, m.reason);
        this.f64[this.stat + T_STAT_AGENTS] = this.countAgents();
        this.flush();
        this.post({ type: 'removed', reqId: m.reqId });
        break;
      case 'start':
        this.pump.start();
        break;
      case 'shutdown':
        this.pump.stop();
        for (const a of this.agents) if (a) this.clearTimers(a);
        this.flush();
        // Spans still batched go to the export thread, then its port closes (it waits for that).
        this.spans?.flush();
        this.spanPort?.close();
        this.port.close();
        for (const p of this.peers) p?.close();
        this.finished();
        break;
    }
  }

  private nameOf(slot: number): string {
    return this.names.nameAt(slot) ?? `slot ${slot}`;
  }

  private countAgents(): number {
    let n = 0;
    for (const a of this.agents) if (a && a.state !== AgentState.Removed) n++;
    return n;
  }

  private removeAgent(slot: number, reason: DeadLetterReason): void {
    const agent = this.agents[slot];
    if (!agent) return;
    agent.state = AgentState.Removed;
    this.clearTimers(agent);
    this.conversations.dropAgent(agent.slot);
    for (const frame of agent.parked) this.deadLetterCopy(frame, agent.name, reason, 'agent removed while restarting');
    this.setParked(-agent.parked.length);
    agent.parked = [];
    this.agents[slot] = undefined;
  }

  // ------------------------------------------------------------ instances

  /**
   * Create (or re-create) the agent's instance, check its ABI version and run
   * caxton_init. Returns the error, or undefined. Everything the module runs
   * (its start function, caxton_abi_version, caxton_init) runs under the
   * watchdog, so a module that never returns is stopped like any handler.
   */
  private instantiate(agent: HostedAgent): SerializedError | undefined {
    this.clearTimers(agent);
    // A fresh instance remembers no conversation.
    this.conversations.dropAgent(agent.slot);
    const initial = Math.max(agent.kind.memoryMinPages, 1);
    try {
      agent.memory = new WebAssembly.Memory({ initial, maximum: Math.max(initial, agent.memoryPages) });
    } catch (e) {
      return new AgentInitFailedError(agent.name, `cannot create its memory (${initial}..${agent.memoryPages} pages): ${(e as Error).message}`).toJSON();
    }
    const self = this;
    const imports = {
      env: {
        memory: agent.memory,
        abort(msg: number, file: number, line: number, col: number): never {
          throw new Error(`abort: ${self.readAsString(agent, msg)} at ${self.readAsString(agent, file)}:${line}:${col}`);
        },
        seed: envSeed,
      },
      caxton: this.hostImports,
    };
    const prev = this.current;
    this.current = agent;
    this.traceSrc = NO_TRACE;
    this.traceFlags = 0;
    this.watch(agent, -1);
    try {
      const instance = new WebAssembly.Instance(agent.kind.module, imports as unknown as WebAssembly.Imports);
      const ex = instance.exports;
      const version = (ex.caxton_abi_version as () => number)();
      if (version !== ABI_VERSION) return new AbiVersionMismatchError(agent.name, version, ABI_VERSION).toJSON();
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
      const rc = (ex.caxton_init as HandleFn)(ptr, len);
      if (rc < 0) {
        this.rollbackSends();
        return new AgentInitFailedError(agent.name, `caxton_init returned ${rc}`).toJSON();
      }
      this.publishSends();
      agent.state = AgentState.Running;
      return undefined;
    } catch (e) {
      this.rollbackSends();
      return new AgentInitFailedError(agent.name, `trapped while starting: ${(e as Error).message}`).toJSON();
    } finally {
      this.unwatch();
      this.current = prev;
    }
  }

  /** Read an AssemblyScript string (UTF-16, byte length at ptr-4) for abort messages. */
  private readAsString(agent: HostedAgent, ptr: number): string {
    try {
      if (agent.u8.length === 0) agent.refreshViews();
      if (ptr < 4 || ptr >= agent.u8.length) return '?';
      const len = new DataView(agent.memory.buffer).getUint32(ptr - 4, true);
      return Buffer.from(agent.memory.buffer, ptr, Math.min(len, 1024)).toString('utf16le');
    } catch {
      return '?';
    }
  }

  /**
   * Watchdog marks: plain stores, not Atomics. The supervisor samples them
   * every few milliseconds and only acts when the same call has been seen for
   * longer than a time limit, so it needs eventual visibility, not ordering;
   * plain stores keep two locked instructions off every message.
   */
  private watch(agent: HostedAgent, ring: number): void {
    this.b32[this.wdRing] = ring;
    this.b32[this.wdProgress] = (this.b32[this.wdProgress]! + 1) | 0;
    this.b32[this.wdCurrent] = agent.slot + 1;
  }

  private unwatch(): void {
    this.b32[this.wdCurrent] = 0;
  }

  // ------------------------------------------------------------ drain loop

  private hasData(): boolean {
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.hasData()) return true;
    return false;
  }

  /** Handle up to `drainBudget` frames, round-robin over the inbound rings. */
  private drain(): number {
    // Busy time for worker utilisation: two clock reads per batch, not per message.
    const startedAt = performance.now();
    const n = this.drainRings();
    const endedAt = performance.now();
    this.f64[this.metrics + M_BUSY_MS]! += endedAt - startedAt;
    if (this.spans !== undefined) this.spans.flushIfOld(endedAt, MAX_AGE_MS);
    return n;
  }

  private drainRings(): number {
    const cs = this.consumers;
    const budget = this.drainBudget;
    let total = 0;
    let progress = true;
    while (progress && total < budget) {
      progress = false;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        // Up to 64 frames per ring per pass: fair between producers.
        for (let k = 0; k < 64; k++) {
          const off = c.peek();
          if (off < 0) break;
          this.deliverFromRing(c, off);
          total++;
          progress = true;
        }
      }
    }
    if (this.pendingDeadLetters.length || this.pendingLogs.length) this.flush();
    return total;
  }

  private deliverFromRing(c: RingConsumer, off: number): void {
    const b32 = this.b32;
    const w = off >> 2;
    const len = b32[w + W_LENGTH]!;
    const slot = b32[w + W_DST]!;
    const agent = slot >= 0 && slot < this.maxAgents ? this.agents[slot] : undefined;
    if (agent === undefined || agent.generation !== b32[w + W_DST_GEN]) {
      // Off the hot path: tell a stopped agent from a removed one.
      const entry = slot >= 0 && slot < this.maxAgents ? Atomics.load(this.b32, this.routerBase + slot) : 0;
      if ((entry & ROUTE_STOPPED) !== 0 && entry >>> ROUTE_GENERATION_SHIFT === b32[w + W_DST_GEN]) {
        this.deadLetterRing(off, len, this.nameOf(slot), DeadLetterReason.AGENT_STOPPED, 'the agent was stopped (or failed) before this message reached it');
      } else {
        this.deadLetterRing(off, len, agent ? agent.name : this.nameOf(slot), DeadLetterReason.AGENT_GONE, 'no agent of that generation lives here');
      }
    } else if ((b32[w + W_PROTOCOL]! & 0xff) !== 0 && !this.protocolAllowsDelivery(agent, b32, w, off, len)) {
      // answered with not-understood (or recognised as late) and dead-lettered
    } else if (agent.state !== AgentState.Running) {
      this.park(agent, b32.slice(w, w + ((len + 3) >> 2)));
    } else {
      // Before the agent runs, so no send of its call is pending in the producers.
      if (this.tap.active) this.tap.offer(this.bu8, off, len);
      const rc = this.invoke(agent, b32, w, len, c.ring);
      if (rc === 0) {
        this.f64[this.stat + T_STAT_DELIVERED] = ++this.delivered;
        this.f64[this.agentCounters + slot * 2 + AC_HANDLED]! += 1;
      } else if (rc !== TRAPPED) {
        this.f64[this.agentCounters + slot * 2 + AC_FAILED]! += 1;
        this.deadLetterRing(off, len, agent.name, DeadLetterReason.HANDLER_FAILED, `caxton_handle returned ${rc}`);
      } else {
        this.f64[this.agentCounters + slot * 2 + AC_FAILED]! += 1;
        this.deadLetterRing(off, len, agent.name, DeadLetterReason.AGENT_TRAPPED, this.lastTrap);
      }
    }
    c.advance(len);
    c.release();
  }

  private lastTrap = '';

  /**
   * Copy a frame (from the bus or a private copy) into the agent and call
   * caxton_handle. Returns the handler's code, or TRAPPED.
   */
  private invoke(agent: HostedAgent, src: Int32Array, w: number, len: number, ring: number): number {
    // Post dead letters and logs before calling agent code: if this call
    // never returns, the watchdog kills the thread and they would be lost.
    if (this.pendingDeadLetters.length !== 0 || this.pendingLogs.length !== 0) this.flush();
    const head = src[w + W_VERSION]!;
    const perf = (head >>> 8) & 0xff;
    this.ctxSrc = src;
    this.ctxWord = w;
    // The message's trace context goes on to what the agent sends: as it
    // came when tracing is off or the message is not sampled, or with this
    // thread's span as the parent when it is sampled (runtime/span-recorder.ts).
    const spans = this.spans;
    this.traceFlags = (head >>> 16) & FLAG_TRACE_SAMPLED;
    this.traceSrc = src;
    this.traceWord = w + W_TRACE;
    const recording = this.traceFlags !== 0 && spans !== undefined;
    if (recording) {
      spans.begin(src, w + W_TRACE, this.spanWords, src[w + W_CONV_LO]!, src[w + W_CONV_HI]!, perf, agent.name, this.nameOf(src[w + W_SRC]!));
      this.traceSrc = this.spanWords;
      this.traceWord = 0;
    }
    let rc: number;
    if (this.timeHandles && (++this.handleSeq & this.timeMask) === 0) {
      const startedAt = performance.now();
      rc = this.call(agent, src, w, len, ring);
      this.observeHandleTime(performance.now() - startedAt);
    } else {
      rc = this.call(agent, src, w, len, ring);
    }
    if (rc === 0 && perf < PERFORMATIVE_COUNT) this.f64[this.metrics + M_DELIVERED + perf]! += 1;
    if (recording) spans.end(rc, rc === 0 ? '' : rc === TRAPPED ? this.lastTrap : `caxton_handle returned ${rc}`);
    if (this.logMessages) this.logHandled(agent, perf, rc);
    this.ctxSrc = NO_FRAME;
    return rc;
  }

  /** Handle-time histogram: bucket k counts calls in [2^(k-1), 2^k) µs (bucket 0: under 1 µs). */
  private observeHandleTime(ms: number): void {
    const us = ms * 1000;
    let k = us < 1 ? 0 : 32 - Math.clz32(us);
    if (k >= HANDLE_BUCKETS) k = HANDLE_BUCKETS - 1;
    const f64 = this.f64;
    f64[this.metrics + M_HANDLE_BUCKET + k]! += 1;
    f64[this.metrics + M_HANDLE_SUM_US]! += us;
  }

  /** The ids of the message being handled, for a log line (off the hot path: only when a line is written). */
  private context(): Partial<MessageContext> & { from?: string } {
    const src = this.ctxSrc;
    if (src === NO_FRAME) return {};
    const w = this.ctxWord;
    const perf = (src[w + W_VERSION]! >>> 8) & 0xff;
    const ctx: Partial<MessageContext> & { from?: string } = {
      conversationId: idToString(src[w + W_CONV_LO]!, src[w + W_CONV_HI]!),
      messageId: idToString(src[w + W_MSG_LO]!, src[w + W_MSG_HI]!),
      performative: PERFORMATIVES[perf] ?? `unknown(${perf})`,
      from: this.nameOf(src[w + W_SRC]!),
    };
    const t = this.traceSrc;
    const tw = this.traceWord;
    if (t !== NO_TRACE && (t[tw]! | t[tw + 1]! | t[tw + 2]! | t[tw + 3]!) !== 0) {
      ctx.traceId = wordsToHex(t, tw, 4);
      ctx.spanId = wordsToHex(t, tw + 4, 2);
    }
    return ctx;
  }

  /** Debug level only: one line per handled message. */
  private logHandled(agent: HostedAgent, perf: number, rc: number): void {
    const msg = rc === 0 ? `handled ${PERFORMATIVES[perf] ?? `unknown(${perf})`}` : rc === TRAPPED ? 'handler trapped' : `handler returned ${rc}`;
    this.pendingLogs.push({ agent: agent.name, level: rc === 0 ? 20 : 40, msg, at: Date.now(), ...this.context() });
    if (this.pendingLogs.length > 1000) this.flush();
    else this.scheduleFlush();
  }

  /** Copy the frame into the agent's memory and call caxton_handle. */
  private call(agent: HostedAgent, src: Int32Array, w: number, len: number, ring: number): number {
    this.current = agent;
    // Everything below runs agent code (caxton_alloc, caxton_handle): watched.
    this.watch(agent, ring);
    let rc: number;
    try {
      if (len > agent.inboxCap) {
        const cap = (len + 63) & ~63;
        agent.inboxCap = 0;
        agent.inboxPtr = agent.alloc(cap) >>> 0;
        agent.inboxCap = cap;
      }
      if (agent.u8.length === 0) agent.refreshViews();
      const ptr = agent.inboxPtr;
      if (ptr + agent.inboxCap > agent.u8.length) {
        agent.inboxCap = 0;
        throw new RangeError(`caxton_alloc returned ${ptr}, a region that does not fit in the agent's ${agent.u8.length}-byte memory`);
      }
      if ((ptr & 3) === 0) {
        const a32 = agent.i32;
        const dst = ptr >>> 2;
        const words = (len + 3) >> 2;
        for (let i = 0; i < words; i++) a32[dst + i] = src[w + i]!;
      } else {
        agent.u8.set(new Uint8Array(src.buffer, src.byteOffset + w * 4, len), ptr);
      }
      rc = agent.handle(ptr, len);
    } catch (e) {
      this.unwatch();
      this.current = undefined;
      return this.trap(agent, e);
    }
    this.unwatch();
    this.current = undefined;
    this.publishSends();
    return rc | 0;
  }

  private publishSends(): void {
    const ps = this.producers;
    for (let i = 0; i < ps.length; i++) ps[i]!.publish();
    this.callPerfCount = 0;
  }

  private rollbackSends(): void {
    const ps = this.producers;
    for (let i = 0; i < ps.length; i++) ps[i]!.rollback();
    // The call's sends never happened: take them back out of "accepted".
    const perfs = this.callPerfs;
    for (let i = 0; i < this.callPerfCount; i++) this.f64[this.metrics + M_ACCEPTED + perfs[i]!]! -= 1;
    this.callPerfCount = 0;
  }

  /** The agent trapped: drop its sends from this call and restart it (with back-off when it keeps failing). */
  private trap(agent: HostedAgent, e: unknown): number {
    this.rollbackSends();
    this.lastTrap = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.f64[this.stat + T_STAT_TRAPS] = ++this.traps;
    const now = Date.now();
    if (now - agent.lastFailureAt > FAILURE_WINDOW_MS) agent.failures = 0;
    agent.failures++;
    agent.lastFailureAt = now;
    this.log(40, 0, 0, `agent "${agent.name}" trapped (${this.lastTrap}); restarting`, agent);
    if (agent.failures === 1) {
      this.restart(agent);
    } else {
      const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (agent.failures - 2), BACKOFF_MAX_MS);
      agent.state = AgentState.Backoff;
      this.clearTimers(agent);
      setTimeout(() => this.restart(agent), delay).unref();
    }
    return TRAPPED;
  }

  private restart(agent: HostedAgent): void {
    if (agent.state === AgentState.Removed || this.agents[agent.slot] !== agent) return;
    this.f64[this.stat + T_STAT_RESTARTS] = ++this.restarts;
    const err = this.instantiate(agent);
    this.post({ type: 'agent-restarted', slot: agent.slot, reason: err ? err.message : this.lastTrap, failures: agent.failures });
    if (err) {
      agent.failures++;
      agent.lastFailureAt = Date.now();
      agent.state = AgentState.Backoff;
      const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (agent.failures - 2), BACKOFF_MAX_MS);
      setTimeout(() => this.restart(agent), delay).unref();
      return;
    }
    // Deliver what waited for the restart, in arrival order. Each frame stays
    // counted as parked until its call returns: if the worker dies in that
    // call, the supervisor still counts it (WORKER_LOST).
    const parked = agent.parked;
    agent.parked = [];
    for (let i = 0; i < parked.length; i++) {
      const frame = parked[i]!;
      if (agent.state !== AgentState.Running) {
        agent.parked.push(frame); // still counted
        continue;
      }
      this.deliverPrivate(agent, frame);
      this.setParked(-1);
    }
    this.flush();
  }

  private deliverPrivate(agent: HostedAgent, frame: Int32Array): void {
    const len = frame[W_LENGTH]!;
    if (this.tap.active) this.tap.offer(new Uint8Array(frame.buffer, frame.byteOffset, len), 0, len);
    const rc = this.invoke(agent, frame, 0, len, -1);
    const counters = this.agentCounters + agent.slot * 2;
    if (rc === 0) {
      this.f64[this.stat + T_STAT_DELIVERED] = ++this.delivered;
      this.f64[counters + AC_HANDLED]! += 1;
      return;
    }
    this.f64[counters + AC_FAILED]! += 1;
    this.deadLetterCopy(frame, agent.name, rc === TRAPPED ? DeadLetterReason.AGENT_TRAPPED : DeadLetterReason.HANDLER_FAILED, rc === TRAPPED ? this.lastTrap : `caxton_handle returned ${rc}`);
  }

  private park(agent: HostedAgent, frame: Int32Array): void {
    if (agent.parked.length >= agent.mailbox) {
      this.deadLetterCopy(frame, agent.name, DeadLetterReason.BACKOFF_OVERFLOW, `${agent.mailbox} messages already wait for the restart`);
      return;
    }
    agent.parked.push(frame);
    this.setParked(1);
  }

  private setParked(delta: number): void {
    this.parkedCount += delta;
    this.f64[this.stat + T_STAT_PARKED] = this.parkedCount;
  }

  // ------------------------------------------------------------ dead letters and logs

  private deadLetterRing(off: number, len: number, agent: string, reason: DeadLetterReason, detail: string): void {
    this.pendingDeadLetters.push({ frame: this.bu8.slice(off, off + len), reason, detail, at: Date.now(), agent });
    this.f64[this.stat + T_STAT_DEAD_LETTERED] = ++this.deadLettered;
  }

  private deadLetterCopy(frame: Int32Array, agent: string, reason: DeadLetterReason, detail: string): void {
    const len = frame[W_LENGTH]!;
    this.pendingDeadLetters.push({ frame: new Uint8Array(frame.buffer, frame.byteOffset, len).slice(), reason, detail, at: Date.now(), agent });
    this.f64[this.stat + T_STAT_DEAD_LETTERED] = ++this.deadLettered;
  }

  private flush(): void {
    if (this.pendingDeadLetters.length) {
      this.post({ type: 'dead-letters', records: this.pendingDeadLetters });
      this.pendingDeadLetters = [];
    }
    if (this.pendingLogs.length) {
      this.post({ type: 'logs', records: this.pendingLogs });
      this.pendingLogs = [];
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  // ------------------------------------------------------------ interaction protocols

  /**
   * Check a protocol frame of `agent` (sent, or received) against its
   * conversation. Off the hot path: only frames whose header names a
   * protocol get here. `mem`/`byte` locate the frame's bytes for reading
   * the reply-by parameter of a sent frame.
   */
  private checkProtocol(agent: HostedAgent, sending: boolean, f32: Int32Array, w: number, peer: number, mem?: Uint8Array, byte = 0): Verdict {
    const protocol = protocolByCode(f32[w + W_PROTOCOL]! & 0xff);
    const performative = PERFORMATIVES[(f32[w + W_VERSION]! >>> 8) & 0xff];
    if (!protocol || !performative) return { ok: false, late: false, reason: `unknown protocol code ${f32[w + W_PROTOCOL]! & 0xff} or performative` };
    let replyBy = 0;
    const paramsLength = f32[w + W_PARAMS_LENGTH]! >>> 0;
    if (sending && paramsLength > 0 && mem) {
      try {
        const params = msgpack.unpack(mem.subarray(byte + FRAME_HEADER_BYTES, byte + FRAME_HEADER_BYTES + paramsLength)) as { replyBy?: unknown };
        if (typeof params?.replyBy === 'number' && Number.isFinite(params.replyBy)) replyBy = params.replyBy;
      } catch {
        return { ok: false, late: false, reason: 'its parameters are not a valid msgpack map' };
      }
    }
    const verdict = this.conversations.check(protocol, agent.slot, sending, peer, f32[w + 8]!, f32[w + 9]!, performative, replyBy);
    if (!verdict.ok) return verdict;
    return {
      ok: true,
      apply: () => {
        verdict.apply();
        this.f64[this.stat + T_STAT_CONVERSATIONS] = this.conversations.size;
      },
    };
  }

  /** A received protocol frame: deliver it, or answer not-understood / recognise it as late and dead-letter it. */
  private protocolAllowsDelivery(agent: HostedAgent, b32: Int32Array, w: number, off: number, len: number): boolean {
    const v = this.checkProtocol(agent, false, b32, w, b32[w + W_SRC]!);
    if (v.ok) {
      v.apply();
      return true;
    }
    if (v.late) {
      this.deadLetterRing(off, len, agent.name, DeadLetterReason.LATE_REPLY, v.reason);
      return false;
    }
    this.deadLetterRing(off, len, agent.name, DeadLetterReason.PROTOCOL_VIOLATION, v.reason);
    this.log(40, 0, 0, `not-understood sent for a protocol violation: ${v.reason}`, agent);
    this.hostReply(agent, b32, w, PERF_NOT_UNDERSTOOD, { error: 'PROTOCOL_VIOLATION', reason: v.reason });
    return false;
  }

  /** Send a message on an agent's behalf (not-understood for a violation) into the ring towards the sender. */
  private hostReply(agent: HostedAgent, f32: Int32Array, w: number, performative: number, content: unknown): void {
    const dst = f32[w + W_SRC]!;
    const entry = dst >= 0 && dst < this.maxAgents ? Atomics.load(this.b32, this.routerBase + dst) : 0;
    if (entry === 0 || (entry & ROUTE_STOPPED) !== 0) return;
    const lo = (this.msgLo = (this.msgLo + 1) | 0);
    const protocol = protocolByCode(f32[w + W_PROTOCOL]! & 0xff);
    const frame = encodeFrame({
      performative, flags: FLAG_HOST_GENERATED, destinationSlot: dst, destinationGeneration: entry >>> ROUTE_GENERATION_SHIFT,
      sourceSlot: agent.slot, sourceGeneration: agent.generation, messageIdLo: lo, messageIdHi: this.msgHi,
      conversationLo: f32[w + 8]!, conversationHi: f32[w + 9]!, inReplyToLo: f32[w + W_MSG_LO]!, inReplyToHi: f32[w + W_MSG_HI]!,
    }, content, protocol ? { protocol } : undefined);
    const p = this.producers[entry & ROUTE_THREAD_MASK]!;
    const at = p.reserve(frame.byteLength);
    if (at < 0) {
      this.log(40, 0, 0, `could not send not-understood to slot ${dst}: its mailbox is full`, agent);
      return;
    }
    this.bu8.set(frame, at);
    p.publish();
  }

  /** An initiator's reply-by passed: tell it with a failure in the conversation, made by the host. */
  private replyByPassed(c: Conversation): void {
    const agent = this.agents[c.agent];
    if (!agent || agent.state === AgentState.Removed) return;
    const peerEntry = c.peer >= 0 && c.peer < this.maxAgents ? Atomics.load(this.b32, this.routerBase + c.peer) : 0;
    const lo = (this.msgLo = (this.msgLo + 1) | 0);
    const bytes = encodeFrame({
      performative: PERF_FAILURE, flags: FLAG_HOST_GENERATED, destinationSlot: agent.slot, destinationGeneration: agent.generation,
      sourceSlot: c.peer, sourceGeneration: peerEntry >>> ROUTE_GENERATION_SHIFT, messageIdLo: lo, messageIdHi: this.msgHi,
      conversationLo: c.convLo, conversationHi: c.convHi,
    }, { error: 'REPLY_BY_PASSED', reason: `no reply by ${new Date(c.replyBy).toISOString()}`, replyBy: new Date(c.replyBy).toISOString() }, { protocol: c.protocol });
    const frame = new Int32Array(((bytes.byteLength + 7) & ~7) >> 2);
    new Uint8Array(frame.buffer).set(bytes);
    // Counted as accepted (made by the host) before it is delivered.
    this.f64[this.stat + T_STAT_SYNTHESIZED] = ++this.synthesized;
    this.f64[this.metrics + M_ACCEPTED + PERF_FAILURE]! += 1;
    if (agent.state !== AgentState.Running) this.park(agent, frame);
    else this.deliverPrivate(agent, frame);
    this.flush();
  }

  // ------------------------------------------------------------ host imports

  /** caxton.send over the bus: copy the agent's frame into the destination thread's ring. */
  private sendBus(ptr: number, len: number): number {
    // Pointers and lengths come from wasm as i32: read them unsigned.
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.current;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (len > this.maxFrame) return SEND_TOO_LARGE;
    if (len < FRAME_HEADER_BYTES || (ptr & 3) !== 0) return len < FRAME_HEADER_BYTES ? SEND_BAD_FRAME : this.sendUnaligned(agent, ptr, len);
    if (agent.u8.length === 0) agent.refreshViews();
    const a32 = agent.i32;
    const w = ptr >>> 2;
    if (ptr + len > agent.u8.length || a32[w + W_LENGTH] !== len || (a32[w + W_VERSION]! & 0xff) !== FRAME_VERSION ||
        (a32[w + W_PARAMS_LENGTH]! >>> 0) > len - FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    const dst = a32[w + W_DST]!;
    if (dst < 0 || dst >= this.maxAgents) return SEND_UNKNOWN_DESTINATION;
    const entry = Atomics.load(this.b32, this.routerBase + dst);
    if (entry === 0) return SEND_UNKNOWN_DESTINATION;
    if ((entry & ROUTE_STOPPED) !== 0) return SEND_AGENT_STOPPED;
    let verdict: Verdict | undefined;
    if ((a32[w + W_PROTOCOL]! & 0xff) !== 0) {
      verdict = this.checkProtocol(agent, true, a32, w, dst, agent.u8, ptr);
      if (!verdict.ok) {
        this.log(40, 0, 0, `send refused: ${verdict.reason}`, agent);
        return SEND_PROTOCOL_VIOLATION;
      }
    }
    const p = this.producers[entry & ROUTE_THREAD_MASK]!;
    const off = p.reserve(len);
    if (off < 0) {
      this.f64[this.stat + T_STAT_REFUSED] = ++this.refused;
      return SEND_MAILBOX_FULL;
    }
    if (verdict?.ok) verdict.apply();
    const b32 = this.b32;
    const bw = off >> 2;
    const words = (len + 3) >> 2;
    for (let i = 0; i < words; i++) b32[bw + i] = a32[w + i]!;
    this.stamp(b32, bw, entry, agent);
    const perf = (a32[w + W_VERSION]! >>> 8) & 0xff;
    if (perf < PERFORMATIVE_COUNT) {
      this.f64[this.metrics + M_ACCEPTED + perf]! += 1;
      if (this.callPerfCount === this.callPerfs.length) {
        const grown = new Int32Array(this.callPerfs.length * 2);
        grown.set(this.callPerfs);
        this.callPerfs = grown;
      }
      this.callPerfs[this.callPerfCount++] = perf;
    }
    return SEND_OK;
  }

  private sendUnaligned(agent: HostedAgent, ptr: number, len: number): number {
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const copy = new Int32Array(((len + 7) & ~7) >> 2);
    new Uint8Array(copy.buffer).set(agent.u8.subarray(ptr, ptr + len));
    const saved = agent.i32;
    // Re-run the aligned path on a private aligned copy.
    agent.i32 = copy;
    const savedU8 = agent.u8;
    agent.u8 = new Uint8Array(copy.buffer);
    try {
      return this.sendBus(0, len);
    } finally {
      agent.i32 = saved;
      agent.u8 = savedU8;
    }
  }

  /** Fill the host-owned header fields of an outgoing frame. */
  private stamp(b32: Int32Array, bw: number, entry: number, agent: HostedAgent): void {
    b32[bw + W_DST_GEN] = entry >>> ROUTE_GENERATION_SHIFT;
    b32[bw + W_SRC] = agent.slot;
    b32[bw + W_SRC_GEN] = agent.generation;
    const lo = (this.msgLo = (this.msgLo + 1) | 0);
    if (lo === 0) this.msgHi = (this.msgHi & 0xff000000) | ((this.msgHi + 1) & 0xffffff);
    b32[bw + W_MSG_LO] = lo;
    b32[bw + W_MSG_HI] = this.msgHi;
    agent.lastMsgLo = lo;
    agent.lastMsgHi = this.msgHi;
    // W3C trace context is inherited from the message being handled, and
    // so is the sampled flag (whatever the agent wrote there).
    b32[bw + W_VERSION] = (b32[bw + W_VERSION]! & ~(FLAG_TRACE_SAMPLED << 16)) | (this.traceFlags << 16);
    const t = this.traceSrc;
    const tw = this.traceWord;
    if (t === NO_TRACE) {
      for (let i = 0; i < 6; i++) b32[bw + W_TRACE + i] = 0;
    } else {
      for (let i = 0; i < 6; i++) b32[bw + W_TRACE + i] = t[tw + i]!;
    }
  }

  /** caxton.send for the postMessage baseline: one structured-clone message per frame. */
  private sendPostMessage(ptr: number, len: number): number {
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.current;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (len > this.maxFrame) return SEND_TOO_LARGE;
    if (len < FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const frame = agent.u8.slice(ptr, ptr + ((len + 3) & ~3));
    const f32 = new Int32Array(frame.buffer);
    if (f32[W_LENGTH] !== len || (f32[W_PARAMS_LENGTH]! >>> 0) > len - FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    const dst = f32[W_DST]!;
    if (dst < 0 || dst >= this.maxAgents) return SEND_UNKNOWN_DESTINATION;
    const entry = Atomics.load(this.b32, this.routerBase + dst);
    if (entry === 0) return SEND_UNKNOWN_DESTINATION;
    this.stamp(f32, 0, entry, agent);
    const thread = entry & ROUTE_THREAD_MASK;
    this.f64[this.stat + T_STAT_BASELINE_SENT] = ++this.baselineSent;
    if (thread === this.thread) {
      setImmediate(() => this.deliverCopy(frame));
    } else {
      this.peers[thread]!.postMessage(frame);
    }
    return SEND_OK;
  }

  /** Baseline delivery of a frame that arrived by postMessage. */
  private deliverCopy(frame: Uint8Array): void {
    if ((frame.byteOffset & 3) !== 0 || (frame.byteLength & 3) !== 0) {
      // Word copies need a 4-byte aligned, 4-byte padded frame.
      const padded = new Uint8Array((frame.byteLength + 3) & ~3);
      padded.set(frame);
      frame = padded;
    }
    const f32 = new Int32Array(frame.buffer, frame.byteOffset, frame.byteLength >> 2);
    const agent = this.agents[f32[W_DST]!];
    if (agent === undefined || agent.state !== AgentState.Running) {
      this.deadLetterCopy(f32, agent ? agent.name : 'unknown', DeadLetterReason.AGENT_GONE, 'baseline delivery');
      this.scheduleFlush();
      return;
    }
    this.deliverPrivate(agent, f32);
    if (this.pendingDeadLetters.length) this.scheduleFlush();
  }

  private lookup(ptr: number, len: number): number {
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.current;
    if (agent === undefined) return SEND_UNKNOWN_DESTINATION;
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr < 0 || len < 0 || ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const slot = this.names.slotOf(this.decoder.decode(agent.u8.subarray(ptr, ptr + len)));
    return slot === undefined ? SEND_UNKNOWN_DESTINATION : slot;
  }

  private log(level: number, ptr: number, len: number, text?: string, who?: HostedAgent): void {
    const agent = who ?? this.current;
    if (agent === undefined) return;
    // Rate limit per agent: an agent logging in a loop must not flood the
    // supervisor's memory. Dropped lines are counted and reported once the
    // next window opens.
    if (text === undefined) {
      const now = Date.now();
      if (now - agent.logWindowStart >= 1000) {
        if (agent.logsDropped > 0) {
          this.pendingLogs.push({ agent: agent.name, level: 40, msg: `${agent.logsDropped} log line(s) dropped: more than ${MAX_LOG_LINES_PER_SECOND} per second`, at: now });
        }
        agent.logWindowStart = now;
        agent.logsInWindow = 0;
        agent.logsDropped = 0;
      }
      if (++agent.logsInWindow > MAX_LOG_LINES_PER_SECOND) {
        agent.logsDropped++;
        return;
      }
    }
    let msg = text;
    if (msg === undefined) {
      ptr >>>= 0;
      len >>>= 0;
      if (agent.u8.length === 0) agent.refreshViews();
      if (ptr + len > agent.u8.length) return;
      msg = this.decoder.decode(agent.u8.subarray(ptr, ptr + Math.min(len, 8192)));
    }
    this.pendingLogs.push({ agent: agent.name, level, msg, at: Date.now(), ...this.context() });
    if (this.pendingLogs.length > 1000) this.flush();
    else this.scheduleFlush();
  }

  private setTimer(delayMs: number, token: number): number {
    const agent = this.current;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (agent.timers.size >= MAX_TIMERS_PER_AGENT) return SEND_TOO_MANY_TIMERS;
    const id = (agent.timerSeq = (agent.timerSeq + 1) & 0x7fffffff);
    const handle = setTimeout(() => this.fireTimer(agent, id, token), Math.max(0, delayMs | 0));
    agent.timers.set(id, handle);
    return id;
  }

  private cancelTimer(id: number): number {
    const agent = this.current;
    if (agent === undefined) return SEND_UNKNOWN_DESTINATION;
    const handle = agent.timers.get(id);
    if (!handle) return SEND_UNKNOWN_DESTINATION;
    clearTimeout(handle);
    agent.timers.delete(id);
    return 0;
  }

  private clearTimers(agent: HostedAgent): void {
    for (const h of agent.timers.values()) clearTimeout(h);
    agent.timers.clear();
  }

  private fireTimer(agent: HostedAgent, id: number, token: number): void {
    agent.timers.delete(id);
    if (agent.state !== AgentState.Running || this.agents[agent.slot] !== agent || !agent.onTimer) return;
    this.current = agent;
    this.traceSrc = NO_TRACE;
    this.traceFlags = 0;
    this.watch(agent, -1);
    try {
      agent.onTimer(token);
      this.unwatch();
      this.current = undefined;
      this.publishSends();
    } catch (e) {
      this.unwatch();
      this.current = undefined;
      this.trap(agent, e);
    }
    this.flush();
  }
}

const TRAPPED = -0x7fffffff;

/** piscina entry point: one call per worker thread, resolves at shutdown. */
export default async function hostTask(input: HostTaskInput): Promise<{ thread: number }> {
  const host = new WorkerHost(input);
  await host.run();
  return { thread: input.thread };
}
