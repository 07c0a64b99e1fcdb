/**
 * The worker host: one long-lived piscina task per worker thread
 * (runtime/host/task.ts starts it). It hosts many WASM agent instances and
 * runs the drain loop: take frames from this thread's inbound rings, copy
 * each into its agent's memory, call `caxton_handle`, and let what the agent
 * sends go out in one batch when the call returns.
 *
 * Its parts, one file each in this folder: the agents it hosts
 * (hosted-agent.ts), making their instances (instance.ts), the host
 * functions they import (host-imports.ts), the call in progress
 * (current-call.ts), the protocol guard (protocol-guard.ts), traps and
 * restarts with back-off (recovery.ts), and what it reports to the
 * supervisor (reports.ts). The rings, the pump and the counters come from
 * its base, BusPeer (bus/peer.ts).
 *
 * Hot-path rules (see docs/architecture.md):
 * - no allocation per message: frames are copied word by word between the bus
 *   and agent memories through typed arrays made once;
 * - branches are decided at construction (tracing, debug logging, handle
 *   timing; the postMessage baseline is a subclass, baseline-host.ts);
 * - a handler's sends become visible when the handler returns (the touched
 *   rings are published then), and are rolled back if it traps, so a failed
 *   call has no effects;
 * - the consumed frame is released only after the sends it caused are
 *   published, so a worker killed mid-call loses nothing that was accepted.
 */
import type { MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Bus } from '../../bus/shared.js';
import type { RingConsumer } from '../../bus/ring.js';
import { BusPeer } from '../../bus/peer.js';
import { routeGeneration, routeStopped } from '../../bus/router.js';
import { ConversationNames } from '../../bus/conversation-names.js';
import { ConversationTap } from '../../bus/tap.js';
import { NameTable } from '../../bus/names.js';
import * as layout from '../../bus/layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  AC_FAILED, AC_HANDLED, AGENT_COUNTER_F64, FLAG_TRACE_SAMPLED, HANDLE_BUCKETS, HANDLE_TIMING_SAMPLE, M_BUSY_MS,
  M_HANDLE_BUCKET, M_HANDLE_SUM_US, PERFORMATIVES, T_STAT_AGENTS, T_STAT_SYNTHESIZED, T_WD_CURRENT,
  T_WD_PROGRESS, T_WD_RING, W_CONV_HI, W_CONV_LO, W_DST, W_DST_GEN, W_FLAGS_SHIFT, W_LENGTH,
  W_PERFORMATIVE_SHIFT, W_PROTOCOL, W_SRC, W_TRACE, W_VERSION,
} = layout;
import { IDLE_FLUSH_MS, MAX_AGE_MS, SpanRecorder } from '../observability/span-recorder.js';
import { AgentInitFailedError, DeadLetterReason, type SerializedError } from '../errors.js';
import type { FromWorker, HostTaskInput, ToWorker } from '../thread-messages.js';
import { AgentState, HostedAgent, type Kind } from './hosted-agent.js';
import { CurrentCall, NO_FRAME } from './current-call.js';
import { HostImports, type ImportsHost } from './host-imports.js';
import { WasiImports } from './wasi.js';
import { realClock, VirtualClock, type AgentClock } from './agent-clock.js';
import { createMemory, instantiateAgent } from './instance.js';
import { ProtocolGuard, type GuardHost } from './protocol-guard.js';
import { CallInterrupted, Recovery, TIMED_OUT, TRAPPED, type RecoveryHost } from './recovery.js';
import { Reports } from './reports.js';
import { SendBudget, sendsPerTick, TICK_MS } from './send-budget.js';

/** frames taken from one inbound ring per pass (fair between producers) */
const FRAMES_PER_RING = 64;

