/**
 * The FIPA ACL string representation (FIPA SC00070): parseAcl() reads one
 * message, formatAcl() writes the canonical form.
 *
 *   (inform
 *     :sender (agent-identifier :name alice)
 *     :receiver (set (agent-identifier :name bob))
 *     :content "weather (today, raining)"
 *     :language Prolog)
 *
 * The parser is a small lexer plus a recursive-descent parser over the
 * SC00070 grammar:
 *
 *   Message          = "(" MessageType MessageParameter* ")"
 *   MessageParameter = ":sender" AgentIdentifier | ":receiver" AgentIdentifierSet
 *                    | ":content" String | ":reply-by" DateTime | ":reply-to" AgentIdentifierSet
 *                    | ":language" / ":encoding" / ":ontology" / ":reply-with"
 *                      / ":in-reply-to" / ":conversation-id" Expression | ":protocol" Word
 *                    | UserDefinedParameter Expression
 *   Expression       = Word | String | Number | DateTime | "(" Expression* ")"
 *   AgentIdentifier  = "(" "agent-identifier" ":name" Word [":addresses" URLSequence]
 *                      [":resolvers" AgentIdentifierSequence] (UserDefinedParameter Expression)* ")"
 *   String           = StringLiteral | ByteLengthEncodedString ( #<digits>"<bytes> )
 *   DateTime         = [sign] YYYYMMDD "T" HHMMSSmmm [type designator]
 *
 * Where the grammar is stricter than real-world senders, the parser accepts a
 * little more and says so: keywords in any letter case (the spec makes them
 * case-insensitive), the parameters of an agent identifier in any order, a
 * (set ...) or (sequence ...) wherever a list is expected, a lone agent
 * identifier as :receiver / :reply-to, any Expression as a parameter value
 * (kept as text). Every value is a string in the model (message.ts).
 */
import { AclSyntaxError, InvalidMessageError, UnknownPerformativeError } from '../../errors.js';
import {
  FIPA_PARAMETER_NAMES, MAX_AGENT_IDENTIFIER_DEPTH, calendarFieldsValid, isUserDefinedName, isoFromTime,
  toPerformative, utcTime, validateMessage,
  type AclMessage, type AgentIdentifier, type MessageParameterField,
} from './message.js';

/** Parenthesised expressions deeper than this are refused: the parser recurses once per level. */
export const MAX_EXPRESSION_DEPTH = 64;

// ---------------------------------------------------------------- lexer

type TokenKind = '(' | ')' | 'param' | 'word' | 'string' | 'number' | 'datetime' | 'malformed' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** Offset of the first character (UTF-16 code units, as JavaScript indexes strings). */
  readonly start: number;
  readonly end: number;
  /** The source text of the token. */
  readonly text: string;
  /** Strings: the decoded value; parameters: the name without ':'; otherwise the text. */
  readonly value: string;
}

const DATE_TIME = /^([+-])?(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})([A-Za-z])?$/;
// SC00070 numbers: integers (decimal or 0x hex) and floats with optional exponent, with an optional sign
const NUMBER = /^[+-]?(?:0[xX][0-9A-Fa-f]+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)$/;

/** Characters 0x00-0x20 separate tokens (a Word may contain none of them). */
function isWhitespace(code: number): boolean {
  return code <= 0x20;
}

function endsAtom(code: number): boolean {
  return isWhitespace(code) || code === 0x28 /* ( */ || code === 0x29 /* ) */;
}

class Lexer {
  private pos = 0;

  constructor(readonly src: string) {}

  next(): Token {
    const { src } = this;
    while (this.pos < src.length && isWhitespace(src.charCodeAt(this.pos))) this.pos++;
    const start = this.pos;
    if (start >= src.length) return { kind: 'end', start, end: start, text: '', value: '' };
    const c = src[start]!;
    if (c === '(' || c === ')') {
      this.pos++;
      return { kind: c, start, end: this.pos, text: c, value: c };
    }
    if (c === '"') return this.stringLiteral(start);
    if (c === '#') return this.byteLengthString(start);
    return this.atom(start);
  }

