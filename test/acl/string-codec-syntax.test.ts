// FIPA ACL string representation (runtime/fipa/acl/string-codec.ts), token
// by token: lexical details (case, white space, byte-length strings, escapes,
// numbers, date-times, agent identifiers), how formatAcl quotes and orders,
// and error positions for malformed input.
import t from 'tap';
import { parseAcl, formatAcl, formatDateTime, parseDateTime } from '../../dist/runtime/fipa/acl/string-codec.js';
import type { AclMessage, AgentIdentifier } from '../../dist/runtime/fipa/acl/message.js';
import { AclSyntaxError, CaxtonError, UnknownPerformativeError } from '../../dist/runtime/errors.js';

const aid = (name: string, extra: Partial<AgentIdentifier> = {}): AgentIdentifier => ({ name, ...extra });

// ---------------------------------------------------------------- lexical details

t.test('keywords are case-insensitive; the act is normalised to lower case', async (t) => {
  const m = parseAcl('(INFORM :SENDER (AGENT-IDENTIFIER :NAME Alice) :Receiver (SET (Agent-Identifier :Name Bob)) :Content "x" :Reply-With R1)');
  t.same(m, { performative: 'inform', sender: aid('Alice'), receiver: [aid('Bob')], content: 'x', replyWith: 'R1' });
  t.same(parseAcl('(Query-Ref)'), { performative: 'query-ref' });
  t.same(parseAcl('(inform :x-Trace-Id abc)').userDefined, { 'x-Trace-Id': 'abc' }, 'user-defined keys keep their spelling');
});

t.test('white space and newlines anywhere between tokens', async (t) => {
  const text = '\r\n\t ( \n inform\t:content\r\n"a b"\n:receiver(set(agent-identifier :name\n\nbob))\n\t) \n';
  t.same(parseAcl(text), { performative: 'inform', content: 'a b', receiver: [aid('bob')] });
  t.same(parseAcl('(inform)'), { performative: 'inform' });
  t.same(parseAcl('( inform )'), { performative: 'inform' });
});

t.test('quoted strings: \\" and \\\\ are escapes, other backslashes are literal, newlines are kept', async (t) => {
  t.equal(parseAcl('(inform :content "say \\"hi\\"")').content, 'say "hi"');
  t.equal(parseAcl('(inform :content "a\\\\b")').content, 'a\\b');
  t.equal(parseAcl('(inform :content "C:\\temp\\new")').content, 'C:\\temp\\new');
  t.equal(parseAcl('(inform :content "ends with \\\\")').content, 'ends with \\');
  t.equal(parseAcl('(inform :content "line1\nline2\r\n")').content, 'line1\nline2\r\n');
  t.equal(parseAcl('(inform :content "")').content, '');
  t.equal(parseAcl('(inform :content "ünïcødé 😀 (x)")').content, 'ünïcødé 😀 (x)');
  t.equal(formatAcl({ performative: 'inform', content: 'say "hi" \\ bye' }), '(inform :content "say \\"hi\\" \\\\ bye")');
});

t.test('byte-length encoded strings count UTF-8 bytes and need no terminator', async (t) => {
  t.equal(parseAcl('(inform :content #5"hello)').content, 'hello');
  t.equal(parseAcl('(inform :content #0")').content, '');
  t.equal(parseAcl('(inform :content #7"a "b" c :language x)').content, 'a "b" c');
  t.equal(parseAcl('(inform :content #11"(inform :x)\n)').content, '(inform :x)');
  t.equal(parseAcl('(inform :content #2"é)').content, 'é'); // 2 bytes
  t.equal(parseAcl('(inform :content #4"😀)').content, '😀'); // 4 bytes, 2 UTF-16 units
  t.equal(parseAcl('(inform :content #6"a\\"b\\")').content, 'a\\"b\\"', 'no escapes inside');
  const m = parseAcl('(inform :sender (agent-identifier :name #3"a b) :X-data #3"x y)');
  t.same(m, { performative: 'inform', sender: aid('a b'), userDefined: { 'X-data': 'x y' } });
});

