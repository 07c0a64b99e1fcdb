/**
 * `caxton dead-letters`: the server's most recent dead letters
 * (ManagementService.ListDeadLetters), oldest first like `caxton logs`.
 *
 * ListDeadLetters only takes a limit (the most recent N of the retained
 * window, at most 100000), so the filters are applied here, over a window
 * fetched large enough that the result is the same as filtering everything
 * the server keeps: see fetchMatching().
 */
import { Connection, type ConnectionOptions } from '../client.js';
import { UsageError, durationFlag } from '../usage.js';
import { table } from '../output.js';
import { SERVER_MAX_LIMIT } from '../options/dead-letters.js';
import { DeadLetterReason } from '../../runtime/errors.js';
import { conversationKey } from '../../runtime/fipa/acl/bridge.js';
import type { DeadLetter } from '../../runtime/runtime.js';
import type { DeadLetter__Output } from '../../proto/generated/caxton/v1/DeadLetter.js';

/** The first window asked for when filtering; doubled until it holds enough matches. */
const FIRST_WINDOW = 1000;

const REASONS = Object.keys(DeadLetterReason);
const COLUMNS = ['time', 'reason', 'agent', 'from', 'performative', 'conversation', 'detail'];
/** The table cuts a detail longer than this (the JSON output has all of it). */
const DETAIL_WIDTH = 100;

/** One dead letter as the CLI prints it: every field of the proto, content parsed (REST's shape). */
type DeadLetterView = Omit<DeadLetter, 'reason'> & { reason: string };

/** `caxton dead-letters`' options (cli/options/dead-letters.ts). */
export interface DeadLettersArgs extends ConnectionOptions {
  limit?: string;
  agent?: string;
  from?: string;
  reason?: string;
  conversation?: string;
  since?: string;
  output?: 'table' | 'json';
}

interface Filters {
  reasons?: Set<string> | undefined;
  agent?: string | undefined;
  from?: string | undefined;
  /** the conversation as given, and its 16-hex-digit key (a name and its key both find a letter) */
  conversation?: { given: string; key: string } | undefined;
  sinceMs?: number | undefined;
}

function filtersOf(a: DeadLettersArgs): Filters {
  const f: Filters = {};
  for (const k of ['agent', 'from', 'conversation', 'reason', 'since'] as const) {
    if (a[k] !== undefined && String(a[k]).trim() === '') throw new UsageError(`--${k} needs a value`);
  }
  if (a.reason !== undefined) {
    const asked = String(a.reason).split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    if (asked.length === 0) throw new UsageError('--reason needs at least one reason, e.g. --reason HANDLER_FAILED,NO_WAITER');
    const unknown = asked.filter((r) => !REASONS.includes(r));
    if (unknown.length) throw new UsageError(`--reason: unknown dead-letter reason ${unknown.map((r) => `"${r}"`).join(', ')} (known: ${REASONS.join(', ')})`);
    f.reasons = new Set(asked);
  }
  if (a.agent !== undefined) f.agent = String(a.agent);
  if (a.from !== undefined) f.from = String(a.from);
  // A dead letter shows the conversation as the user named it when the server
  // knew the name, else its key; either spelling finds it.
  if (a.conversation !== undefined) f.conversation = { given: String(a.conversation), key: conversationKey(String(a.conversation)) };
  if (a.since !== undefined) f.sinceMs = Date.now() - durationFlag(String(a.since), '--since');
  return f;
}

const filtering = (f: Filters): boolean => Object.values(f).some((v) => v !== undefined);

function inConversation(shown: string, c: { given: string; key: string }): boolean {
  return shown === c.given || (shown !== '' && conversationKey(shown) === c.key);
}

function matches(d: DeadLetterView, f: Filters): boolean {
  return (!f.reasons || f.reasons.has(d.reason))
    && (f.agent === undefined || d.agent === f.agent)
    && (f.from === undefined || d.from === f.from)
    && (f.conversation === undefined || inConversation(d.conversationId, f.conversation))
    && (f.sinceMs === undefined || Date.parse(d.at) >= f.sinceMs);
}

