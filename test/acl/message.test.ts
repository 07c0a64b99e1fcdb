// ACL message model (runtime/fipa/acl/message.ts): validateMessage accepts and
// normalises good JSON messages, and refuses each kind of fault with its
// stable code, the field it concerns (in details.field and in the message)
// and a hint.
import t from 'tap';
import {
  validateMessage, normalizeIsoDateTime, toPerformative, isUserDefinedName, PERFORMATIVES,
  DEFAULT_MAX_CONTENT_BYTES, MAX_AGENT_IDENTIFIER_DEPTH, type ValidateOptions,
} from '../../dist/runtime/fipa/acl/message.js';
import { CaxtonError } from '../../dist/runtime/errors.js';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const ok = { performative: 'inform', receiver: [{ name: 'bob' }] };

t.test('a minimal message and a full one are accepted', async (t) => {
  t.same(validateMessage(ok, { now: NOW }), ok);
  const full = {
    performative: 'request',
    sender: { name: 'alice', addresses: ['http://a/acc'], resolvers: [{ name: 'ams', addresses: [] }], userDefined: { 'X-zone': 'eu' } },
    receiver: [{ name: 'bob' }, { name: 'carol' }],
    replyTo: [{ name: 'alice-inbox' }],
    content: '((action bob (deliver box017)))',
    language: 'fipa-sl', encoding: 'utf-8', ontology: 'logistics', protocol: 'fipa-request',
    conversationId: 'c-1', replyWith: 'r-1', inReplyTo: 'r-0', replyBy: '2030-12-31T23:59:59.000Z',
    userDefined: { 'X-priority': 'high', 'x-trace': 'abc' },
  };
  t.same(validateMessage(full, { now: NOW }), full);
  t.equal(PERFORMATIVES.length, 22);
  for (const p of PERFORMATIVES) t.equal(validateMessage({ ...ok, performative: p }, { now: NOW }).performative, p, p);
});

t.test('normalisation: fresh copy, act in lower case, null as absent, replyBy in UTC with ms, empty userDefined dropped', async (t) => {
  const input = {
    performative: 'Query-REF', receiver: [{ name: 'bob', userDefined: {} }], content: null, language: undefined,
    replyBy: '2030-01-01T01:30+01:30', userDefined: {},
  };
  const out = validateMessage(input, { now: NOW });
  t.same(out, { performative: 'query-ref', receiver: [{ name: 'bob' }], replyBy: '2030-01-01T00:00:00.000Z' });
  t.not(out.receiver, input.receiver, 'arrays are copied');
  t.equal(validateMessage({ ...ok, replyBy: '2030-06-01T10:00:00Z' }, { now: NOW }).replyBy, '2030-06-01T10:00:00.000Z');
  t.equal(validateMessage({ ...ok, replyBy: '2030-06-01T10:00:00.5z' }, { now: NOW }).replyBy, '2030-06-01T10:00:00.500Z');
  t.equal(validateMessage({ ...ok, replyBy: '2030-06-01T10:00:00.000-05:00' }, { now: NOW }).replyBy, '2030-06-01T15:00:00.000Z');
});

t.test('options: requireReceiver, now, maxContentBytes', async (t) => {
  t.same(validateMessage({ performative: 'inform' }, { requireReceiver: false }), { performative: 'inform' });
  t.same(validateMessage({ performative: 'inform', receiver: [] }, { requireReceiver: false }).receiver, []);
  const past = { ...ok, replyBy: '2001-01-01T00:00:00.000Z' };
  t.throws(() => validateMessage(past), { code: 'REPLY_BY_IN_PAST' }, 'default now is the clock');
  t.ok(validateMessage(past, { now: Date.parse('2000-01-01T00:00:00Z') }), 'a given now');
  t.ok(validateMessage({ ...ok, replyBy: '2025-06-01T12:00:00.000Z' }, { now: NOW }), 'exactly now is not past');
  t.equal(DEFAULT_MAX_CONTENT_BYTES, 65536);
  t.ok(validateMessage({ ...ok, content: 'x'.repeat(65536) }), 'exactly 64 KiB');
  t.ok(validateMessage({ ...ok, content: 'é'.repeat(10) }, { maxContentBytes: 20 }), '20 bytes');
  t.throws(() => validateMessage({ ...ok, content: 'é'.repeat(11) }, { maxContentBytes: 20 }), { code: 'CONTENT_TOO_LARGE', details: { size: 22, limit: 20 } });
});