  /** "..." where \" stands for " and \\ for \; any other backslash is an ordinary character. */
  private stringLiteral(start: number): Token {
    const { src } = this;
    let value = '';
    let segment = start + 1; // start of the text not yet copied into value
    for (let i = segment; i < src.length; i++) {
      const c = src.charCodeAt(i);
      if (c === 0x22 /* " */) {
        value += src.slice(segment, i);
        this.pos = i + 1;
        return { kind: 'string', start, end: this.pos, text: src.slice(start, this.pos), value };
      }
      if (c === 0x5c /* \ */) {
        const escaped = src[i + 1];
        if (escaped === '"' || escaped === '\\') {
          value += src.slice(segment, i) + escaped;
          i++;
          segment = i + 1;
        }
      }
    }
    throw syntaxError(src, 'unterminated string', 'a closing double quote (")', start);
  }

  /**
   * #<digits>"<bytes>: exactly <digits> bytes follow the quote, with no
   * terminator. The text is JavaScript (UTF-16), the count is of UTF-8 bytes:
   * walk code points adding up their UTF-8 lengths.
   */
  private byteLengthString(start: number): Token {
    const { src } = this;
    let i = start + 1;
    while (i < src.length && src.charCodeAt(i) >= 0x30 && src.charCodeAt(i) <= 0x39) i++;
    if (i === start + 1 || src[i] !== '"') {
      throw syntaxError(src, 'malformed byte-length string', 'digits and a double quote after \'#\', as in #5"hello', start);
    }
    const length = Number(src.slice(start + 1, i));
    const bodyStart = i + 1;
    let bytes = 0;
    let j = bodyStart;
    while (bytes < length) {
      if (j >= src.length) {
        throw syntaxError(src, `byte-length string ends early: ${length} bytes announced, ${bytes} present`,
          `${length} bytes after the quote`, start);
      }
      const cp = src.codePointAt(j)!;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > length) {
        throw syntaxError(src, `byte-length string of ${length} bytes ends inside a multi-byte UTF-8 character`,
          'a byte count that ends on a character boundary', start);
      }
      bytes += size;
      j += cp > 0xffff ? 2 : 1;
    }
    this.pos = j;
    return { kind: 'string', start, end: j, text: src.slice(start, j), value: src.slice(bodyStart, j) };
  }

  /** A run of non-separator characters: a parameter name, a date-time, a number or a Word. */
  private atom(start: number): Token {
    const { src } = this;
    let i = start;
    while (i < src.length && !endsAtom(src.charCodeAt(i))) i++;
    this.pos = i;
    const text = src.slice(start, i);
    const token = (kind: TokenKind, value = text): Token => ({ kind, start, end: i, text, value });
    if (text[0] === ':') {
      if (text.length === 1) throw syntaxError(src, 'empty parameter name', 'a parameter name after \':\'', start);
      return token('param', text.slice(1));
    }
    if (DATE_TIME.test(text)) return token('datetime');
    if (NUMBER.test(text)) return token('number');
    // A Word may not start with a digit, '-' or '@' (nor '#', handled above):
    // such a run is a broken number or date-time (or an '@...' that is no Word);
    // the parser reports it with what it expected in that place.
    if (/^[0-9@-]/.test(text)) return token('malformed');
    return token('word');
  }
}

// ---------------------------------------------------------------- parser

/** The parameters whose value is an Expression, in SC00061 order. */
const EXPRESSION_FIELDS_IN_ORDER = [
  'language', 'encoding', 'ontology', 'protocol', 'conversationId', 'replyWith', 'inReplyTo',
] as const satisfies readonly MessageParameterField[];
type ExpressionField = (typeof EXPRESSION_FIELDS_IN_ORDER)[number];
/** Parameter name in the string form -> JSON field. */
const EXPRESSION_FIELDS = new Map<string, ExpressionField>(
  EXPRESSION_FIELDS_IN_ORDER.map((field) => [FIPA_PARAMETER_NAMES[field], field]),
);

