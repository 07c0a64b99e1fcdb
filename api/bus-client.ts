/**
 * The API thread's seat on the bus. Send, Invoke and StreamConversation run
 * here without the supervisor: names are resolved from the table the
 * supervisor pushes on every change, the router table says where an agent
 * lives, frames go straight into this thread's rings, and replies come back
 * to this thread's endpoint ($api) on the rings towards it. The rings, the
 * drain loop, message ids, counters and publish batching come from its base,
 * BusPeer (bus/peer.ts); this class adds what an Invoke needs.
 *
 * Hot-path rules (as in the workers): no per-message closures in the drain
 * loop, one pending-call record per Invoke, frames published once per job
 * (microtask) so a burst of sends costs one tail store and one wake-up per
 * ring.
 */
import type { MessagePort } from 'node:worker_threads';
import { Bus, type BusInit } from '../bus/shared.js';
import { wakeConsumer, type RingConsumer } from '../bus/ring.js';
import { BusPeer } from '../bus/peer.js';
import { routeGeneration, routeStopped, routeThread } from '../bus/router.js';
import { WatchTable } from '../bus/tap.js';
import { NameTable } from '../bus/names.js';
import { decodeFrame, encodeFrame, idFromString, idToString, type DecodedFrame } from '../bus/frame.js';
import * as layout from '../bus/layout.js';
import { ConversationNames } from '../bus/conversation-names.js';
import { type Performative } from '../bus/layout.js';
import { Journal } from './journal/writer.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  FLAG_TAP, FLAG_TRACE_SAMPLED, FRAME_FLAGS, FRAME_PERFORMATIVE, NAME_WRITER_API, PERFORMATIVE_CODE, T_DOORBELL,
  T_STAT_TAPS_RECEIVED, W_CONV_HI, W_CONV_LO, W_DST, W_DST_GEN, W_REPLY_TO_HI, W_REPLY_TO_LO, W_SRC, W_SRC_GEN,
} = layout;
import {
  AgentNotFoundError, AgentStoppedError, DeadLetterReason, FrameTooLargeError, InvalidArgumentError, InvalidReplyError, MailboxFullError,
  ReplyTimeoutError, TooManyStreamsError, UnknownPerformativeError,
} from '../runtime/errors.js';
import { conversationKey } from '../runtime/fipa/acl/bridge.js';
import type { DeadLetterRecord, ToWorker } from '../runtime/thread-messages.js';
import type { PeerJoin } from '../runtime/runtime.js';

/** frames taken from one inbound ring per drain: one pass, so the event loop (the sockets) gets a turn after it */
const FRAMES_PER_RING = 256;
const PERF_AGREE = PERFORMATIVE_CODE.agree;

/** A message as the API shows it (proto caxton.v1.Message, camelCase). */
export interface ApiMessage {
  messageId: string;
  conversationId: string;
  performative: string;
  sender: string;
  receiver: string;
  inReplyTo: string;
  /** decoded content (the gateways render it as JSON) */
  content: unknown;
  protocol: string;
  params: Record<string, unknown> | undefined;
  observedAtUnixMs: number;
  /** W3C trace context of the frame (hex; empty when it carries none) */
  traceId: string;
  spanId: string;
  /** the frame's FLAG_TRACE_SAMPLED */
  sampled: boolean;
}

/** Trace context to write in a frame's header (runtime/observability/tracing.ts). */
export interface FrameTrace {
  traceId: Uint8Array;
  spanId: Uint8Array;
  sampled: boolean;
}

export interface SendInput {
  agent: string;
  performative: string;
  /** undefined = no content */
  content: unknown;
  conversationId?: string | undefined;
  inReplyTo?: string | undefined;
  trace?: FrameTrace | undefined;
  /**
   * keep the message itself in the journal and send it again after a crash
   * (at-least-once; api/journal/); its OK waits for fdatasync
   */
  durable?: boolean | undefined;
}

