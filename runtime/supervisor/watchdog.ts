/**
 * The watchdog: samples each worker's watchdog marks (bus/layout.ts T_WD_*)
 * on a timer and replaces a worker whose agent call ran past its time limit,
 * or whose host task failed: the thread is terminated, the message it was
 * stuck on dead-lettered, and a fresh host takes the same thread index with
 * the same agents.
 *
 * With interrupt checks on (the default: runtime/module/interrupts.ts) a
 * call past its limit is ended inside the worker and only that agent is
 * restarted; the worker reports it (agentTimedOut) and the watchdog waits
 * BACKSTOP_GRACE_MS longer before it replaces a worker, for what the checks
 * cannot reach. Either way an agent that times out again and again is
 * marked failed.
 */
import type { Bus } from '../../bus/shared.js';
import { RingConsumer } from '../../bus/ring.js';
import type { RouterTable } from '../../bus/router.js';
import { AC_FAILED, AGENT_COUNTER_F64, FRAME_LENGTH, T_STAT_DEAD_LETTERED, T_STAT_PARKED, T_WD_CURRENT, T_WD_PROGRESS, T_WD_RING } from '../../bus/layout.js';
import { AgentInitFailedError, DeadLetterReason } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { ResolvedRuntimeOptions } from '../types.js';
import type { Agents } from './agents.js';
import type { DeadLetters } from './dead-letters.js';
import type { Kinds } from './kinds.js';
import { isAgent, type AgentRecord, type Registry } from './registry.js';
import type { RunState } from './run-state.js';
import type { PendingRequest, WorkerPool, WorkerSlot } from './worker-pool.js';

/** an agent that times out this many times within the window is marked failed */
const MAX_TIMEOUTS_IN_WINDOW = 3;
const TIMEOUT_WINDOW_MS = 60_000;
/** with interrupt checks on, a worker is replaced only this long (or the limit, if longer) after the limit passed */
const BACKSTOP_GRACE_MS = 1000;

export interface WatchdogDeps {
  bus: Bus;
  router: RouterTable;
  registry: Registry;
  pool: WorkerPool;
  kinds: Kinds;
  /** puts the agents back on a fresh worker */
  agents: Agents;
  deadLetters: DeadLetters;
  runState: RunState;
  logger: Logger;
}

export type WatchdogOptions = Pick<ResolvedRuntimeOptions, 'watchdogIntervalMs' | 'transport' | 'defaults' | 'interruptChecks'>;

export class Watchdog {
  private readonly options: WatchdogOptions;
  private readonly bus: Bus;
  private readonly router: RouterTable;
  private readonly registry: Registry;
  private readonly pool: WorkerPool;
  private readonly kinds: Kinds;
  private readonly agents: Agents;
  private readonly deadLetters: DeadLetters;
  private readonly runState: RunState;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private readonly restartListeners: ((thread: number) => void)[] = [];

  constructor(options: WatchdogOptions, deps: WatchdogDeps) {
    this.options = options;
    this.bus = deps.bus;
    this.router = deps.router;
    this.registry = deps.registry;
    this.pool = deps.pool;
    this.kinds = deps.kinds;
    this.agents = deps.agents;
    this.deadLetters = deps.deadLetters;
    this.runState = deps.runState;
    this.logger = deps.logger;
  }

