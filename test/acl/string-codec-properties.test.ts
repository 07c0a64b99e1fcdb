// FIPA ACL string representation (runtime/fipa/acl/string-codec.ts) under
// fast-check: round trips model -> text -> model and text -> model -> text ->
// model (the text from an independent, untidy writer), and parsing noise
// throws nothing but the codec's own errors.
import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { parseAcl, formatAcl, formatDateTime } from '../../dist/runtime/fipa/acl/string-codec.js';
import { PERFORMATIVES, validateMessage, type AclMessage, type AgentIdentifier } from '../../dist/runtime/fipa/acl/message.js';
import { CaxtonError } from '../../dist/runtime/errors.js';

// ---------------------------------------------------------------- properties

// strings that stress quoting: quotes, backslashes, parentheses, white space,
// things that look like numbers, date-times, parameter names, byte-length strings
const tricky = fc.constantFrom('"', '\\', '\\"', '\\\\', '(', ')', '()', '(a b)', ' ', '\n', '\t', '\r\n', '#3"', '#', ':x',
  '42', '-1', '+5', '1e3', '20001231T235959000Z', 'X-a', 'é', '😀', '\u0000', '');
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.oneof(tricky, fc.string({ maxLength: 6 })), { maxLength: 6 }).map((parts) => parts.join('')),
);
const nonEmptyText = text.filter((s) => s !== '');
const userDefinedKey = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._@#:-]{1,10}$/),
  // eslint-disable-next-line no-control-regex -- the characters a FIPA Word may hold: no control characters, as the codec checks
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((s) => /^[^\x00-\x20()]+$/.test(s)),
).chain((rest) => fc.constantFrom(`X-${rest}`, `x-${rest}`));
const userDefined = fc.uniqueArray(fc.tuple(userDefinedKey, text), { selector: ([k]) => k.toLowerCase(), maxLength: 3 })
  .map((entries) => Object.fromEntries(entries) as Record<string, string>);

function agentIdentifierArb(depth: number): fc.Arbitrary<AgentIdentifier> {
  return fc.record({
    name: nonEmptyText,
    addresses: fc.array(nonEmptyText, { maxLength: 3 }),
    resolvers: depth > 1 ? fc.array(agentIdentifierArb(depth - 1), { maxLength: 2 }) : fc.constant([]),
    userDefined,
  }, { requiredKeys: ['name'], noNullPrototype: true });
}

const isoDate = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const messageArb: fc.Arbitrary<AclMessage> = fc.record({
  performative: fc.constantFrom(...PERFORMATIVES),
  sender: agentIdentifierArb(3),
  receiver: fc.array(agentIdentifierArb(2), { maxLength: 12 }),
  replyTo: fc.array(agentIdentifierArb(2), { maxLength: 3 }),
  content: text,
  language: text,
  encoding: text,
  ontology: text,
  protocol: text,
  conversationId: text,
  replyWith: text,
  inReplyTo: text,
  replyBy: isoDate,
  userDefined,
}, { requiredKeys: ['performative'], noNullPrototype: true });

/** The message as validateMessage normalises it (here: empty userDefined objects dropped). */
const normalized = (m: AclMessage) => validateMessage(m, { requireReceiver: false, now: -Infinity, maxContentBytes: Infinity });

t.test('property: parseAcl(formatAcl(m)) equals m (normalised), compact and pretty', async () => {
  fc.assert(fc.property(messageArb, fc.boolean(), (m, pretty) => {
    deepStrictEqual(parseAcl(formatAcl(m, { pretty })), normalized(m));
  }), { numRuns: 400 });
});

/**
 * An independent, deliberately untidy writer: random keyword case, random
 * white space, parameters shuffled (also inside agent identifiers), strings
 * quoted or byte-length encoded, simple words bare, (set ...) or (sequence ...),
 * a lone receiver without a set, reply-by bare or quoted.
 */
