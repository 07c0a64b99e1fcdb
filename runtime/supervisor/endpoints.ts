/**
 * Host endpoints: the supervisor thread's seat on the bus (thread 0). Named
 * mailboxes on this thread that agents look up and send to like to any agent
 * (`$requests` for replies to request(), `$host`, the services, those opened
 * with openEndpoint). This class owns the thread's rings, its pump and drain,
 * delivery to the endpoint handlers, sending frames (published in microtask
 * batches), request/reply waiting, the conversation tap, and the postMessage
 * baseline's ports.
 */
import { randomBytes } from 'node:crypto';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Bus } from '../../bus/shared.js';
import { RingConsumer, RingProducer } from '../../bus/ring.js';
import { routeGeneration, routeThread, type RouterTable } from '../../bus/router.js';
import { Pump } from '../../bus/pump.js';
import { ConversationTap } from '../../bus/tap.js';
import { decodeFrame, encodeFrame, idFromString, idToString, type DecodedFrame } from '../../bus/frame.js';
import {
  FLAG_TRACE_SAMPLED, FRAME_DST_GEN, FRAME_DST_SLOT, FRAME_LENGTH, FRAME_PERFORMATIVE, FRAME_REPLY_TO_HI, FRAME_REPLY_TO_LO,
  M_ACCEPTED, M_DELIVERED, PERFORMATIVE_CODE, PERFORMATIVES, T_DOORBELL, T_STAT_BASELINE_SENT, T_STAT_DEAD_LETTERED,
  T_STAT_DELIVERED, T_STAT_REFUSED,
} from '../../bus/layout.js';
import {
  AgentExistsError, AgentNotFoundError, AgentStoppedError, DeadLetterReason, FrameTooLargeError, InvalidAgentSpecError,
  InvalidArgumentError, InvalidReplyError, MailboxFullError, ReplyTimeoutError, UnknownPerformativeError,
} from '../errors.js';
import type { Endpoint, OutgoingMessage, ResolvedRuntimeOptions } from '../types.js';
import type { DeadLetters } from './dead-letters.js';
import { isAgent, type AnnounceNames, type EndpointRecord, type Registry } from './registry.js';
import type { RunState } from './run-state.js';
import type { WorkerSlot } from './worker-pool.js';

const SUPERVISOR = 0;

export interface HostEndpointsDeps {
  bus: Bus;
  router: RouterTable;
  registry: Registry;
  deadLetters: DeadLetters;
  runState: RunState;
  announceNames: AnnounceNames;
}

export type HostEndpointsOptions = Pick<ResolvedRuntimeOptions, 'maxFrameBytes' | 'transport' | 'supervisorSpinMicros' | 'maxSleepMs'>;

export class HostEndpoints {
  private readonly bus: Bus;
  private readonly router: RouterTable;
  private readonly registry: Registry;
  private readonly deadLetters: DeadLetters;
  private readonly runState: RunState;
  private readonly announceNames: AnnounceNames;
  private readonly options: HostEndpointsOptions;
  private readonly producers: RingProducer[] = [];
  private readonly consumers: RingConsumer[] = [];
  private readonly pump: Pump;
  /** copies frames of streamed conversations delivered to the supervisor's endpoints */
  private readonly tap: ConversationTap;
  private msgLo = 0;
  private readonly msgHi = (SUPERVISOR << 24) | 1;
  private delivered = 0;
  private deadLettered = 0;
  private refused = 0;
  private readonly requestsEndpoint: EndpointRecord;
  /** where send() sends from when no endpoint is given */
  readonly hostEndpoint: EndpointRecord;
  private readonly waiting = new Map<string, (f: Uint8Array) => void>();
  private readonly baselinePorts: (MessagePort | undefined)[] = [];

  constructor(options: HostEndpointsOptions, deps: HostEndpointsDeps) {
    this.options = options;
    this.bus = deps.bus;
    this.router = deps.router;
    this.registry = deps.registry;
    this.deadLetters = deps.deadLetters;
    this.runState = deps.runState;
    this.announceNames = deps.announceNames;
    const threads = this.bus.layout.threads;
    for (let t = 0; t < threads; t++) {
      this.producers.push(new RingProducer(this.bus, SUPERVISOR, t));
      this.consumers.push(new RingConsumer(this.bus, t, SUPERVISOR));
    }
    this.tap = new ConversationTap(this.bus, SUPERVISOR, this.producers);
    const t32 = this.bus.threadI32(SUPERVISOR);
    this.pump = new Pump(this.bus.i32, t32 + T_DOORBELL, this.drain.bind(this), this.hasData.bind(this), {
      spinMicros: options.supervisorSpinMicros,
      maxSleepMs: options.maxSleepMs,
    });
    this.requestsEndpoint = this.add('$requests', (frame) => this.onReply(frame));
    this.hostEndpoint = this.add('$host', () => undefined);
  }

