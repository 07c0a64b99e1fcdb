/**
 * The supervisor (main thread): owns the bus, the registry, the worker pool
 * (piscina, one long-lived host task per worker), the watchdog and the
 * in-process API that the gRPC and CLI layers call.
 *
 * Threads on the bus: 0 = this supervisor, 1..W = workers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Bus } from '../bus/shared.js';
import { RingConsumer, RingCounters, RingProducer } from '../bus/ring.js';
import { RouterTable } from '../bus/router.js';
import { Pump } from '../bus/pump.js';
import { decodeFrame, encodeFrame, idFromString, idToString, type DecodedFrame } from '../bus/frame.js';
import {
  DEFAULT_MAX_AGENTS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_RING_CAPACITY, FRAME_DST_GEN, FRAME_DST_SLOT, FRAME_LENGTH,
  FRAME_REPLY_TO_HI, FRAME_REPLY_TO_LO, PERFORMATIVE_CODE, PERFORMATIVES, T_DOORBELL, T_STAT_AGENTS,
  T_STAT_BASELINE_SENT, T_STAT_DEAD_LETTERED, T_STAT_DELIVERED, T_STAT_PARKED, T_STAT_REFUSED, T_STAT_RESTARTS,
  T_STAT_TRAPS, T_STAT_SYNTHESIZED, T_STAT_CONVERSATIONS, T_WD_CURRENT, T_WD_PROGRESS, T_WD_RING, G_RUN_STATE, RUN_STATE_DRAINING, RUN_STATE_RUNNING,
  RUN_STATE_STOPPED, type Performative, FRAME_PERFORMATIVE, HANDLE_BUCKETS, M_ACCEPTED, M_BUSY_MS, M_DELIVERED,
  M_HANDLE_BUCKET, M_HANDLE_SUM_US, HANDLE_TIMING_SAMPLE, FLAG_TRACE_SAMPLED,
} from '../bus/layout.js';
import { checkOtlpEndpoint, otlpEnabled } from './observability/tracing.js';
import { SpanExport, type SpanCounts } from './observability/span-export.js';
import { validateAgentModule, WASM_PAGE } from './abi.js';
import {
  AgentExistsError, AgentInitFailedError, AgentNotFoundError, reviveError, isCaxtonError, AgentStoppedError, CaxtonError, DEAD_LETTER_HINTS,
  DeadLetterReason, FrameTooLargeError, InvalidAgentSpecError, InvalidArgumentError, MailboxFullError, ReplyTimeoutError,
  RuntimeNotRunningError, TooManyAgentsError, UnknownPerformativeError, InvalidReplyError, InternalError,
} from './errors.js';
import { Registry, isAgent, type AgentRecord, type EndpointRecord, type RequestedSpec } from './supervisor/registry.js';
import { Directory } from './fipa/directory.js';
import { validateMessage, type AclMessage } from './fipa/acl/message.js';
import { aclToFrames, frameToAcl } from './fipa/acl/bridge.js';
import { ContractNetService, type ContractNetOutcome, type ContractNetRequest } from './fipa/contract-net.js';
import type {
  AgentLogRecord, AgentPlacement, DeadLetterRecord, FromWorker, HostOptions, ToWorker, Transport,
} from './thread-messages.js';
import { msgpack } from '../bus/frame.js';
import { createLogger, levelName, type Logger } from './observability/logger.js';
import { ConversationTap } from '../bus/tap.js';
import {
  METRICS_READERS, type AgentInfo, type AgentLimits, type AgentSpec, type DeadLetter, type Endpoint, type FromPeer, type MetricsReader,
  type OutgoingMessage, type PeerJoin, type ResolvedRuntimeOptions, type RuntimeMetrics, type RuntimeOptions, type RuntimeStats,
} from './types.js';
import { AC_FAILED, AC_HANDLED, FRAME_HEADER_BYTES, T_STAT_TAPS_RECEIVED, T_STAT_TAPS_SENT } from '../bus/layout.js';

export { METRICS_READERS } from './types.js';
export type {
  AgentInfo, AgentLimits, AgentSpec, DeadLetter, Endpoint, FromPeer, MetricsReader, OutgoingMessage, PeerJoin, RuntimeMetrics,
  RuntimeOptions, RuntimeStats,
} from './types.js';

const SUPERVISOR = 0;

/** A worker's busy-time counter (ms) read at `at` (performance.now()). */
interface BusyMark {
  at: number;
  busyMs: number;
}

/** dead letters logged one by one per second; the rest are counted in one line */
const DEAD_LETTER_LINES_PER_SECOND = 100;
/** an agent that times out this many times within the window is marked failed */
const MAX_TIMEOUTS_IN_WINDOW = 3;
const TIMEOUT_WINDOW_MS = 60_000;

interface Kind {
  id: string;
  module: WebAssembly.Module;
  memoryMinPages: number;
  memoryMaxPages: number | undefined;
  hasTimer: boolean;
}

interface PendingRequest {
  message: ToWorker;
  resolve: (m: FromWorker) => void;
}

/** One worker thread as the supervisor sees it. */
class WorkerSlot {
  readonly thread: number;
  port!: MessagePort;
  abort!: AbortController;
  task!: Promise<unknown>;
  ready!: Promise<void>;
  closed!: Promise<void>;
  readonly kinds = new Set<string>();
  readonly pending = new Map<number, PendingRequest>();
  lastProgress = 0;
  progressSince = 0;
  restarting = false;
  /** dead letters of this thread whose records reached the supervisor */
  deadLettersRecorded = 0;
  baselinePeers: Record<number, MessagePort> = {};

  constructor(thread: number) {
    this.thread = thread;
  }
}

export class Runtime {
  readonly bus: Bus;
  readonly workers: number;
  private readonly options: ResolvedRuntimeOptions;
  /** peer threads (API thread): control ports that get name updates, by thread index */
  private readonly peerPorts = new Map<number, MessagePort>();
  private readonly peerThreads: number;
  /** copies frames of streamed conversations delivered to the supervisor's endpoints */
  private readonly tap: ConversationTap;
  private readonly agentCounters: number;
  private readonly onLog: ((r: AgentLogRecord) => void) | undefined;
  readonly logger: Logger;
  private readonly router: RouterTable;
  private readonly registry: Registry;
  private readonly pool: Piscina;
  private readonly slots: WorkerSlot[] = [];
  private readonly producers: RingProducer[] = [];
  private readonly consumers: RingConsumer[] = [];
  /** every ring's frame counters, for stats() */
  private readonly ringCounters: RingCounters[] = [];
  private readonly pump: Pump;
  private readonly kinds = new Map<string, Kind>();
  private readonly deadLetters: DeadLetter[] = [];
  private deadLetterSeq = 0;
  /** dead letters whose records reached the supervisor (records travel by MessagePort, counters by the bus) */
  private deadLettersRecorded = 0;
  private reqSeq = 0;
  private msgLo = 0;
  private readonly msgHi = (SUPERVISOR << 24) | 1;
  private state: 'starting' | 'running' | 'draining' | 'stopped' = 'starting';
  private watchdog: NodeJS.Timeout | undefined;
  /** the span export thread, when tracing is on (runtime/span-export.ts) */
  private spanExport: SpanExport | undefined;
  private workerRestarts = 0;
  private supervisorDelivered = 0;
  private supervisorDeadLettered = 0;
  private supervisorRefused = 0;
  private readonly requestsEndpoint: EndpointRecord;
  private readonly hostEndpoint: EndpointRecord;
  private readonly waiting = new Map<string, (f: Uint8Array) => void>();
  private readonly startedAt = Date.now();
  private readonly baselinePorts: (MessagePort | undefined)[] = [];
  private readonly restartListeners: ((thread: number) => void)[] = [];
  /** which agents offer which capability (FIPA directory facilitator) */
  readonly directory = new Directory();
  private readonly contractNetService: ContractNetService;

