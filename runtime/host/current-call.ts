/**
 * The agent call in progress on a worker (a worker runs one call at a time):
 * which agent runs, the frame it handles, the trace context its sends
 * inherit and the performatives it has sent so far. The host imports read it
 * (caxton.send stamps from it, caxton.log tags lines with it); the host sets
 * it around every call into agent code.
 *
 * All of it is plain fields and typed arrays made once: entering and leaving
 * a call allocates nothing.
 */
import { PERFORMATIVES, W_CONV_HI, W_CONV_LO, W_MSG_HI, W_MSG_LO, W_PERFORMATIVE_SHIFT, W_SRC, W_TRACE_WORDS, W_VERSION } from '../../bus/layout.js';
import { idToString } from '../../bus/frame.js';
import type { ConversationNames } from '../../bus/conversation-names.js';
import { wordsToHex } from '../observability/tracing.js';
import type { MessageContext } from '../observability/logger.js';
import type { HostedAgent } from './hosted-agent.js';

/** Stands for "no trace context": sends made outside a message (init, timers) carry none. */
export const NO_TRACE = new Int32Array(W_TRACE_WORDS);
/** Stands for "no message is being handled" in the log context. */
export const NO_FRAME = new Int32Array(20);

/** What a log line written during a call says about the message being handled. */
export type CallContext = Partial<MessageContext> & { from?: string };

export class CurrentCall {
  /** the user's conversation-id strings (bus/conversation-names.ts): log lines show them instead of keys */
  names: ConversationNames | undefined;
  /** the agent whose code runs now; undefined between calls */
  agent: HostedAgent | undefined;
  /** trace context its sends inherit: words [traceWord, traceWord + 6) of traceSrc */
  traceSrc: Int32Array = NO_TRACE;
  traceWord = 0;
  /** FLAG_TRACE_SAMPLED when the message being handled is sampled: its sends are too */
  traceFlags = 0;
  /** the frame being handled, at word frameWord of frameSrc (log lines about it carry its ids) */
  frameSrc: Int32Array = NO_FRAME;
  frameWord = 0;
  /**
   * The performatives of the call's sends (taken back out of "accepted" if
   * the call traps): a stack in a typed array, reset by its count. An array
   * emptied with `length = 0` after every call gave its backing store back
   * and grew a new one at the next send: an allocation per message, and a
   * scavenge every few milliseconds under load.
   */
  perfs = new Int32Array(64);
  perfCount = 0;
  /** counts entries into agent code: the interrupt check tells one call from the next by it */
  seq = 0;
  /** the call (seq) the last interrupt check saw, and when it first saw it (performance.now()) */
  checkedSeq = -1;
  checkedSince = 0;

  /** A call outside any message (init, a timer): no trace context, nothing to log about. */
  enterWithoutMessage(agent: HostedAgent): void {
    this.agent = agent;
    this.traceSrc = NO_TRACE;
    this.traceFlags = 0;
  }

  pushPerformative(perf: number): void {
    if (this.perfCount === this.perfs.length) {
      const grown = new Int32Array(this.perfs.length * 2);
      grown.set(this.perfs);
      this.perfs = grown;
    }
    this.perfs[this.perfCount++] = perf;
  }

  /** The ids of the message being handled, for a log line (off the hot path: only when a line is written). */
  context(nameOf: (slot: number) => string): CallContext {
    const src = this.frameSrc;
    if (src === NO_FRAME) return {};
    const w = this.frameWord;
    const perf = (src[w + W_VERSION]! >>> W_PERFORMATIVE_SHIFT) & 0xff;
    const ctx: CallContext = {
      conversationId: this.names?.showWords(src[w + W_CONV_LO]!, src[w + W_CONV_HI]!) ?? idToString(src[w + W_CONV_LO]!, src[w + W_CONV_HI]!),
      messageId: idToString(src[w + W_MSG_LO]!, src[w + W_MSG_HI]!),
      performative: PERFORMATIVES[perf] ?? `unknown(${perf})`,
      from: nameOf(src[w + W_SRC]!),
    };
    const t = this.traceSrc;
    const tw = this.traceWord;
    if (t !== NO_TRACE && (t[tw]! | t[tw + 1]! | t[tw + 2]! | t[tw + 3]!) !== 0) {
      ctx.traceId = wordsToHex(t, tw, 4);
      ctx.spanId = wordsToHex(t, tw + 4, 2);
    }
    return ctx;
  }
}
