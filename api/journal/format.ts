/**
 * The journal's file format (docs/decisions/0016-journal.md). One directory,
 * <data-dir>/journal, holding NDJSON files named <run>-<seq>.ndjson; a run is
 * one start of the server. Each line is one of:
 *
 *   {"run":"…","pid":123,"at":ms,"v":1}          first line of every file
 *   {"m":id,"a":agent,"p":performative,"c":conversation,"t":thread,"o":ordinal,"at":ms[,"d":{…}]}
 *                                                 a message the API accepted
 *   {"s":[…],"at":ms}                             settled marks, by thread index
 *   {"end":"stopped","at":ms}                     the run stopped cleanly with
 *                                                 messages still unsettled
 *
 * A message record names the ring it went into (the API thread's ring to
 * worker `t`) and its ordinal there; the marks say, per ring, up to which
 * ordinal every frame is settled (handled or dead-lettered: bus/layout.ts
 * RC_SETTLED_F64). A record above its ring's last mark is unfinished.
 */
export const JOURNAL_DIR = 'journal';
export const JOURNAL_VERSION = 1;

/** What a durable Send or Invoke keeps of itself, to send it again after a crash. */
export interface DurablePart {
  content: unknown;
  inReplyTo?: string;
}

/** A durable message an earlier run left unfinished, to send again (api/journal/redeliver.ts). */
export interface Redelivery {
  agent: string;
  performative: string;
  content: unknown;
  conversationId: string;
  inReplyTo: string | undefined;
}

export interface HeaderLine {
  run: string;
  pid: number;
  at: number;
  v: number;
}

export interface MessageLine {
  /** message id (16 hex) */
  m: string;
  a: string;
  p: string;
  /** the conversation as the caller named it; absent = none */
  c?: string;
  t: number;
  o: number;
  at: number;
  d?: DurablePart;
}

export interface MarksLine {
  s: number[];
  at: number;
}

export interface EndLine {
  end: 'stopped';
  at: number;
}

/** A journal file's name: the run, then a sequence number that sorts as text. */
export function journalFileName(run: string, seq: number): string {
  return `${run}-${String(seq).padStart(6, '0')}.ndjson`;
}

export const JOURNAL_FILE = /^([0-9a-z]+-[0-9a-f]+)-(\d{6})\.ndjson$/;