interface Fault {
  what: string;
  input: unknown;
  opts?: ValidateOptions;
  code: string;
  field: string;
  message?: RegExp;
  hint?: RegExp;
}

const deep = (levels: number): unknown => (levels === 1 ? { name: 'leaf' } : { name: `n${levels}`, resolvers: [deep(levels - 1)] });

const faults: Fault[] = [
  { what: 'null', input: null, code: 'INVALID_MESSAGE', field: 'message', message: /must be a JSON object.*not null/ },
  { what: 'an array', input: [ok], code: 'INVALID_MESSAGE', field: 'message', message: /not an array/ },
  { what: 'a string', input: '(inform)', code: 'INVALID_MESSAGE', field: 'message' },
  { what: 'missing performative', input: { receiver: ok.receiver }, code: 'INVALID_MESSAGE', field: 'performative', message: /performative is missing/ },
  { what: 'performative not a string', input: { ...ok, performative: 7 }, code: 'INVALID_MESSAGE', field: 'performative', message: /must be a string.*not number 7/ },
  { what: 'unknown performative', input: { ...ok, performative: 'shout' }, code: 'UNKNOWN_PERFORMATIVE', field: 'performative', message: /"shout" is not a FIPA communicative act/ },
  { what: 'missing receiver', input: { performative: 'inform' }, code: 'INVALID_MESSAGE', field: 'receiver', message: /receiver is missing/ },
  { what: 'empty receiver', input: { performative: 'inform', receiver: [] }, code: 'INVALID_MESSAGE', field: 'receiver', message: /receiver is empty/ },
  { what: 'receiver not a list', input: { performative: 'inform', receiver: { name: 'bob' } }, code: 'INVALID_MESSAGE', field: 'receiver', message: /must be an array of agent identifiers, not an object/, hint: /as a list/ },
  { what: 'receiver as a bare name', input: { performative: 'inform', receiver: ['bob'] }, code: 'INVALID_MESSAGE', field: 'receiver[0]', message: /agent identifier object/ },
  { what: 'receiver without a name', input: { performative: 'inform', receiver: [{ addresses: [] }] }, code: 'INVALID_MESSAGE', field: 'receiver[0].name', message: /is missing/ },
  { what: 'receiver with an empty name', input: { performative: 'inform', receiver: [{ name: 'a' }, { name: '' }] }, code: 'INVALID_MESSAGE', field: 'receiver[1].name', message: /is empty/ },
  { what: 'receiver name not a string', input: { performative: 'inform', receiver: [{ name: 42 }] }, code: 'INVALID_MESSAGE', field: 'receiver[0].name', message: /must be a string/ },
  { what: 'misspelt agent identifier field', input: { performative: 'inform', receiver: [{ nmae: 'bob' }] }, code: 'INVALID_MESSAGE', field: 'receiver[0].nmae', message: /not a field of an agent identifier/ },
  { what: 'kebab-case agent identifier field', input: { performative: 'inform', receiver: [{ name: 'b', Addresses: [] }] }, code: 'INVALID_MESSAGE', field: 'receiver[0].Addresses', hint: /Did you mean "addresses"/ },
  { what: 'addresses not a list', input: { ...ok, sender: { name: 'a', addresses: 'http://a' } }, code: 'INVALID_MESSAGE', field: 'sender.addresses', message: /array of URL strings/ },
  { what: 'an empty address', input: { ...ok, sender: { name: 'a', addresses: ['http://a', ''] } }, code: 'INVALID_MESSAGE', field: 'sender.addresses[1]', message: /is empty/ },
  { what: 'an address not a string', input: { ...ok, sender: { name: 'a', addresses: [80] } }, code: 'INVALID_MESSAGE', field: 'sender.addresses[0]' },
  { what: 'resolvers not a list', input: { ...ok, sender: { name: 'a', resolvers: { name: 'ams' } } }, code: 'INVALID_MESSAGE', field: 'sender.resolvers' },
  { what: 'a resolver without a name', input: { ...ok, sender: { name: 'a', resolvers: [{ name: 'ams' }, {}] } }, code: 'INVALID_MESSAGE', field: 'sender.resolvers[1].name' },
  { what: 'resolvers nested too deep', input: { ...ok, sender: deep(MAX_AGENT_IDENTIFIER_DEPTH + 1) }, code: 'INVALID_MESSAGE', field: `sender${'.resolvers[0]'.repeat(MAX_AGENT_IDENTIFIER_DEPTH - 1)}.resolvers`, message: /nests deeper than 8/ },
  { what: 'sender a string', input: { ...ok, sender: 'alice' }, code: 'INVALID_MESSAGE', field: 'sender' },
  { what: 'replyTo not a list', input: { ...ok, replyTo: { name: 'a' } }, code: 'INVALID_MESSAGE', field: 'replyTo' },
  { what: 'a replyTo entry without a name', input: { ...ok, replyTo: [{}] }, code: 'INVALID_MESSAGE', field: 'replyTo[0].name' },
  { what: 'agent user-defined key without X-', input: { ...ok, sender: { name: 'a', userDefined: { region: 'eu' } } }, code: 'INVALID_MESSAGE', field: 'sender.userDefined.region', message: /not a user-defined parameter name/, hint: /start with "X-"/ },
  { what: 'content not a string', input: { ...ok, content: { a: 1 } }, code: 'INVALID_MESSAGE', field: 'content', message: /content must be a string, not an object/ },
  { what: 'language a number', input: { ...ok, language: 1 }, code: 'INVALID_MESSAGE', field: 'language' },
  { what: 'encoding a boolean', input: { ...ok, encoding: true }, code: 'INVALID_MESSAGE', field: 'encoding' },
  { what: 'ontology an array', input: { ...ok, ontology: ['a'] }, code: 'INVALID_MESSAGE', field: 'ontology' },
  { what: 'protocol a number', input: { ...ok, protocol: 2 }, code: 'INVALID_MESSAGE', field: 'protocol' },
  { what: 'conversationId a number', input: { ...ok, conversationId: 12 }, code: 'INVALID_MESSAGE', field: 'conversationId' },
  { what: 'replyWith a number', input: { ...ok, replyWith: 12 }, code: 'INVALID_MESSAGE', field: 'replyWith' },
  { what: 'inReplyTo a number', input: { ...ok, inReplyTo: 12 }, code: 'INVALID_MESSAGE', field: 'inReplyTo' },
  { what: 'content too large', input: { ...ok, content: 'x'.repeat(65537) }, code: 'CONTENT_TOO_LARGE', field: 'content', message: /65537 bytes.*65536-byte limit/ },
  { what: 'content too large in UTF-8 bytes', input: { ...ok, content: 'é'.repeat(40_000) }, code: 'CONTENT_TOO_LARGE', field: 'content', message: /80000 bytes/ },
  { what: 'content over a custom limit', input: { ...ok, content: 'abcd' }, opts: { maxContentBytes: 3 }, code: 'CONTENT_TOO_LARGE', field: 'content' },
  { what: 'replyBy not a date', input: { ...ok, replyBy: 'tomorrow' }, code: 'INVALID_MESSAGE', field: 'replyBy', message: /"tomorrow" is not a valid ISO-8601 date-time/ },
  { what: 'replyBy a number', input: { ...ok, replyBy: 1767225599000 }, code: 'INVALID_MESSAGE', field: 'replyBy', message: /must be an ISO-8601 date-time string/ },
  { what: 'replyBy without a time zone', input: { ...ok, replyBy: '2030-01-01T00:00:00' }, code: 'INVALID_MESSAGE', field: 'replyBy' },
  { what: 'replyBy February 30', input: { ...ok, replyBy: '2030-02-30T00:00:00Z' }, code: 'INVALID_MESSAGE', field: 'replyBy' },
  { what: 'replyBy 24:00', input: { ...ok, replyBy: '2030-01-01T24:00:00Z' }, code: 'INVALID_MESSAGE', field: 'replyBy' },
  { what: 'replyBy as a FIPA token', input: { ...ok, replyBy: '20301231T235959000Z' }, code: 'INVALID_MESSAGE', field: 'replyBy' },
  { what: 'replyBy in the past', input: { ...ok, replyBy: '2025-06-01T11:59:59.999Z' }, opts: { now: NOW }, code: 'REPLY_BY_IN_PAST', field: 'replyBy', message: /2025-06-01T11:59:59.999Z is already in the past \(now is 2025-06-01T12:00:00.000Z\)/ },
  { what: 'unknown top-level field', input: { ...ok, colour: 'red' }, code: 'INVALID_MESSAGE', field: 'colour', message: /colour is not a field of an ACL message/, hint: /Known fields: performative, sender/ },
  { what: 'string-form parameter name', input: { ...ok, 'conversation-id': 'c1' }, code: 'INVALID_MESSAGE', field: 'conversation-id', hint: /Did you mean "conversationId"/ },
  { what: 'snake_case field', input: { ...ok, reply_by: '2030-01-01T00:00:00Z' }, code: 'INVALID_MESSAGE', field: 'reply_by', hint: /Did you mean "replyBy"/ },
  { what: 'user-defined parameter at the top level', input: { ...ok, 'X-priority': 'high' }, code: 'INVALID_MESSAGE', field: 'X-priority', hint: /under "userDefined"/ },
  { what: 'userDefined not an object', input: { ...ok, userDefined: ['X-a'] }, code: 'INVALID_MESSAGE', field: 'userDefined' },
  { what: 'userDefined key without X-', input: { ...ok, userDefined: { priority: 'high' } }, code: 'INVALID_MESSAGE', field: 'userDefined.priority' },
  { what: 'userDefined key with white space', input: { ...ok, userDefined: { 'X-my key': 'v' } }, code: 'INVALID_MESSAGE', field: 'userDefined.X-my key' },
  { what: 'userDefined key X- alone', input: { ...ok, userDefined: { 'X-': 'v' } }, code: 'INVALID_MESSAGE', field: 'userDefined.X-' },
  { what: 'userDefined keys differing in case only', input: { ...ok, userDefined: { 'X-a': '1', 'x-A': '2' } }, code: 'INVALID_MESSAGE', field: 'userDefined.x-A', message: /repeats "X-a"/ },
  { what: 'userDefined value not a string', input: { ...ok, userDefined: { 'X-n': 5 } }, code: 'INVALID_MESSAGE', field: 'userDefined.X-n', message: /must be a string/ },
];

