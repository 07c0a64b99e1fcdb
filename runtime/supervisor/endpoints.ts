/**
 * Host endpoints: the supervisor thread's seat on the bus (thread 0). Named
 * mailboxes on this thread that agents look up and send to like to any agent
 * (`$requests` for replies to request(), `$host`, the services, those opened
 * with openEndpoint). The rings, the pump and drain, message ids, counters
 * and end-of-job publish batching come from its base, BusPeer (bus/peer.ts);
 * this class adds delivery to the endpoint handlers, sending from the host,
 * request/reply waiting and the conversation tap. The benchmark's
 * postMessage baseline is a subclass (baseline-endpoints.ts).
 */
import { randomId64 } from '../../bus/random-id.js';
import type { Bus } from '../../bus/shared.js';
import type { RingConsumer } from '../../bus/ring.js';
import { BusPeer } from '../../bus/peer.js';
import { routeGeneration, routeThread } from '../../bus/router.js';
import { ConversationTap } from '../../bus/tap.js';
import { decodeFrame, encodeFrame, idFromString, idToString, msgpack, writeHeader, type DecodedFrame } from '../../bus/frame.js';
import {
  FLAG_TRACE_SAMPLED, FRAME_CONV_HI, FRAME_CONV_LO, FRAME_DST_GEN, FRAME_DST_SLOT, FRAME_HEADER_BYTES, FRAME_MSG_ID_HI,
  FRAME_MSG_ID_LO, FRAME_PERFORMATIVE, FRAME_REPLY_TO_HI, FRAME_REPLY_TO_LO, FRAME_SRC_GEN, FRAME_SRC_SLOT,
  PERFORMATIVE_CODE, type Performative,
} from '../../bus/layout.js';
import {
  AgentExistsError, AgentNotFoundError, AgentStoppedError, DeadLetterReason, FrameTooLargeError, InvalidAgentSpecError,
  InvalidArgumentError, InvalidReplyError, MailboxFullError, ReplyTimeoutError, UnknownPerformativeError,
} from '../errors.js';
import type { Endpoint, OutgoingMessage, ResolvedRuntimeOptions } from '../types.js';
import type { DeadLetters } from './dead-letters.js';
import { isAgent, type AnnounceNames, type EndpointRecord, type Registry } from './registry.js';
import type { RunState } from './run-state.js';

export const SUPERVISOR = 0;
/** frames taken from one inbound ring per drain (one pass: the supervisor's event loop also serves control ports and timers) */
const FRAMES_PER_RING = 1024;
/** retry delay suggested to an in-process sender whose target's mailbox is full, ms */
const RETRY_AFTER_MS = 10;

export interface HostEndpointsDeps {
  bus: Bus;
  registry: Registry;
  deadLetters: DeadLetters;
  runState: RunState;
  announceNames: AnnounceNames;
}

export type HostEndpointsOptions = Pick<ResolvedRuntimeOptions, 'maxFrameBytes' | 'transport' | 'supervisorSpinMicros' | 'supervisorPollMicros' | 'maxSleepMs'>;

export class HostEndpoints extends BusPeer {
  private readonly registry: Registry;
  private readonly deadLetters: DeadLetters;
  private readonly runState: RunState;
  private readonly announceNames: AnnounceNames;
  private readonly maxFrameBytes: number;
  /** copies frames of streamed conversations delivered to the supervisor's endpoints */
  private readonly tap: ConversationTap;
  private readonly requestsEndpoint: EndpointRecord;
  /** where send() sends from when no endpoint is given */
  readonly hostEndpoint: EndpointRecord;
  private readonly waiting = new Map<string, (f: Uint8Array) => void>();
  /** the bus as a DataView, for headers written straight into a ring (answerFrame) */
  private readonly view: DataView;

