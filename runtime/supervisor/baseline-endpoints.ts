/**
 * BENCHMARK ONLY: the supervisor's side of the postMessage baseline that
 * `caxton bench` measures the bus against (runtime/host/baseline-host.ts is
 * the workers' side). Frames between the supervisor and a worker travel as
 * one structured-clone message each over a MessageChannel, instead of
 * through the rings. A server never runs it: Runtime builds it only with
 * `transport: 'postmessage'`.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { T_STAT_BASELINE_SENT } from '../../bus/layout.js';
import { HostEndpoints, SUPERVISOR } from './endpoints.js';
import type { WorkerSlot } from './worker-pool.js';

export class BaselineHostEndpoints extends HostEndpoints {
  /** the supervisor's port towards each worker, by thread index */
  private readonly ports: (MessagePort | undefined)[] = [];

  /** A MessageChannel between every pair of threads; the workers get theirs with their host task. */
  wire(slots: readonly (WorkerSlot | undefined)[], workers: number): void {
    for (let a = 0; a <= workers; a++) {
      for (let b = a + 1; b <= workers; b++) {
        const { port1, port2 } = new MessageChannel();
        if (a === SUPERVISOR) {
          this.ports[b] = port1;
          port1.on('message', (frame: Uint8Array) => this.deliverToEndpoint(frame));
          port1.unref();
        } else {
          slots[a]!.baselinePeers[b] = port1;
        }
        slots[b]!.baselinePeers[a] = port2;
      }
    }
  }

  protected override sendFrame(thread: number, frame: Uint8Array, performative: number, to: string): void {
    if (thread === SUPERVISOR) {
      super.sendFrame(thread, frame, performative, to);
      return;
    }
    this.ports[thread]!.postMessage(frame);
    this.f64[this.stat + T_STAT_BASELINE_SENT] = this.f64[this.stat + T_STAT_BASELINE_SENT]! + 1;
  }

  override stop(): void {
    super.stop();
    for (const p of this.ports) p?.close();
  }
}
