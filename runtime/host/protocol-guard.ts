/**
 * The protocol guard of a worker: every frame that names an interaction
 * protocol in its header (byte 76), sent or received by one of this
 * worker's agents, is checked against that agent's side of the conversation
 * (runtime/fipa/conversations.ts). Frames outside a protocol never get here:
 * the caller tests the header's protocol byte first, so they cost nothing.
 *
 * - A send that breaks the protocol is refused (SEND_PROTOCOL_VIOLATION).
 * - A received frame that breaks it is dead-lettered and the host answers
 *   `not-understood` on the agent's behalf; one that comes after the
 *   conversation ended by time-out is dead-lettered LATE_REPLY.
 * - An initiator's reply-by that passes makes the host send it a `failure`
 *   in the conversation (a message made by the host, FLAG_HOST_GENERATED).
 */
import { encodeFrame, msgpack } from '../../bus/frame.js';
import type { BusPeer } from '../../bus/peer.js';
import { routeGeneration, routeStopped, routeThread } from '../../bus/router.js';
import {
  FLAG_HOST_GENERATED, FRAME_HEADER_BYTES, PERFORMATIVE_CODE, PERFORMATIVES, protocolByCode, T_STAT_CONVERSATIONS,
  W_CONV_HI, W_CONV_LO, W_MSG_HI, W_MSG_LO, W_PARAMS_LENGTH, W_PERFORMATIVE_SHIFT, W_PROTOCOL, W_SRC, W_VERSION,
} from '../../bus/layout.js';
import { ConversationTable, type Conversation, type Verdict } from '../fipa/conversations.js';
import { DeadLetterReason } from '../errors.js';
import { AgentState, type HostedAgent } from './hosted-agent.js';

const PERF_NOT_UNDERSTOOD = PERFORMATIVE_CODE['not-understood'];
const PERF_FAILURE = PERFORMATIVE_CODE.failure;

/** What the guard needs from its worker. */
export interface GuardHost {
  agentAt(slot: number): HostedAgent | undefined;
  /** dead-letter the frame at byte `off` of the bus */
  deadLetterRing(off: number, len: number, agent: string, reason: DeadLetterReason, detail: string): void;
  /** a warning in the agent's log */
  warn(agent: HostedAgent, text: string): void;
  /** hand the agent a message the host made for it (counted as accepted by the caller) */
  deliverSynthesized(agent: HostedAgent, frame: Int32Array): void;
}

export class ProtocolGuard {
  private readonly peer: BusPeer;
  private readonly host: GuardHost;
  /** conversations of this worker's agents that follow an interaction protocol */
  private readonly conversations: ConversationTable;
  /** f64 index of this thread's T_STAT_CONVERSATIONS */
  private readonly conversationsStat: number;

  constructor(peer: BusPeer, host: GuardHost) {
    this.peer = peer;
    this.host = host;
    this.conversationsStat = peer.bus.threadF64(peer.thread) + T_STAT_CONVERSATIONS;
    this.conversations = new ConversationTable({ idleMs: 10 * 60_000, lateGraceMs: 60_000, onTimeout: (c) => this.replyByPassed(c) });
    setInterval(() => {
      this.conversations.sweep();
      this.peer.bus.f64[this.conversationsStat] = this.conversations.size;
    }, 1000).unref();
  }

  /** A fresh instance of the agent remembers no conversation. */
  forget(slot: number): void {
    this.conversations.dropAgent(slot);
  }

  /**
   * Check a protocol frame of `agent` (sent, or received) against its
   * conversation. `mem`/`byte` locate the frame's bytes for reading the
   * reply-by parameter of a sent frame.
   */
  check(agent: HostedAgent, sending: boolean, f32: Int32Array, w: number, peer: number, mem?: Uint8Array, byte = 0): Verdict {
    const protocol = protocolByCode(f32[w + W_PROTOCOL]! & 0xff);
    const performative = PERFORMATIVES[(f32[w + W_VERSION]! >>> W_PERFORMATIVE_SHIFT) & 0xff];
    if (!protocol || !performative) return { ok: false, late: false, reason: `unknown protocol code ${f32[w + W_PROTOCOL]! & 0xff} or performative` };
    let replyBy = 0;
    const paramsLength = f32[w + W_PARAMS_LENGTH]! >>> 0;
    if (sending && paramsLength > 0 && mem) {
      try {
        const params = msgpack.unpack(mem.subarray(byte + FRAME_HEADER_BYTES, byte + FRAME_HEADER_BYTES + paramsLength)) as { replyBy?: unknown };
        if (typeof params?.replyBy === 'number' && Number.isFinite(params.replyBy)) replyBy = params.replyBy;
      } catch {
        return { ok: false, late: false, reason: 'its parameters are not a valid msgpack map' };
      }
    }
    const verdict = this.conversations.check(protocol, agent.slot, sending, peer, f32[w + W_CONV_LO]!, f32[w + W_CONV_HI]!, performative, replyBy);
    if (!verdict.ok) return verdict;
    return {
      ok: true,
      apply: () => {
        verdict.apply();
        this.peer.bus.f64[this.conversationsStat] = this.conversations.size;
      },
    };
  }