t.test('each fault has its code, names its field and gives a hint', async (t) => {
  for (const f of faults) {
    try {
      validateMessage(f.input, { now: NOW, ...f.opts });
      t.fail(`${f.what}: accepted`);
    } catch (e) {
      t.ok(e instanceof CaxtonError, `${f.what}: a CaxtonError`);
      const err = e as CaxtonError;
      t.equal(err.code, f.code, `${f.what}: code`);
      const field = f.code === 'UNKNOWN_PERFORMATIVE' ? 'performative' : err.details['field'];
      t.equal(field, f.field, `${f.what}: field`);
      if (f.code !== 'UNKNOWN_PERFORMATIVE') t.ok(err.message.includes(f.field), `${f.what}: message names ${f.field}: ${err.message}`);
      if (f.message) t.match(err.message, f.message, `${f.what}: message`);
      t.ok(err.hint.length > 10, `${f.what}: hint`);
      if (f.hint) t.match(err.hint, f.hint, `${f.what}: hint text`);
      t.same(Object.keys(err.toJSON()).sort(), ['code', 'details', 'hint', 'message'], `${f.what}: serialises`);
    }
  }
});

t.test('helpers', async (t) => {
  t.equal(toPerformative('CFP'), 'cfp');
  t.equal(toPerformative('shout'), undefined);
  t.ok(isUserDefinedName('X-a'));
  t.ok(isUserDefinedName('x-Trace_Id'));
  t.notOk(isUserDefinedName('X-'));
  t.notOk(isUserDefinedName('priority'));
  t.notOk(isUserDefinedName('X-(a)'));
  t.equal(normalizeIsoDateTime('2024-02-29T00:00Z'), '2024-02-29T00:00:00.000Z');
  t.equal(normalizeIsoDateTime('2023-02-29T00:00Z'), undefined, 'not a leap year');
  t.equal(normalizeIsoDateTime('0000-01-01T00:30:00+01:00'), undefined, 'before the year 0000 once in UTC');
  t.equal(normalizeIsoDateTime('0050-06-01T00:00:00Z'), '0050-06-01T00:00:00.000Z', 'years below 100 are not 19xx');
  t.equal(normalizeIsoDateTime('2030-01-01T00:00:00+24:00'), undefined);
});
