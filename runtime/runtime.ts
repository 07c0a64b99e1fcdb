/**
 * The supervisor (main thread): owns the bus, the registry, the worker pool
 * (piscina, one long-lived host task per worker), the watchdog and the
 * in-process API that the gRPC and CLI layers call. The Runtime class builds
 * those parts (runtime/supervisor/), boots them, answers the API by handing
 * each call to the part it concerns, and shuts them down.
 *
 * Threads on the bus: 0 = this supervisor, 1..W = workers.
 */
import { availableParallelism } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { ConversationNames } from '../bus/conversation-names.js';
import { Bus } from '../bus/shared.js';
import { RouterTable } from '../bus/router.js';
import type { DecodedFrame } from '../bus/frame.js';
import { DEFAULT_MAX_AGENTS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_RING_CAPACITY, PERFORMATIVES } from '../bus/layout.js';
import { checkOtlpEndpoint, otlpEnabled } from './observability/otel-env.js';
import { startTracing } from './observability/tracing.js';
import { SpanExport } from './observability/span-export.js';
import { InvalidAgentSpecError, InvalidArgumentError } from './errors.js';
import { advanceTimeCell, virtualTimeCell } from './host/agent-clock.js';
import { Registry, type AnnounceNames, type EndpointRecord } from './supervisor/registry.js';
import { Directory } from './fipa/directory.js';
import type { AclMessage } from './fipa/acl/message.js';
import type { ContractNetOutcome, ContractNetRequest } from './fipa/contract-net.js';
import { createLogger, type Logger } from './observability/logger.js';
import { RunState } from './supervisor/run-state.js';
import { DeadLetters, type LostLetter } from './supervisor/dead-letters.js';
import { WorkerPool, type WorkerSlot } from './supervisor/worker-pool.js';
import { HostEndpoints } from './supervisor/endpoints.js';
import { BaselineHostEndpoints } from './supervisor/baseline-endpoints.js';
import { HostServices } from './supervisor/services.js';
import { ToolHost } from './tools/tool-host.js';
import { CAXTON_VERSION } from './version.js';
import { AclMessages } from './supervisor/acl.js';
import { Peers } from './supervisor/peers.js';
import { StatsReader } from './supervisor/stats.js';
import { Kinds } from './supervisor/kinds.js';
import { Agents } from './supervisor/agents.js';
import { Watchdog } from './supervisor/watchdog.js';
import { ABI_VERSION } from './module/abi.js';
import type {
  AgentInfo, AgentSpec, DeadLetter, Endpoint, MetricsReader, OutgoingMessage, PeerJoin, ResolvedRuntimeOptions, RuntimeMetrics,
  RuntimeOptions, RuntimeStats,
} from './types.js';

export { METRICS_READERS } from './types.js';
export type {
  AgentInfo, AgentLimits, AgentSpec, DeadLetter, Endpoint, FromPeer, MetricsReader, OutgoingMessage, PeerJoin, RuntimeMetrics,
  RuntimeOptions, RuntimeStats,
} from './types.js';

/**
 * An agent's default send budget: well above what an agent sends in the
 * benchmarks' relay rings (about 20,000 a second each), below the 500,000 a
 * second of an agent that answers every message with two to itself.
 */
export const DEFAULT_MAX_SENDS_PER_SECOND = 200_000;

export class Runtime {
  readonly bus: Bus;
  readonly workers: number;
  readonly logger: Logger;
  /** which agents offer which capability (FIPA directory facilitator) */
  readonly directory = new Directory();
  private readonly options: ResolvedRuntimeOptions;
  private readonly runState: RunState;
  private readonly router: RouterTable;
  private readonly registry: Registry;
  private readonly deadLetters: DeadLetters;
  /** the worker threads (a test's teardown calls pool.destroy() when shutdown() hangs: test/runtime/regressions.test.ts) */
  private readonly pool: WorkerPool;
  private readonly endpoints: HostEndpoints;
  private readonly services: HostServices;
  /** the $mcp endpoint and the tool servers it calls (runtime/tools/) */
  readonly tools: ToolHost;
  private readonly acl: AclMessages;
  private readonly peers: Peers;
  private readonly statsReader: StatsReader;
  /** the virtual clock's time cell (option virtualClock), shared with the workers */
  private readonly clockCell: SharedArrayBuffer | undefined;
  private readonly agents: Agents;
  private readonly watchdog: Watchdog;
  /** the span export thread, when tracing is on (runtime/observability/span-export.ts) */
  private spanExport: SpanExport | undefined;
  private readonly startedAt = Date.now();