  private constructor(opts: RuntimeOptions) {
    this.workers = opts.workers ?? availableParallelism();
    this.options = {
      ringCapacity: opts.ringCapacity ?? DEFAULT_RING_CAPACITY,
      maxAgents: opts.maxAgents ?? DEFAULT_MAX_AGENTS,
      maxInstances: opts.maxInstances ?? 12_000,
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      spinMicros: opts.spinMicros ?? 50,
      supervisorSpinMicros: opts.supervisorSpinMicros ?? 0,
      maxSleepMs: opts.maxSleepMs ?? 1000,
      drainBudget: opts.drainBudget ?? 8192,
      transport: opts.transport ?? 'bus',
      watchdogIntervalMs: opts.watchdogIntervalMs ?? 20,
      deadLetterRetention: opts.deadLetterRetention ?? 10_000,
      defaults: {
        memoryLimitBytes: opts.defaults?.memoryLimitBytes ?? 16 * 1024 * 1024,
        timeLimitMs: opts.defaults?.timeLimitMs ?? 1000,
        mailbox: opts.defaults?.mailbox ?? 1024,
      },
    };
    this.onLog = opts.onLog;
    this.logger = opts.logger ?? createLogger();
    if (this.options.maxFrameBytes > this.options.ringCapacity / 2) {
      throw new InvalidAgentSpecError('maxFrameBytes', `must be at most half the ring capacity (${this.options.ringCapacity / 2})`);
    }
    this.peerThreads = opts.peerThreads ?? 0;
    const threads = this.workers + 1 + this.peerThreads;
    this.bus = Bus.create(threads, this.options.ringCapacity, this.options.maxAgents);
    this.agentCounters = this.bus.layout.agentCountersOffset >> 3;
    this.router = new RouterTable(this.bus);
    this.registry = new Registry(this.options.maxAgents);
    for (let t = 0; t < threads; t++) {
      this.producers.push(new RingProducer(this.bus, SUPERVISOR, t));
      this.consumers.push(new RingConsumer(this.bus, t, SUPERVISOR));
      for (let c = 0; c < threads; c++) this.ringCounters.push(new RingCounters(this.bus, t, c));
    }
    this.pool = new Piscina({
      filename: new URL('./host/worker-host.js', import.meta.url).href,
      minThreads: this.workers,
      maxThreads: this.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      // Our host task waits with Atomics.waitAsync and must keep its event
      // loop; piscina's own Atomics.wait between tasks is not needed.
      atomics: 'disabled',
    });
    this.tap = new ConversationTap(this.bus, SUPERVISOR, this.producers);
    const t32 = this.bus.threadI32(SUPERVISOR);
    this.pump = new Pump(this.bus.i32, t32 + T_DOORBELL, this.drain.bind(this), this.hasData.bind(this), {
      spinMicros: this.options.supervisorSpinMicros,
      maxSleepMs: this.options.maxSleepMs,
    });
    this.requestsEndpoint = this.addEndpoint('$requests', (frame) => this.onReply(frame));
    this.hostEndpoint = this.addEndpoint('$host', () => undefined);
    this.contractNetService = new ContractNetService({
      send: (m, from) => this.send(m, from as EndpointRecord),
      search: (c) => this.directory.search(c).filter((n) => this.registry.agent(n)?.state === 'running'),
      ask: (to, content, conversationId, timeoutMs) => this.request({ to, performative: 'request', content, conversationId }, timeoutMs),
      nameOf: (slot) => this.nameOf(slot),
    });
    this.contractNetService.attach(this.addEndpoint('$cnet', (frame) => this.contractNetService.onReply(decodeFrame(frame))));
    // Services agents can call by name (docs/fipa.md).
    this.addEndpoint('$contract-net', (frame) => this.onContractNetRequest(frame));
    this.addEndpoint('$df', (frame) => this.onDirectoryRequest(frame));
  }

  /** Start a runtime: bus, workers, watchdog. */
  static async start(opts: RuntimeOptions = {}): Promise<Runtime> {
    // Settings are refused before any thread exists.
    checkOtlpEndpoint('TRACES');
    const rt = new Runtime(opts);
    await rt.boot();
    return rt;
  }

  private async boot(): Promise<void> {
    // Before the workers: they record spans only when there is a thread to export them.
    if (otlpEnabled('TRACES')) this.spanExport = await SpanExport.start();
    for (let t = 1; t <= this.workers; t++) this.slots[t] = new WorkerSlot(t);
    if (this.options.transport === 'postmessage') this.wireBaseline();
    await Promise.all(this.slots.slice(1).map((s) => this.startWorker(s)));
    for (const s of this.slots.slice(1)) {
      this.sendNames(s); // host endpoints ($contract-net, $df...) exist from the start
      s.port.postMessage({ type: 'start' } satisfies ToWorker);
    }
    this.pump.start();
    this.watchdog = setInterval(() => this.checkWatchdog(), this.options.watchdogIntervalMs);
    this.watchdog.unref();
    Atomics.store(this.bus.i32, G_RUN_STATE, RUN_STATE_RUNNING);
    this.state = 'running';
  }

  /** postMessage baseline: a MessageChannel between every pair of threads. */
  private wireBaseline(): void {
    for (let a = 0; a <= this.workers; a++) {
      for (let b = a + 1; b <= this.workers; b++) {
        const { port1, port2 } = new MessageChannel();
        if (a === SUPERVISOR) {
          this.baselinePorts[b] = port1;
          port1.on('message', (frame: Uint8Array) => this.deliverToEndpoint(frame));
          port1.unref();
        } else {
          this.slots[a]!.baselinePeers[b] = port1;
        }
        this.slots[b]!.baselinePeers[a] = port2;
      }
    }
  }

  private hostOptions(): HostOptions {
    const o = this.options;
    return { spinMicros: o.spinMicros, maxSleepMs: o.maxSleepMs, maxFrameBytes: o.maxFrameBytes, drainBudget: o.drainBudget, transport: o.transport, logLevel: this.logger.levelVal };
  }