interface PendingCall {
  readonly agent: string;
  /** the invoked agent's slot and generation: only a frame from them answers the call */
  readonly slot: number;
  readonly generation: number;
  readonly msgLo: number;
  readonly convKey: string;
  /** the conversation as the caller named it: the reply shows it */
  readonly conversation: string;
  readonly startedAt: number;
  readonly resolve: (m: { reply: ApiMessage; latencyUs: number }) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

type StreamListener = (m: ApiMessage) => void;

const HEX16 = /^[0-9a-fA-F]{1,16}$/;
/** The all-zero key means "no conversation" in the frame header. */
const NO_CONVERSATION = '0000000000000000';

/** Whether a frame from (slot, generation) may answer `call`: only the agent it invoked may. */
function answeredBy(call: PendingCall, slot: number, generation: number): boolean {
  return call.slot === slot && call.generation === generation;
}

function noConversation(field: string): InvalidArgumentError {
  return new InvalidArgumentError(field, 'names the all-zero key, which means "no conversation"', 'Use any other id (16 hex digits, or any string), or leave it empty for a fresh conversation.');
}

export interface BusClientOptions {
  /** busy-poll after a drain, µs (0 = sleep at once; the API thread serves sockets too) */
  spinMicros: number;
  /** retry delay suggested when a mailbox is full, ms */
  retryAfterMs: number;
  /**
   * Latency tricks for an Invoke made while no other Invoke waits (a lone
   * caller, where each cross-thread wake-up is paid in full; with more calls
   * in flight the thread is busy anyway and the usual batching and sleeping
   * apply). Each can be turned off:
   * - eagerPublish: its frame is published at once instead of at the end of
   *   the job's microtasks, so the agent's worker starts waking while gRPC
   *   still finishes its own work on the call (false = off);
   * - replyPollMicros: until its reply comes, the drain loop polls with
   *   setImmediate instead of sleeping on its doorbell (bus/pump.ts), for at
   *   most this long without a frame arriving (0 = off);
   * - prewake: the gateways call prewake() as soon as they know an Invoke is
   *   coming, before its request is read and parsed (false = off).
   */
  eagerPublish?: boolean;
  replyPollMicros?: number;
  prewake?: boolean;
  /**
   * journal accepted messages in <dataDir>/journal under this run id
   * (api/journal/writer.ts); undefined = no journal
   */
  journal?: { dataDir: string; run: string; rotateBytes?: number; markIntervalMs?: number } | undefined;
}

/**
 * How a caller that can go away (a gRPC call cancelled, an HTTP client gone)
 * gives up an Invoke: it is handed the call's `cancel` and arranges to call
 * it when that happens. A plain callback, not an AbortSignal: an
 * AbortController and an EventTarget listener per call cost several
 * microseconds of a lone Invoke's budget of about 100 µs added latency.
 */
export type OnCancel = (cancel: () => void) => void;

export class BusClient extends BusPeer {
  private readonly maxFrame: number;
  private readonly endpointSlot: number;
  private readonly endpointGeneration: number;
  private readonly watch: WatchTable;
  /** the user's conversation-id strings, shared with every thread (bus/conversation-names.ts) */
  private readonly conversations: ConversationNames;
  private readonly names = new NameTable();
  private tapsReceived: number;
  /** Invoke calls waiting for their reply, by request message id (lo word; hi is ours) */
  private readonly byMessage = new Map<number, PendingCall>();
  /** the same calls by conversation key, for replies that do not name the request */
  private readonly byConversation = new Map<string, PendingCall>();
  private readonly streams = new Map<string, Set<StreamListener>>();
  private readonly port: MessagePort;
  private pendingDeadLetters: DeadLetterRecord[] = [];
  private readonly retryAfterMs: number;
  private readonly eagerPublish: boolean;
  private readonly replyPoll: boolean;
  private readonly prewakeOn: boolean;
  /** i32 index of the doorbell of the worker the last Invoke went to (-1: none yet) */
  private lastInvokeDoorbell = -1;
  /** most Invokes waiting at once since byMessage was last empty */
  private busyPeak = 0;
  /** the last stretch with Invokes waiting had only one at a time: the caller is sequential */
  private sequentialCaller = false;
  /** Invokes for which prewake() woke (or found awake) the likely worker: caxton_api_prewakes_total */
  prewakes = 0;
  /** accepted messages not yet known to be finished, on disk (api/journal/writer.ts); undefined = off */
  readonly journal: Journal | undefined;

