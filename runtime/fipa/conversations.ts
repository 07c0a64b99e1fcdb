/**
 * The conversations of the agents hosted on one worker that follow an
 * interaction protocol (runtime/fipa/protocols.ts). Each agent's side of a
 * conversation with one peer is one entry, keyed by
 * (agent slot, conversation id, peer slot): a Contract Net initiator has one
 * entry per contractor.
 *
 * Memory stays bounded by the conversations in progress, not by every
 * conversation ever held: an entry is deleted when its protocol ends, a
 * timed-out entry is kept only for a grace period (to recognise late
 * replies), and entries idle for `idleMs` are swept.
 */
import type { Performative } from '../../bus/layout.js';
import { END, expected, nextState, type Protocol, type Side } from './protocols.js';

export interface Conversation {
  readonly protocol: Protocol;
  /** this agent's side */
  readonly role: Side;
  state: string;
  /** reply-by set by the initiator, ms since epoch (0 = none) */
  replyBy: number;
  timer: NodeJS.Timeout | undefined;
  touched: number;
  /** when the reply-by passed (0 = it did not) */
  timedOutAt: number;
  readonly agent: number;
  readonly convLo: number;
  readonly convHi: number;
  readonly peer: number;
}

export type Verdict =
  | { ok: true; apply: () => void }
  | { ok: false; late: boolean; reason: string };

export interface ConversationOptions {
  /** forget conversations idle this long (ms) */
  idleMs: number;
  /** keep a timed-out conversation this long to recognise late replies (ms) */
  lateGraceMs: number;
  /** called when an initiator's reply-by passes without a reply */
  onTimeout: (c: Conversation) => void;
}

export class ConversationTable {
  private readonly map = new Map<string, Conversation>();
  private readonly options: ConversationOptions;

  constructor(options: ConversationOptions) {
    this.options = options;
  }

  get size(): number {
    return this.map.size;
  }

  private static key(agent: number, convLo: number, convHi: number, peer: number): string {
    return `${agent}:${convHi >>> 0}:${convLo >>> 0}:${peer}`;
  }

  /**
   * Check one message of `agent` in protocol `protocol`. `sending` tells
   * whether the agent sends it (else it receives it). The state changes only
   * when the returned `apply` is called, so a send that then fails for
   * another reason (a full mailbox) leaves the conversation as it was.
   */
  check(protocol: Protocol, agent: number, sending: boolean, peer: number, convLo: number, convHi: number, performative: Performative, replyBy: number): Verdict {
    const key = ConversationTable.key(agent, convLo, convHi, peer);
    const c = this.map.get(key);
    if (c && c.timedOutAt !== 0) {
      return { ok: false, late: true, reason: `the reply-by of this ${c.protocol} conversation passed at ${new Date(c.replyBy).toISOString()}` };
    }
    if (c && c.protocol !== protocol) {
      return { ok: false, late: false, reason: `the conversation follows ${c.protocol}, this message says ${protocol}` };
    }
    const role: Side = c ? c.role : sending ? 'initiator' : 'participant';
    const senderSide: Side = sending ? role : role === 'initiator' ? 'participant' : 'initiator';
    const next = nextState(protocol, c?.state, senderSide, performative);
    if (next === undefined) {
      return { ok: false, late: false, reason: `${performative} from the ${senderSide} breaks ${protocol}${c ? ` in state "${c.state}"` : ''}: expected ${expected(protocol, c?.state)}` };
    }
    return {
      ok: true,
      apply: () => {
        if (next === END) {
          if (c) this.delete(key, c);
          return;
        }
        const now = Date.now();
        const entry = c ?? {
          protocol, role, state: next, replyBy: 0, timer: undefined, touched: now, timedOutAt: 0,
          agent, convLo, convHi, peer,
        };
        entry.state = next;
        entry.touched = now;
        if (!c) this.map.set(key, entry);
        // An answer from the participant meets the initiator's reply-by.
        if (senderSide === 'participant' && entry.timer) {
          clearTimeout(entry.timer);
          entry.timer = undefined;
          entry.replyBy = 0;
        }
        if (sending && role === 'initiator' && replyBy > 0) this.arm(entry, replyBy);
      },
    };
  }

  private arm(c: Conversation, replyBy: number): void {
    clearTimeout(c.timer);
    c.replyBy = replyBy;
    c.timer = setTimeout(() => {
      c.timer = undefined;
      c.timedOutAt = Date.now();
      c.touched = c.timedOutAt;
      this.options.onTimeout(c);
    }, Math.max(0, replyBy - Date.now()));
    c.timer.unref();
  }

  private delete(key: string, c: Conversation): void {
    clearTimeout(c.timer);
    this.map.delete(key);
  }

  /** Forget every conversation of an agent (removed or restarted). */
  dropAgent(agent: number): void {
    for (const [k, c] of this.map) if (c.agent === agent) this.delete(k, c);
  }

  /** Delete idle conversations and timed-out ones past their grace period. */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [k, c] of this.map) {
      const stale = c.timedOutAt !== 0 ? now - c.timedOutAt > this.options.lateGraceMs : c.timer === undefined && now - c.touched > this.options.idleMs;
      if (stale) {
        this.delete(k, c);
        n++;
      }
    }
    return n;
  }
}
