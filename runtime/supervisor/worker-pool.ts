/**
 * The worker threads that host agents: a piscina pool running one long-lived
 * host task per worker (runtime/host/task.ts, runtime/host/worker-host.ts), each with a control
 * port. Worker threads are 1..W on the bus. The pool starts the host tasks,
 * asks the hosts and waits for their answers, sends them kinds and name
 * updates, hears what they report, and shuts them down.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Bus } from '../../bus/shared.js';
import { levelName, type Logger } from '../observability/logger.js';
import type { AgentLogRecord, FromWorker, HostOptions, ToWorker } from '../thread-messages.js';
import type { ResolvedRuntimeOptions } from '../types.js';
import type { DeadLetters } from './dead-letters.js';
import type { Kind } from './kinds.js';
import { isAgent, type Registry } from './registry.js';
import type { RunState } from './run-state.js';

export interface PendingRequest {
  message: ToWorker;
  resolve: (m: FromWorker) => void;
}

/** One worker thread as the supervisor sees it. */
export class WorkerSlot {
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

export interface WorkerPoolDeps {
  bus: Bus;
  registry: Registry;
  deadLetters: DeadLetters;
  runState: RunState;
  logger: Logger;
  /** receives agents' log lines (in addition to the logger) */
  onLog: ((record: AgentLogRecord) => void) | undefined;
  /** tracing on: a port of the span export thread for a new host, else undefined */
  connectSpans: () => MessagePort | undefined;
  /** a host task failed on its own (not a watchdog abort): the worker is to be replaced */
  onHostFailed: (slot: WorkerSlot, error: Error) => void;
  /** a host ended a call past its agent's time limit (interrupt checks) and restarted the agent */
  onAgentTimedOut: (thread: number, slot: number, generation: number, why: string) => void;
}

export type WorkerPoolOptions = Pick<ResolvedRuntimeOptions, 'spinMicros' | 'adaptiveSpin' | 'maxSleepMs' | 'maxFrameBytes' | 'drainBudget' | 'transport'> & { virtualClock?: SharedArrayBuffer };

export class WorkerPool {
  readonly workers: number;
  /** by thread index (1..workers; 0 is the supervisor) */
  readonly slots: WorkerSlot[] = [];
  private readonly options: WorkerPoolOptions;
  private readonly bus: Bus;
  private readonly registry: Registry;
  private readonly deadLetters: DeadLetters;
  private readonly runState: RunState;
  private readonly logger: Logger;
  private readonly onLog: ((record: AgentLogRecord) => void) | undefined;
  private readonly connectSpans: () => MessagePort | undefined;
  private readonly onHostFailed: (slot: WorkerSlot, error: Error) => void;
  private readonly onAgentTimedOut: WorkerPoolDeps['onAgentTimedOut'];
  private readonly pool: Piscina;
  private reqSeq = 0;
  /** times any agent was throttled for sending past its budget (RuntimeStats.throttled) */
  throttled = 0;