  constructor(init: BusInit, join: PeerJoin, port: MessagePort, options: BusClientOptions) {
    super(new Bus(init), join.thread, {
      spinMicros: options.spinMicros,
      maxSleepMs: join.maxSleepMs,
      // Poll only while one call waits (expectingReply): with many in flight,
      // polling turns every idle moment of this thread into spinning, which on
      // a 2-core machine takes CPU from the sockets' peers (the api bench's
      // throughput ratio fell from ~0.77 to ~0.60 when polling at any depth).
      pollMicros: options.replyPollMicros ?? 0,
      framesPerRing: FRAMES_PER_RING, drainBudget: Infinity, maxPasses: 1,
    });
    this.maxFrame = join.maxFrameBytes;
    this.endpointSlot = join.endpointSlot;
    this.endpointGeneration = join.endpointGeneration;
    this.retryAfterMs = options.retryAfterMs;
    this.eagerPublish = options.eagerPublish ?? true;
    this.replyPoll = (options.replyPollMicros ?? 0) > 0;
    this.prewakeOn = options.prewake ?? false;
    this.port = port;
    this.tapsReceived = this.f64[this.stat + T_STAT_TAPS_RECEIVED]!;
    this.watch = new WatchTable(this.bus, this.thread);
    this.conversations = new ConversationNames(this.bus);
    if (options.journal) this.journal = new Journal({ ...options.journal, producers: this.producers });
    port.on('message', (m: ToWorker) => {
      if (m.type === 'names') this.names.apply(m.add, m.remove);
    });
    this.pump.start();
  }

  /** Names the supervisor sent outside the peer port (api/thread.ts 'redeliver'); adding a known name again changes nothing. */
  learnNames(add: [string, number][]): void {
    this.names.apply(add, []);
  }

  /** The endpoint agents reply to. */
  get endpointName(): string {
    return this.names.nameAt(this.endpointSlot) ?? '$api';
  }

  nameOf(slot: number): string {
    return this.names.nameAt(slot) ?? `slot ${slot}`;
  }

  protected override expectingReply(): boolean {
    return this.byMessage.size === 1;
  }

  // ------------------------------------------------------------------ sending

