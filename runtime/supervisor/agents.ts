/**
 * The agents' life cycle on the supervisor side: validating deploy specs and
 * their limits, choosing a worker, placing agents on it, and stopping,
 * starting and removing them. The registry holds the records; the router
 * table opens and closes their routes.
 */
import { msgpack } from '../../bus/frame.js';
import type { RouterTable } from '../../bus/router.js';
import { checkTables, WASM_PAGE } from '../module/abi.js';
import { checkAgentLimit } from '../limits.js';
import { checkAllowList } from '../tools/spec.js';
import {
  AgentExistsError, AgentNotFoundError, CaxtonError, DeadLetterReason, InvalidAgentSpecError, reviveError, TooManyAgentsError,
} from '../errors.js';
import type { Directory } from '../fipa/directory.js';
import type { AgentPlacement } from '../thread-messages.js';
import type { AgentInfo, AgentLimits, AgentSpec, ResolvedRuntimeOptions } from '../types.js';
import type { Kind, Kinds } from './kinds.js';
import { isAgent, type AgentRecord, type AnnounceNames, type Registry } from './registry.js';
import type { RunState } from './run-state.js';
import type { WorkerPool, WorkerSlot } from './worker-pool.js';

export interface AgentsDeps {
  registry: Registry;
  router: RouterTable;
  pool: WorkerPool;
  kinds: Kinds;
  directory: Directory;
  runState: RunState;
  announceNames: AnnounceNames;
  /** a new agent's slot starts with zero handled and failed messages (stats.ts) */
  resetCounters: (slot: number) => void;
}

export type AgentsOptions = Pick<ResolvedRuntimeOptions, 'defaults' | 'maxAgents' | 'maxInstances'>;

export class Agents {
  private readonly workers: number;
  private readonly options: AgentsOptions;
  private readonly registry: Registry;
  private readonly router: RouterTable;
  private readonly pool: WorkerPool;
  private readonly kinds: Kinds;
  private readonly directory: Directory;
  private readonly runState: RunState;
  private readonly announceNames: AnnounceNames;
  private readonly resetCounters: (slot: number) => void;

  constructor(workers: number, options: AgentsOptions, deps: AgentsDeps) {
    this.workers = workers;
    this.options = options;
    this.registry = deps.registry;
    this.router = deps.router;
    this.pool = deps.pool;
    this.kinds = deps.kinds;
    this.directory = deps.directory;
    this.runState = deps.runState;
    this.announceNames = deps.announceNames;
    this.resetCounters = deps.resetCounters;
  }

  private placement(a: AgentRecord): AgentPlacement {
    return { slot: a.slot, generation: a.generation, name: a.name, kindId: a.kindId, config: a.config, memoryPages: a.memoryPages, mailbox: a.mailbox, timeLimitMs: a.timeLimitMs, maxSendsPerSecond: a.maxSendsPerSecond };
  }