class Parser {
  private readonly lexer: Lexer;
  private lookahead: Token | undefined;
  private expressionDepth = 0;

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src);
  }

  peek(): Token {
    this.lookahead ??= this.lexer.next();
    return this.lookahead;
  }

  next(): Token {
    const t = this.peek();
    this.lookahead = undefined;
    return t;
  }

  fail(problem: string, expected: string, at: number): never {
    throw syntaxError(this.src, problem, expected, at);
  }

  unexpected(tok: Token, expected: string): never {
    this.fail(describeToken(tok), expected, tok.start);
  }

  expectEnd(): void {
    const tok = this.next();
    if (tok.kind !== 'end') this.fail(`${describeToken(tok)} after the message`, 'nothing after the closing \')\'', tok.start);
  }

  // Message = "(" MessageType MessageParameter* ")"
  message(): AclMessage {
    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, '\'(\' to start an ACL message');
    const act = this.next();
    if (act.kind !== 'word') this.unexpected(act, 'a performative such as inform or request');
    const performative = toPerformative(act.value);
    if (performative === undefined) throw new UnknownPerformativeError(act.value);

    const msg: AclMessage = { performative };
    const seen = new Set<string>();
    for (;;) {
      const tok = this.next();
      if (tok.kind === ')') return msg;
      if (tok.kind !== 'param') this.unexpected(tok, 'a parameter name such as :content, or \')\' to close the message');
      // parameter names are case-insensitive, so :Content repeats :content
      const key = tok.value.toLowerCase();
      if (seen.has(key)) this.fail(`duplicate parameter :${tok.value}`, 'each parameter at most once', tok.start);
      seen.add(key);
      this.messageParameter(msg, tok, key);
    }
  }

  private messageParameter(msg: AclMessage, name: Token, key: string): void {
    switch (key) {
      case 'sender': msg.sender = this.agentIdentifier(1); return;
      case 'receiver': msg.receiver = this.agentIdentifierSet(); return;
      case 'reply-to': msg.replyTo = this.agentIdentifierSet(); return;
      // SC00070 wants a String; a Word, Number or expression is kept as its text
      case 'content': msg.content = this.expression('the content, a string in double quotes'); return;
      case 'reply-by': msg.replyBy = this.dateTime(); return;
    }
    const field = EXPRESSION_FIELDS.get(key);
    if (field !== undefined) {
      msg[field] = this.expression(`a value for :${key}`);
    } else if (isUserDefinedName(name.value)) {
      // keys keep their X- prefix and letter case (message.ts)
      (msg.userDefined ??= {})[name.value] = this.expression(`a value for :${name.value}`);
    } else {
      this.fail(`unknown parameter :${name.value}`,
        'a FIPA message parameter (:sender, :receiver, :content, :reply-by, ...) or a user-defined one starting with :X-', name.start);
    }
  }

  /** Expression as a string: atoms as written (strings decoded), "(" ... ")" as canonical text. */
  private expression(expected: string): string {
    const tok = this.next();
    switch (tok.kind) {
      case 'word': case 'number': case 'datetime': return tok.text;
      case 'string': return tok.value;
      case '(': return this.expressionRest(tok);
      default: return this.unexpected(tok, expected);
    }
  }

  /**
   * The rest of a parenthesised Expression, written back canonically: one
   * space between items, strings re-quoted. Parsing canonical text gives the
   * same text, which formatAcl relies on to write such values unquoted.
   */
  expressionRest(open: Token): string {
    if (++this.expressionDepth > MAX_EXPRESSION_DEPTH) {
      this.fail(`expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`, 'a flatter expression', open.start);
    }
    const items: string[] = [];
    for (;;) {
      const tok = this.next();
      switch (tok.kind) {
        case ')':
          this.expressionDepth--;
          return `(${items.join(' ')})`;
        case '(': items.push(this.expressionRest(tok)); break;
        case 'string': items.push(quoteString(tok.value)); break;
        // inside an expression ":name" is just a Word (SL content nests messages)
        case 'word': case 'number': case 'datetime': case 'param': items.push(tok.text); break;
        case 'end': {
          const at = position(this.src, open.start);
          return this.fail(describeToken(tok), `')' to close the expression opened at ${at.line}:${at.column}`, tok.start);
        }
        default: this.unexpected(tok, 'an expression or \')\'');
      }
    }
  }

  /** A single value: Word, String, Number or DateTime (agent names, addresses). */
  private atom(expected: string): Token {
    const tok = this.next();
    if (tok.kind === 'word' || tok.kind === 'string' || tok.kind === 'number' || tok.kind === 'datetime') return tok;
    return this.unexpected(tok, expected);
  }

  private dateTime(): string {
    const expected = 'a date-time such as 20001231T235959000Z';
    const tok = this.next();
    if (tok.kind === 'datetime') return dateTimeToIso(this.src, tok.text, tok.start);
    // a quoted date-time is accepted too: some senders quote every value
    if (tok.kind === 'string' && DATE_TIME.test(tok.value)) return dateTimeToIso(this.src, tok.value, tok.start);
    if (tok.kind === 'malformed' || tok.kind === 'number' || tok.kind === 'string') {
      this.fail(`malformed date-time ${shorten(tok.text)}`, expected, tok.start);
    }
    return this.unexpected(tok, expected);
  }

  // AgentIdentifierSet = "(" "set" AgentIdentifier* ")"; (sequence ...) and a lone identifier are accepted too
  private agentIdentifierSet(): AgentIdentifier[] {
    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, 'a set of agent identifiers: (set (agent-identifier :name ...) ...)');
    const kw = this.next();
    const word = kw.kind === 'word' ? kw.value.toLowerCase() : '';
    if (word === 'agent-identifier') return [this.agentIdentifierRest(open, 1)];
    if (word !== 'set' && word !== 'sequence') this.unexpected(kw, '\'set\' (a set of agent identifiers)');
    const list: AgentIdentifier[] = [];
    while (this.peek().kind !== ')') list.push(this.agentIdentifier(1));
    this.next();
    return list;
  }

  private agentIdentifier(depth: number): AgentIdentifier {
    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, 'an agent identifier: (agent-identifier :name ...)');
    const kw = this.next();
    if (kw.kind !== 'word' || kw.value.toLowerCase() !== 'agent-identifier') this.unexpected(kw, '\'agent-identifier\'');
    return this.agentIdentifierRest(open, depth);
  }

  /** The parameters of an agent identifier, after "(agent-identifier". */
  private agentIdentifierRest(open: Token, depth: number): AgentIdentifier {
    if (depth > MAX_AGENT_IDENTIFIER_DEPTH) {
      this.fail(`agent identifiers nest deeper than ${MAX_AGENT_IDENTIFIER_DEPTH} levels`, 'a shorter chain of resolvers', open.start);
    }
    let name: string | undefined;
    let addresses: string[] | undefined;
    let resolvers: AgentIdentifier[] | undefined;
    let userDefined: Record<string, string> | undefined;
    const seen = new Set<string>();
    for (;;) {
      const tok = this.next();
      if (tok.kind === ')') {
        if (name === undefined) this.fail('agent identifier without :name', ':name and the agent\'s name before \')\'', tok.start);
        const aid: AgentIdentifier = { name };
        if (addresses !== undefined) aid.addresses = addresses;
        if (resolvers !== undefined) aid.resolvers = resolvers;
        if (userDefined !== undefined) aid.userDefined = userDefined;
        return aid;
      }
      if (tok.kind !== 'param') this.unexpected(tok, 'an agent identifier parameter (:name, :addresses, :resolvers, :X-...) or \')\'');
      const key = tok.value.toLowerCase();
      if (seen.has(key)) this.fail(`duplicate parameter :${tok.value}`, 'each parameter at most once', tok.start);
      seen.add(key);
      if (key === 'name') {
        const value = this.atom('the agent\'s name');
        name = value.kind === 'string' ? value.value : value.text;
        if (name === '') this.fail('empty agent name', 'a non-empty name', value.start);
      } else if (key === 'addresses') {
        addresses = this.addresses();
      } else if (key === 'resolvers') {
        this.openList('a sequence of agent identifiers: (sequence (agent-identifier ...) ...)');
        resolvers = [];
        while (this.peek().kind !== ')') resolvers.push(this.agentIdentifier(depth + 1));
        this.next();
      } else if (isUserDefinedName(tok.value)) {
        (userDefined ??= {})[tok.value] = this.expression(`a value for :${tok.value}`);
      } else {
        this.fail(`unknown agent identifier parameter :${tok.value}`,
          ':name, :addresses, :resolvers or a user-defined parameter starting with :X-', tok.start);
      }
    }
  }

  // URLSequence = "(" "sequence" URL* ")"
  private addresses(): string[] {
    this.openList('a sequence of URLs: (sequence http://... ...)');
    const urls: string[] = [];
    for (;;) {
      const tok = this.next();
      if (tok.kind === ')') return urls;
      if (tok.kind === 'string' && tok.value === '') this.fail('empty address', 'a URL', tok.start);
      if (tok.kind === 'string') urls.push(tok.value);
      else if (tok.kind === 'word' || tok.kind === 'number' || tok.kind === 'datetime') urls.push(tok.text);
      else this.unexpected(tok, 'a URL or \')\'');
    }
  }

  /** "(" followed by "sequence" or "set". */
  private openList(expected: string): void {
    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, expected);
    const kw = this.next();
    const word = kw.kind === 'word' ? kw.value.toLowerCase() : '';
    if (word !== 'sequence' && word !== 'set') this.unexpected(kw, '\'sequence\'');
  }
}