  private startWorker(slot: WorkerSlot): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    slot.port = port1;
    slot.abort = new AbortController();
    slot.kinds.clear();
    let markReady!: () => void;
    slot.ready = new Promise((r) => { markReady = r; });
    slot.closed = new Promise((r) => port1.once('close', () => r()));
    port1.on('message', (m: FromWorker) => {
      if (m.type === 'ready') markReady();
      else this.onWorkerMessage(slot, m);
    });
    const peers = slot.baselinePeers;
    const transferList: MessagePort[] = [port2, ...Object.values(peers)];
    // Tracing on: the worker sends its span batches straight to the export thread.
    const spans = this.spanExport?.connect();
    if (spans) transferList.push(spans);
    slot.task = this.pool.run(
      { thread: slot.thread, bus: this.bus.init, port: port2, options: this.hostOptions(), peers, ...(spans ? { spans } : {}) },
      { transferList: transferList as never, signal: slot.abort.signal },
    );
    slot.baselinePeers = {};
    slot.task.catch((e: Error) => {
      if (this.state === 'stopped' || slot.restarting) return;
      // The host task failed on its own (not a watchdog abort): replace the worker.
      void this.replaceWorker(slot, 'crash', `worker thread failed: ${e.message}`);
    });
    return slot.ready;
  }

  private onWorkerMessage(slot: WorkerSlot, m: FromWorker): void {
    switch (m.type) {
      case 'deployed':
      case 'removed': {
        const p = slot.pending.get(m.reqId);
        if (p) {
          slot.pending.delete(m.reqId);
          p.resolve(m);
        }
        break;
      }
      case 'dead-letters':
        for (const r of m.records) this.recordDeadLetter(r, slot);
        break;
      case 'logs':
        for (const r of m.records) {
          // agent, worker, then the message's ids when the line is about one (logger.ts MessageContext)
          const { level, msg, at, ...fields } = r;
          this.logger[levelName(level)]({ ...fields, worker: slot.thread, at }, msg);
          this.onLog?.(r);
        }
        break;
      case 'agent-restarted': {
        const rec = this.registry.atSlot(m.slot);
        if (rec && isAgent(rec)) {
          rec.restarts++;
          rec.lastError = m.reason;
          this.logger.warn({ agent: rec.name, worker: slot.thread, failures: m.failures }, `agent restarted after: ${m.reason}`);
        }
        break;
      }
      default:
        break;
    }
  }

  private ask(slot: WorkerSlot, build: (reqId: number) => ToWorker): Promise<FromWorker> {
    const reqId = ++this.reqSeq;
    const message = build(reqId);
    return new Promise((resolve) => {
      slot.pending.set(reqId, { message, resolve });
      if (!slot.restarting) slot.port.postMessage(message);
    });
  }

  // ---------------------------------------------------------------- watchdog

  private checkWatchdog(): void {
    const now = performance.now();
    const i32 = this.bus.i32;
    for (let t = 1; t <= this.workers; t++) {
      const slot = this.slots[t]!;
      if (slot.restarting) continue;
      const base = this.bus.threadI32(t);
      const current = Atomics.load(i32, base + T_WD_CURRENT);
      const progress = Atomics.load(i32, base + T_WD_PROGRESS);
      if (current === 0 || progress !== slot.lastProgress) {
        slot.lastProgress = progress;
        slot.progressSince = now;
        continue;
      }
      const rec = this.registry.atSlot(current - 1);
      const limit = rec && isAgent(rec) ? rec.timeLimitMs : this.options.defaults.timeLimitMs;
      if (now - slot.progressSince > limit) {
        void this.replaceWorker(slot, 'timeout', `agent ran past its ${limit} ms time limit`);
      }
    }
  }

  /**
   * Terminate a worker (piscina's abort terminates the thread, which stops even
   * a spinning WASM loop), wait until the thread is really gone (its control
   * port closes), dead-letter the message it was stuck on, and start a fresh
   * host on the same thread index with the same agents. The rings keep every
   * message that was waiting, so they are delivered to the new instances.
   */
  private async replaceWorker(slot: WorkerSlot, cause: 'timeout' | 'crash', why: string): Promise<void> {
    if (slot.restarting || this.state === 'stopped') return;
    if (this.options.transport === 'postmessage') {
      // The postMessage transport exists only as the benchmark's baseline;
      // its channels are wired once at boot, so a lost worker stays lost.
      this.logger.error({ worker: slot.thread }, `worker lost under the postMessage baseline transport (not replaced): ${why}`);
      return;
    }
    slot.restarting = true;
    this.workerRestarts++;
    slot.abort.abort(new Error(why));
    await slot.closed;
    if ((this.state as string) === 'stopped') return;
    const t = slot.thread;
    const i32 = this.bus.i32;
    const base = this.bus.threadI32(t);
    const stats = this.bus.threadF64(t);
    const f64 = this.bus.f64;
    // The thread is gone: its watchdog marks say which agent was in a call.
    const current = Atomics.load(i32, base + T_WD_CURRENT);
    const stuckSlot = current !== 0 ? current - 1 : -1;
    const stuck = stuckSlot >= 0 ? this.registry.atSlot(stuckSlot) : undefined;
    const stuckName = stuck?.name ?? (stuckSlot >= 0 ? `slot ${stuckSlot}` : '*');
    this.logger.warn({ worker: t, agent: stuck?.name }, `replacing worker: ${why}`);
    // Dead-letter records the old thread counted but had not yet posted.
    const unrecorded = f64[stats + T_STAT_DEAD_LETTERED]! - slot.deadLettersRecorded;
    if (unrecorded > 0) {
      this.recordDeadLetter({ frame: new Uint8Array(0), reason: DeadLetterReason.WORKER_LOST, detail: `${unrecorded} dead letter(s) of worker ${t} were counted but their records were lost with it`, at: Date.now(), agent: '*', count: unrecorded }, slot);
    }
    const ring = i32[base + T_WD_RING]!;
    const deadLetter = (reason: DeadLetterReason, detail: string, frame: Uint8Array, count = 1): void => {
      f64[stats + T_STAT_DEAD_LETTERED] = f64[stats + T_STAT_DEAD_LETTERED]! + count;
      this.recordDeadLetter({ frame, reason, detail, at: Date.now(), agent: stuckName, count }, slot);
    };
    if (current !== 0 && ring >= 0) {
      // The frame the call was handling is still at the head of its ring.
      const c = new RingConsumer(this.bus, Math.floor(ring / this.bus.layout.threads), t);
      const off = c.peek();
      if (off >= 0) {
        const len = i32[off >> 2]!;
        deadLetter(cause === 'timeout' ? DeadLetterReason.AGENT_TIMEOUT : DeadLetterReason.WORKER_LOST, why, this.bus.u8.slice(off, off + len));
        c.advance(len);
        c.release();
      }
    }
    // Frames held for agents in back-off (including one being handled from
    // that queue) lived in the old thread's heap: only their count survives.
    const parked = f64[stats + T_STAT_PARKED]!;
    if (parked > 0) {
      f64[stats + T_STAT_PARKED] = 0;
      deadLetter(DeadLetterReason.WORKER_LOST, `${parked} message(s) waiting for agents in back-off were lost with worker ${t}: ${why}`, new Uint8Array(0), parked);
    }
    i32[base + T_WD_CURRENT] = 0;
    i32[base + T_WD_RING] = -1;
    // The agent that hung or crashed its worker: an agent that does so while
    // starting, or again and again, is not put back (it would take the
    // worker and all its neighbours down each time).
    let giveUp: AgentRecord | undefined;
    if (stuck && isAgent(stuck)) {
      const now = Date.now();
      stuck.timeouts = stuck.timeouts.filter((at) => now - at < TIMEOUT_WINDOW_MS);
      stuck.timeouts.push(now);
      stuck.restarts++;
      stuck.lastError = why;
      if (stuck.state === 'starting' || stuck.timeouts.length >= MAX_TIMEOUTS_IN_WINDOW) giveUp = stuck;
    }
    if (giveUp) {
      const starting = giveUp.state === 'starting';
      giveUp.state = 'failed';
      giveUp.lastError = starting
        ? `did not finish starting within its ${giveUp.timeLimitMs} ms time limit`
        : `stopped after ${giveUp.timeouts.length} time-outs or crashes within ${TIMEOUT_WINDOW_MS / 1000} s: ${why}`;
      // Refuse new messages (AGENT_STOPPED); those already queued are dead-lettered.
      this.router.set(giveUp.slot, giveUp.thread, giveUp.generation, true);
      this.logger.error({ agent: giveUp.name, worker: t }, `agent marked failed: ${giveUp.lastError}`);
    }
    await this.startWorker(slot);
    if ((this.state as string) === 'stopped') return;
    // Every request made before or during the restart is replayed below.
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    if (giveUp) this.dropFromPendingDeploys(pending, giveUp);
    slot.restarting = false;
    const busy = new Set<number>();
    for (const p of pending) {
      if (p.message.type === 'deploy') for (const a of p.message.agents) busy.add(a.slot);
      if (p.message.type === 'remove') for (const s of p.message.slots) busy.add(s);
    }
    const agents = this.registry.onThread(t).filter((a) => (a.state === 'running' || a.state === 'starting') && !busy.has(a.slot));
    for (const a of agents) a.state = 'starting';
    this.sendNames(slot);
    if (agents.length) await this.placeOn(slot, agents);
    slot.port.postMessage({ type: 'start' } satisfies ToWorker);
    for (const p of pending) {
      if (p.message.type === 'deploy') for (const a of p.message.agents) this.ensureKindOn(slot, this.kinds.get(a.kindId)!);
      const reqId = (p.message as { reqId: number }).reqId;
      slot.pending.set(reqId, p);
      slot.port.postMessage(p.message);
    }
    slot.lastProgress = -1;
    for (const l of this.restartListeners) l(t);
  }

  /** A deploy waiting on a replaced worker loses the agent we gave up on; it is reported failed in the reply. */
  private dropFromPendingDeploys(pending: PendingRequest[], rec: AgentRecord): void {
    const error = new AgentInitFailedError(rec.name, rec.lastError ?? 'failed').toJSON();
    for (const p of [...pending]) {
      if (p.message.type !== 'deploy' || !p.message.agents.some((a) => a.slot === rec.slot)) continue;
      const rest = p.message.agents.filter((a) => a.slot !== rec.slot);
      const resolve = p.resolve;
      if (rest.length === 0) {
        pending.splice(pending.indexOf(p), 1);
        resolve({ type: 'deployed', reqId: p.message.reqId, results: [{ slot: rec.slot, error }] });
      } else {
        p.message = { ...p.message, agents: rest };
        p.resolve = (m) => resolve(m.type === 'deployed' ? { ...m, results: [...m.results, { slot: rec.slot, error }] } : m);
      }
    }
  }

  /** Called after a worker has been replaced (tests and the CLI use it to report). */
  onWorkerReplaced(listener: (thread: number) => void): void {
    this.restartListeners.push(listener);
  }

  // ---------------------------------------------------------------- deploy

  private kindFor(name: string, bytes: Uint8Array): Kind {
    const id = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    let kind = this.kinds.get(id);
    if (!kind) {
      // Structure, imports and exports are checked here; the ABI version is
      // asked by the worker that instantiates it (under the watchdog: a start
      // function that never returns must not hang the supervisor).
      const v = validateAgentModule(name, bytes);
      kind = { id, module: v.module, memoryMinPages: v.memoryMinPages, memoryMaxPages: v.memoryMaxPages, hasTimer: v.hasTimerExport };
      this.kinds.set(id, kind);
    }
    return kind;
  }

  private ensureKindOn(slot: WorkerSlot, kind: Kind): void {
    if (slot.kinds.has(kind.id)) return;
    slot.kinds.add(kind.id);
    slot.port.postMessage({ type: 'kind', kindId: kind.id, module: kind.module, memoryMinPages: kind.memoryMinPages, hasTimer: kind.hasTimer } satisfies ToWorker);
  }

  private sendNames(slot: WorkerSlot): void {
    slot.port.postMessage({ type: 'names', add: this.registry.names(), remove: [] } satisfies ToWorker);
  }

  private broadcastNames(add: [string, number][], remove: string[]): void {
    for (let t = 1; t <= this.workers; t++) {
      const s = this.slots[t]!;
      if (!s.restarting) s.port.postMessage({ type: 'names', add, remove } satisfies ToWorker);
    }
    for (const p of this.peerPorts.values()) p.postMessage({ type: 'names', add, remove } satisfies ToWorker);
  }

  // ---------------------------------------------------------------- peer threads (the API thread)

  /**
   * Let a peer thread (the API thread) join the bus at `thread`: it gets a
   * mailbox endpoint on its own thread (agents reply to it like to anyone),
   * the name table now and every change later on `port`, and reports its dead
   * letters on `port`. The peer reads and writes rings itself; the supervisor
   * is not on its message path.
   */
  joinPeer(thread: number, port: MessagePort, endpointName: string): PeerJoin {
    if (!Number.isInteger(thread) || thread <= this.workers || thread > this.workers + this.peerThreads) {
      throw new RangeError(`peer thread must be in ${this.workers + 1}..${this.workers + this.peerThreads}, got ${thread}`);
    }
    if (this.peerPorts.has(thread)) throw new RangeError(`peer thread ${thread} has already joined`);
    if (this.registry.has(endpointName)) throw new AgentExistsError(endpointName);
    const { slot, generation } = this.registry.allocate();
    // The handler never runs: frames for this slot go to the peer's rings.
    this.registry.add({ name: endpointName, slot, generation, handler: () => undefined });
    this.router.set(slot, thread, generation, false);
    this.peerPorts.set(thread, port);
    port.on('message', (m: FromPeer) => {
      if (m.type === 'dead-letters') for (const r of m.records) this.recordDeadLetter(r);
    });
    port.postMessage({ type: 'names', add: this.registry.names(), remove: [] } satisfies ToWorker);
    this.broadcastNames([[endpointName, slot]], []);
    return {
      thread, endpointSlot: slot, endpointGeneration: generation, maxFrameBytes: this.options.maxFrameBytes,
      spinMicros: this.options.spinMicros, maxSleepMs: this.options.maxSleepMs,
    };
  }

  /** A peer thread left (the API thread stopped): its endpoint is closed. */
  leavePeer(thread: number, endpointName: string): void {
    const port = this.peerPorts.get(thread);
    if (!port) return;
    this.peerPorts.delete(thread);
    const rec = this.registry.get(endpointName);
    if (rec && !isAgent(rec)) {
      this.router.clear(rec.slot);
      this.registry.release(rec.slot);
      this.broadcastNames([], [endpointName]);
    }
  }

  /** Messages an agent handled and failed (trap, handler error, time-out), from the bus counters. */
  agentCounts(name: string, withDepth = true): { handled: number; failed: number; mailboxDepth: number } {
    const rec = this.mustAgent(name);
    const f64 = this.bus.f64;
    let depth = 0;
    const threads = withDepth ? this.bus.layout.threads : 0;
    for (let p = 0; p < threads; p++) {
      depth += this.ringCounters[p * threads + rec.thread]!.countFramesFor(rec.slot, FRAME_DST_SLOT, FRAME_HEADER_BYTES);
    }
    return {
      handled: f64[this.agentCounters + rec.slot * 2 + AC_HANDLED]!,
      failed: f64[this.agentCounters + rec.slot * 2 + AC_FAILED]!,
      mailboxDepth: depth,
    };
  }

  private placement(a: AgentRecord): AgentPlacement {
    return { slot: a.slot, generation: a.generation, name: a.name, kindId: a.kindId, config: a.config, memoryPages: a.memoryPages, mailbox: a.mailbox };
  }

  /** Instantiate agents on one worker; sets their state from the answer. */
  private async placeOn(slot: WorkerSlot, agents: AgentRecord[]): Promise<Map<number, CaxtonError | undefined>> {
    for (const a of agents) this.ensureKindOn(slot, this.kinds.get(a.kindId)!);
    const reply = await this.ask(slot, (reqId) => ({ type: 'deploy', reqId, agents: agents.map((a) => this.placement(a)) }));
    const out = new Map<number, CaxtonError | undefined>();
    if (reply.type !== 'deployed') return out;
    const generations = new Map(agents.map((a) => [a.slot, a.generation]));
    for (const r of reply.results) {
      const rec = this.registry.atSlot(r.slot);
      // Removed, replaced, stopped or removing meanwhile: the worker gets (or
      // got) that request after this deploy; do not open the route again.
      if (!rec || !isAgent(rec) || rec.generation !== generations.get(r.slot)) continue;
      if (r.error) {
        rec.state = 'failed';
        rec.lastError = r.error.message;
        out.set(r.slot, reviveError(r.error));
      } else if (rec.state === 'starting') {
        rec.state = 'running';
        this.router.set(rec.slot, slot.thread, rec.generation, false);
        out.set(r.slot, undefined);
      }
    }
    return out;
  }

  private leastLoaded(extra: number[]): number {
    let best = 1;
    let bestCount = Infinity;
    const counts = new Array<number>(this.workers + 1).fill(0);
    for (const a of this.registry.agents()) counts[a.thread]! += 1;
    for (let t = 1; t <= this.workers; t++) {
      const c = counts[t]! + (extra[t] ?? 0);
      if (c < bestCount) {
        best = t;
        bestCount = c;
      }
    }
    return best;
  }

  /**
   * Deploy one or many agents. Validation happens first (nothing is placed
   * if any spec is invalid); then each worker gets one batch. Agents whose
   * init fails are removed again and reported in the thrown error.
   */
  async deploy(specs: AgentSpec | AgentSpec[]): Promise<AgentInfo[]> {
    this.assertRunning();
    const list = Array.isArray(specs) ? specs : [specs];
    const seen = new Set<string>();
    const prepared: { spec: AgentSpec; kind: Kind; limits: AgentLimits; config: Uint8Array }[] = [];
    for (const spec of list) {
      if (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(spec.name)) {
        throw new InvalidAgentSpecError('name', `"${String(spec.name)}" must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
      }
      if (this.registry.has(spec.name) || seen.has(spec.name)) throw new AgentExistsError(spec.name);
      seen.add(spec.name);
      if (!(spec.module instanceof Uint8Array)) throw new InvalidAgentSpecError('module', 'must be the bytes of a .wasm file');
      const limits = this.limitsFor(spec);
      const kind = this.kindFor(spec.name, spec.module);
      const pages = Math.floor(limits.memoryLimitBytes / WASM_PAGE);
      if (pages < Math.max(kind.memoryMinPages, 1)) {
        throw new InvalidAgentSpecError('memoryLimitBytes', `(${limits.memoryLimitBytes}) is below the ${Math.max(kind.memoryMinPages, 1) * WASM_PAGE} bytes the module needs at start`);
      }
      if (spec.worker !== undefined && (!Number.isInteger(spec.worker) || spec.worker < 1 || spec.worker > this.workers)) {
        throw new InvalidAgentSpecError('worker', `must be an integer in 1..${this.workers}`);
      }
      if (spec.capabilities !== undefined && (!Array.isArray(spec.capabilities) || !spec.capabilities.every((c) => typeof c === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/.test(c)))) {
        throw new InvalidAgentSpecError('capabilities', 'must be a list of names (letters, digits and . _ : / -, up to 128 characters each)');
      }
      prepared.push({ spec, kind, limits, config: msgpack.pack(spec.config ?? null) });
    }
    if (this.registry.size + prepared.length > this.options.maxAgents) {
      throw new TooManyAgentsError(this.options.maxAgents, `${prepared.length} more agents do not fit in the router table`);
    }
    const live = this.registry.agents().filter((a) => a.state !== 'stopped').length;
    if (live + prepared.length > this.options.maxInstances) {
      throw new TooManyAgentsError(this.options.maxInstances, `${live} agent instances are live and ${prepared.length} more would pass the per-process instance limit (each wasm memory reserves ~10 GiB of address space)`);
    }
    const extra: number[] = [];
    const byThread = new Map<number, AgentRecord[]>();
    const records: AgentRecord[] = [];
    for (const p of prepared) {
      const { slot, generation } = this.registry.allocate();
      this.bus.f64[this.agentCounters + slot * 2 + AC_HANDLED] = 0;
      this.bus.f64[this.agentCounters + slot * 2 + AC_FAILED] = 0;
      const thread = p.spec.worker ?? this.leastLoaded(extra);
      extra[thread] = (extra[thread] ?? 0) + 1;
      const rec: AgentRecord = {
        name: p.spec.name, slot, generation, thread, kindId: p.kind.id, config: p.config, configValue: p.spec.config ?? null,
        memoryPages: Math.min(Math.floor(p.limits.memoryLimitBytes / WASM_PAGE), p.kind.memoryMaxPages ?? Infinity),
        timeLimitMs: p.limits.timeLimitMs, mailbox: p.limits.mailbox, state: 'starting', restarts: 0, lastError: undefined, timeouts: [],
        createdAt: Date.now(),
        requested: {
          capabilities: [...new Set(p.spec.capabilities ?? [])].sort(),
          ...(p.spec.memoryLimitBytes !== undefined ? { memoryLimitBytes: p.spec.memoryLimitBytes } : {}),
          ...(p.spec.timeLimitMs !== undefined ? { timeLimitMs: p.spec.timeLimitMs } : {}),
          ...(p.spec.mailbox !== undefined ? { mailbox: p.spec.mailbox } : {}),
          ...(p.spec.worker !== undefined ? { worker: p.spec.worker } : {}),
        },
      };
      this.registry.add(rec);
      records.push(rec);
      const group = byThread.get(thread) ?? [];
      group.push(rec);
      byThread.set(thread, group);
    }
    for (const p of prepared) for (const c of p.spec.capabilities ?? []) this.directory.register(p.spec.name, c);
    // Names first, so agents of this batch can look each other up in init.
    this.broadcastNames(records.map((r) => [r.name, r.slot]), []);
    const results = await Promise.all([...byThread].map(([t, recs]) => this.placeOn(this.slots[t]!, recs)));
    const failures: CaxtonError[] = [];
    for (const r of results) for (const err of r.values()) if (err) failures.push(err);
    if (failures.length) {
      const failed = records.filter((r) => r.state === 'failed');
      for (const r of failed) {
        this.directory.deregister(r.name);
        this.release(r);
      }
      this.broadcastNames([], failed.map((r) => r.name));
      throw failures[0]!;
    }
    return records.map((r) => this.info(r));
  }

  private limitsFor(spec: AgentSpec): AgentLimits {
    const d = this.options.defaults;
    const limits = { memoryLimitBytes: spec.memoryLimitBytes ?? d.memoryLimitBytes, timeLimitMs: spec.timeLimitMs ?? d.timeLimitMs, mailbox: spec.mailbox ?? d.mailbox };
    if (!Number.isInteger(limits.memoryLimitBytes) || limits.memoryLimitBytes < WASM_PAGE || limits.memoryLimitBytes > 4 * 1024 ** 3) {
      throw new InvalidAgentSpecError('memoryLimitBytes', `must be an integer number of bytes between 64 KiB and 4 GiB, got ${limits.memoryLimitBytes}`);
    }
    if (!Number.isFinite(limits.timeLimitMs) || limits.timeLimitMs < 1) throw new InvalidAgentSpecError('timeLimitMs', `must be a positive number of milliseconds, got ${limits.timeLimitMs}`);
    if (!Number.isInteger(limits.mailbox) || limits.mailbox < 1) throw new InvalidAgentSpecError('mailbox', `must be a positive integer, got ${limits.mailbox}`);
    return limits;
  }

  private release(rec: AgentRecord): void {
    this.router.clear(rec.slot);
    this.registry.release(rec.slot);
  }

  /** Stop an agent: it keeps its name and slot but refuses messages; those already on their way are dead-lettered. */
  async stop(name: string): Promise<AgentInfo> {
    this.assertRunning();
    const rec = this.mustAgent(name);
    if (rec.state === 'stopped') return this.info(rec);
    this.router.set(rec.slot, rec.thread, rec.generation, true);
    rec.state = 'stopped';
    await this.ask(this.slots[rec.thread]!, (reqId) => ({ type: 'remove', reqId, slots: [rec.slot], reason: DeadLetterReason.AGENT_STOPPED }));
    return this.info(rec);
  }

  /** Start a stopped agent again (a fresh instance, init runs again). */
  async start(name: string): Promise<AgentInfo> {
    this.assertRunning();
    const rec = this.mustAgent(name);
    if (rec.state === 'running' || rec.state === 'starting') return this.info(rec);
    rec.state = 'starting';
    const res = await this.placeOn(this.slots[rec.thread]!, [rec]);
    const err = res.get(rec.slot);
    if (err) throw err;
    return this.info(rec);
  }

  /** Remove an agent: its name is free again; messages still on their way to it are dead-lettered. */
  async remove(name: string): Promise<void> {
    this.assertRunning();
    const rec = this.mustAgent(name);
    rec.state = 'removing';
    this.router.clear(rec.slot);
    this.broadcastNames([], [rec.name]);
    this.directory.deregister(rec.name);
    await this.ask(this.slots[rec.thread]!, (reqId) => ({ type: 'remove', reqId, slots: [rec.slot], reason: DeadLetterReason.AGENT_GONE }));
    this.registry.release(rec.slot);
  }

  list(): AgentInfo[] {
    return this.registry.agents().map((r) => this.info(r));
  }

  get(name: string): AgentInfo {
    return this.info(this.mustAgent(name));
  }

  private mustAgent(name: string): AgentRecord {
    const rec = this.registry.agent(name);
    if (!rec) throw new AgentNotFoundError(name);
    return rec;
  }

  private info(r: AgentRecord): AgentInfo {
    return {
      name: r.name, slot: r.slot, generation: r.generation, worker: r.thread, state: r.state, kind: r.kindId,
      memoryLimitBytes: r.memoryPages * WASM_PAGE, timeLimitMs: r.timeLimitMs, mailbox: r.mailbox, restarts: r.restarts,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      capabilities: this.directory.capabilitiesOf(r.name),
      config: r.configValue,
      requested: r.requested,
    };
  }

  // ---------------------------------------------------------------- endpoints (host-side mailboxes)

  private addEndpoint(name: string, handler: (frame: Uint8Array) => void): EndpointRecord {
    const { slot, generation } = this.registry.allocate();
    const rec: EndpointRecord = { name, slot, generation, handler };
    this.registry.add(rec);
    this.router.set(slot, SUPERVISOR, generation, false);
    return rec;
  }

  /**
   * A named mailbox on the supervisor thread: agents can look it up and send
   * to it like to any agent. The handler gets a copy of each frame.
   */
  openEndpoint(name: string, handler: (frame: Uint8Array) => void): Endpoint {
    if (this.registry.has(name)) throw new AgentExistsError(name);
    const rec = this.addEndpoint(name, handler);
    this.broadcastNames([[name, rec.slot]], []);
    return {
      name,
      slot: rec.slot,
      close: () => {
        if (this.registry.atSlot(rec.slot) !== rec) return;
        this.router.clear(rec.slot);
        this.registry.release(rec.slot);
        this.broadcastNames([], [name]);
      },
    };
  }

  private hasData(): boolean {
    for (let i = 0; i < this.consumers.length; i++) if (this.consumers[i]!.hasData()) return true;
    return false;
  }

  private drain(): number {
    let n = 0;
    const u8 = this.bus.u8;
    for (const c of this.consumers) {
      for (let k = 0; k < 1024; k++) {
        const off = c.peek();
        if (off < 0) break;
        const len = this.bus.i32[(off + FRAME_LENGTH) >> 2]!;
        this.deliverToEndpoint(u8.slice(off, off + len));
        c.advance(len);
        c.release();
        n++;
      }
    }
    return n;
  }

  private deliverToEndpoint(frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const slot = view.getUint32(FRAME_DST_SLOT, true);
    const rec = this.registry.atSlot(slot);
    const stat = this.bus.threadF64(SUPERVISOR);
    if (!rec || isAgent(rec) || rec.generation !== view.getUint32(FRAME_DST_GEN, true)) {
      this.supervisorDeadLettered++;
      this.bus.f64[stat + T_STAT_DEAD_LETTERED] = this.supervisorDeadLettered;
      this.recordDeadLetter({ frame, reason: DeadLetterReason.NO_ENDPOINT, detail: 'no host endpoint of that generation', at: Date.now(), agent: rec?.name ?? `slot ${slot}` });
      return;
    }
    if (this.tap.active) this.tap.offer(frame, 0, frame.byteLength);
    try {
      rec.handler(frame);
      this.supervisorDelivered++;
      this.bus.f64[stat + T_STAT_DELIVERED] = this.supervisorDelivered;
      this.countByPerformative(M_DELIVERED, frame[FRAME_PERFORMATIVE]!);
    } catch (e) {
      this.supervisorDeadLettered++;
      this.bus.f64[stat + T_STAT_DEAD_LETTERED] = this.supervisorDeadLettered;
      this.recordDeadLetter({ frame, reason: DeadLetterReason.HANDLER_FAILED, detail: `endpoint handler threw: ${(e as Error).message}`, at: Date.now(), agent: rec.name });
    }
  }

  // ---------------------------------------------------------------- sending

  /** Send a message from the host to an agent (or endpoint). Returns the message id. */
  send(msg: OutgoingMessage, from: Endpoint | EndpointRecord = this.hostEndpoint): { messageId: string } {
    this.assertRunning();
    const code = PERFORMATIVE_CODE[msg.performative];
    if (code === undefined) throw new UnknownPerformativeError(String(msg.performative));
    const target = this.registry.get(msg.to);
    if (!target) throw new AgentNotFoundError(msg.to);
    const entry = this.router.read(target.slot);
    if (entry === 0) throw new AgentNotFoundError(msg.to);
    if (isAgent(target) && (target.state === 'stopped' || target.state === 'failed')) throw new AgentStoppedError(msg.to, target.state, target.lastError);
    const [convLo, convHi] = parseId(msg.conversationId, 'conversationId');
    const [replyLo, replyHi] = parseId(msg.inReplyTo, 'inReplyTo');
    const trace = msg.traceparent === undefined ? undefined : parseTraceparent(msg.traceparent);
    const lo = (this.msgLo = (this.msgLo + 1) | 0);
    const fromRec = this.registry.atSlot(from.slot);
    const frame = encodeFrame({
      performative: code, destinationSlot: target.slot, destinationGeneration: entry >>> 9,
      sourceSlot: from.slot, sourceGeneration: fromRec ? fromRec.generation : 0, messageIdLo: lo, messageIdHi: this.msgHi,
      conversationLo: convLo, conversationHi: convHi, inReplyToLo: replyLo, inReplyToHi: replyHi, ...trace,
    }, msg.content, msg.params);
    if (frame.byteLength > this.options.maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, this.options.maxFrameBytes);
    const thread = entry & 0xff;
    if (this.options.transport === 'postmessage' && thread !== SUPERVISOR) {
      this.baselinePorts[thread]!.postMessage(frame);
      const stat = this.bus.threadF64(SUPERVISOR);
      this.bus.f64[stat + T_STAT_BASELINE_SENT] = this.bus.f64[stat + T_STAT_BASELINE_SENT]! + 1;
      return { messageId: idToString(lo, this.msgHi) };
    }
    const p = this.producers[thread]!;
    const off = p.reserve(frame.byteLength);
    if (off < 0) {
      this.supervisorRefused++;
      this.bus.f64[this.bus.threadF64(SUPERVISOR) + T_STAT_REFUSED] = this.supervisorRefused;
      throw new MailboxFullError(msg.to, 10);
    }
    this.bus.u8.set(frame, off);
    this.schedulePublish();
    this.countByPerformative(M_ACCEPTED, code);
    return { messageId: idToString(lo, this.msgHi) };
  }

  private publishScheduled = false;
  private readonly publishAll = (): void => {
    this.publishScheduled = false;
    for (const p of this.producers) p.publish();
  };

  /**
   * Frames sent in one synchronous burst (a Contract Net's CFPs, a loop of
   * send() calls) are published together at the end of the current job: one
   * tail store and at most one wake-up per ring instead of one per message.
   * The frames already sit in the ring, so a full ring is still reported at
   * send() time.
   */
  private schedulePublish(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    queueMicrotask(this.publishAll);
  }

  /**
   * Request-reply: send and wait for the first message whose in-reply-to is
   * this message's id. The conversation id is generated when not given.
   */
  async request(msg: OutgoingMessage, timeoutMs = 5000): Promise<DecodedFrame> {
    const conversationId = msg.conversationId ?? randomBytes(8).toString('hex');
    const { messageId } = this.send({ ...msg, conversationId }, this.requestsEndpoint);
    return new Promise<DecodedFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        reject(new ReplyTimeoutError(msg.to, timeoutMs));
      }, timeoutMs);
      this.waiting.set(messageId, (frame) => {
        clearTimeout(timer);
        try {
          const d = decodeFrame(frame);
          // decodeFrame keeps undecodable params as bytes (bus/frame.ts): a reply like that is still invalid.
          if (d.params && '$undecodable' in d.params) reject(new InvalidReplyError(msg.to, 'its parameters are not a valid msgpack map'));
          else resolve(d);
        } catch (e) {
          reject(new InvalidReplyError(msg.to, (e as Error).message));
        }
      });
    });
  }

  private onReply(frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const key = idToString(view.getUint32(FRAME_REPLY_TO_LO, true), view.getUint32(FRAME_REPLY_TO_HI, true));
    const waiter = this.waiting.get(key);
    if (!waiter) throw new Error(`a reply to ${key} arrived after its request was answered or timed out`);
    this.waiting.delete(key);
    waiter(frame);
  }

  // ---------------------------------------------------------------- FIPA ACL messages

  /** conversation key -> FIPA conversation-id string, for messages sent with sendAcl (bounded) */
  private readonly conversationNames = new Map<string, string>();

  /**
   * Send a FIPA ACL message (the JSON model of docs/fipa.md, validated first):
   * one frame per receiver. Returns the message ids.
   */
  sendAcl(message: unknown, from: Endpoint | EndpointRecord = this.hostEndpoint): { messageIds: string[] } {
    const m = validateMessage(message);
    const frames = aclToFrames(m);
    const key = frames[0]?.conversationId;
    if (key !== undefined && m.conversationId !== undefined) {
      this.conversationNames.set(key, m.conversationId);
      if (this.conversationNames.size > 100_000) this.conversationNames.delete(this.conversationNames.keys().next().value!);
    }
    return { messageIds: frames.map((f) => this.send(f, from).messageId) };
  }

  /** The FIPA ACL view of a frame an endpoint received. */
  toAcl(frame: Uint8Array | DecodedFrame): AclMessage {
    const d = frame instanceof Uint8Array ? decodeFrame(frame) : frame;
    return frameToAcl(d, (slot) => this.nameOf(slot), (key) => this.conversationNames.get(key));
  }

  // ---------------------------------------------------------------- services: Contract Net, directory

  /** Run a Contract Net task (docs/fipa.md); resolves with the outcome and transcript. */
  contractNet(req: ContractNetRequest): Promise<ContractNetOutcome> {
    this.assertRunning();
    return this.contractNetService.start(req);
  }

  /** Name of the agent or endpoint at a slot (for reports). */
  nameOf(slot: number): string {
    return this.registry.atSlot(slot)?.name ?? `slot ${slot}`;
  }

  /** A host service (`$contract-net`, `$df`) answers a request, in its conversation. */
  private answerFrom(service: string, f: DecodedFrame, performative: Performative, content: unknown): void {
    const requester = this.nameOf(f.sourceSlot);
    try {
      this.send({ to: requester, performative, content, conversationId: f.conversationId, inReplyTo: f.messageId }, this.registry.get(service) as EndpointRecord);
    } catch (e) {
      this.logger.warn({ agent: requester, service }, `could not answer a request: ${(e as Error).message}`);
    }
  }

  /** An agent asked `$contract-net` to run a task: reply INFORM with the outcome (or FAILURE). */
  private onContractNetRequest(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    const answer = (performative: Performative, content: unknown): void => this.answerFrom('$contract-net', f, performative, content);
    // Never answer an answer (an inform, a not-understood...): that is how two
    // parties end up bouncing not-understood forever.
    if (f.performative !== 'request') return;
    if (f.content === null || typeof f.content !== 'object') {
      answer('not-understood', 'send a request whose content is {capability | contractors, task, deadlineMs, select?}');
      return;
    }
    let started: Promise<ContractNetOutcome>;
    try {
      started = this.contractNet(f.content as ContractNetRequest);
    } catch (e) {
      answer('failure', isCaxtonError(e) ? { code: e.code, message: e.message, hint: e.hint } : { message: String(e) });
      return;
    }
    started.then((outcome) => answer('inform', outcome), (e: Error) => answer('failure', { message: e.message }));
  }

  /** Directory requests from agents: {action: register|deregister|search, capability}. */
  private onDirectoryRequest(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    const requester = this.nameOf(f.sourceSlot);
    const c = f.content as { action?: string; capability?: string } | null;
    const answer = (performative: Performative, content: unknown): void => this.answerFrom('$df', f, performative, content);
    const capability = c && typeof c.capability === 'string' ? c.capability : undefined;
    if (f.performative !== 'request') return; // never answer an answer
    if (!c || !capability) {
      answer('not-understood', 'send a request whose content is {action: "register" | "deregister" | "search", capability: NAME}');
    } else if (c.action === 'register' && this.registry.agent(requester)) {
      this.directory.register(requester, capability);
      answer('inform', { done: 'register', capability });
    } else if (c.action === 'deregister') {
      this.directory.deregister(requester, capability);
      answer('inform', { done: 'deregister', capability });
    } else if (c.action === 'search') {
      answer('inform', { capability, agents: this.directory.search(capability) });
    } else {
      answer('refuse', `unknown action "${String(c.action)}" (register, deregister, search)`);
    }
  }

  // ---------------------------------------------------------------- dead letters, stats

  private countByPerformative(base: number, code: number): void {
    if (code < PERFORMATIVES.length) this.bus.f64[this.bus.metricsF64(SUPERVISOR) + base + code]! += 1;
  }

  /**
   * What /metrics and OTel metrics show beyond stats(): counts by
   * performative, the handle-time histogram, worker utilisation, agents by
   * state and mailbox depths. Off the hot path: read from the bus counters
   * when scraped (one pass over the rings for the depths).
   *
   * Worker utilisation is busy time / wall time since `reader`'s previous
   * snapshot (since start for its first): each reader has its own window, so
   * readers do not shorten each other's. Without a reader (tests, the bench),
   * it is since start and no window moves.
   */
  metricsSnapshot(reader?: MetricsReader): RuntimeMetrics {
    let window: BusyMark[] | undefined;
    if (reader !== undefined) {
      window = this.busyWindows.get(reader);
      if (window === undefined) {
        if (!METRICS_READERS.includes(reader)) throw new InternalError(`unknown metrics reader ${JSON.stringify(reader)}`);
        this.busyWindows.set(reader, (window = []));
      }
    }
    const f64 = this.bus.f64;
    const threads = this.bus.layout.threads;
    const byPerformative: RuntimeMetrics['byPerformative'] = {};
    for (const p of PERFORMATIVES) byPerformative[p] = { accepted: 0, delivered: 0, deadLettered: 0 };
    // Dead letters also come as 'unknown' (an unreadable frame) or unknown(N) (a bad performative code).
    for (const [p, n] of this.deadLettersByPerformative) (byPerformative[p] ??= { accepted: 0, delivered: 0, deadLettered: 0 }).deadLettered = n;
    const buckets = new Array<number>(HANDLE_BUCKETS).fill(0);
    let sumUs = 0;
    const workers: RuntimeMetrics['workers'] = [];
    const now = performance.now();
    for (let t = 0; t < threads; t++) {
      const m = this.bus.metricsF64(t);
      for (let i = 0; i < PERFORMATIVES.length; i++) {
        byPerformative[PERFORMATIVES[i]!]!.accepted += f64[m + M_ACCEPTED + i]!;
        byPerformative[PERFORMATIVES[i]!]!.delivered += f64[m + M_DELIVERED + i]!;
      }
      for (let k = 0; k < HANDLE_BUCKETS; k++) buckets[k]! += f64[m + M_HANDLE_BUCKET + k]!;
      sumUs += f64[m + M_HANDLE_SUM_US]!;
      if (t >= 1 && t <= this.workers) {
        // Utilisation since this reader's previous snapshot (or since start): busy time / wall time.
        const busyMs = f64[m + M_BUSY_MS]!;
        const prev = window?.[t] ?? this.metricsStart;
        const utilisation = now > prev.at ? Math.min(1, Math.max(0, (busyMs - prev.busyMs) / (now - prev.at))) : 0;
        if (window !== undefined) window[t] = { at: now, busyMs };
        workers.push({ worker: t, busySeconds: busyMs / 1000, utilisation });
      }
    }
    const agentsByState: Record<string, number> = { starting: 0, running: 0, stopped: 0, failed: 0, removing: 0 };
    const depthBySlot = new Map<number, number>();
    for (const c of this.ringCounters) c.countFramesBySlot(depthBySlot, FRAME_DST_SLOT, FRAME_HEADER_BYTES);
    const mailboxDepth: RuntimeMetrics['mailboxDepth'] = [];
    for (const a of this.registry.agents()) {
      agentsByState[a.state] = (agentsByState[a.state] ?? 0) + 1;
      mailboxDepth.push({ agent: a.name, depth: depthBySlot.get(a.slot) ?? 0 });
    }
    // Bucket k < last holds calls under 2^k µs.
    const bounds = Array.from({ length: HANDLE_BUCKETS - 1 }, (_, k) => 2 ** k);
    return {
      byPerformative, handleTime: { boundsUs: bounds, counts: buckets, sumUs, oneIn: HANDLE_TIMING_SAMPLE }, workers, agentsByState, mailboxDepth,
      ...(this.spanExport ? { spans: this.spanExport.counts() } : {}),
    };
  }

  /** per reader, per worker thread: where its utilisation window starts (its previous snapshot) */
  private readonly busyWindows = new Map<MetricsReader, BusyMark[]>();
  private readonly metricsStart: BusyMark = { at: performance.now(), busyMs: 0 };
  private deadLetterLogWindow = 0;
  private deadLetterLines = 0;
  private deadLetterLinesSkipped = 0;
  /** the timer that writes a storm's summary when its second ends */
  private deadLetterSummary: NodeJS.Timeout | undefined;
  private readonly deadLettersByPerformative = new Map<string, number>();

  private recordDeadLetter(r: DeadLetterRecord, thread?: WorkerSlot): void {
    this.deadLettersRecorded += r.count ?? 1;
    if (thread) thread.deadLettersRecorded += r.count ?? 1;
    let d: DecodedFrame | undefined;
    try {
      if (r.frame.byteLength) d = decodeFrame(r.frame);
    } catch {
      d = undefined;
    }
    const from = d ? this.registry.atSlot(d.sourceSlot)?.name ?? `slot ${d.sourceSlot}` : '';
    this.deadLetters.push({
      seq: ++this.deadLetterSeq, at: new Date(r.at).toISOString(), reason: r.reason, hint: DEAD_LETTER_HINTS[r.reason],
      detail: r.detail, agent: r.agent, from, performative: d?.performative ?? '', messageId: d?.messageId ?? '',
      conversationId: d?.conversationId ?? '', content: d?.content,
    });
    if (this.deadLetters.length > this.options.deadLetterRetention) this.deadLetters.shift();
    const perf = d?.performative ?? 'unknown';
    this.deadLettersByPerformative.set(perf, (this.deadLettersByPerformative.get(perf) ?? 0) + (r.count ?? 1));
    // One warning per dead letter, with the message's ids (docs/observability.md);
    // a storm is cut at DEAD_LETTER_LINES_PER_SECOND and summed up when its
    // second ends (a timer, so the summary comes even if no dead letter follows).
    const now = Date.now();
    if (now - this.deadLetterLogWindow >= 1000) this.endDeadLetterWindow(now);
    if (++this.deadLetterLines > DEAD_LETTER_LINES_PER_SECOND) {
      this.deadLetterLinesSkipped += r.count ?? 1;
      this.deadLetterSummary ??= setTimeout(this.endDeadLetterWindowNow, Math.max(0, this.deadLetterLogWindow + 1000 - now)).unref();
      return;
    }
    this.logger.warn({
      agent: r.agent, reason: r.reason, from, conversationId: d?.conversationId, messageId: d?.messageId, performative: d?.performative,
      traceId: d?.traceId || undefined, spanId: d?.spanId || undefined, count: r.count,
    }, `dead letter (${r.reason}): ${r.detail}`);
  }

  /** Close the dead-letter log window: the storm summary, if lines were skipped, then a new window from `now`. */
  private endDeadLetterWindow(now: number): void {
    if (this.deadLetterSummary !== undefined) {
      clearTimeout(this.deadLetterSummary);
      this.deadLetterSummary = undefined;
    }
    if (this.deadLetterLinesSkipped > 0) {
      this.logger.warn({ skipped: this.deadLetterLinesSkipped }, `${this.deadLetterLinesSkipped} more dead letter(s) not logged (more than ${DEAD_LETTER_LINES_PER_SECOND} per second); see ListDeadLetters`);
    }
    this.deadLetterLogWindow = now;
    this.deadLetterLines = 0;
    this.deadLetterLinesSkipped = 0;
  }

  private readonly endDeadLetterWindowNow = (): void => {
    this.deadLetterSummary = undefined;
    this.endDeadLetterWindow(Date.now());
  };

  /** The most recent dead letters (oldest first); `stats().deadLettered` counts every one ever. */
  listDeadLetters(limit = 100): DeadLetter[] {
    return this.deadLetters.slice(-limit);
  }

  stats(): RuntimeStats {
    // Frames sent in this job but not yet published are accepted already.
    if (this.publishScheduled) this.publishAll();
    const f64 = this.bus.f64;
    let accepted = 0;
    let consumed = 0;
    const threads = this.bus.layout.threads;
    // Observer copies (bus/tap.ts) travel on the rings but are not messages.
    // Copies sent are read BEFORE the ring counters (a copy published in
    // between then counts as in flight for a moment), copies received AFTER
    // them (the receiver counts a copy before it releases the ring): either
    // way in-flight can only be over-estimated, so waitIdle never stops early.
    for (let t = 0; t < threads; t++) accepted -= f64[this.bus.threadF64(t) + T_STAT_TAPS_SENT]!;
    for (const r of this.ringCounters) {
      accepted += r.publishedFrames();
      consumed += r.consumedFrames();
    }
    let delivered = 0;
    let deadLettered = 0;
    let parked = 0;
    let refused = 0;
    let traps = 0;
    let restarts = 0;
    let agents = 0;
    let baselineSent = 0;
    let conversations = 0;
    for (let t = 0; t < threads; t++) {
      const s = this.bus.threadF64(t);
      delivered += f64[s + T_STAT_DELIVERED]!;
      deadLettered += f64[s + T_STAT_DEAD_LETTERED]!;
      parked += f64[s + T_STAT_PARKED]!;
      refused += f64[s + T_STAT_REFUSED]!;
      traps += f64[s + T_STAT_TRAPS]!;
      restarts += f64[s + T_STAT_RESTARTS]!;
      agents += f64[s + T_STAT_AGENTS]!;
      baselineSent += f64[s + T_STAT_BASELINE_SENT]!;
      // Host-made messages are handed over as they are made: accepted and consumed at once.
      accepted += f64[s + T_STAT_SYNTHESIZED]!;
      consumed += f64[s + T_STAT_SYNTHESIZED]!;
      conversations += f64[s + T_STAT_CONVERSATIONS]!;
      consumed -= f64[s + T_STAT_TAPS_RECEIVED]!;
    }
    if (this.options.transport === 'postmessage') {
      // Baseline: frames travel by postMessage; count them where they are sent.
      accepted += baselineSent;
      consumed = delivered + deadLettered - parked;
    }
    return {
      accepted, delivered, deadLettered, inFlight: accepted - consumed + parked, refused, traps, restarts,
      workerRestarts: this.workerRestarts, agents, workers: this.workers, baselineSent, conversations,
    };
  }

  /** Resolve when nothing is in flight (or reject after timeoutMs). */
  async waitIdle(timeoutMs = 10_000): Promise<RuntimeStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.stats();
      // Idle = nothing in flight, no worker being replaced, and every dead
      // letter counted on the bus has its record here (so listDeadLetters()
      // is complete when waitIdle resolves).
      if (s.inFlight === 0 && this.deadLettersRecorded >= s.deadLettered && this.slots.every((w) => !w || !w.restarting)) return s;
      if (Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  serverInfo(): { uptimeSeconds: number; workers: number; agents: number; abiVersion: number; performatives: readonly string[] } {
    return { uptimeSeconds: (Date.now() - this.startedAt) / 1000, workers: this.workers, agents: this.registry.agents().length, abiVersion: 1, performatives: PERFORMATIVES };
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new RuntimeNotRunningError(this.state);
  }

  /**
   * Graceful shutdown: refuse new work, wait until every accepted message is
   * delivered or dead-lettered (up to drainTimeoutMs), then stop the workers.
   */
  async shutdown(drainTimeoutMs = 10_000): Promise<{ drained: boolean; stats: RuntimeStats }> {
    if (this.state === 'stopped') return { drained: true, stats: this.stats() };
    this.state = 'draining';
    Atomics.store(this.bus.i32, G_RUN_STATE, RUN_STATE_DRAINING);
    const stats = await this.waitIdle(drainTimeoutMs);
    this.state = 'stopped';
    Atomics.store(this.bus.i32, G_RUN_STATE, RUN_STATE_STOPPED);
    if (this.watchdog) clearInterval(this.watchdog);
    for (let t = 1; t <= this.workers; t++) {
      const s = this.slots[t]!;
      s.port.postMessage({ type: 'shutdown' } satisfies ToWorker);
    }
    // A worker stuck in an agent call cannot read 'shutdown' (and the watchdog
    // is off now): give the hosts a moment, then terminate what is left.
    const tasks = Promise.allSettled(this.slots.slice(1).map((s) => s.task));
    const settled = await Promise.race([tasks.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (!settled) {
      for (const s of this.slots.slice(1)) s.abort.abort(new Error('shutdown: the worker did not stop'));
      await tasks;
    }
    // The workers have sent their last span batches: export them.
    await this.spanExport?.shutdown();
    this.pump.stop();
    for (const p of this.baselinePorts) p?.close();
    await this.pool.destroy();
    // A storm's summary still pending is written now, not lost.
    this.endDeadLetterWindow(Date.now());
    this.logger.flush();
    return { drained: stats.inFlight === 0, stats };
  }
}

function parseId(id: string | undefined, field: string): [number, number] {
  if (id === undefined || id === '') return [0, 0];
  if (!/^[0-9a-fA-F]{1,16}$/.test(id)) throw new InvalidAgentSpecError(field, `must be 1-16 hex digits, got "${id}"`);
  return idFromString(id);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C traceparent as frame header fields (runtime/tracing.ts carries them on). */
function parseTraceparent(tp: string): { traceId: Uint8Array; spanId: Uint8Array; flags: number } {
  const m = TRACEPARENT.exec(tp);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) {
    throw new InvalidArgumentError('traceparent', `is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, ids not all zero), got "${tp}"`,
      'Pass the traceparent header of the request you are handling, or leave it out.');
  }
  return { traceId: Buffer.from(m[1]!, 'hex'), spanId: Buffer.from(m[2]!, 'hex'), flags: (parseInt(m[3]!, 16) & 1) === 1 ? FLAG_TRACE_SAMPLED : 0 };
}
