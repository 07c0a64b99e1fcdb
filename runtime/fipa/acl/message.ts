/**
 * The FIPA ACL message model (FIPA SC00061 "ACL Message Structure", SC00023
 * agent identifiers, SC00037 communicative acts) and its validation.
 *
 * An AclMessage is the JSON form Caxton uses everywhere above the bus: what the
 * API and the CLI accept, and what the string codec (string-codec.ts) reads and
 * writes. Every parameter value is a string, whatever its FIPA type (a word, a
 * number, a nested expression): the model keeps the text, agents interpret it.
 *
 * validateMessage() checks an untrusted value (parsed JSON) and returns a fresh,
 * normalised message; each fault is a CaxtonError with a stable code that names
 * the field, so API and CLI callers get the same answers.
 */
import { PERFORMATIVES, type Performative } from '../../../bus/layout.js';
import {
  ContentTooLargeError, InvalidMessageError, ReplyByInPastError, UnknownPerformativeError,
} from '../../errors.js';

export { PERFORMATIVES };
export type { Performative };

/** An agent identifier (SC00023): a name, optional transport addresses and name resolvers. */
export interface AgentIdentifier {
  /** The agent's name; any non-empty string (the string form quotes it when it is not a FIPA Word). */
  name: string;
  /** Transport addresses (URLs), in order of preference. */
  addresses?: string[];
  /** Agents that can resolve this name (e.g. AMS instances), in order of preference. */
  resolvers?: AgentIdentifier[];
  /** User-defined parameters; keys keep their `X-` prefix, e.g. `{ "X-region": "eu" }`. */
  userDefined?: Record<string, string>;
}

/** A FIPA ACL message (SC00061). Only `performative` is mandatory. */
export interface AclMessage {
  performative: Performative;
  sender?: AgentIdentifier;
  receiver?: AgentIdentifier[];
  replyTo?: AgentIdentifier[];
  content?: string;
  language?: string;
  encoding?: string;
  ontology?: string;
  protocol?: string;
  conversationId?: string;
  replyWith?: string;
  inReplyTo?: string;
  /** ISO-8601 UTC with milliseconds, e.g. `2000-12-31T23:59:59.000Z`. */
  replyBy?: string;
  /**
   * User-defined message parameters. Keys keep their `X-` prefix exactly as
   * written on the wire (`:X-priority high` is `{ "X-priority": "high" }`), so
   * a key reads the same in JSON, in the string form and in the spec.
   */
  userDefined?: Record<string, string>;
}

export interface ValidateOptions {
  /** The time replyBy must not precede, in ms since the epoch (default Date.now()). */
  now?: number;
  /** Largest content accepted, in UTF-8 bytes (default 64 KiB). */
  maxContentBytes?: number;
  /** Whether a non-empty receiver list is required (default true). */
  requireReceiver?: boolean;
}

export const DEFAULT_MAX_CONTENT_BYTES = 64 * 1024;

/**
 * How deep resolvers may nest (an agent identifier whose resolver has a
 * resolver ...). Real deployments use one level; the cap keeps hostile input
 * from recursing without bound. The string parser applies the same limit.
 */
export const MAX_AGENT_IDENTIFIER_DEPTH = 8;

/**
 * The message parameters of SC00061 in the specification's order, JSON field
 * name -> parameter name in the string form. The string codec writes them in
 * this order.
 */
export const FIPA_PARAMETER_NAMES = Object.freeze({
  sender: 'sender',
  receiver: 'receiver',
  replyTo: 'reply-to',
  content: 'content',
  language: 'language',
  encoding: 'encoding',
  ontology: 'ontology',
  protocol: 'protocol',
  conversationId: 'conversation-id',
  replyWith: 'reply-with',
  inReplyTo: 'in-reply-to',
  replyBy: 'reply-by',
} as const);
export type MessageParameterField = keyof typeof FIPA_PARAMETER_NAMES;

const STRING_FIELDS = [
  'content', 'language', 'encoding', 'ontology', 'protocol', 'conversationId', 'replyWith', 'inReplyTo',
] as const;
const MESSAGE_FIELDS = ['performative', ...Object.keys(FIPA_PARAMETER_NAMES), 'userDefined'];
const AGENT_IDENTIFIER_FIELDS = ['name', 'addresses', 'resolvers', 'userDefined'];

/**
 * A user-defined parameter name: `X-` (either case) and at least one more
 * character that may appear in a FIPA Word (no white space, no parentheses).
 */
// eslint-disable-next-line no-control-regex -- a FIPA Word excludes the control characters, so the class names them
const USER_DEFINED_NAME = /^[xX]-[^\x00-\x20()]+$/;

export function isUserDefinedName(name: string): boolean {
  return USER_DEFINED_NAME.test(name);
}

/** The act named `name` (any letter case, as the string representation allows), or undefined. */
export function toPerformative(name: string): Performative | undefined {
  const lower = name.toLowerCase();
  return (PERFORMATIVES as readonly string[]).includes(lower) ? (lower as Performative) : undefined;
}