export class WorkerHost extends BusPeer implements ImportsHost, GuardHost, RecoveryHost {
  readonly call = new CurrentCall();
  readonly guard: ProtocolGuard;
  readonly reports: Reports;
  /** send budgets: who is throttled until the next tick */
  readonly budget: SendBudget;
  protected readonly port: MessagePort;
  /** the `caxton` import functions, shared by every instance on this thread */
  protected readonly imports: HostImports;
  /** the capability-free WASI preview 1 of agent ABI 2 (wasi.ts) */
  protected readonly wasi: WasiImports;
  /** what agents' time and timers run on: real, or the test kit's virtual clock (agent-clock.ts) */
  readonly clock: AgentClock;
  protected readonly recovery: Recovery;
  /** agents hosted here, by slot */
  protected readonly agents: (HostedAgent | undefined)[] = [];
  private readonly kinds = new Map<string, Kind>();
  private readonly names = new NameTable();
  // watchdog marks in this thread's block (i32 indices)
  private readonly wdCurrent: number;
  private readonly wdProgress: number;
  private readonly wdRing: number;
  /** trace id (4 words) + this thread's handling span id (2 words), when the message is sampled */
  private readonly spanWords = new Int32Array(6);
  /** undefined = tracing off: sampled flags are passed on untouched (runtime/observability/span-recorder.ts) */
  private readonly spans: SpanRecorder | undefined;
  private readonly spanPort: MessagePort | undefined;
  /** debug level: one line per handled message (decided once; the level is fixed for the run) */
  private readonly logMessages: boolean;
  /**
   * The handle-time histogram times one caxton_handle call in 16: two clock
   * reads per message cost about 15 % of the throughput benchmark, one
   * call in 16 costs too little to measure, and the quantiles stay the same.
   * CAXTON_HANDLE_TIMING=all times every call, =off none (to measure the cost).
   */
  private readonly timeHandles: boolean;
  private readonly timeMask: number;
  private handleSeq = 0;
  /** f64 index of the per-agent counters (handled, failed), one entry per slot */
  private readonly agentCounters: number;
  private synthesized: number;
  /** copies frames of streamed conversations to the API thread (bus/tap.ts) */
  private readonly tap: ConversationTap;
  private finished!: () => void;
  readonly done: Promise<void>;

  constructor(input: HostTaskInput) {
    super(new Bus(input.bus), input.thread, {
      spinMicros: input.options.spinMicros, maxSleepMs: input.options.maxSleepMs, adaptiveSpin: input.options.adaptiveSpin,
      framesPerRing: FRAMES_PER_RING, drainBudget: input.options.drainBudget, maxPasses: Infinity,
    });
    this.port = input.port as unknown as MessagePort;
    this.clock = input.options.virtualClock ? new VirtualClock(input.options.virtualClock) : realClock;
    const t32 = this.bus.threadI32(this.thread);
    this.wdCurrent = t32 + T_WD_CURRENT;
    this.wdProgress = t32 + T_WD_PROGRESS;
    this.wdRing = t32 + T_WD_RING;
    this.synthesized = this.f64[this.stat + T_STAT_SYNTHESIZED]!;
    this.agentCounters = this.bus.layout.agentCountersOffset >> 3;
    this.reports = new Reports((m) => this.post(m));
    this.budget = new SendBudget((agent) => this.resume(agent));
    this.guard = new ProtocolGuard(this, this);
    this.recovery = new Recovery(this, this);
    this.imports = new HostImports(this, this, input.options.maxFrameBytes);
    this.wasi = new WasiImports(this.call, this.clock, (agent, level, text) => this.imports.logText(agent, level, text));
    this.logMessages = input.options.logLevel <= 20;
    const spanPort = input.spans as unknown as MessagePort | undefined;
    this.spanPort = spanPort;
    this.spans = spanPort ? new SpanRecorder(this.thread, (batch) => spanPort.postMessage(batch)) : undefined;
    this.timeHandles = process.env.CAXTON_HANDLE_TIMING !== 'off';
    this.timeMask = process.env.CAXTON_HANDLE_TIMING === 'all' ? 0 : HANDLE_TIMING_SAMPLE - 1;
    this.tap = new ConversationTap(this.bus, this.thread, this.producers);
    this.call.names = new ConversationNames(this.bus);
    this.done = new Promise((resolve) => { this.finished = resolve; });
  }

