/**
 * BENCHMARK ONLY: the postMessage baseline that `caxton bench` measures the
 * bus against (docs/benchmarks.md). Frames travel between workers as one
 * structured-clone message each, over a MessageChannel per pair of threads,
 * instead of through the shared-memory rings; everything else (agents,
 * instances, traps) is the real worker host. A server never runs it: the
 * supervisor starts it only with `transport: 'postmessage'`.
 *
 * It is the same WorkerHost with two parts swapped: the `caxton.send`
 * import (sendByPostMessage) and the receiving end (the ports' listeners).
 */
import type { MessagePort } from 'node:worker_threads';
import { FRAME_HEADER_BYTES, SEND_BAD_FRAME, SEND_OK, SEND_TOO_LARGE, SEND_UNKNOWN_DESTINATION, T_STAT_BASELINE_SENT, W_DST, W_LENGTH, W_PARAMS_LENGTH } from '../../bus/layout.js';
import { routeThread } from '../../bus/router.js';
import { DeadLetterReason } from '../errors.js';
import type { HostTaskInput } from '../thread-messages.js';
import { AgentState } from './hosted-agent.js';
import { WorkerHost } from './worker-host.js';

export class BaselineWorkerHost extends WorkerHost {
  /** one port per other thread, by thread index */
  private readonly peers: (MessagePort | undefined)[] = [];
  private readonly maxFrame: number;
  private baselineSent: number;

  constructor(input: HostTaskInput) {
    super(input);
    this.maxFrame = input.options.maxFrameBytes;
    this.baselineSent = this.f64[this.stat + T_STAT_BASELINE_SENT]!;
    if (input.peers) for (const [t, p] of Object.entries(input.peers)) this.peers[Number(t)] = p as unknown as MessagePort;
    // Instances are made after construction (on 'deploy'): they get this send.
    this.imports.object.send = this.sendByPostMessage.bind(this);
  }

  override run(): Promise<void> {
    for (const p of this.peers) p?.on('message', (frame: Uint8Array) => this.deliverCopy(frame));
    return super.run();
  }

  protected override onShutdown(): void {
    for (const p of this.peers) p?.close();
  }

  /** caxton.send for the baseline: one structured-clone message per frame. */
  private sendByPostMessage(ptr: number, len: number): number {
    ptr >>>= 0;
    len >>>= 0;
    const agent = this.call.agent;
    if (agent === undefined) return SEND_BAD_FRAME;
    if (len > this.maxFrame) return SEND_TOO_LARGE;
    if (len < FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    if (agent.u8.length === 0) agent.refreshViews();
    if (ptr + len > agent.u8.length) return SEND_BAD_FRAME;
    const frame = agent.u8.slice(ptr, ptr + ((len + 3) & ~3));
    const f32 = new Int32Array(frame.buffer);
    if (f32[W_LENGTH] !== len || (f32[W_PARAMS_LENGTH]! >>> 0) > len - FRAME_HEADER_BYTES) return SEND_BAD_FRAME;
    const entry = this.router.lookup(f32[W_DST]!);
    if (entry === 0) return SEND_UNKNOWN_DESTINATION;
    this.imports.stamp(f32, 0, entry, agent);
    const thread = routeThread(entry);
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
      this.reports.scheduleFlush();
      return;
    }
    this.deliverHeld(agent, f32);
    if (this.reports.pendingDeadLetters) this.reports.scheduleFlush();
  }
}