// ---------------------------------------------------------------- public API

/**
 * Parse one ACL message in the string representation. Throws AclSyntaxError
 * (ACL_SYNTAX, with line, column, offset and what was expected) for malformed
 * text, UnknownPerformativeError for an act that FIPA does not define. The
 * result satisfies the model's structure; it is not checked against a clock
 * or a size limit (call validateMessage for that).
 */
export function parseAcl(text: string): AclMessage {
  const parser = new Parser(text);
  const msg = parser.message();
  parser.expectEnd();
  return msg;
}

export interface FormatOptions {
  /** One parameter per line, indented by two spaces. */
  pretty?: boolean;
}

/**
 * Write a message in the canonical string form: lower-case act, parameters in
 * SC00061 order then user-defined ones, content always in double quotes, other
 * values bare when they read back as the same Word/Number/DateTime, a value
 * that is a canonical parenthesised expression as is, anything else quoted;
 * reply-by as a UTC date-time token. Throws InvalidMessageError /
 * UnknownPerformativeError for a message that validateMessage refuses
 * (receiver, clock and size are not checked).
 */
export function formatAcl(m: AclMessage, opts: FormatOptions = {}): string {
  const msg = validateMessage(m, { requireReceiver: false, now: -Infinity, maxContentBytes: Infinity });
  const params: string[] = [];
  if (msg.sender !== undefined) params.push(`:sender ${formatAgentIdentifier(msg.sender)}`);
  if (msg.receiver !== undefined) params.push(`:receiver ${formatAgentIdentifierSet(msg.receiver)}`);
  if (msg.replyTo !== undefined) params.push(`:reply-to ${formatAgentIdentifierSet(msg.replyTo)}`);
  if (msg.content !== undefined) params.push(`:content ${quoteString(msg.content)}`);
  for (const field of EXPRESSION_FIELDS_IN_ORDER) {
    const value = msg[field];
    if (value !== undefined) params.push(`:${FIPA_PARAMETER_NAMES[field]} ${formatValue(value)}`);
  }
  if (msg.replyBy !== undefined) params.push(`:reply-by ${formatDateTime(msg.replyBy)}`);
  for (const [key, value] of Object.entries(msg.userDefined ?? {})) params.push(`:${key} ${formatValue(value)}`);

  if (params.length === 0) return `(${msg.performative})`;
  return opts.pretty === true
    ? `(${msg.performative}\n  ${params.join('\n  ')})`
    : `(${msg.performative} ${params.join(' ')})`;
}