  run(): Promise<void> {
    this.port.on('message', (m: ToWorker) => this.control(m));
    // The rings are drained only after 'start': a replacement worker must
    // first get its agents back, or their waiting messages would look
    // addressed to nobody.
    this.post({ type: 'ready', thread: this.thread });
    return this.done;
  }

  post(m: FromWorker): void {
    this.port.postMessage(m);
  }

  // ---------------------------------------------------------------- control

  private control(m: ToWorker): void {
    switch (m.type) {
      case 'kind':
        this.kinds.set(m.kindId, { module: m.module, memoryMinPages: m.memoryMinPages, hasTimer: m.hasTimer, initialize: m.initialize, abi2Uses: m.abi2Uses });
        break;
      case 'names':
        this.names.apply(m.add, m.remove);
        break;
      case 'deploy': {
        const results = m.agents.map((p) => {
          const kind = this.kinds.get(p.kindId);
          if (!kind) return { slot: p.slot, error: { code: 'WORKER_FAILED', message: `kind ${p.kindId} not loaded`, hint: 'internal error', details: {} } };
          const agent = new HostedAgent(p, kind, sendsPerTick(p.maxSendsPerSecond));
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
      case 'clock':
        // The virtual time moved: due timers fire now, then the supervisor hears that they have.
        this.clock.fireDue();
        this.post({ type: 'clock-done', reqId: m.reqId });
        break;
      case 'start':
        this.pump.start();
        break;
      case 'shutdown':
        this.pump.stop();
        for (const a of this.agents) a?.clearTimers(this.clock);
        this.flush();
        // Spans still batched go to the export thread, then its port closes (it waits for that).
        this.spans?.flush();
        this.spanPort?.close();
        this.port.close();
        this.onShutdown();
        this.finished();
        break;
    }
  }

  /** Last step of a shutdown (the baseline closes its ports). */
  protected onShutdown(): void {}

  agentAt(slot: number): HostedAgent | undefined {
    return this.agents[slot];
  }

  hosts(agent: HostedAgent): boolean {
    return this.agents[agent.slot] === agent;
  }

  slotOf(name: string): number | undefined {
    return this.names.slotOf(name);
  }

  nameOf(slot: number): string {
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
    agent.clearTimers(this.clock);
    this.guard.forget(agent.slot);
    this.recovery.dropParked(agent, reason);
    this.agents[slot] = undefined;
  }

  // ---------------------------------------------------------------- instances

  /**
   * Create (or re-create) the agent's instance, check its ABI version and run
   * caxton_init (runtime/host/instance.ts). Returns the error, or undefined.
   * Everything the module runs runs under the watchdog, so a module that
   * never returns is stopped like any handler.
   */
  instantiate(agent: HostedAgent): SerializedError | undefined {
    agent.clearTimers(this.clock);
    agent.stdoutTail = agent.stderrTail = '';
    // A fresh instance remembers no conversation.
    this.guard.forget(agent.slot);
    const memoryError = createMemory(agent);
    if (memoryError) return memoryError;
    const call = this.call;
    const prev = call.agent;
    call.enterWithoutMessage(agent);
    this.watch(agent, -1);
    try {
      const started = instantiateAgent(agent, this.imports.object, this.wasi.object);
      if (started.error) return started.error;
      if (started.rc < 0) {
        this.rollbackSends();
        return new AgentInitFailedError(agent.name, `caxton_init returned ${started.rc}`).toJSON();
      }
      this.publishSends();
      agent.state = AgentState.Running;
      return undefined;
    } catch (e) {
      this.rollbackSends();
      const why = e instanceof CallInterrupted ? `did not finish starting within its ${e.limitMs} ms time limit` : `trapped while starting: ${(e as Error).message}`;
      return new AgentInitFailedError(agent.name, why).toJSON();
    } finally {
      this.unwatch();
      call.agent = prev;
    }
  }

  /**
   * Watchdog marks: plain stores, not Atomics. The supervisor samples them
   * every few milliseconds and only acts when the same call has been seen for
   * longer than a time limit, so it needs eventual visibility, not ordering;
   * plain stores keep two locked instructions off every message.
   */
  private watch(agent: HostedAgent, ring: number): void {
    this.call.seq = (this.call.seq + 1) | 0;
    const b32 = this.i32;
    b32[this.wdRing] = ring;
    b32[this.wdProgress] = (b32[this.wdProgress]! + 1) | 0;
    b32[this.wdCurrent] = agent.slot + 1;
  }

  private unwatch(): void {
    this.i32[this.wdCurrent] = 0;
  }

  // ---------------------------------------------------------------- drain loop

  /** One turn of the drain loop, timed for the worker's utilisation (two clock reads per batch, not per message). */
  protected override drain(): number {
    const startedAt = performance.now();
    const n = this.drainRings();
    if (this.reports.pending) this.flush();
    const endedAt = performance.now();
    this.f64[this.metrics + M_BUSY_MS]! += endedAt - startedAt;
    if (this.spans !== undefined) this.spans.flushIfOld(endedAt, MAX_AGE_MS);
    return n;
  }

  /** A worker about to sleep hands on its span batch (runtime/observability/span-recorder.ts). */
  protected override beforeSleep(): void {
    if (this.spans !== undefined) this.spans.flushIfOld(performance.now(), IDLE_FLUSH_MS);
  }

  protected deliverFrame(c: RingConsumer, off: number, len: number): void {
    const b32 = this.i32;
    const w = off >> 2;
    const slot = b32[w + W_DST]!;
    const agent = slot >= 0 && slot < this.router.size ? this.agents[slot] : undefined;
    if (agent === undefined || agent.generation !== b32[w + W_DST_GEN]) {
      // Off the hot path: tell a stopped agent from a removed one.
      const entry = this.router.lookup(slot);
      if (routeStopped(entry) && routeGeneration(entry) === b32[w + W_DST_GEN]) {
        this.deadLetterRing(off, len, this.nameOf(slot), DeadLetterReason.AGENT_STOPPED, 'the agent was stopped (or failed) before this message reached it');
      } else {
        this.deadLetterRing(off, len, agent ? agent.name : this.nameOf(slot), DeadLetterReason.AGENT_GONE, 'no agent of that generation lives here');
      }
    } else if ((b32[w + W_PROTOCOL]! & 0xff) !== 0 && !this.guard.allowsDelivery(agent, b32, w, off, len)) {
      // answered with not-understood (or recognised as late) and dead-lettered
    } else if (agent.state !== AgentState.Running) {
      this.recovery.park(agent, b32.slice(w, w + ((len + 3) >> 2)), c);
    } else {
      // Before the agent runs, so no send of its call is pending in the producers.
      if (this.tap.active) this.tap.offer(this.u8, off, len);
      const rc = this.handleMessage(agent, b32, w, len, c.ring);
      if (agent.overBudget) this.throttle(agent);
      if (rc === 0) {
        this.countDelivered();
        this.f64[this.agentCounters + slot * AGENT_COUNTER_F64 + AC_HANDLED]! += 1;
      } else {
        this.f64[this.agentCounters + slot * AGENT_COUNTER_F64 + AC_FAILED]! += 1;
        this.deadLetterRing(off, len, agent.name, this.failureReason(rc), this.failureDetail(rc));
      }
    }
  }

  /**
   * Let `agent` handle the frame at word `w` of `src` (the bus, or a private
   * copy): its trace context, span and log context are set around the call.
   * Returns the handler's code, or TRAPPED or TIMED_OUT.
   */
  private handleMessage(agent: HostedAgent, src: Int32Array, w: number, len: number, ring: number): number {
    // Post dead letters and logs before calling agent code: if this call
    // never returns, the watchdog kills the thread and they would be lost.
    if (this.reports.pending) this.flush();
    const head = src[w + W_VERSION]!;
    const perf = (head >>> W_PERFORMATIVE_SHIFT) & 0xff;
    const call = this.call;
    call.frameSrc = src;
    call.frameWord = w;
    // The message's trace context goes on to what the agent sends: as it
    // came when tracing is off or the message is not sampled, or with this
    // thread's span as the parent when it is sampled (span-recorder.ts).
    const spans = this.spans;
    call.traceFlags = (head >>> W_FLAGS_SHIFT) & FLAG_TRACE_SAMPLED;
    call.traceSrc = src;
    call.traceWord = w + W_TRACE;
    const recording = call.traceFlags !== 0 && spans !== undefined;
    if (recording) {
      spans.begin(src, w + W_TRACE, this.spanWords, src[w + W_CONV_LO]!, src[w + W_CONV_HI]!, perf, agent.name, this.nameOf(src[w + W_SRC]!));
      call.traceSrc = this.spanWords;
      call.traceWord = 0;
    }
    let rc: number;
    if (this.timeHandles && (++this.handleSeq & this.timeMask) === 0) {
      const startedAt = performance.now();
      rc = this.callHandler(agent, src, w, len, ring);
      this.observeHandleTime(performance.now() - startedAt);
    } else {
      rc = this.callHandler(agent, src, w, len, ring);
    }
    if (rc === 0) this.countHandled(perf);
    if (recording) spans.end(rc, rc === 0 ? '' : this.failureDetail(rc));
    if (this.logMessages) this.logHandled(agent, perf, rc);
    call.frameSrc = NO_FRAME;
    return rc;
  }

  /** Copy the frame into the agent's inbox and call caxton_handle. */
  private callHandler(agent: HostedAgent, src: Int32Array, w: number, len: number, ring: number): number {
    this.call.agent = agent;
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
      this.call.agent = undefined;
      return this.recovery.trap(agent, e);
    }
    this.unwatch();
    this.call.agent = undefined;
    this.publishSends();
    return rc | 0;
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

  /** Debug level only: one line per handled message. */
  private logHandled(agent: HostedAgent, perf: number, rc: number): void {
    const msg = rc === 0 ? `handled ${PERFORMATIVES[perf] ?? `unknown(${perf})`}` : rc === TRAPPED ? 'handler trapped' : rc === TIMED_OUT ? 'handler stopped at its time limit' : `handler returned ${rc}`;
    this.reports.log({ agent: agent.name, level: rc === 0 ? 20 : 40, msg, at: Date.now(), ...this.call.context((s) => this.nameOf(s)) });
  }

  /** The call returned: its sends become visible, one publish per ring it wrote to. */
  private publishSends(): void {
    this.publishAll();
    this.call.perfCount = 0;
  }

  rollbackSends(): void {
    this.rollbackAll();
    // The call's sends never happened: take them back out of "accepted".
    const call = this.call;
    const perfs = call.perfs;
    for (let i = 0; i < call.perfCount; i++) this.uncountAccepted(perfs[i]!);
    call.perfCount = 0;
  }

  /** A timer the agent set fired: run its caxton_on_timer, watched like a handler. */
  fireTimer(agent: HostedAgent, id: number, token: number): void {
    agent.timers.delete(id);
    if (agent.state === AgentState.Throttled && this.agents[agent.slot] === agent) {
      // Throttled: the timer fires again when the agent may be called.
      agent.timers.set(id, this.clock.setTimeout(() => this.fireTimer(agent, id, token), TICK_MS));
      return;
    }
    if (agent.state !== AgentState.Running || this.agents[agent.slot] !== agent || !agent.onTimer) return;
    this.call.enterWithoutMessage(agent);
    this.watch(agent, -1);
    try {
      agent.onTimer(token);
      this.unwatch();
      this.call.agent = undefined;
      this.publishSends();
      if (agent.overBudget) this.throttle(agent);
    } catch (e) {
      this.unwatch();
      this.call.agent = undefined;
      this.recovery.trap(agent, e);
    }
    this.flush();
  }

  /** The agent's call sent past its budget: it is not called until the next tick (send-budget.ts). */
  private throttle(agent: HostedAgent): void {
    this.budget.throttle(agent);
    if (agent.state === AgentState.Throttled) this.post({ type: 'agent-throttled', slot: agent.slot, generation: agent.generation });
  }

  /** A new tick: a throttled agent is called again, first with what waited for it. */
  private resume(agent: HostedAgent): void {
    if (this.agents[agent.slot] !== agent) return;
    agent.state = AgentState.Running;
    this.recovery.releaseParked(agent);
    this.flush();
  }

  /** Deliver a frame held in this thread's heap (parked for a restart, or made by the host). */
  protected deliverHeld(agent: HostedAgent, frame: Int32Array): void {
    const len = frame[W_LENGTH]!;
    if (this.tap.active) this.tap.offer(new Uint8Array(frame.buffer, frame.byteOffset, len), 0, len);
    const rc = this.handleMessage(agent, frame, 0, len, -1);
    if (agent.overBudget) this.throttle(agent);
    const counters = this.agentCounters + agent.slot * AGENT_COUNTER_F64;
    if (rc === 0) {
      this.countDelivered();
      this.f64[counters + AC_HANDLED]! += 1;
      return;
    }
    this.f64[counters + AC_FAILED]! += 1;
    this.deadLetterCopy(frame, agent.name, this.failureReason(rc), this.failureDetail(rc));
  }

  /** Why a call that did not return 0 failed (off the hot path). */
  private failureReason(rc: number): DeadLetterReason {
    return rc === TRAPPED ? DeadLetterReason.AGENT_TRAPPED : rc === TIMED_OUT ? DeadLetterReason.AGENT_TIMEOUT : DeadLetterReason.HANDLER_FAILED;
  }

  private failureDetail(rc: number): string {
    return rc === TRAPPED || rc === TIMED_OUT ? this.recovery.lastTrap : `caxton_handle returned ${rc}`;
  }

  deliverParked(agent: HostedAgent, frame: Int32Array): void {
    this.deliverHeld(agent, frame);
  }

  /** A message the host made for `agent` (a reply-by failure): accepted now, then delivered or parked. */
  deliverSynthesized(agent: HostedAgent, frame: Int32Array): void {
    this.f64[this.stat + T_STAT_SYNTHESIZED] = ++this.synthesized;
    if (agent.state !== AgentState.Running) this.recovery.park(agent, frame);
    else this.deliverHeld(agent, frame);
    this.flush();
  }

  // ---------------------------------------------------------------- dead letters and logs

  deadLetterRing(off: number, len: number, agent: string, reason: DeadLetterReason, detail: string): void {
    this.reports.deadLetter({ frame: this.u8.slice(off, off + len), reason, detail, at: Date.now(), agent });
    this.countDeadLettered();
  }

  deadLetterCopy(frame: Int32Array, agent: string, reason: DeadLetterReason, detail: string): void {
    const len = frame[W_LENGTH]!;
    this.reports.deadLetter({ frame: new Uint8Array(frame.buffer, frame.byteOffset, len).slice(), reason, detail, at: Date.now(), agent });
    this.countDeadLettered();
  }

  /** A warning from the host about an agent, with the context of the message being handled. */
  warn(agent: HostedAgent, text: string): void {
    this.reports.log({ agent: agent.name, level: 40, msg: text, at: Date.now(), ...this.call.context((s) => this.nameOf(s)) });
  }

  flush(): void {
    this.reports.flush();
  }
}