  /** postMessage baseline: a MessageChannel between every pair of threads. */
  wireBaseline(slots: readonly (WorkerSlot | undefined)[], workers: number): void {
    for (let a = 0; a <= workers; a++) {
      for (let b = a + 1; b <= workers; b++) {
        const { port1, port2 } = new MessageChannel();
        if (a === SUPERVISOR) {
          this.baselinePorts[b] = port1;
          port1.on('message', (frame: Uint8Array) => this.deliverToEndpoint(frame));
          port1.unref();
        } else {
          slots[a]!.baselinePeers[b] = port1;
        }
        slots[b]!.baselinePeers[a] = port2;
      }
    }
  }

  /** Begin draining the rings towards this thread. */
  start(): void {
    this.pump.start();
  }

  /** Stop draining; close the baseline's ports. */
  stop(): void {
    this.pump.stop();
    for (const p of this.baselinePorts) p?.close();
  }

  /** A mailbox on this thread (the name is not announced: see open()). */
  add(name: string, handler: (frame: Uint8Array) => void): EndpointRecord {
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
  open(name: string, handler: (frame: Uint8Array) => void): Endpoint {
    if (this.registry.has(name)) throw new AgentExistsError(name);
    const rec = this.add(name, handler);
    this.announceNames([[name, rec.slot]], []);
    return {
      name,
      slot: rec.slot,
      close: () => {
        if (this.registry.atSlot(rec.slot) !== rec) return;
        this.router.clear(rec.slot);
        this.registry.release(rec.slot);
        this.announceNames([], [name]);
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
      this.deadLettered++;
      this.bus.f64[stat + T_STAT_DEAD_LETTERED] = this.deadLettered;
      this.deadLetters.record({ frame, reason: DeadLetterReason.NO_ENDPOINT, detail: 'no host endpoint of that generation', at: Date.now(), agent: rec?.name ?? `slot ${slot}` });
      return;
    }
    if (this.tap.active) this.tap.offer(frame, 0, frame.byteLength);
    try {
      rec.handler(frame);
      this.delivered++;
      this.bus.f64[stat + T_STAT_DELIVERED] = this.delivered;
      this.countByPerformative(M_DELIVERED, frame[FRAME_PERFORMATIVE]!);
    } catch (e) {
      this.deadLettered++;
      this.bus.f64[stat + T_STAT_DEAD_LETTERED] = this.deadLettered;
      this.deadLetters.record({ frame, reason: DeadLetterReason.HANDLER_FAILED, detail: `endpoint handler threw: ${(e as Error).message}`, at: Date.now(), agent: rec.name });
    }
  }

  private countByPerformative(base: number, code: number): void {
    if (code < PERFORMATIVES.length) this.bus.f64[this.bus.metricsF64(SUPERVISOR) + base + code]! += 1;
  }

  // ---------------------------------------------------------------- sending

  /** Send a message from the host to an agent (or endpoint). Returns the message id. */
  send(msg: OutgoingMessage, from: Endpoint | EndpointRecord = this.hostEndpoint): { messageId: string } {
    this.runState.assertRunning();
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
      performative: code, destinationSlot: target.slot, destinationGeneration: routeGeneration(entry),
      sourceSlot: from.slot, sourceGeneration: fromRec ? fromRec.generation : 0, messageIdLo: lo, messageIdHi: this.msgHi,
      conversationLo: convLo, conversationHi: convHi, inReplyToLo: replyLo, inReplyToHi: replyHi, ...trace,
    }, msg.content, msg.params);
    if (frame.byteLength > this.options.maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, this.options.maxFrameBytes);
    const thread = routeThread(entry);
    if (this.options.transport === 'postmessage' && thread !== SUPERVISOR) {
      this.baselinePorts[thread]!.postMessage(frame);
      const stat = this.bus.threadF64(SUPERVISOR);
      this.bus.f64[stat + T_STAT_BASELINE_SENT] = this.bus.f64[stat + T_STAT_BASELINE_SENT]! + 1;
      return { messageId: idToString(lo, this.msgHi) };
    }
    const p = this.producers[thread]!;
    const off = p.reserve(frame.byteLength);
    if (off < 0) {
      this.refused++;
      this.bus.f64[this.bus.threadF64(SUPERVISOR) + T_STAT_REFUSED] = this.refused;
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

  /** Publish now the frames sent in this job (they count as accepted already). */
  publishPending(): void {
    if (this.publishScheduled) this.publishAll();
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