t.test('words, numbers and date-times as values are kept as text', async (t) => {
  const m = parseAcl('(inform :content 42 :language -1.5e3 :ontology +7 :encoding 0x1F :conversation-id conv-1 :reply-with .5 :in-reply-to 20001231T235959000)');
  t.same(m, {
    performative: 'inform', content: '42', language: '-1.5e3', ontology: '+7', encoding: '0x1F',
    conversationId: 'conv-1', replyWith: '.5', inReplyTo: '20001231T235959000',
  });
  t.equal(parseAcl('(inform :protocol fipa-contract-net)').protocol, 'fipa-contract-net');
  t.equal(parseAcl('(inform :language "fipa-sl")').language, 'fipa-sl', 'a quoted word is the same value');
  t.equal(parseAcl('(inform :content word)').content, 'word');
});

t.test('parenthesised expressions as values are kept as canonical text and written back unquoted', async (t) => {
  const m = parseAcl('(inform :X-route ( hop1  (hop2 "a \\"q\\"" #3"b c)\n 3 :k ) :conversation-id (x))');
  t.same(m.userDefined, { 'X-route': '(hop1 (hop2 "a \\"q\\"" "b c") 3 :k)' });
  t.equal(m.conversationId, '(x)');
  t.equal(formatAcl(m), '(inform :conversation-id (x) :X-route (hop1 (hop2 "a \\"q\\"" "b c") 3 :k))');
  t.equal(parseAcl('(inform :content (a (b)))').content, '(a (b))');
  t.equal(formatAcl({ performative: 'inform', content: '(a (b))' }), '(inform :content "(a (b))")', 'content is always quoted');
  t.equal(formatAcl({ performative: 'inform', language: '( a)' }), '(inform :language "( a)")', 'non-canonical text is quoted');
  t.equal(formatAcl({ performative: 'inform', language: '(a) (b)' }), '(inform :language "(a) (b)")', 'two expressions are quoted');
});

t.test('reply-by: UTC, local time (no designator), quoted token; ISO in the model', async (t) => {
  t.equal(parseAcl('(inform :reply-by 20001231T235959000Z)').replyBy, '2000-12-31T23:59:59.000Z');
  t.equal(parseAcl('(inform :reply-by 20001231T235959999z)').replyBy, '2000-12-31T23:59:59.999Z');
  t.equal(parseAcl('(inform :reply-by "20240229T120000000Z")').replyBy, '2024-02-29T12:00:00.000Z');
  // SC00070: no type designator means local time
  t.equal(parseAcl('(inform :reply-by 19960415T083000000)').replyBy, new Date(1996, 3, 15, 8, 30, 0, 0).toISOString());
  t.equal(parseAcl('(inform :reply-by 00010101T000000000Z)').replyBy, '0001-01-01T00:00:00.000Z');
  t.equal(formatDateTime('2000-12-31T23:59:59.000Z'), '20001231T235959000Z');
  t.equal(formatDateTime('0099-01-02T03:04:05.006Z'), '00990102T030405006Z');
  t.equal(parseDateTime('20001231T235959000Z'), '2000-12-31T23:59:59.000Z');
  t.throws(() => parseDateTime('2000'), { code: 'ACL_SYNTAX' });
  t.equal(formatAcl({ performative: 'inform', replyBy: '2000-12-31T23:59:59.000Z' }), '(inform :reply-by 20001231T235959000Z)');
});

t.test('receiver and reply-to: (set ...), (sequence ...), a lone identifier, empty, many', async (t) => {
  t.same(parseAcl('(inform :receiver (sequence (agent-identifier :name a) (agent-identifier :name b)))').receiver, [aid('a'), aid('b')]);
  t.same(parseAcl('(inform :receiver (agent-identifier :name a))').receiver, [aid('a')]);
  t.same(parseAcl('(inform :receiver (set))').receiver, []);
  t.same(parseAcl('(inform :reply-to (set (agent-identifier :name r)))').replyTo, [aid('r')]);
  const many = Array.from({ length: 500 }, (_, i) => aid(`agent-${i}`, { addresses: [`http://h${i}/acc`] }));
  const m: AclMessage = { performative: 'cfp', receiver: many, replyTo: many.slice(0, 3) };
  t.same(parseAcl(formatAcl(m)), m);
  t.equal(formatAcl({ performative: 'inform', receiver: [] }), '(inform :receiver (set))');
});

