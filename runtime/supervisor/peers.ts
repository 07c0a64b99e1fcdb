/**
 * Peer threads: bus threads that are not agent workers (the API thread).
 * They get thread indices W+1..W+peerThreads, a mailbox endpoint, and the
 * name table on their control port; they read and write rings themselves,
 * so the supervisor is not on their message path.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RouterTable } from '../../bus/router.js';
import { AgentExistsError } from '../errors.js';
import type { ToWorker } from '../thread-messages.js';
import type { FromPeer, PeerJoin, ResolvedRuntimeOptions } from '../types.js';
import type { DeadLetters } from './dead-letters.js';
import { isAgent, type AnnounceNames, type Registry } from './registry.js';

export interface PeersDeps {
  registry: Registry;
  router: RouterTable;
  deadLetters: DeadLetters;
  announceNames: AnnounceNames;
}

export type PeersOptions = Pick<ResolvedRuntimeOptions, 'maxFrameBytes' | 'spinMicros' | 'maxSleepMs'>;

export class Peers {
  private readonly workers: number;
  private readonly peerThreads: number;
  private readonly options: PeersOptions;
  private readonly registry: Registry;
  private readonly router: RouterTable;
  private readonly deadLetters: DeadLetters;
  private readonly announceNames: AnnounceNames;
  /** peer threads (API thread): control ports that get name updates, by thread index */
  private readonly peerPorts = new Map<number, MessagePort>();

  constructor(workers: number, peerThreads: number, options: PeersOptions, deps: PeersDeps) {
    this.workers = workers;
    this.peerThreads = peerThreads;
    this.options = options;
    this.registry = deps.registry;
    this.router = deps.router;
    this.deadLetters = deps.deadLetters;
    this.announceNames = deps.announceNames;
  }

  /**
   * Let a peer thread (the API thread) join the bus at `thread`: it gets a
   * mailbox endpoint on its own thread (agents reply to it like to anyone),
   * the name table now and every change later on `port`, and reports its dead
   * letters on `port`. The peer reads and writes rings itself; the supervisor
   * is not on its message path.
   */
  join(thread: number, port: MessagePort, endpointName: string): PeerJoin {
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
      if (m.type === 'dead-letters') for (const r of m.records) this.deadLetters.record(r);
    });
    port.postMessage({ type: 'names', add: this.registry.names(), remove: [] } satisfies ToWorker);
    this.announceNames([[endpointName, slot]], []);
    return {
      thread, endpointSlot: slot, endpointGeneration: generation, maxFrameBytes: this.options.maxFrameBytes,
      spinMicros: this.options.spinMicros, maxSleepMs: this.options.maxSleepMs,
    };
  }

  /** A peer thread left (the API thread stopped): its endpoint is closed. */
  leave(thread: number, endpointName: string): void {
    const port = this.peerPorts.get(thread);
    if (!port) return;
    this.peerPorts.delete(thread);
    const rec = this.registry.get(endpointName);
    if (rec && !isAgent(rec)) {
      this.router.clear(rec.slot);
      this.registry.release(rec.slot);
      this.announceNames([], [endpointName]);
    }
  }

  /** Name changes, to every peer that has joined. */
  postNames(add: [string, number][], remove: string[]): void {
    for (const p of this.peerPorts.values()) p.postMessage({ type: 'names', add, remove } satisfies ToWorker);
  }
}