  private constructor(opts: RuntimeOptions) {
    this.workers = opts.workers ?? availableParallelism();
    this.options = {
      ringCapacity: opts.ringCapacity ?? DEFAULT_RING_CAPACITY,
      maxAgents: opts.maxAgents ?? DEFAULT_MAX_AGENTS,
      maxInstances: opts.maxInstances ?? 12_000,
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      spinMicros: opts.spinMicros ?? 50,
      adaptiveSpin: opts.adaptiveSpin ?? process.env.CAXTON_ADAPTIVE_SPIN !== 'off',
      supervisorSpinMicros: opts.supervisorSpinMicros ?? 0,
      supervisorPollMicros: opts.supervisorPollMicros ?? (process.env.CAXTON_SUPERVISOR_POLL === 'off' ? 0 : 200),
      maxSleepMs: opts.maxSleepMs ?? 1000,
      drainBudget: opts.drainBudget ?? 8192,
      transport: opts.transport ?? 'bus',
      watchdogIntervalMs: opts.watchdogIntervalMs ?? 20,
      interruptChecks: opts.interruptChecks ?? process.env.CAXTON_INTERRUPT_CHECKS !== 'off',
      deadLetterRetention: opts.deadLetterRetention ?? 10_000,
      defaults: {
        memoryLimitBytes: opts.defaults?.memoryLimitBytes ?? 16 * 1024 * 1024,
        timeLimitMs: opts.defaults?.timeLimitMs ?? 1000,
        mailbox: opts.defaults?.mailbox ?? 1024,
        maxSendsPerSecond: opts.defaults?.maxSendsPerSecond ?? DEFAULT_MAX_SENDS_PER_SECOND,
      },
    };
    this.logger = opts.logger ?? createLogger();
    if (this.options.maxFrameBytes > this.options.ringCapacity / 2) {
      throw new InvalidAgentSpecError('maxFrameBytes', `must be at most half the ring capacity (${this.options.ringCapacity / 2})`);
    }
    const peerThreads = opts.peerThreads ?? 0;
    const threads = this.workers + 1 + peerThreads;
    const o = this.options;
    const bus = (this.bus = Bus.create(threads, o.ringCapacity, o.maxAgents));
    const router = (this.router = new RouterTable(bus));
    const registry = (this.registry = new Registry(o.maxAgents));
    const runState = (this.runState = new RunState(bus.i32));
    const logger = this.logger;
    const names = new ConversationNames(bus);
    const deadLetters = (this.deadLetters = new DeadLetters(registry, logger, o.deadLetterRetention, names));
    this.statsReader = new StatsReader(this.workers, o.transport, {
      bus, registry, deadLetters,
      publishPending: () => this.endpoints.publishPending(),
      workerRestarts: () => this.watchdog.workerRestarts,
      throttled: () => this.pool.throttled,
      spanCounts: () => this.spanExport?.counts(),
    });
    // Workers first, then peers: every thread with a name table hears of a change.
    const announceNames: AnnounceNames = (add, remove) => {
      this.pool.postNames(add, remove);
      this.peers.postNames(add, remove);
    };
    if (opts.virtualClock !== undefined && opts.virtualClock !== false) {
      this.clockCell = virtualTimeCell(opts.virtualClock === true ? Date.now() : opts.virtualClock);
    }
    this.pool = new WorkerPool(this.workers, { ...o, ...(this.clockCell ? { virtualClock: this.clockCell } : {}) }, {
      bus, registry, deadLetters, runState, logger, onLog: opts.onLog,
      connectSpans: () => this.spanExport?.connect(),
      onHostFailed: (slot, e) => void this.watchdog.replaceWorker(slot, 'crash', `worker thread failed: ${e.message}`),
      onAgentTimedOut: (thread, slot, generation, why) => this.watchdog.agentTimedOut(thread, slot, generation, why),
    });
    // The benchmark's postMessage baseline swaps how the supervisor's frames travel (BaselineHostEndpoints).
    this.endpoints = new (o.transport === 'postmessage' ? BaselineHostEndpoints : HostEndpoints)(o, { bus, registry, deadLetters, runState, announceNames });
    this.services = new HostServices({ endpoints: this.endpoints, registry, directory: this.directory, runState, logger });
    this.tools = new ToolHost(opts.tools ?? {}, { endpoints: this.endpoints, registry, logger, version: CAXTON_VERSION });
    this.acl = new AclMessages(this.endpoints, registry, names);
    this.peers = new Peers(this.workers, peerThreads, o, { registry, router, deadLetters, announceNames });
    const kinds = new Kinds(o.interruptChecks);
    this.agents = new Agents(this.workers, o, {
      registry, router, pool: this.pool, kinds, directory: this.directory, runState, announceNames,
      resetCounters: (slot) => this.statsReader.resetAgentCounters(slot),
    });
    this.watchdog = new Watchdog(o, { bus, router, registry, pool: this.pool, kinds, agents: this.agents, deadLetters, runState, logger });
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
    if (otlpEnabled('TRACES')) {
      this.spanExport = await SpanExport.start(this.logger);
      // The supervisor's own spans (tool calls through $mcp) use the SDK: few, and each far costlier than a span.
      this.tools.tracing = await startTracing('supervisor');
    }
    if (this.endpoints instanceof BaselineHostEndpoints) this.endpoints.wire(this.pool.slots, this.workers);
    await this.pool.start();
    this.endpoints.start();
    this.watchdog.start();
    this.runState.markRunning();
  }