t.test('agent identifiers: parameters in any order, user-defined parameters, nested resolvers', async (t) => {
  const m = parseAcl(`(inform :sender (agent-identifier
      :X-Region eu-west
      :resolvers (sequence (agent-identifier :name r1 :resolvers (sequence (agent-identifier :name r2))))
      :addresses (sequence "http://h/a b" mtp://x)
      :name "alice smith"))`);
  t.same(m.sender, {
    name: 'alice smith',
    addresses: ['http://h/a b', 'mtp://x'],
    resolvers: [aid('r1', { resolvers: [aid('r2')] })],
    userDefined: { 'X-Region': 'eu-west' },
  });
  t.equal(formatAcl(m),
    '(inform :sender (agent-identifier :name "alice smith" :addresses (sequence "http://h/a b" mtp://x) :resolvers (sequence (agent-identifier :name r1 :resolvers (sequence (agent-identifier :name r2)))) :X-Region eu-west))');
  t.same(parseAcl('(inform :sender (agent-identifier :name a :addresses (sequence) :resolvers (set)))').sender,
    aid('a', { addresses: [], resolvers: [] }));
  // eight levels are allowed, the ninth is refused (message.ts MAX_AGENT_IDENTIFIER_DEPTH)
  const nest = (depth: number): string => depth === 1
    ? '(agent-identifier :name leaf)'
    : `(agent-identifier :name n${depth} :resolvers (sequence ${nest(depth - 1)}))`;
  t.ok(parseAcl(`(inform :sender ${nest(8)})`).sender);
  t.throws(() => parseAcl(`(inform :sender ${nest(9)})`), { code: 'ACL_SYNTAX', message: /nest deeper than 8/ });
});

t.test('formatAcl quoting: bare when the text reads back the same, quoted otherwise', async (t) => {
  const name = (n: string) => formatAcl({ performative: 'inform', sender: aid(n) }).slice('(inform :sender (agent-identifier :name '.length, -2);
  t.equal(name('bob'), 'bob');
  t.equal(name('da0@foo.com'), 'da0@foo.com');
  t.equal(name('42'), '42', 'a number reads back as the same text');
  t.equal(name('two words'), '"two words"');
  t.equal(name('@home'), '"@home"', 'a Word cannot start with @');
  t.equal(name('-x'), '"-x"', 'a Word cannot start with -');
  t.equal(name(':x'), '":x"', 'would read as a parameter name');
  t.equal(name('#12'), '"#12"', 'would read as a byte-length string');
  t.equal(name('a"b'), '"a\\"b"');
  t.equal(name('(x)'), '"(x)"', 'names are never expressions');
  t.equal(name('ünï'), 'ünï');
  t.equal(formatAcl({ performative: 'inform', content: 'word' }), '(inform :content "word")', 'content is always quoted');
  t.equal(formatAcl({ performative: 'inform', language: '' }), '(inform :language "")');
});