/** ISO-8601 UTC (as in AclMessage.replyBy) -> FIPA date-time token, e.g. 20001231T235959000Z. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (isoFromTime(d.getTime()) === undefined) {
    throw new InvalidMessageError('replyBy', `${JSON.stringify(iso)} is not a date-time between the years 0000 and 9999`);
  }
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T`
    + `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(d.getUTCMilliseconds(), 3)}Z`;
}

/**
 * FIPA date-time token -> ISO-8601 UTC. `Z` means UTC; no type designator
 * means the local time of this host, as SC00070 says. Throws AclSyntaxError.
 */
export function parseDateTime(token: string): string {
  if (!DATE_TIME.test(token)) throw syntaxError(token, `malformed date-time ${shorten(token)}`, 'a date-time such as 20001231T235959000Z', 0);
  return dateTimeToIso(token, token, 0);
}

// ---------------------------------------------------------------- helpers

function dateTimeToIso(src: string, token: string, at: number): string {
  const m = DATE_TIME.exec(token)!;
  const [, sign, y, mo, d, h, mi, s, ms, designator] = m;
  const fail = (problem: string, expected: string): never => { throw syntaxError(src, problem, expected, at); };
  if (sign !== undefined) {
    // SC00070 allows a sign but does not define what a signed (relative) time is relative to
    fail(`relative date-time ${token} is not supported`, 'an absolute date-time such as 20001231T235959000Z');
  }
  const fields = [y, mo, d, h, mi, s, ms].map(Number) as [number, number, number, number, number, number, number];
  if (!calendarFieldsValid(...fields)) fail(`invalid date-time ${token} (no such day or time)`, 'a real calendar date and time');
  let time: number | undefined;
  if (designator === undefined) {
    const local = new Date(0);
    local.setFullYear(fields[0], fields[1] - 1, fields[2]);
    local.setHours(fields[3], fields[4], fields[5], fields[6]);
    time = local.getTime();
  } else if (designator === 'Z' || designator === 'z') {
    time = utcTime(...fields);
  } else {
    fail(`time zone designator '${designator}' in ${token} is not supported`, 'Z (UTC) or no designator (local time)');
  }
  const iso = isoFromTime(time!);
  if (iso === undefined) fail(`date-time ${token} is out of range`, 'a date-time between the years 0000 and 9999');
  return iso!;
}