/**
 * Check an untrusted value (e.g. parsed JSON from the API or the CLI) and
 * return it as a fresh AclMessage: only known fields, the performative in
 * lower case, replyBy normalised to `YYYY-MM-DDTHH:MM:SS.mmmZ`, an empty
 * userDefined object dropped. A field that is `null` counts as absent (JSON
 * encoders often write absent optionals so). Empty receiver/replyTo/addresses/
 * resolvers lists are kept: they have a string form, (set) or (sequence).
 */
export function validateMessage(m: unknown, opts: ValidateOptions = {}): AclMessage {
  const now = opts.now ?? Date.now();
  const maxContentBytes = opts.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const requireReceiver = opts.requireReceiver ?? true;

  const obj = expectObject(m, 'message', 'must be a JSON object such as {"performative": "inform", "receiver": [{"name": "bob"}], "content": "hello"}');
  rejectUnknownFields(obj, MESSAGE_FIELDS, '');

  const out: AclMessage = { performative: checkPerformative(obj['performative']) };
  const sender = present(obj['sender']);
  if (sender !== undefined) out.sender = checkAgentIdentifier(sender, 'sender', 1);
  const receiver = present(obj['receiver']);
  if (receiver !== undefined) out.receiver = checkAgentIdentifierList(receiver, 'receiver');
  if (requireReceiver && (out.receiver === undefined || out.receiver.length === 0)) {
    throw new InvalidMessageError('receiver', out.receiver === undefined ? 'is missing' : 'is empty',
      'Name at least one receiving agent, e.g. "receiver": [{"name": "bob"}].');
  }
  const replyTo = present(obj['replyTo']);
  if (replyTo !== undefined) out.replyTo = checkAgentIdentifierList(replyTo, 'replyTo');

  for (const field of STRING_FIELDS) {
    const v = present(obj[field]);
    if (v === undefined) continue;
    if (typeof v !== 'string') throw wrongType(field, v, 'a string');
    out[field] = v;
  }
  if (out.content !== undefined) {
    const size = Buffer.byteLength(out.content, 'utf8');
    if (size > maxContentBytes) throw new ContentTooLargeError(size, maxContentBytes);
  }

  const replyBy = present(obj['replyBy']);
  if (replyBy !== undefined) out.replyBy = checkReplyBy(replyBy, now);

  const userDefined = present(obj['userDefined']);
  if (userDefined !== undefined) {
    const checked = checkUserDefined(userDefined, 'userDefined');
    if (Object.keys(checked).length > 0) out.userDefined = checked; // {} has no string form: same as none
  }
  return out;
}

// ---- fields ----

function checkPerformative(v: unknown): Performative {
  if (v === undefined || v === null) {
    throw new InvalidMessageError('performative', 'is missing',
      'Every message needs a performative: one of the 22 FIPA acts, e.g. "inform" or "request" (docs/fipa.md).');
  }
  if (typeof v !== 'string') throw wrongType('performative', v, 'a string naming a FIPA act');
  const p = toPerformative(v);
  if (p === undefined) throw new UnknownPerformativeError(v);
  return p;
}

function checkAgentIdentifierList(v: unknown, path: string): AgentIdentifier[] {
  if (!Array.isArray(v)) {
    throw wrongType(path, v, 'an array of agent identifiers',
      `Write ${path} as a list, even for one agent: [{"name": "bob"}].`);
  }
  return v.map((item, i) => checkAgentIdentifier(item, `${path}[${i}]`, 1));
}

function checkAgentIdentifier(v: unknown, path: string, depth: number): AgentIdentifier {
  const o = expectObject(v, path, 'must be an agent identifier object such as {"name": "bob"}');
  rejectUnknownFields(o, AGENT_IDENTIFIER_FIELDS, `${path}.`);
  const name = o['name'];
  if (name === undefined || name === null) {
    throw new InvalidMessageError(`${path}.name`, 'is missing', 'Every agent identifier needs a name, e.g. {"name": "bob"}.');
  }
  if (typeof name !== 'string') throw wrongType(`${path}.name`, name, 'a string');
  if (name === '') throw new InvalidMessageError(`${path}.name`, 'is empty', 'Give the agent\'s name.');
  const out: AgentIdentifier = { name };

  const addresses = present(o['addresses']);
  if (addresses !== undefined) {
    if (!Array.isArray(addresses)) throw wrongType(`${path}.addresses`, addresses, 'an array of URL strings');
    out.addresses = addresses.map((a, i) => {
      const at = `${path}.addresses[${i}]`;
      if (typeof a !== 'string') throw wrongType(at, a, 'a URL string');
      if (a === '') throw new InvalidMessageError(at, 'is empty', 'Give a transport address (URL) or leave it out.');
      return a;
    });
  }

  const resolvers = present(o['resolvers']);
  if (resolvers !== undefined) {
    if (!Array.isArray(resolvers)) throw wrongType(`${path}.resolvers`, resolvers, 'an array of agent identifiers');
    if (resolvers.length > 0 && depth >= MAX_AGENT_IDENTIFIER_DEPTH) {
      throw new InvalidMessageError(`${path}.resolvers`, `nests deeper than ${MAX_AGENT_IDENTIFIER_DEPTH} agent identifiers`,
        'Resolvers of resolvers are rarely needed; keep the chain short.');
    }
    out.resolvers = resolvers.map((r, i) => checkAgentIdentifier(r, `${path}.resolvers[${i}]`, depth + 1));
  }

  const userDefined = present(o['userDefined']);
  if (userDefined !== undefined) {
    const checked = checkUserDefined(userDefined, `${path}.userDefined`);
    if (Object.keys(checked).length > 0) out.userDefined = checked;
  }
  return out;
}