  /** Instantiate agents on one worker; sets their state from the answer. */
  async placeOn(slot: WorkerSlot, agents: AgentRecord[]): Promise<Map<number, CaxtonError | undefined>> {
    for (const a of agents) this.pool.ensureKindOn(slot, this.kinds.get(a.kindId)!);
    const reply = await this.pool.ask(slot, (reqId) => ({ type: 'deploy', reqId, agents: agents.map((a) => this.placement(a)) }));
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
    this.runState.assertRunning();
    const list = Array.isArray(specs) ? specs : [specs];
    const seen = new Set<string>();
    const prepared: { spec: AgentSpec; kind: Kind; limits: AgentLimits; config: Uint8Array; tools: string[] }[] = [];
    for (const spec of list) {
      if (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(spec.name)) {
        throw new InvalidAgentSpecError('name', `"${String(spec.name)}" must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
      }
      if (this.registry.has(spec.name) || seen.has(spec.name)) throw new AgentExistsError(spec.name);
      seen.add(spec.name);
      if (!(spec.module instanceof Uint8Array)) throw new InvalidAgentSpecError('module', 'must be the bytes of a .wasm file');
      const limits = this.limitsFor(spec);
      const kind = this.kinds.kindFor(spec.name, spec.module);
      const pages = Math.floor(limits.memoryLimitBytes / WASM_PAGE);
      if (pages < Math.max(kind.memoryMinPages, 1)) {
        throw new InvalidAgentSpecError('memoryLimitBytes', `(${limits.memoryLimitBytes}) is below the ${Math.max(kind.memoryMinPages, 1) * WASM_PAGE} bytes the module needs at start`);
      }
      checkTables(spec.name, kind.shape, limits.memoryLimitBytes);
      if (spec.worker !== undefined) checkAgentLimit('worker', spec.worker);
      if (spec.worker !== undefined && spec.worker > this.workers) {
        throw new InvalidAgentSpecError('worker', `must be a worker this server has, 1 to ${this.workers}, got ${spec.worker}`);
      }
      if (spec.capabilities !== undefined && (!Array.isArray(spec.capabilities) || !spec.capabilities.every((c) => typeof c === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/.test(c)))) {
        throw new InvalidAgentSpecError('capabilities', 'must be a list of names (letters, digits and . _ : / -, up to 128 characters each)');
      }
      const tools = checkAllowList(spec.tools);
      prepared.push({ spec, kind, limits, config: msgpack.pack(spec.config ?? null), tools });
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
      this.resetCounters(slot);
      const thread = p.spec.worker ?? this.leastLoaded(extra);
      extra[thread] = (extra[thread] ?? 0) + 1;
      const rec: AgentRecord = {
        name: p.spec.name, slot, generation, thread, kindId: p.kind.id, config: p.config, configValue: p.spec.config ?? null,
        memoryPages: Math.min(Math.floor(p.limits.memoryLimitBytes / WASM_PAGE), p.kind.memoryMaxPages ?? Infinity),
        timeLimitMs: p.limits.timeLimitMs, mailbox: p.limits.mailbox, state: 'starting', restarts: 0, lastError: undefined, timeouts: [],
        maxSendsPerSecond: p.limits.maxSendsPerSecond, throttled: 0,
        createdAt: Date.now(),
        tools: p.tools,
        requested: {
          capabilities: [...new Set(p.spec.capabilities ?? [])].sort(),
          tools: p.tools,
          ...(p.spec.memoryLimitBytes !== undefined ? { memoryLimitBytes: p.spec.memoryLimitBytes } : {}),
          ...(p.spec.timeLimitMs !== undefined ? { timeLimitMs: p.spec.timeLimitMs } : {}),
          ...(p.spec.mailbox !== undefined ? { mailbox: p.spec.mailbox } : {}),
          ...(p.spec.maxSendsPerSecond !== undefined ? { maxSendsPerSecond: p.spec.maxSendsPerSecond } : {}),
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
    this.announceNames(records.map((r) => [r.name, r.slot]), []);
    const results = await Promise.all([...byThread].map(([t, recs]) => this.placeOn(this.pool.slots[t]!, recs)));
    const failures: CaxtonError[] = [];
    for (const r of results) for (const err of r.values()) if (err) failures.push(err);
    if (failures.length) {
      const failed = records.filter((r) => r.state === 'failed');
      for (const r of failed) {
        this.directory.deregister(r.name);
        this.release(r);
      }
      this.announceNames([], failed.map((r) => r.name));
      throw failures[0]!;
    }
    return records.map((r) => this.info(r));
  }

  private limitsFor(spec: AgentSpec): AgentLimits {
    const d = this.options.defaults;
    const limits = { memoryLimitBytes: spec.memoryLimitBytes ?? d.memoryLimitBytes, timeLimitMs: spec.timeLimitMs ?? d.timeLimitMs, mailbox: spec.mailbox ?? d.mailbox, maxSendsPerSecond: spec.maxSendsPerSecond ?? d.maxSendsPerSecond };
    // One table of ranges (runtime/limits.ts) for every interface: a limit
    // past its range (1e300 ms) would wedge the watchdog or the worker.
    for (const field of ['memoryLimitBytes', 'timeLimitMs', 'mailbox', 'maxSendsPerSecond'] as const) checkAgentLimit(field, limits[field]);
    return limits;
  }

  private release(rec: AgentRecord): void {
    this.router.clear(rec.slot);
    this.registry.release(rec.slot);
  }

  /** Stop an agent: it keeps its name and slot but refuses messages; those already on their way are dead-lettered. */
  async stop(name: string): Promise<AgentInfo> {
    this.runState.assertRunning();
    const rec = this.mustAgent(name);
    if (rec.state === 'stopped') return this.info(rec);
    this.router.set(rec.slot, rec.thread, rec.generation, true);
    rec.state = 'stopped';
    await this.pool.ask(this.pool.slots[rec.thread]!, (reqId) => ({ type: 'remove', reqId, slots: [rec.slot], reason: DeadLetterReason.AGENT_STOPPED }));
    return this.info(rec);
  }

  /** Start a stopped agent again (a fresh instance, init runs again). */
  async start(name: string): Promise<AgentInfo> {
    this.runState.assertRunning();
    const rec = this.mustAgent(name);
    if (rec.state === 'running' || rec.state === 'starting') return this.info(rec);
    rec.state = 'starting';
    const res = await this.placeOn(this.pool.slots[rec.thread]!, [rec]);
    const err = res.get(rec.slot);
    if (err) throw err;
    return this.info(rec);
  }

  /** Remove an agent: its name is free again; messages still on their way to it are dead-lettered. */
  async remove(name: string): Promise<void> {
    this.runState.assertRunning();
    const rec = this.mustAgent(name);
    rec.state = 'removing';
    this.router.clear(rec.slot);
    this.announceNames([], [rec.name]);
    this.directory.deregister(rec.name);
    await this.pool.ask(this.pool.slots[rec.thread]!, (reqId) => ({ type: 'remove', reqId, slots: [rec.slot], reason: DeadLetterReason.AGENT_GONE }));
    this.registry.release(rec.slot);
  }

  list(): AgentInfo[] {
    return this.registry.agents().map((r) => this.info(r));
  }

  get(name: string): AgentInfo {
    return this.info(this.mustAgent(name));
  }

  mustAgent(name: string): AgentRecord {
    const rec = this.registry.agent(name);
    if (!rec) throw new AgentNotFoundError(name, this.registry.agents().map((r) => r.name));
    return rec;
  }

  private info(r: AgentRecord): AgentInfo {
    return {
      name: r.name, slot: r.slot, generation: r.generation, worker: r.thread, state: r.state, kind: r.kindId,
      memoryLimitBytes: r.memoryPages * WASM_PAGE, timeLimitMs: r.timeLimitMs, mailbox: r.mailbox, restarts: r.restarts,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      maxSendsPerSecond: r.maxSendsPerSecond, throttled: r.throttled,
      capabilities: this.directory.capabilitiesOf(r.name),
      tools: [...r.tools],
      config: r.configValue,
      requested: r.requested,
    };
  }
}