  constructor(options: HostEndpointsOptions, deps: HostEndpointsDeps) {
    super(deps.bus, SUPERVISOR, {
      spinMicros: options.supervisorSpinMicros, maxSleepMs: options.maxSleepMs,
      pollMicros: options.supervisorPollMicros, pollAfterPublish: true,
      framesPerRing: FRAMES_PER_RING, drainBudget: Infinity, maxPasses: 1,
    });
    this.maxFrameBytes = options.maxFrameBytes;
    this.view = new DataView(this.u8.buffer, this.u8.byteOffset, this.u8.byteLength);
    this.registry = deps.registry;
    this.deadLetters = deps.deadLetters;
    this.runState = deps.runState;
    this.announceNames = deps.announceNames;
    this.tap = new ConversationTap(this.bus, SUPERVISOR, this.producers);
    this.requestsEndpoint = this.add('$requests', (frame) => this.onReply(frame));
    this.hostEndpoint = this.add('$host', () => undefined);
  }

  /** Begin draining the rings towards this thread. */
  start(): void {
    this.pump.start();
  }

  /** Stop draining. */
  stop(): void {
    this.pump.stop();
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

  protected deliverFrame(_ring: RingConsumer, off: number, len: number): void {
    // Endpoint handlers keep what they are given: a copy, not a view of the ring.
    this.deliverToEndpoint(this.u8.slice(off, off + len));
  }

  protected deliverToEndpoint(frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const slot = view.getUint32(FRAME_DST_SLOT, true);
    const rec = this.registry.atSlot(slot);
    if (!rec || isAgent(rec) || rec.generation !== view.getUint32(FRAME_DST_GEN, true)) {
      this.countDeadLettered();
      this.deadLetters.record({ frame, reason: DeadLetterReason.NO_ENDPOINT, detail: 'no host endpoint of that generation', at: Date.now(), agent: rec?.name ?? `slot ${slot}` });
      return;
    }
    if (this.tap.active) this.tap.offer(frame, 0, frame.byteLength);
    try {
      rec.handler(frame);
      this.countDelivered();
      this.countHandled(frame[FRAME_PERFORMATIVE]!);
    } catch (e) {
      this.countDeadLettered();
      this.deadLetters.record({ frame, reason: DeadLetterReason.HANDLER_FAILED, detail: `endpoint handler threw: ${(e as Error).message}`, at: Date.now(), agent: rec.name });
    }
  }

  // ---------------------------------------------------------------- sending

  /** Send a message from the host to an agent (or endpoint). Returns the message id. */
  send(msg: OutgoingMessage, from: Endpoint | EndpointRecord = this.hostEndpoint): { messageId: string } {
    this.runState.assertRunning();
    const code = PERFORMATIVE_CODE[msg.performative];
    if (code === undefined) throw new UnknownPerformativeError(String(msg.performative));
    const target = this.registry.get(msg.to);
    if (!target) throw new AgentNotFoundError(msg.to, this.registry.names().map(([n]) => n));
    const entry = this.router.read(target.slot);
    if (entry === 0) throw new AgentNotFoundError(msg.to);
    if (isAgent(target) && (target.state === 'stopped' || target.state === 'failed')) throw new AgentStoppedError(msg.to, target.state, target.lastError);
    const [convLo, convHi] = parseId(msg.conversationId, 'conversationId');
    const [replyLo, replyHi] = parseId(msg.inReplyTo, 'inReplyTo');
    const trace = msg.traceparent === undefined ? undefined : parseTraceparent(msg.traceparent);
    const lo = this.ids.next();
    const hi = this.ids.hi;
    const fromRec = this.registry.atSlot(from.slot);
    const frame = encodeFrame({
      performative: code, destinationSlot: target.slot, destinationGeneration: routeGeneration(entry),
      sourceSlot: from.slot, sourceGeneration: fromRec ? fromRec.generation : 0, messageIdLo: lo, messageIdHi: hi,
      conversationLo: convLo, conversationHi: convHi, inReplyToLo: replyLo, inReplyToHi: replyHi, ...trace,
    }, msg.content, msg.params);
    if (frame.byteLength > this.maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, this.maxFrameBytes);
    this.sendFrame(routeThread(entry), frame, code, msg.to);
    return { messageId: idToString(lo, hi) };
  }

  /**
   * Answer `request`, a frame that reached one of this thread's endpoints:
   * to its sender (the slot and generation in its header, whose name is
   * `to`), in its conversation, in reply to its id. What send() does with
   * {to, conversationId, inReplyTo}, without the hex ids and the name lookup
   * (the tool host answers every call this way), and written straight into
   * the ring: no intermediate frame. Throws as send() does: AGENT_NOT_FOUND
   * when the sender is gone or replaced, FRAME_TOO_LARGE, MAILBOX_FULL.
   */
  answerFrame(request: Uint8Array, to: string, performative: Performative, content: unknown, from: EndpointRecord): void {
    this.runState.assertRunning();
    const code = PERFORMATIVE_CODE[performative];
    const rq = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const slot = rq.getUint32(FRAME_SRC_SLOT, true);
    const generation = rq.getUint32(FRAME_SRC_GEN, true);
    const entry = this.router.read(slot);
    if (entry === 0 || routeGeneration(entry) !== generation) throw new AgentNotFoundError(to);
    const target = this.registry.atSlot(slot);
    if (target && isAgent(target) && (target.state === 'stopped' || target.state === 'failed')) throw new AgentStoppedError(to, target.state, target.lastError);
    const body = msgpack.pack(content);
    const total = FRAME_HEADER_BYTES + body.length;
    if (total > this.maxFrameBytes) throw new FrameTooLargeError(total, this.maxFrameBytes);
    const p = this.producers[routeThread(entry)]!;
    const off = p.reserve(total);
    if (off < 0) {
      this.countRefused();
      throw new MailboxFullError(to, RETRY_AFTER_MS);
    }
    const lo = this.ids.next();
    writeHeader(this.view, off, {
      performative: code, destinationSlot: slot, destinationGeneration: generation, sourceSlot: from.slot, sourceGeneration: from.generation,
      messageIdLo: lo, messageIdHi: this.ids.hi,
      conversationLo: rq.getUint32(FRAME_CONV_LO, true), conversationHi: rq.getUint32(FRAME_CONV_HI, true),
      inReplyToLo: rq.getUint32(FRAME_MSG_ID_LO, true), inReplyToHi: rq.getUint32(FRAME_MSG_ID_HI, true),
    }, 0, total);
    this.u8.set(body, off + FRAME_HEADER_BYTES);
    this.schedulePublish();
    this.countAccepted(code);
  }

  /**
   * Put a frame in the ring towards `thread`. Frames sent in one synchronous
   * burst (a Contract Net's CFPs, a loop of send() calls) are published
   * together at the end of the current job (BusPeer.schedulePublish); a full
   * ring is still reported here, at send() time.
   */
  protected sendFrame(thread: number, frame: Uint8Array, performative: number, to: string): void {
    const p = this.producers[thread]!;
    const off = p.reserve(frame.byteLength);
    if (off < 0) {
      this.countRefused();
      throw new MailboxFullError(to, RETRY_AFTER_MS);
    }
    this.u8.set(frame, off);
    this.schedulePublish();
    this.countAccepted(performative);
  }

  /** Publish now the frames sent in this job (they count as accepted already). */
  publishPending(): void {
    this.publishScheduledNow();
  }

  /**
   * Request-reply: send and wait for the first message whose in-reply-to is
   * this message's id. The conversation id is generated when not given.
   */
  async request(msg: OutgoingMessage, timeoutMs = 5000): Promise<DecodedFrame> {
    const conversationId = msg.conversationId ?? randomId64();
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

/** A W3C traceparent as frame header fields (runtime/observability/tracing.ts carries them on). */
function parseTraceparent(tp: string): { traceId: Uint8Array; spanId: Uint8Array; flags: number } {
  const m = TRACEPARENT.exec(tp);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) {
    throw new InvalidArgumentError('traceparent', `is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, ids not all zero), got "${tp}"`,
      'Pass the traceparent header of the request you are handling, or leave it out.');
  }
  return { traceId: Buffer.from(m[1]!, 'hex'), spanId: Buffer.from(m[2]!, 'hex'), flags: (parseInt(m[3]!, 16) & 1) === 1 ? FLAG_TRACE_SAMPLED : 0 };
}