  /** The worker slots: tests watch a replacement through them (test/runtime/regressions.test.ts). */
  private get slots(): readonly WorkerSlot[] {
    return this.pool.slots;
  }

  /** Called after a worker has been replaced (tests and the CLI use it to report). */
  onWorkerReplaced(listener: (thread: number) => void): void {
    this.watchdog.onWorkerReplaced(listener);
  }

  // ---------------------------------------------------------------- peer threads (the API thread)

  /** Let a peer thread (the API thread) join the bus at `thread` (supervisor/peers.ts). */
  joinPeer(thread: number, port: MessagePort, endpointName: string): PeerJoin {
    return this.peers.join(thread, port, endpointName);
  }

  /** A peer thread left (the API thread stopped): its endpoint is closed. */
  leavePeer(thread: number, endpointName: string): void {
    this.peers.leave(thread, endpointName);
  }

  // ---------------------------------------------------------------- agents

  /** Messages an agent handled and failed (trap, handler error, time-out), from the bus counters. */
  agentCounts(name: string, withDepth = true): { handled: number; failed: number; mailboxDepth: number } {
    return this.statsReader.agentCounts(this.agents.mustAgent(name), withDepth);
  }

  /**
   * Deploy one or many agents. Validation happens first (nothing is placed
   * if any spec is invalid); then each worker gets one batch. Agents whose
   * init fails are removed again and reported in the thrown error.
   */
  deploy(specs: AgentSpec | AgentSpec[]): Promise<AgentInfo[]> {
    return this.agents.deploy(specs);
  }

  /** Stop an agent: it keeps its name and slot but refuses messages; those already on their way are dead-lettered. */
  stop(name: string): Promise<AgentInfo> {
    return this.agents.stop(name);
  }

  /** Start a stopped agent again (a fresh instance, init runs again). */
  start(name: string): Promise<AgentInfo> {
    return this.agents.start(name);
  }

  /** Remove an agent: its name is free again; messages still on their way to it are dead-lettered. */
  remove(name: string): Promise<void> {
    return this.agents.remove(name);
  }

  list(): AgentInfo[] {
    return this.agents.list();
  }

  get(name: string): AgentInfo {
    return this.agents.get(name);
  }

  // ---------------------------------------------------------------- endpoints and messages

  /**
   * A named mailbox on the supervisor thread: agents can look it up and send
   * to it like to any agent. The handler gets a copy of each frame.
   */
  openEndpoint(name: string, handler: (frame: Uint8Array) => void): Endpoint {
    return this.endpoints.open(name, handler);
  }

  /** Send a message from the host to an agent (or endpoint). Returns the message id. */
  send(msg: OutgoingMessage, from?: Endpoint | EndpointRecord): { messageId: string } {
    return this.endpoints.send(msg, from);
  }

  /**
   * Request-reply: send and wait for the first message whose in-reply-to is
   * this message's id. The conversation id is generated when not given.
   */
  request(msg: OutgoingMessage, timeoutMs?: number): Promise<DecodedFrame> {
    return this.endpoints.request(msg, timeoutMs);
  }

  /**
   * Send a FIPA ACL message (the JSON model of docs/fipa.md, validated first):
   * one frame per receiver. Returns the message ids.
   */
  sendAcl(message: unknown, from?: Endpoint | EndpointRecord): { messageIds: string[] } {
    return this.acl.sendAcl(message, from);
  }