  /**
   * Put one message into the agent's mailbox (its worker's ring from this
   * thread). Throws the error the gateways map to a status.
   */
  send(input: SendInput, publishNow = false): { messageId: string; conversationId: string; lo: number; convKey: string; thread: number; slot: number; generation: number } {
    const code = PERFORMATIVE_CODE[input.performative as Performative];
    if (code === undefined) throw new UnknownPerformativeError(input.performative);
    const slot = this.names.slotOf(input.agent);
    if (slot === undefined || input.agent.startsWith('$')) throw new AgentNotFoundError(input.agent, this.names.allNames());
    const entry = this.router.lookup(slot);
    if (entry === 0) throw new AgentNotFoundError(input.agent);
    if (routeStopped(entry)) throw new AgentStoppedError(input.agent, 'stopped or failed');
    const convKey = input.conversationId ? conversationKey(input.conversationId) : '';
    // The user's string, for every thread that shows this conversation to a
    // person (bus/conversation-names.ts); a hex id is its own key and costs a compare.
    if (convKey !== '') this.conversations.remember(NAME_WRITER_API, convKey, input.conversationId!);
    const [convLo, convHi] = convKey ? idFromString(convKey) : [0, 0];
    let replyLo = 0;
    let replyHi = 0;
    if (input.inReplyTo) {
      if (!HEX16.test(input.inReplyTo)) {
        throw new InvalidArgumentError('in_reply_to', `must be a message id of 1-16 hex digits, got "${input.inReplyTo}"`, 'Pass the messageId of the message you answer, as returned by Send or shown in a stream.');
      }
      [replyLo, replyHi] = idFromString(input.inReplyTo);
    }
    const lo = this.ids.next();
    const hi = this.ids.hi;
    const generation = routeGeneration(entry);
    const frame = encodeFrame({
      performative: code, destinationSlot: slot, destinationGeneration: generation,
      sourceSlot: this.endpointSlot, sourceGeneration: this.endpointGeneration, messageIdLo: lo, messageIdHi: hi,
      conversationLo: convLo, conversationHi: convHi, inReplyToLo: replyLo, inReplyToHi: replyHi,
      traceId: input.trace?.traceId, spanId: input.trace?.spanId, flags: input.trace?.sampled ? FLAG_TRACE_SAMPLED : 0,
    }, input.content);
    if (frame.byteLength > this.maxFrame) throw new FrameTooLargeError(frame.byteLength, this.maxFrame);
    const thread = routeThread(entry);
    const p = this.producers[thread]!;
    const at = p.reserve(frame.byteLength);
    if (at < 0) {
      this.countRefused();
      throw new MailboxFullError(input.agent, this.retryAfterMs);
    }
    this.u8.set(frame, at);
    this.countAccepted(code);
    const messageId = idToString(lo, hi);
    const journal = this.journal;
    if (journal !== undefined) {
      const durable = input.durable === true ? { content: input.content, ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}) } : undefined;
      journal.record(thread, p.lastOrdinal, messageId, input.agent, input.performative, input.conversationId ?? '', Date.now(), durable);
    }
    if (publishNow) {
      p.publish();
      // the journal's write still comes at the end of the job
      if (journal !== undefined) this.schedulePublish();
    } else {
      this.schedulePublish();
    }
    return { messageId, conversationId: input.conversationId ?? '', lo, convKey, thread, slot, generation };
  }

  /**
   * `value`, once this job's journal records are written: a caller's OK
   * must never go out for a message that is not in the journal. With no
   * journal (or nothing to write), `value` itself, at no cost.
   */
  afterJournal<T>(value: T): T | Promise<T> {
    const j = this.journal;
    if (j === undefined || !j.pending) return value;
    return j.afterWrite().then(() => value);
  }

  /**
   * The conversation the next Invoke without one gets: the call's own
   * message id (this thread's ids are unique per run) with the top bit set,
   * so it never equals a message id and costs no random bytes.
   */
  nextInvokeConversation(): string {
    return idToString(this.ids.lo + 1, this.ids.hi | 0x80000000 | 0);
  }

  /**
   * Request-reply: send, then resolve with the first reply in the same
   * conversation (an "agree" is skipped: fipa-request's result follows it).
   * Rejects with REPLY_TIMEOUT after timeoutMs.
   */
  invoke(input: SendInput, timeoutMs: number, onCancel?: OnCancel): Promise<{ reply: ApiMessage; latencyUs: number }> {
    const conversationId = input.conversationId || this.nextInvokeConversation();
    if (conversationKey(conversationId) === NO_CONVERSATION) throw noConversation('conversation_id');
    const startedAt = performance.now();
    const alone = this.byMessage.size === 0;
    const sent = this.send({ ...input, conversationId }, alone && this.eagerPublish);
    this.lastInvokeDoorbell = this.bus.threadI32(sent.thread) + T_DOORBELL;
    return new Promise((resolve, reject) => {
      const call: PendingCall = { agent: input.agent, slot: sent.slot, generation: sent.generation, msgLo: sent.lo, convKey: sent.convKey, conversation: conversationId, startedAt, resolve, reject, timer: undefined };
      call.timer = setTimeout(() => {
        this.forget(call);
        reject(new ReplyTimeoutError(input.agent, timeoutMs));
      }, timeoutMs);
      // The caller went away (gRPC cancel, HTTP client gone): stop waiting; a
      // reply that still comes is dead-lettered NO_WAITER. A cancel after the
      // call is answered (or timed out) finds it no longer pending and does nothing.
      if (onCancel !== undefined) {
        onCancel(() => {
          if (this.byMessage.get(call.msgLo) !== call) return;
          this.forget(call);
          reject(new ReplyTimeoutError(input.agent, 0));
        });
      }
      this.byMessage.set(sent.lo, call);
      if (this.byMessage.size > this.busyPeak) this.busyPeak = this.byMessage.size;
      // A second call in the same conversation takes over conversation matching.
      this.byConversation.set(sent.convKey, call);
      // A sleeping drain loop is woken (by this thread: no context switch,
      // and the reply's producer then sees AWAKE and does not notify) so that
      // it polls for the reply (replyPollMicros).
      if (alone && this.replyPoll) this.pump.kick();
    });
  }

  /**
   * An Invoke is on its way and its request is still being read: when no
   * other call waits, ring the doorbell of the worker it will most likely go
   * to. That worker's wake-up (tens of µs on a VM: the wake of a sleeping
   * thread, often on an idle vCPU) then overlaps with reading, parsing and
   * framing the request instead of following its publish; the worker spins
   * (spinMicros) when it finds its rings empty, sees the frame arrive, and the
   * publish finds it awake and notifies no one. `agent` is the target when
   * the gateway knows it (REST, from the path); without it (gRPC, whose
   * interceptor sees only the metadata) it is the last Invoke's worker.
   *
   * A wrong guess costs one wake and one spin of an idle worker. It is only
   * made for a caller that looks sequential: no call waits now, and the last
   * stretch with calls waiting had one at a time. A burst of concurrent calls
   * must not pre-wake: grpc-js reads all the burst's metadata before any of
   * its handlers run (so none waits yet), and a worker woken that early spins
   * out and sleeps again before the first frame comes, costing a second
   * notify and a spin's CPU on every burst (the throughput ratio, measured as
   * the api bench does, fell by about 0.07). Off with `prewake: false`.
   */
  prewake(agent?: string): void {
    if (!this.prewakeOn || !this.sequentialCaller || this.byMessage.size !== 0) return;
    let doorbell = this.lastInvokeDoorbell;
    if (agent !== undefined) {
      const slot = this.names.slotOf(agent);
      const entry = slot !== undefined ? this.router.lookup(slot) : 0;
      if (entry === 0) return; // no such agent: the call will fail, no worker needs waking
      doorbell = this.bus.threadI32(routeThread(entry)) + T_DOORBELL;
    }
    if (doorbell < 0) return;
    this.prewakes++;
    wakeConsumer(this.i32, doorbell);
  }

  /** Cancel a pending Invoke (the client went away): a late reply is then dead-lettered. */
  private forget(call: PendingCall): void {
    if (call.timer) clearTimeout(call.timer);
    if (this.byMessage.get(call.msgLo) === call) {
      this.byMessage.delete(call.msgLo);
      if (this.byMessage.size === 0) {
        this.sequentialCaller = this.busyPeak === 1;
        this.busyPeak = 0;
      }
    }
    if (this.byConversation.get(call.convKey) === call) this.byConversation.delete(call.convKey);
  }

  // ------------------------------------------------------------------ streams

  /**
   * Watch a conversation: `listener` gets every message of it delivered from
   * now on, on any thread. Returns the function that stops watching.
   */
  watchConversation(conversationId: string, listener: StreamListener): () => void {
    const key = conversationKey(conversationId);
    if (key === NO_CONVERSATION) throw noConversation('conversation_id');
    this.conversations.remember(NAME_WRITER_API, key, conversationId);
    let set = this.streams.get(key);
    if (!set) {
      const [lo, hi] = idFromString(key);
      if (!this.watch.add(lo, hi)) throw new TooManyStreamsError();
      set = new Set();
      this.streams.set(key, set);
    }
    set.add(listener);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const s = this.streams.get(key);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.streams.delete(key);
        const [lo, hi] = idFromString(key);
        this.watch.remove(lo, hi);
      }
    };
  }

  // ------------------------------------------------------------------ receiving

  protected override drain(): number {
    const n = this.drainRings();
    if (this.pendingDeadLetters.length) this.flushDeadLetters();
    return n;
  }

  protected deliverFrame(_ring: RingConsumer, off: number, len: number): void {
    try {
      this.receive(off, len);
    } catch (e) {
      // A frame this thread cannot read must not take the API down with it.
      this.deadLetter(off, len, DeadLetterReason.MALFORMED_FRAME, `the API thread could not read this frame: ${(e as Error).message}`);
    }
  }

  private receive(off: number, len: number): void {
    const i32 = this.i32;
    const w = off >> 2;
    if ((this.u8[off + FRAME_FLAGS]! & FLAG_TAP) !== 0) {
      this.f64[this.stat + T_STAT_TAPS_RECEIVED] = ++this.tapsReceived;
      const key = idToString(i32[w + W_CONV_LO]!, i32[w + W_CONV_HI]!);
      const listeners = this.streams.get(key);
      if (listeners) this.emit(listeners, decodeFrame(this.u8.slice(off, off + len)));
      return;
    }
    if (i32[w + W_DST] !== this.endpointSlot || i32[w + W_DST_GEN] !== this.endpointGeneration) {
      this.deadLetter(off, len, DeadLetterReason.NO_ENDPOINT, 'no API endpoint of that generation (the API thread was restarted)');
      return;
    }
    const replyHi = i32[w + W_REPLY_TO_HI]!;
    // A call is answered only by the agent it invoked (slot and generation,
    // which the sending host stamps, so an agent cannot forge them): ids and
    // conversation keys are guessable, the sender is not (issue #16 item 1).
    const src = i32[w + W_SRC]!;
    const srcGen = i32[w + W_SRC_GEN]!;
    let call = replyHi === this.ids.hi ? this.byMessage.get(i32[w + W_REPLY_TO_LO]!) : undefined;
    let spoofed = call !== undefined && !answeredBy(call, src, srcGen) ? call : undefined;
    if (spoofed) call = undefined;
    // The conversation's string key is built only when it is needed: a reply
    // that names its request, with no stream open, costs no string.
    let streams: Set<StreamListener> | undefined;
    if (!call || this.streams.size !== 0) {
      const convKey = idToString(i32[w + W_CONV_LO]!, i32[w + W_CONV_HI]!);
      if (!call) call = this.byConversation.get(convKey);
      if (call !== undefined && !answeredBy(call, src, srcGen)) {
        spoofed ??= call;
        call = undefined;
      }
      streams = this.streams.get(convKey);
    }
    if (!call && spoofed) {
      // Not delivered to streams either: a stream shows the conversation, and this is no part of it.
      const by = spoofed.msgLo === i32[w + W_REPLY_TO_LO] && replyHi === this.ids.hi ? 'in-reply-to' : 'conversation';
      this.deadLetter(off, len, DeadLetterReason.SPOOFED_REPLY, `names the Invoke of ${spoofed.agent} (slot ${spoofed.slot}, generation ${spoofed.generation}) by its ${by} but comes from ${this.nameOf(src)} (slot ${src}, generation ${srcGen}); the call keeps waiting for ${spoofed.agent}`);
      return;
    }
    if (!call && !streams) {
      this.deadLetter(off, len, DeadLetterReason.NO_WAITER, 'no call waits for this message (the answer to a Send, or to an Invoke that timed out or was cancelled)');
      return;
    }
    this.countDelivered();
    const perf = this.u8[off + FRAME_PERFORMATIVE]!;
    this.countHandled(perf);
    // The endpoint is the receiver here: what a stream shows of it is this delivery.
    const decoded = decodeFrame(this.u8.slice(off, off + len));
    if (streams) this.emit(streams, decoded);
    if (!call) return;
    if (perf === PERF_AGREE) return; // the result follows
    this.forget(call);
    if (decoded.params && '$undecodable' in decoded.params) {
      call.reject(new InvalidReplyError(call.agent, 'its parameters are not a valid msgpack map'));
      return;
    }
    // To 0.1 µs: performance.now() resolves finer (successive reads differ by
    // about 0.05 µs), but its ms-based double shows float noise past that.
    call.resolve({ reply: this.toApi(decoded, call.conversation), latencyUs: Math.round((performance.now() - call.startedAt) * 10_000) / 10 });
  }

  private emit(listeners: Set<StreamListener>, d: DecodedFrame): void {
    const m = this.toApi(d);
    for (const l of listeners) l(m);
  }

  /** The API's view of a frame; `conversation` is the caller's name for it when known, else the names table's or the key. */
  toApi(d: DecodedFrame, conversation?: string): ApiMessage {
    return {
      messageId: d.messageId,
      conversationId: conversation ?? this.conversations.show(d.conversationId),
      performative: d.performative,
      sender: this.nameOf(d.sourceSlot),
      receiver: this.nameOf(d.destinationSlot),
      inReplyTo: d.inReplyTo === '0000000000000000' ? '' : d.inReplyTo,
      content: d.content,
      protocol: d.protocol ?? '',
      params: d.params,
      observedAtUnixMs: Date.now(),
      traceId: d.traceId,
      spanId: d.spanId,
      sampled: (d.flags & FLAG_TRACE_SAMPLED) !== 0,
    };
  }

  private deadLetter(off: number, len: number, reason: DeadLetterReason, detail: string): void {
    this.countDeadLettered();
    this.pendingDeadLetters.push({ frame: this.u8.slice(off, off + len), reason, detail, at: Date.now(), agent: this.endpointName });
  }

  private flushDeadLetters(): void {
    this.port.postMessage({ type: 'dead-letters', records: this.pendingDeadLetters });
    this.pendingDeadLetters = [];
  }

  /** Write this job's journal records, publish what it sent, and report the dead letters of this turn with it. */
  override publishAll(): void {
    this.journal?.flush();
    super.publishAll();
    if (this.pendingDeadLetters.length) this.flushDeadLetters();
  }

  /** Stop draining; pending calls fail with REPLY_TIMEOUT semantics left to the caller. */
  close(): void {
    this.pump.stop();
    this.watch.clear();
    for (const call of [...this.byMessage.values()]) {
      this.forget(call);
      call.reject(new ReplyTimeoutError(call.agent, 0));
    }
    this.publishAll();
    this.journal?.close();
  }
}