  /** A received protocol frame: deliver it, or answer not-understood / recognise it as late and dead-letter it. */
  allowsDelivery(agent: HostedAgent, b32: Int32Array, w: number, off: number, len: number): boolean {
    const v = this.check(agent, false, b32, w, b32[w + W_SRC]!);
    if (v.ok) {
      v.apply();
      return true;
    }
    if (v.late) {
      this.host.deadLetterRing(off, len, agent.name, DeadLetterReason.LATE_REPLY, v.reason);
      return false;
    }
    this.host.deadLetterRing(off, len, agent.name, DeadLetterReason.PROTOCOL_VIOLATION, v.reason);
    this.host.warn(agent, `not-understood sent for a protocol violation: ${v.reason}`);
    this.replyFor(agent, b32, w, PERF_NOT_UNDERSTOOD, { error: 'PROTOCOL_VIOLATION', reason: v.reason });
    return false;
  }

  /** Send a message on an agent's behalf (not-understood for a violation) into the ring towards the sender. */
  private replyFor(agent: HostedAgent, f32: Int32Array, w: number, performative: number, content: unknown): void {
    const dst = f32[w + W_SRC]!;
    const entry = this.peer.router.lookup(dst);
    if (entry === 0 || routeStopped(entry)) return;
    const ids = this.peer.ids;
    const lo = ids.next();
    const protocol = protocolByCode(f32[w + W_PROTOCOL]! & 0xff);
    const frame = encodeFrame({
      performative, flags: FLAG_HOST_GENERATED, destinationSlot: dst, destinationGeneration: routeGeneration(entry),
      sourceSlot: agent.slot, sourceGeneration: agent.generation, messageIdLo: lo, messageIdHi: ids.hi,
      conversationLo: f32[w + W_CONV_LO]!, conversationHi: f32[w + W_CONV_HI]!, inReplyToLo: f32[w + W_MSG_LO]!, inReplyToHi: f32[w + W_MSG_HI]!,
    }, content, protocol ? { protocol } : undefined);
    const p = this.peer.producers[routeThread(entry)]!;
    const at = p.reserve(frame.byteLength);
    if (at < 0) {
      this.host.warn(agent, `could not send not-understood to slot ${dst}: its mailbox is full`);
      return;
    }
    this.peer.bus.u8.set(frame, at);
    p.publish();
  }

  /** An initiator's reply-by passed: tell it with a failure in the conversation, made by the host. */
  private replyByPassed(c: Conversation): void {
    const agent = this.host.agentAt(c.agent);
    if (!agent || agent.state === AgentState.Removed) return;
    const peerEntry = this.peer.router.lookup(c.peer);
    const ids = this.peer.ids;
    const lo = ids.next();
    const bytes = encodeFrame({
      performative: PERF_FAILURE, flags: FLAG_HOST_GENERATED, destinationSlot: agent.slot, destinationGeneration: agent.generation,
      sourceSlot: c.peer, sourceGeneration: routeGeneration(peerEntry), messageIdLo: lo, messageIdHi: ids.hi,
      conversationLo: c.convLo, conversationHi: c.convHi,
    }, { error: 'REPLY_BY_PASSED', reason: `no reply by ${new Date(c.replyBy).toISOString()}`, replyBy: new Date(c.replyBy).toISOString() }, { protocol: c.protocol });
    const frame = new Int32Array(((bytes.byteLength + 7) & ~7) >> 2);
    new Uint8Array(frame.buffer).set(bytes);
    this.peer.countAccepted(PERF_FAILURE);
    this.host.deliverSynthesized(agent, frame);
  }
}