function untidy(m: AclMessage, seed: number): string {
  let state = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const ws = () => pick([' ', '  ', '\n', '\t', '\r\n', '\n    ', ' \n ']);
  const kw = (s: string) => pick([s, s.toUpperCase(), s.replace(/^./, (c) => c.toUpperCase())]);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) { const j = rnd(i + 1); [xs[i], xs[j]] = [xs[j]!, xs[i]!]; }
    return xs;
  };
  const str = (s: string) => rnd(3) === 0
    ? `#${Buffer.byteLength(s, 'utf8')}"${s}`
    : `"${s.replace(/[\\"]/g, '\\$&')}"`;
  const value = (s: string) => (/^[a-z][a-z0-9-]*$/.test(s) && rnd(2) === 0 ? s : str(s));
  const list = (items: string[]) => `(${kw(pick(['set', 'sequence']))}${items.map((i) => ws() + i).join('')}${ws()})`;
  const agent = (a: AgentIdentifier): string => {
    const params = [`:${kw('name')}${ws()}${value(a.name)}`];
    if (a.addresses) params.push(`:${kw('addresses')}${ws()}${list(a.addresses.map(value))}`);
    if (a.resolvers) params.push(`:${kw('resolvers')}${ws()}${list(a.resolvers.map(agent))}`);
    for (const [k, v] of Object.entries(a.userDefined ?? {})) params.push(`:${k}${ws()}${value(v)}`);
    return `(${kw('agent-identifier')}${shuffle(params).map((p) => ws() + p).join('')}${ws()})`;
  };
  const agents = (as: AgentIdentifier[]) => (as.length === 1 && rnd(3) === 0 ? agent(as[0]!) : list(as.map(agent)));
  const params: string[] = [];
  const add = (name: string, v: string) => params.push(`:${kw(name)}${ws()}${v}`);
  if (m.sender) add('sender', agent(m.sender));
  if (m.receiver) add('receiver', agents(m.receiver));
  if (m.replyTo) add('reply-to', agents(m.replyTo));
  if (m.content !== undefined) add('content', str(m.content));
  const names = { language: 'language', encoding: 'encoding', ontology: 'ontology', protocol: 'protocol', conversationId: 'conversation-id', replyWith: 'reply-with', inReplyTo: 'in-reply-to' } as const;
  for (const [field, name] of Object.entries(names)) {
    const v = m[field as keyof typeof names];
    if (v !== undefined) add(name, value(v));
  }
  if (m.replyBy !== undefined) {
    const token = formatDateTime(m.replyBy);
    add('reply-by', pick([token, `"${token}"`, token.replace('Z', 'z')]));
  }
  for (const [k, v] of Object.entries(m.userDefined ?? {})) params.push(`:${k}${ws()}${value(v)}`);
  return `${pick(['', ' ', '\n'])}(${ws()}${kw(m.performative)}${shuffle(params).map((p) => ws() + p).join('')}${ws()})${pick(['', '\n', ' \r\n'])}`;
}

t.test('property: any spelling of a message parses to it, and formatAcl(parseAcl(t)) parses to the same', async () => {
  fc.assert(fc.property(messageArb, fc.integer(), (m, seed) => {
    const text = untidy(m, seed);
    const parsed = parseAcl(text);
    deepStrictEqual(parsed, normalized(m));
    deepStrictEqual(parseAcl(formatAcl(parsed)), parsed);
    deepStrictEqual(parseAcl(formatAcl(parsed, { pretty: true })), parsed);
  }), { numRuns: 400 });
});

t.test('property: parsing never throws anything but ACL_SYNTAX or UNKNOWN_PERFORMATIVE', async () => {
  const noise = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(fc.constantFrom('(', ')', ' ', 'inform', ':content', ':sender', ':receiver', 'set', 'agent-identifier', ':name',
      'x', '"a"', '"', '#2"ab', '#', '12', '20001231T235959000Z', ':reply-by', ':X-a', '\\'), { maxLength: 20 }).map((a) => a.join(' ')),
    messageArb.map((m) => formatAcl(m)).chain((s) => fc.nat({ max: s.length }).map((n) => s.slice(0, n))),
  );
  fc.assert(fc.property(noise, (s) => {
    try {
      const m = parseAcl(s);
      deepStrictEqual(parseAcl(formatAcl(m)), m); // whatever parses also round-trips
    } catch (e) {
      if (!(e instanceof CaxtonError) || (e.code !== 'ACL_SYNTAX' && e.code !== 'UNKNOWN_PERFORMATIVE')) throw e;
    }
  }), { numRuns: 1000 });
});