  /** The FIPA ACL view of a frame an endpoint received. */
  toAcl(frame: Uint8Array | DecodedFrame): AclMessage {
    return this.acl.toAcl(frame);
  }

  /** Run a Contract Net task (docs/fipa.md); resolves with the outcome and transcript. */
  contractNet(req: ContractNetRequest): Promise<ContractNetOutcome> {
    return this.services.contractNet(req);
  }

  /** Name of the agent or endpoint at a slot (for reports). */
  nameOf(slot: number): string {
    return this.registry.nameOf(slot);
  }

  /** Every name with its slot, as the name tables of workers and peers hold them. */
  names(): [string, number][] {
    return this.registry.names();
  }

  // ---------------------------------------------------------------- dead letters, stats

  /** What an earlier run accepted and never finished (its journal): LOST_IN_CRASH letters, counted in stats().lostInCrash. */
  recordLostInCrash(letters: readonly LostLetter[]): void {
    this.deadLetters.recordLost(letters);
  }

  /** Durable messages of an earlier run sent again at this start: stats().redelivered. */
  countRedelivered(n: number): void {
    this.deadLetters.redelivered += n;
  }

  /** The most recent dead letters (oldest first); `stats().deadLettered` counts every one ever. */
  listDeadLetters(limit?: number): DeadLetter[] {
    return this.deadLetters.list(limit);
  }

  /**
   * What /metrics and OTel metrics show beyond stats() (supervisor/stats.ts).
   * Worker utilisation is busy time / wall time since `reader`'s previous
   * snapshot (since start for its first); without a reader, since start.
   */
  metricsSnapshot(reader?: MetricsReader): RuntimeMetrics {
    return { ...this.statsReader.metricsSnapshot(reader), tools: this.tools.metrics() };
  }

  stats(): RuntimeStats {
    return this.statsReader.stats();
  }

  /** Resolve when nothing is in flight (or reject after timeoutMs). */
  /**
   * Virtual clock only (option `virtualClock`): move the agents' time on by
   * `ms` and resolve once every worker has fired the timers due by then
   * (their handlers have run and their sends are on the bus). Returns the
   * new time, epoch ms.
   */
  async advanceClock(ms: number): Promise<number> {
    if (!this.clockCell) throw new InvalidArgumentError('advanceClock', 'needs a runtime started with the virtualClock option', 'Start the runtime with { virtualClock: true } (the test kit does: caxton/testing).');
    const now = advanceTimeCell(this.clockCell, ms);
    await this.pool.everyWorker((reqId) => ({ type: 'clock', reqId }));
    return now;
  }

  /** Virtual clock only: the agents' time now, epoch ms. */
  clockNow(): number {
    if (!this.clockCell) return Date.now();
    return advanceTimeCell(this.clockCell, 0);
  }

  async waitIdle(timeoutMs = 10_000): Promise<RuntimeStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.stats();
      // Idle = nothing in flight, no worker being replaced, and every dead
      // letter counted on the bus has its record here (so listDeadLetters()
      // is complete when waitIdle resolves).
      if (s.inFlight === 0 && this.deadLetters.recorded >= s.deadLettered && !this.pool.replacing) return s;
      if (Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  serverInfo(): { uptimeSeconds: number; workers: number; agents: number; abiVersion: number; performatives: readonly string[] } {
    return { uptimeSeconds: (Date.now() - this.startedAt) / 1000, workers: this.workers, agents: this.registry.agents().length, abiVersion: ABI_VERSION, performatives: PERFORMATIVES };
  }

  /**
   * Graceful shutdown: refuse new work, wait until every accepted message is
   * delivered or dead-lettered (up to drainTimeoutMs), then stop the workers.
   */
  async shutdown(drainTimeoutMs = 10_000): Promise<{ drained: boolean; stats: RuntimeStats }> {
    if (this.runState.stopped) return { drained: true, stats: this.stats() };
    this.runState.markDraining();
    const stats = await this.waitIdle(drainTimeoutMs);
    this.runState.markStopped();
    this.watchdog.stop();
    await this.tools.stop();
    await this.tools.tracing?.shutdown().catch(() => undefined);
    await this.pool.stopHosts();
    // The workers have sent their last span batches: export them.
    await this.spanExport?.shutdown();
    this.endpoints.stop();
    await this.pool.destroy();
    // A storm's summary still pending is written now, not lost.
    this.deadLetters.flushLog();
    this.logger.flush();
    return { drained: stats.inFlight === 0, stats };
  }
}