  constructor(workers: number, options: WorkerPoolOptions, deps: WorkerPoolDeps) {
    this.workers = workers;
    this.options = options;
    this.bus = deps.bus;
    this.registry = deps.registry;
    this.deadLetters = deps.deadLetters;
    this.runState = deps.runState;
    this.logger = deps.logger;
    this.onLog = deps.onLog;
    this.connectSpans = deps.connectSpans;
    this.onHostFailed = deps.onHostFailed;
    this.onAgentTimedOut = deps.onAgentTimedOut;
    this.pool = new Piscina({
      filename: new URL('../host/task.js', import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      // Our host task waits with Atomics.waitAsync and must keep its event
      // loop; piscina's own Atomics.wait between tasks is not needed.
      atomics: 'disabled',
    });
    for (let t = 1; t <= workers; t++) this.slots[t] = new WorkerSlot(t);
  }

  /** Start a host task on every worker; once all are ready, each gets the names and begins draining. */
  async start(): Promise<void> {
    await Promise.all(this.slots.slice(1).map((s) => this.startWorker(s)));
    for (const s of this.slots.slice(1)) {
      this.sendNames(s); // host endpoints ($contract-net, $df...) exist from the start
      this.sendStart(s);
    }
  }

  private hostOptions(): HostOptions {
    const o = this.options;
    return { spinMicros: o.spinMicros, adaptiveSpin: o.adaptiveSpin, maxSleepMs: o.maxSleepMs, maxFrameBytes: o.maxFrameBytes, drainBudget: o.drainBudget, transport: o.transport, logLevel: this.logger.levelVal, ...(o.virtualClock ? { virtualClock: o.virtualClock } : {}) };
  }

  /** Run a host task on the slot's thread with a fresh control port; resolves when the host is ready. */
  startWorker(slot: WorkerSlot): Promise<void> {
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
    const spans = this.connectSpans();
    if (spans) transferList.push(spans);
    slot.task = this.pool.run(
      { thread: slot.thread, bus: this.bus.init, port: port2, options: this.hostOptions(), peers, ...(spans ? { spans } : {}) },
      { transferList: transferList as never, signal: slot.abort.signal },
    );
    slot.baselinePeers = {};
    slot.task.catch((e: Error) => {
      if (this.runState.stopped || slot.restarting) return;
      // The host task failed on its own (not a watchdog abort): replace the worker.
      this.onHostFailed(slot, e);
    });
    return slot.ready;
  }

  private onWorkerMessage(slot: WorkerSlot, m: FromWorker): void {
    switch (m.type) {
      case 'deployed':
      case 'removed':
      case 'clock-done': {
        const p = slot.pending.get(m.reqId);
        if (p) {
          slot.pending.delete(m.reqId);
          p.resolve(m);
        }
        break;
      }
      case 'dead-letters':
        for (const r of m.records) this.deadLetters.record(r, slot);
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
      case 'agent-throttled': {
        this.throttled++;
        const rec = this.registry.atSlot(m.slot);
        if (rec && isAgent(rec) && rec.generation === m.generation) {
          rec.throttled++;
          // The first time, then once a minute of steady throttling (ten ticks a second).
          if (rec.throttled % 600 === 1) {
            this.logger.warn({ agent: rec.name, worker: slot.thread, throttled: rec.throttled }, `agent throttled: it sends more than its ${rec.maxSendsPerSecond} messages per second; its messages wait (raise maxSendsPerSecond if that is intended)`);
          }
        }
        break;
      }
      case 'agent-timed-out':
        this.onAgentTimedOut(slot.thread, m.slot, m.generation, m.reason);
        break;
      default:
        break;
    }
  }

  /** The same request to every worker; resolves when all have answered. */
  everyWorker(build: (reqId: number) => ToWorker): Promise<FromWorker[]> {
    return Promise.all(this.slots.slice(1).map((s) => this.ask(s, build)));
  }

  /** A request to a host, answered on its control port; held (and replayed) while the worker is replaced. */
  ask(slot: WorkerSlot, build: (reqId: number) => ToWorker): Promise<FromWorker> {
    const reqId = ++this.reqSeq;
    const message = build(reqId);
    return new Promise((resolve) => {
      slot.pending.set(reqId, { message, resolve });
      if (!slot.restarting) slot.port.postMessage(message);
    });
  }

  ensureKindOn(slot: WorkerSlot, kind: Kind): void {
    if (slot.kinds.has(kind.id)) return;
    slot.kinds.add(kind.id);
    slot.port.postMessage({ type: 'kind', kindId: kind.id, module: kind.module, memoryMinPages: kind.memoryMinPages, hasTimer: kind.hasTimer, initialize: kind.initialize, abi2Uses: kind.abi2Uses } satisfies ToWorker);
  }

  /** The whole name table, to a host that starts. */
  sendNames(slot: WorkerSlot): void {
    slot.port.postMessage({ type: 'names', add: this.registry.names(), remove: [] } satisfies ToWorker);
  }

  /** Name changes, to every host not being replaced (a replaced one gets the whole table when it starts). */
  postNames(add: [string, number][], remove: string[]): void {
    for (let t = 1; t <= this.workers; t++) {
      const s = this.slots[t]!;
      if (!s.restarting) s.port.postMessage({ type: 'names', add, remove } satisfies ToWorker);
    }
  }

  /** The host's agents are in place: it may begin draining its rings. */
  sendStart(slot: WorkerSlot): void {
    slot.port.postMessage({ type: 'start' } satisfies ToWorker);
  }

  /** True while some worker is being replaced. */
  get replacing(): boolean {
    return !this.slots.every((w) => !w || !w.restarting);
  }

  /** Tell every host to stop; terminate those that do not within 2 s. */
  async stopHosts(): Promise<void> {
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
  }

  /** Terminate the worker threads. */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