function checkUserDefined(v: unknown, path: string): Record<string, string> {
  const o = expectObject(v, path, 'must be an object of string values, e.g. {"X-priority": "high"}');
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(o)) {
    const at = `${path}.${key}`;
    if (!isUserDefinedName(key)) {
      throw new InvalidMessageError(at, 'is not a user-defined parameter name',
        'User-defined parameter names start with "X-" (kept in the key, e.g. "X-priority") and contain no white space or parentheses.');
    }
    // Parameter names are case-insensitive in the string form, so X-a and x-A would collide there.
    const earlier = seen.get(key.toLowerCase());
    if (earlier !== undefined) {
      throw new InvalidMessageError(at, `repeats "${earlier}" (parameter names are case-insensitive)`,
        'Keep one of the two keys.');
    }
    seen.set(key.toLowerCase(), key);
    if (typeof value !== 'string') throw wrongType(at, value, 'a string');
    out[key] = value;
  }
  return out;
}

function checkReplyBy(v: unknown, now: number): string {
  if (typeof v !== 'string') throw wrongType('replyBy', v, 'an ISO-8601 date-time string');
  const iso = normalizeIsoDateTime(v);
  if (iso === undefined) {
    throw new InvalidMessageError('replyBy', `"${v}" is not a valid ISO-8601 date-time with a time zone`,
      'Write it like 2030-12-31T23:59:59.000Z (UTC) or 2030-12-31T23:59:59+01:00; years 0000-9999.');
  }
  if (Date.parse(iso) < now) throw new ReplyByInPastError(iso, isoOrNumber(now));
  return iso;
}

// ---- dates ----

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * `YYYY-MM-DDTHH:MM[:SS[.mmm]]` with `Z` or a `±HH:MM` offset, normalised to
 * UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`; undefined when malformed, out of range
 * (Feb 30, hour 24, ...) or outside the years 0000-9999 that a FIPA date-time
 * token can carry. A time without a zone is refused: it would be ambiguous.
 */
export function normalizeIsoDateTime(s: string): string | undefined {
  const m = ISO_DATE_TIME.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec = '0', frac = '0', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0'));
  const t = utcTime(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec), ms);
  if (t === undefined) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return isoFromTime(t - offsetMinutes * 60_000);
}

/** True when the fields name a real calendar time (no Feb 30, no hour 24, no leap second). */
export function calendarFieldsValid(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number,
): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || ms > 999) return false;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // any leap year for the month length ...
  if (day > daysInMonth) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return !(month === 2 && day === 29 && !leap); // ... then February 29 needs a leap year
}

/** Milliseconds since the epoch of a UTC calendar time, or undefined if a field is out of range. */
export function utcTime(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number,
): number | undefined {
  if (!calendarFieldsValid(year, month, day, hour, minute, second, ms)) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not map the years 0-99 to 1900-1999
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** ISO-8601 UTC with milliseconds, or undefined outside the years 0000-9999. */
export function isoFromTime(t: number): string | undefined {
  if (!Number.isFinite(t)) return undefined;
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return undefined;
  const year = d.getUTCFullYear();
  return year < 0 || year > 9999 ? undefined : d.toISOString();
}

// ---- helpers ----

function present(v: unknown): unknown {
  return v === null ? undefined : v;
}

function expectObject(v: unknown, path: string, problem: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidMessageError(path, `${problem}, not ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

function rejectUnknownFields(o: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    throw new InvalidMessageError(`${prefix}${key}`, 'is not a field of ' + (prefix === '' ? 'an ACL message' : 'an agent identifier'),
      unknownFieldHint(key, known));
  }
}

/** Point at the field the caller probably meant: reply-by -> replyBy, X-foo -> userDefined. */
function unknownFieldHint(key: string, known: readonly string[]): string {
  if (isUserDefinedName(key)) return `Put user-defined parameters under "userDefined": {"${key}": "..."}.`;
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const match = known.find((k) => squash(k) === squash(key));
  if (match !== undefined) return `Did you mean "${match}"? Fields use camelCase in JSON.`;
  return `Known fields: ${known.join(', ')}.`;
}

function wrongType(path: string, v: unknown, wanted: string, hint?: string): InvalidMessageError {
  return new InvalidMessageError(path, `must be ${wanted}, not ${describe(v)}`, hint);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'missing';
  return `${typeof v} ${String(v)}`;
}

function isoOrNumber(t: number): string {
  return isoFromTime(t) ?? String(t);
}
