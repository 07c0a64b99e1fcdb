/**
 * The authoritative agent registry (supervisor only): name -> slot, slot ->
 * record, slot allocation with generations. Workers see only the router table
 * and a name map pushed to them; this is the one place that decides.
 */
import { ROUTE_MAX_GENERATION } from '../../bus/layout.js';
import { TooManyAgentsError } from '../errors.js';

export type AgentState = 'starting' | 'running' | 'stopped' | 'failed' | 'removing';

export interface AgentRecord {
  readonly name: string;
  readonly slot: number;
  readonly generation: number;
  thread: number;
  readonly kindId: string;
  readonly config: Uint8Array;
  readonly configValue: unknown;
  readonly memoryPages: number;
  readonly timeLimitMs: number;
  readonly mailbox: number;
  readonly maxSendsPerSecond: number;
  state: AgentState;
  restarts: number;
  lastError: string | undefined;
  /** when the watchdog stopped it recently (ms since epoch) */
  timeouts: number[];
  /** times its worker throttled it for sending past maxSendsPerSecond */
  throttled: number;
  readonly createdAt: number;
  /** the deploy spec's limits and capabilities as requested (before rounding to pages) */
  readonly requested: RequestedSpec;
  /** the tools it may call through $mcp: server/tool, server/* or * (runtime/tools/spec.ts) */
  readonly tools: readonly string[];
}

export interface RequestedSpec {
  capabilities: string[];
  tools: string[];
  memoryLimitBytes?: number;
  timeLimitMs?: number;
  mailbox?: number;
  maxSendsPerSecond?: number;
  worker?: number;
}

export interface EndpointRecord {
  readonly name: string;
  readonly slot: number;
  readonly generation: number;
  readonly handler: (frame: Uint8Array) => void;
}

/** Tell every thread that keeps a name table (workers, peers) of names added and removed. */
export type AnnounceNames = (add: [string, number][], remove: string[]) => void;

export class Registry {
  private readonly byName = new Map<string, AgentRecord | EndpointRecord>();
  private readonly bySlot: (AgentRecord | EndpointRecord | undefined)[] = [];
  private readonly generations: Uint32Array;
  private readonly free: number[] = [];
  private nextSlot = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.generations = new Uint32Array(capacity);
  }

  /** Reserve a slot and the generation its next occupant gets. */
  allocate(): { slot: number; generation: number } {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.nextSlot >= this.capacity) throw new TooManyAgentsError(this.capacity, 'every agent slot is in use');
      slot = this.nextSlot++;
    }
    let g = this.generations[slot]! + 1;
    if (g > ROUTE_MAX_GENERATION) g = 1;
    this.generations[slot] = g;
    return { slot, generation: g };
  }

  add(rec: AgentRecord | EndpointRecord): void {
    this.byName.set(rec.name, rec);
    this.bySlot[rec.slot] = rec;
  }

  /** Give a slot back (its generation moves on at the next allocate). */
  release(slot: number): void {
    const rec = this.bySlot[slot];
    if (rec) this.byName.delete(rec.name);
    this.bySlot[slot] = undefined;
    this.free.push(slot);
  }

  get(name: string): AgentRecord | EndpointRecord | undefined {
    return this.byName.get(name);
  }

  agent(name: string): AgentRecord | undefined {
    const r = this.byName.get(name);
    return r && isAgent(r) ? r : undefined;
  }

  atSlot(slot: number): AgentRecord | EndpointRecord | undefined {
    return this.bySlot[slot];
  }

  /** Name of the agent or endpoint at a slot (for reports). */
  nameOf(slot: number): string {
    return this.bySlot[slot]?.name ?? `slot ${slot}`;
  }

  agents(): AgentRecord[] {
    const out: AgentRecord[] = [];
    for (const r of this.byName.values()) if (isAgent(r)) out.push(r);
    return out;
  }

  /** Every name (agents and host endpoints) with its slot. */
  names(): [string, number][] {
    return [...this.byName.values()].map((r) => [r.name, r.slot]);
  }

  onThread(thread: number): AgentRecord[] {
    return this.agents().filter((a) => a.thread === thread);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get size(): number {
    return this.byName.size;
  }
}

export function isAgent(r: AgentRecord | EndpointRecord): r is AgentRecord {
  return 'kindId' in r;
}
