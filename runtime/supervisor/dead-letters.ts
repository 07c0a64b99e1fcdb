/**
 * The dead-letter queue: every message that could not be delivered, as the
 * threads report it (records travel by MessagePort, counters by the bus).
 * Keeps the most recent records, counts them by performative for the
 * metrics, and logs one warning per dead letter up to a storm limit.
 */
import type { ConversationNames } from '../../bus/conversation-names.js';
import { decodeFrame, type DecodedFrame } from '../../bus/frame.js';
import { DEAD_LETTER_HINTS } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { LineBudget } from '../observability/line-budget.js';
import type { DeadLetterRecord } from '../thread-messages.js';
import type { DeadLetter } from '../types.js';
import type { Registry } from './registry.js';

/** dead letters logged one by one per second; the rest are counted in one line */
const DEAD_LETTER_LINES_PER_SECOND = 100;

/** A message an earlier run accepted and never finished (api/journal/recover.ts): a LOST_IN_CRASH dead letter. */
export interface LostLetter {
  /** when the earlier run accepted it, ms since the epoch */
  at: number;
  agent: string;
  performative: string;
  messageId: string;
  conversationId: string;
  /** the content, when it was kept (a durable message that could not be sent again) */
  content: unknown;
  detail: string;
}

/** Who reported a record (a worker): it counts its own, to spot records lost with it. */
export interface DeadLetterSource {
  deadLettersRecorded: number;
}

export class DeadLetters {
  private readonly registry: Registry;
  private readonly logger: Logger;
  private readonly retention: number;
  private readonly deadLetters: DeadLetter[] = [];
  private deadLetterSeq = 0;
  /** dead letters whose records reached the supervisor (records travel by MessagePort, counters by the bus) */
  private deadLettersRecorded = 0;
  private readonly deadLettersByPerformative = new Map<string, number>();
  /** a storm's warnings, at most DEAD_LETTER_LINES_PER_SECOND; the rest summed up when its second ends */
  private readonly deadLetterLines: LineBudget;

  /** messages an earlier run accepted and never finished, dead-lettered LOST_IN_CRASH at this start (not part of this run's counts) */
  lostInCrash = 0;
  /** durable messages an earlier run left unfinished, sent again at this start */
  redelivered = 0;

  /** the user's conversation-id strings, shown instead of header keys */
  private readonly names: ConversationNames | undefined;

  constructor(registry: Registry, logger: Logger, retention: number, names?: ConversationNames) {
    this.registry = registry;
    this.names = names;
    this.logger = logger;
    this.retention = retention;
    this.deadLetterLines = new LineBudget(DEAD_LETTER_LINES_PER_SECOND, (skipped) => {
      this.logger.warn({ skipped }, `${skipped} more dead letter(s) not logged (more than ${DEAD_LETTER_LINES_PER_SECOND} per second); see ListDeadLetters`);
    });
  }

  /** dead letters whose records reached the supervisor */
  get recorded(): number {
    return this.deadLettersRecorded;
  }

  /** dead letters by performative ('unknown' for an unreadable frame), every one ever */
  get byPerformative(): ReadonlyMap<string, number> {
    return this.deadLettersByPerformative;
  }

  record(r: DeadLetterRecord, source?: DeadLetterSource): void {
    this.deadLettersRecorded += r.count ?? 1;
    if (source) source.deadLettersRecorded += r.count ?? 1;
    let d: DecodedFrame | undefined;
    try {
      if (r.frame.byteLength) d = decodeFrame(r.frame);
    } catch {
      d = undefined;
    }
    const from = d ? this.registry.nameOf(d.sourceSlot) : '';
    const conversationId = d ? this.conversationOf(d) : '';
    this.deadLetters.push({
      seq: ++this.deadLetterSeq, at: new Date(r.at).toISOString(), reason: r.reason, hint: DEAD_LETTER_HINTS[r.reason],
      detail: r.detail, agent: r.agent, from, performative: d?.performative ?? '', messageId: d?.messageId ?? '',
      conversationId, content: d?.content,
    });
    if (this.deadLetters.length > this.retention) this.deadLetters.shift();
    const perf = d?.performative ?? 'unknown';
    this.deadLettersByPerformative.set(perf, (this.deadLettersByPerformative.get(perf) ?? 0) + (r.count ?? 1));
    // One warning per dead letter, with the message's ids (docs/observability.md);
    // a storm is cut at DEAD_LETTER_LINES_PER_SECOND and summed up when its
    // second ends (a timer, so the summary comes even if no dead letter follows).
    if (!this.deadLetterLines.take(r.count ?? 1)) return;
    this.logger.warn({
      agent: r.agent, reason: r.reason, from, conversationId: conversationId || undefined, messageId: d?.messageId, performative: d?.performative,
      traceId: d?.traceId || undefined, spanId: d?.spanId || undefined, count: r.count,
    }, `dead letter (${r.reason}): ${r.detail}`);
  }

  /** The conversation as the user named it: the frame's own conversation-id string, else the names table's, else the key ('' for none). */
  private conversationOf(d: DecodedFrame): string {
    if (/^0+$/.test(d.conversationId)) return '';
    const given = d.params?.conversationId;
    if (typeof given === 'string' && given !== '') return given;
    return this.names?.show(d.conversationId) ?? d.conversationId;
  }

  /**
   * What an earlier run accepted and never finished: LOST_IN_CRASH letters,
   * counted apart from this run's messages (they were never accepted by it).
   * Not logged one by one: the caller logs their number.
   */
  recordLost(letters: readonly LostLetter[]): void {
    this.lostInCrash += letters.length;
    for (const l of letters) {
      this.deadLetters.push({
        seq: ++this.deadLetterSeq, at: new Date(l.at).toISOString(), reason: 'LOST_IN_CRASH', hint: DEAD_LETTER_HINTS.LOST_IN_CRASH,
        detail: l.detail, agent: l.agent, from: '$api', performative: l.performative, messageId: l.messageId, conversationId: l.conversationId, content: l.content,
      });
      if (this.deadLetters.length > this.retention) this.deadLetters.shift();
    }
  }

  /** Write a storm's summary still pending now (at shutdown), not when its second ends. */
  flushLog(): void {
    this.deadLetterLines.flush();
  }

  /** The most recent dead letters (oldest first); `stats().deadLettered` counts every one ever. */
  list(limit = 100): DeadLetter[] {
    return this.deadLetters.slice(-limit);
  }
}