t.test('formatAcl writes parameters in SC00061 order and refuses invalid messages', async (t) => {
  const m: AclMessage = {
    userDefined: { 'X-b': '2', 'X-a': '1' }, replyBy: '2001-01-01T00:00:00.000Z', inReplyTo: 'r0', replyWith: 'r1',
    conversationId: 'c', protocol: 'p', ontology: 'o', encoding: 'e', language: 'l', content: 'x',
    replyTo: [aid('rt')], receiver: [aid('rc')], sender: aid('s'), performative: 'propose',
  };
  t.equal(formatAcl(m),
    '(propose :sender (agent-identifier :name s) :receiver (set (agent-identifier :name rc)) :reply-to (set (agent-identifier :name rt)) :content "x" :language l :encoding e :ontology o :protocol p :conversation-id c :reply-with r1 :in-reply-to r0 :reply-by 20010101T000000000Z :X-b 2 :X-a 1)');
  t.throws(() => formatAcl({ performative: 'shout' } as unknown as AclMessage), { code: 'UNKNOWN_PERFORMATIVE' });
  t.throws(() => formatAcl({ performative: 'inform', replyBy: 'tomorrow' }), { code: 'INVALID_MESSAGE' });
  t.throws(() => formatAcl({ performative: 'inform', userDefined: { priority: 'x' } }), { code: 'INVALID_MESSAGE' });
  t.equal(formatAcl({ performative: 'inform', content: 'x'.repeat(100_000) }).length, 100_000 + 20, 'no size limit when formatting');
});

// ---------------------------------------------------------------- errors

interface Malformed {
  what: string;
  text: string;
  line: number;
  column: number;
  offset: number;
  message: RegExp;
}

const malformed: Malformed[] = [
  { what: 'unterminated string', text: '(inform\n  :receiver (set (agent-identifier :name bob))\n  :content "unterminated)\n', line: 3, column: 12, offset: 66, message: /^unterminated string at 3:12 \(offset 66\): expected a closing double quote/ },
  { what: 'missing \')\'', text: '(inform\n  :receiver (set (agent-identifier :name bob))\n  :content "hi"\n', line: 4, column: 1, offset: 71, message: /^unexpected end of input at 4:1 \(offset 71\): expected .*'\)' to close the message/ },
  { what: 'missing \')\' in an expression', text: '(inform :X-a (b (c)', line: 1, column: 20, offset: 19, message: /expected '\)' to close the expression opened at 1:14$/ },
  { what: 'byte-length string longer than the text', text: '(inform :content #12"short)', line: 1, column: 18, offset: 17, message: /^byte-length string ends early: 12 bytes announced, 6 present at 1:18/ },
  { what: 'byte-length string without digits', text: '(inform :content #x"abc")', line: 1, column: 18, offset: 17, message: /^malformed byte-length string at 1:18/ },
  { what: 'byte-length string without its quote', text: '(inform :content #3abc)', line: 1, column: 18, offset: 17, message: /^malformed byte-length string/ },
  { what: 'byte-length string splitting a character', text: '(inform :content #1"é)', line: 1, column: 18, offset: 17, message: /ends inside a multi-byte UTF-8 character/ },
  { what: 'duplicate parameter (any case)', text: '(inform :content "a"\n :language sl\n :Language sl)', line: 3, column: 2, offset: 36, message: /^duplicate parameter :Language at 3:2/ },
  { what: 'duplicate agent-identifier parameter', text: '(inform :sender (agent-identifier :name a :name b))', line: 1, column: 43, offset: 42, message: /^duplicate parameter :name/ },
  { what: 'garbage after the message', text: '(inform :content "a") (inform)', line: 1, column: 23, offset: 22, message: /^unexpected '\(' after the message at 1:23 \(offset 22\): expected nothing after/ },
  { what: 'a word after the message', text: '(inform)\n\n  trailing', line: 3, column: 3, offset: 12, message: /^unexpected word 'trailing' after the message/ },
  { what: 'ISO date instead of a date-time token', text: '(inform :reply-by 2000-12-31T23:59:59Z)', line: 1, column: 19, offset: 18, message: /^malformed date-time '2000-12-31T23:59:59Z' at 1:19 \(offset 18\): expected a date-time such as 20001231T235959000Z/ },
  { what: 'short date-time', text: '(inform :reply-by 20001231T2359)', line: 1, column: 19, offset: 18, message: /^malformed date-time/ },
  { what: 'February 30', text: '(inform :reply-by 20000230T120000000Z)', line: 1, column: 19, offset: 18, message: /^invalid date-time 20000230T120000000Z/ },
  { what: 'unknown time zone designator', text: '(inform :reply-by 20001231T235959000Q)', line: 1, column: 19, offset: 18, message: /designator 'Q'/ },
  { what: 'relative date-time', text: '(inform :reply-by +20001231T235959000Z)', line: 1, column: 19, offset: 18, message: /^relative date-time/ },
  { what: 'missing value', text: '(inform\n  :content )', line: 2, column: 12, offset: 19, message: /^unexpected '\)' at 2:12 \(offset 19\): expected the content/ },
  { what: 'value without a parameter name', text: '(inform :content "a" content)', line: 1, column: 22, offset: 21, message: /^unexpected word 'content'/ },
  { what: 'unknown parameter', text: '(inform :colour red)', line: 1, column: 9, offset: 8, message: /^unknown parameter :colour/ },
  { what: 'agent identifier without :name', text: '(inform :sender (agent-identifier :addresses (sequence http://x)))', line: 1, column: 65, offset: 64, message: /^agent identifier without :name/ },
  { what: 'not an agent identifier', text: '(inform :sender (agent-id :name x))', line: 1, column: 18, offset: 17, message: /^unexpected word 'agent-id'.*expected 'agent-identifier'/ },
  { what: 'receiver not a set', text: '(inform :receiver (list (agent-identifier :name x)))', line: 1, column: 20, offset: 19, message: /expected 'set'/ },
  { what: 'no opening parenthesis', text: 'inform :content "x"', line: 1, column: 1, offset: 0, message: /^unexpected word 'inform' at 1:1 \(offset 0\): expected '\(' to start an ACL message/ },
  { what: 'empty text', text: '', line: 1, column: 1, offset: 0, message: /^unexpected end of input at 1:1/ },
  { what: 'number as performative', text: '(42 :content "x")', line: 1, column: 2, offset: 1, message: /^unexpected number '42'.*expected a performative/ },
  { what: 'malformed number', text: '(inform :in-reply-to 12ab)', line: 1, column: 22, offset: 21, message: /^malformed number or date-time '12ab'/ },
  { what: 'empty parameter name', text: '(inform : x)', line: 1, column: 9, offset: 8, message: /^empty parameter name/ },
  { what: 'empty agent name', text: '(inform :sender (agent-identifier :name ""))', line: 1, column: 41, offset: 40, message: /^empty agent name/ },
];