  /** workers replaced so far */
  get workerRestarts(): number {
    return this.restarts;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.watchdogIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Called after a worker has been replaced (tests and the CLI use it to report). */
  onWorkerReplaced(listener: (thread: number) => void): void {
    this.restartListeners.push(listener);
  }

  private check(): void {
    const now = performance.now();
    const i32 = this.bus.i32;
    for (let t = 1; t <= this.pool.workers; t++) {
      const slot = this.pool.slots[t]!;
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
      const grace = this.options.interruptChecks ? Math.max(limit, BACKSTOP_GRACE_MS) : 0;
      if (now - slot.progressSince > limit + grace) {
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
  async replaceWorker(slot: WorkerSlot, cause: 'timeout' | 'crash', why: string): Promise<void> {
    if (slot.restarting || this.runState.stopped) return;
    if (this.options.transport === 'postmessage') {
      // The postMessage transport exists only as the benchmark's baseline;
      // its channels are wired once at boot, so a lost worker stays lost.
      this.logger.error({ worker: slot.thread }, `worker lost under the postMessage baseline transport (not replaced): ${why}`);
      return;
    }
    slot.restarting = true;
    this.restarts++;
    slot.abort.abort(new Error(why));
    await slot.closed;
    if (this.runState.stopped) return;
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
      this.deadLetters.record({ frame: new Uint8Array(0), reason: DeadLetterReason.WORKER_LOST, detail: `${unrecorded} dead letter(s) of worker ${t} were counted but their records were lost with it`, at: Date.now(), agent: '*', count: unrecorded }, slot);
    }
    const ring = i32[base + T_WD_RING]!;
    const deadLetter = (reason: DeadLetterReason, detail: string, frame: Uint8Array, count = 1): void => {
      f64[stats + T_STAT_DEAD_LETTERED] = f64[stats + T_STAT_DEAD_LETTERED]! + count;
      this.deadLetters.record({ frame, reason, detail, at: Date.now(), agent: stuckName, count }, slot);
    };
    if (current !== 0 && ring >= 0) {
      // The frame the call was handling is still at the head of its ring
      // (T_WD_RING holds its ring index, producer * threads + consumer: bus/layout.ts ringIndex).
      const c = new RingConsumer(this.bus, Math.floor(ring / this.bus.layout.threads), t);
      const off = c.peek();
      if (off >= 0) {
        const len = i32[(off + FRAME_LENGTH) >> 2]!;
        deadLetter(cause === 'timeout' ? DeadLetterReason.AGENT_TIMEOUT : DeadLetterReason.WORKER_LOST, why, this.bus.u8.slice(off, off + len));
        // The message failed for the stuck agent: counted as the worker counts a trap or time-out (AC_FAILED).
        if (stuckSlot >= 0) f64[(this.bus.layout.agentCountersOffset >> 3) + stuckSlot * AGENT_COUNTER_F64 + AC_FAILED]! += 1;
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
      stuck.restarts++;
      if (this.noteTimeout(stuck, why) || stuck.state === 'starting') giveUp = stuck;
    }
    if (giveUp) this.markFailed(giveUp, why);
    await this.pool.startWorker(slot);
    if (this.runState.stopped) return;
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
    for (const a of agents) {
      // Its neighbours lost their instances with the thread: each shows the restart in its own counters.
      if (a !== stuck && a.state === 'running') {
        a.restarts++;
        a.lastError = `restarted on a new worker ${t}: the old one was replaced (${why})`;
      }
      a.state = 'starting';
    }
    this.pool.sendNames(slot);
    if (agents.length) await this.agents.placeOn(slot, agents);
    this.pool.sendStart(slot);
    for (const p of pending) {
      if (p.message.type === 'deploy') for (const a of p.message.agents) this.pool.ensureKindOn(slot, this.kinds.get(a.kindId)!);
      const reqId = (p.message as { reqId: number }).reqId;
      slot.pending.set(reqId, p);
      slot.port.postMessage(p.message);
    }
    slot.lastProgress = -1;
    for (const l of this.restartListeners) l(t);
  }

  /**
   * A call of the agent at `slot` ran past its time limit and the interrupt
   * checks ended it; its worker has restarted it. One that keeps doing so is
   * marked failed and its instance dropped.
   */
  agentTimedOut(thread: number, slot: number, generation: number, why: string): void {
    const rec = this.registry.atSlot(slot);
    if (!rec || !isAgent(rec) || rec.generation !== generation || rec.state !== 'running') return;
    if (!this.noteTimeout(rec, why)) return;
    this.markFailed(rec, why);
    void this.pool.ask(this.pool.slots[thread]!, (reqId) => ({ type: 'remove', reqId, slots: [rec.slot], reason: DeadLetterReason.AGENT_STOPPED }));
  }

  /** Count a time-out (or crash) of the agent; true when it has had too many within the window. */
  private noteTimeout(rec: AgentRecord, why: string): boolean {
    const now = Date.now();
    rec.timeouts = rec.timeouts.filter((at) => now - at < TIMEOUT_WINDOW_MS);
    rec.timeouts.push(now);
    rec.lastError = why;
    return rec.timeouts.length >= MAX_TIMEOUTS_IN_WINDOW;
  }

  /**
   * An agent that hung or crashed while starting, or again and again, is not
   * put back (it would take its worker's time, or the worker and all its
   * neighbours, each time): it refuses new messages (AGENT_STOPPED) and
   * those already queued are dead-lettered.
   */
  private markFailed(rec: AgentRecord, why: string): void {
    const starting = rec.state === 'starting';
    rec.state = 'failed';
    rec.lastError = starting
      ? `did not finish starting within its ${rec.timeLimitMs} ms time limit`
      : `stopped after ${rec.timeouts.length} time-outs or crashes within ${TIMEOUT_WINDOW_MS / 1000} s: ${why}`;
    this.router.set(rec.slot, rec.thread, rec.generation, true);
    this.logger.error({ agent: rec.name, worker: rec.thread }, `agent marked failed: ${rec.lastError}`);
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
}