function view(d: DeadLetter__Output): DeadLetterView {
  let content: unknown;
  try {
    content = JSON.parse(d.contentJson || 'null');
  } catch {
    content = d.contentJson; // not JSON (it always is from this server): keep the text
  }
  return {
    seq: Number(d.seq), at: d.at, reason: d.reason, hint: d.hint, detail: d.detail, agent: d.agent, from: d.from,
    performative: d.performative, messageId: d.messageId, conversationId: d.conversationId, content,
  };
}

/**
 * The matching dead letters, oldest first, at least `want` of them when the
 * server has that many (the caller keeps the last `limit`).
 *
 * Without filters one call for the most recent `want` does. With filters,
 * the most recent FIRST_WINDOW are fetched, then twice as many, ... until
 * they hold `want` matches, or the server returned fewer than asked (that
 * was its whole window), or the oldest fetched is older than --since (no
 * older one can match), or SERVER_MAX_LIMIT is reached. Each fetch is the
 * newest end of the window, so the last `limit` matches of the final fetch
 * are the newest `limit` matches of everything the server keeps (up to its
 * most recent SERVER_MAX_LIMIT).
 */
async function fetchMatching(conn: Connection, f: Filters, want: number): Promise<DeadLetterView[]> {
  let ask = filtering(f) ? Math.min(SERVER_MAX_LIMIT, Math.max(FIRST_WINDOW, want * 4)) : Math.min(SERVER_MAX_LIMIT, want);
  for (;;) {
    const { deadLetters } = await conn.call('management', 'ListDeadLetters', { limit: ask });
    const all = deadLetters.map(view);
    const found = filtering(f) ? all.filter((d) => matches(d, f)) : all;
    const wholeWindow = all.length < ask;
    const sinceReached = f.sinceMs !== undefined && all.length > 0 && Date.parse(all[0]!.at) < f.sinceMs;
    if (found.length >= want || wholeWindow || sinceReached || ask >= SERVER_MAX_LIMIT) return found;
    ask = Math.min(SERVER_MAX_LIMIT, ask * 2);
  }
}

/** A table cell on one line, cut to `width`. */
function oneLine(s: string, width: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function formatTable(letters: DeadLetterView[], more: boolean, filtered: boolean): string {
  if (letters.length === 0) return filtered ? 'no dead letters match' : 'no dead letters';
  const rows = letters.map((d) => ({
    time: d.at, reason: d.reason, agent: d.agent, from: d.from, performative: d.performative,
    conversation: /^0*$/.test(d.conversationId) ? '' : d.conversationId, detail: oneLine(d.detail, DETAIL_WIDTH),
  }));
  const hints = new Map<string, string>();
  for (const d of letters) if (d.hint && !hints.has(d.reason)) hints.set(d.reason, d.hint);
  const width = Math.max(0, ...[...hints.keys()].map((r) => r.length));
  const out = [table(rows, COLUMNS)];
  if (hints.size) out.push('', ...[...hints].map(([r, h]) => `${r.padEnd(width)}  ${h}`));
  if (more) out.push('', `(the ${letters.length} most recent; older ones ${filtered ? 'match too' : 'are kept'}: raise --limit to see them)`);
  return out.join('\n');
}

export async function runDeadLetters(a: DeadLettersArgs): Promise<void> {
  const text = String(a.limit ?? '').trim();
  const limit = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= SERVER_MAX_LIMIT)) throw new UsageError(`--limit takes a whole number from 1 to ${SERVER_MAX_LIMIT}, got "${text}"`);
  const f = filtersOf(a);
  const output: 'table' | 'json' = a.output ?? (process.stdout.isTTY ? 'table' : 'json');
  const conn = new Connection(a);
  try {
    // One more than shown, to tell whether older ones exist.
    const want = Math.min(limit + 1, SERVER_MAX_LIMIT);
    const found = await fetchMatching(conn, f, want);
    const shown = found.slice(-limit);
    const more = found.length > shown.length;
    if (output === 'json') {
      const text = shown.map((d) => `${JSON.stringify(d)}\n`).join('');
      if (text) process.stdout.write(text);
    } else {
      process.stdout.write(`${formatTable(shown, more, filtering(f))}\n`);
    }
  } finally {
    conn.close();
  }
}