t.test('malformed input: ACL_SYNTAX with line, column, offset and what was expected', async (t) => {
  for (const c of malformed) {
    try {
      parseAcl(c.text);
      t.fail(`${c.what}: parsed`);
    } catch (e) {
      t.ok(e instanceof AclSyntaxError && e instanceof CaxtonError, `${c.what}: an AclSyntaxError`);
      const err = e as AclSyntaxError;
      t.equal(err.code, 'ACL_SYNTAX', `${c.what}: code`);
      t.match(err.message, c.message, `${c.what}: message`);
      t.match(err.message, ` at ${c.line}:${c.column} (offset ${c.offset}): expected `, `${c.what}: position in the message`);
      t.same(Object.keys(err.details).sort(), ['column', 'expected', 'line', 'offset'], `${c.what}: details`);
      t.match(err.details, { line: c.line, column: c.column, offset: c.offset, expected: String }, `${c.what}: details values`);
      t.ok(err.hint.length > 10, `${c.what}: hint`);
    }
  }
});

t.test('unknown performative: UNKNOWN_PERFORMATIVE', async (t) => {
  t.throws(() => parseAcl('(shout :content "hi")'), UnknownPerformativeError);
  t.throws(() => parseAcl('(shout :content "hi")'), { code: 'UNKNOWN_PERFORMATIVE', details: { performative: 'shout' } });
  t.throws(() => parseAcl('(inform-all)'), { code: 'UNKNOWN_PERFORMATIVE' });
});

t.test('hostile nesting is refused, not a stack overflow', async (t) => {
  t.ok(parseAcl(`(inform :X-e ${'('.repeat(64)}${')'.repeat(64)})`));
  t.throws(() => parseAcl(`(inform :X-e ${'('.repeat(100_000)}`), { code: 'ACL_SYNTAX', message: /deeper than 64/ });
});