function formatAgentIdentifierSet(list: readonly AgentIdentifier[]): string {
  return list.length === 0 ? '(set)' : `(set ${list.map(formatAgentIdentifier).join(' ')})`;
}

function formatAgentIdentifier(aid: AgentIdentifier): string {
  let s = `(agent-identifier :name ${formatAtom(aid.name)}`;
  if (aid.addresses !== undefined) s += ` :addresses ${formatSequence(aid.addresses.map(formatAtom))}`;
  if (aid.resolvers !== undefined) s += ` :resolvers ${formatSequence(aid.resolvers.map(formatAgentIdentifier))}`;
  for (const [key, value] of Object.entries(aid.userDefined ?? {})) s += ` :${key} ${formatValue(value)}`;
  return `${s})`;
}

function formatSequence(items: string[]): string {
  return items.length === 0 ? '(sequence)' : `(sequence ${items.join(' ')})`;
}

/** A parameter value: canonical expression as is, else an atom. */
function formatValue(s: string): string {
  return s.startsWith('(') && canonicalExpression(s) === s ? s : formatAtom(s);
}

/** Bare when the text reads back as one Word, Number or DateTime with the same text; else quoted. */
function formatAtom(s: string): string {
  return isBareAtom(s) ? s : quoteString(s);
}

function isBareAtom(s: string): boolean {
  // a '"' inside a Word is legal, but many parsers would read it as a string start
  if (s === '' || s.includes('"')) return false;
  try {
    const tok = new Lexer(s).next();
    return (tok.kind === 'word' || tok.kind === 'number' || tok.kind === 'datetime') && tok.start === 0 && tok.end === s.length;
  } catch {
    return false; // e.g. '#12' is a broken byte-length string, not a Word
  }
}

/** The canonical text of a parenthesised expression, or undefined if `s` is not exactly one. */
function canonicalExpression(s: string): string | undefined {
  try {
    const parser = new Parser(s);
    const open = parser.next();
    if (open.kind !== '(') return undefined;
    const text = parser.expressionRest(open);
    return parser.peek().kind === 'end' ? text : undefined;
  } catch {
    return undefined;
  }
}

function quoteString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'end': return 'unexpected end of input';
    case '(': case ')': return `unexpected '${tok.kind}'`;
    case 'param': return `unexpected parameter name ${shorten(tok.text)}`;
    case 'string': return `unexpected string ${shorten(tok.text)}`;
    case 'number': return `unexpected number ${shorten(tok.text)}`;
    case 'datetime': return `unexpected date-time ${shorten(tok.text)}`;
    case 'malformed': return tok.text.startsWith('@')
      ? `${shorten(tok.text)}: a word cannot start with '@'`
      : `malformed number or date-time ${shorten(tok.text)}`;
    case 'word': return `unexpected word ${shorten(tok.text)}`;
  }
}

function shorten(text: string): string {
  const t = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return `'${t}'`;
}

/** 1-based line and column of an offset; columns count UTF-16 code units, lines end at '\n'. */
function position(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = src.indexOf('\n'); i !== -1 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function syntaxError(src: string, problem: string, expected: string, offset: number): AclSyntaxError {
  const { line, column } = position(src, offset);
  return new AclSyntaxError(problem, expected, line, column, offset);
}
