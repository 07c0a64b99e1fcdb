// FIPA ACL string representation (runtime/acl/string-codec.ts): the
// specifications' example messages parsed field by field and formatted back;
// lexical details (case, white space, byte-length strings, escapes, numbers,
// date-times); error positions for malformed input; fast-check round trips
// model -> text -> model and text -> model -> text -> model.
import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { parseAcl, formatAcl, formatDateTime, parseDateTime } from '../../dist/runtime/fipa/acl/string-codec.js';
import { PERFORMATIVES, validateMessage, type AclMessage, type AgentIdentifier } from '../../dist/runtime/fipa/acl/message.js';
import { AclSyntaxError, CaxtonError, UnknownPerformativeError } from '../../dist/runtime/errors.js';

const aid = (name: string, extra: Partial<AgentIdentifier> = {}): AgentIdentifier => ({ name, ...extra });

// ---------------------------------------------------------------- spec examples

interface Example {
  source: string;
  text: string;
  expected: AclMessage;
}

// SC00061 (ACL Message Structure) and SC00070 (String Representation) use the
// same "weather" inform; SC00037 (Communicative Act Library) gives an example
// message per act, of which these are transcribed (indentation may differ from
// the PDF). The failure and request examples carry escaped quotes inside the
// content. The last two are built in the style of SC00023 (agent identifiers)
// and around SC00070's date-time example (8:30 on 15 April 1996, UTC).
const examples: Example[] = [
  {
    source: 'SC00061 section 2 / SC00070 / SC00037 inform',
    text: `(inform
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "weather (today, raining)"
  :language Prolog)`,
    expected: {
      performative: 'inform', sender: aid('i'), receiver: [aid('j')],
      content: 'weather (today, raining)', language: 'Prolog',
    },
  },
  {
    source: 'SC00037 accept-proposal',
    text: `(accept-proposal
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :in-reply-to bid089
  :content
    "((action (agent-identifier :name j)
      (stream-content movie1234 19))
      (B (agent-identifier :name j)
      (ready customer78)))"
  :language fipa-sl)`,
    expected: {
      performative: 'accept-proposal', sender: aid('i'), receiver: [aid('j')], inReplyTo: 'bid089',
      content: '((action (agent-identifier :name j)\n      (stream-content movie1234 19))\n      (B (agent-identifier :name j)\n      (ready customer78)))',
      language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 agree (the request it answers)',
    text: `(request
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "((action (agent-identifier :name j)
      (deliver box017 (loc 12 19))))"
  :protocol fipa-request
  :language fipa-sl
  :reply-with order567)`,
    expected: {
      performative: 'request', sender: aid('i'), receiver: [aid('j')],
      content: '((action (agent-identifier :name j)\n      (deliver box017 (loc 12 19))))',
      protocol: 'fipa-request', language: 'fipa-sl', replyWith: 'order567',
    },
  },
  {
    source: 'SC00037 agree',
    text: `(agree
  :sender (agent-identifier :name j)
  :receiver (set (agent-identifier :name i))
  :content
    "((action (agent-identifier :name j)
      (deliver box017 (loc 12 19)))
      (priority order567 low))"
  :in-reply-to order567
  :protocol fipa-request
  :language fipa-sl)`,
    expected: {
      performative: 'agree', sender: aid('j'), receiver: [aid('i')],
      content: '((action (agent-identifier :name j)\n      (deliver box017 (loc 12 19)))\n      (priority order567 low))',
      inReplyTo: 'order567', protocol: 'fipa-request', language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 cfp',
    text: `(cfp
  :sender (agent-identifier :name j)
  :receiver (set (agent-identifier :name i))
  :content
    "((action (agent-identifier :name i)
      (sell plum 50))
      (any ?x (and (= (price plum) ?x) (< ?x 10))))"
  :ontology fruit-market
  :language fipa-sl)`,
    expected: {
      performative: 'cfp', sender: aid('j'), receiver: [aid('i')],
      content: '((action (agent-identifier :name i)\n      (sell plum 50))\n      (any ?x (and (= (price plum) ?x) (< ?x 10))))',
      ontology: 'fruit-market', language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 confirm',
    text: `(confirm
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "weather (today, snowing)"
  :language Prolog)`,
    expected: {
      performative: 'confirm', sender: aid('i'), receiver: [aid('j')],
      content: 'weather (today, snowing)', language: 'Prolog',
    },
  },
  {
    source: 'SC00037 disconfirm',
    text: `(disconfirm
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "((mammal shark))"
  :language fipa-sl)`,
    expected: {
      performative: 'disconfirm', sender: aid('i'), receiver: [aid('j')],
      content: '((mammal shark))', language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 failure',
    text: `(failure
  :sender (agent-identifier :name j)
  :receiver (set (agent-identifier :name i))
  :content
    "((action (agent-identifier :name j)
      (open \\"foo.txt\\"))
      (error-message \\"No such file: foo.txt\\"))"
  :language fipa-sl)`,
    expected: {
      performative: 'failure', sender: aid('j'), receiver: [aid('i')],
      content: '((action (agent-identifier :name j)\n      (open "foo.txt"))\n      (error-message "No such file: foo.txt"))',
      language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 query-ref',
    text: `(query-ref
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "((all ?x (available-service j ?x)))"
  :language fipa-sl)`,
    expected: {
      performative: 'query-ref', sender: aid('i'), receiver: [aid('j')],
      content: '((all ?x (available-service j ?x)))', language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 refuse',
    text: `(refuse
  :sender (agent-identifier :name j)
  :receiver (set (agent-identifier :name i))
  :content
    "((action (agent-identifier :name j)
      (reserve-ticket LHR MUC 27-sept-97))
      (insufficient-funds ac12345))"
  :language fipa-sl)`,
    expected: {
      performative: 'refuse', sender: aid('j'), receiver: [aid('i')],
      content: '((action (agent-identifier :name j)\n      (reserve-ticket LHR MUC 27-sept-97))\n      (insufficient-funds ac12345))',
      language: 'fipa-sl',
    },
  },
  {
    source: 'SC00037 reject-proposal',
    text: `(reject-proposal
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "((action (agent-identifier :name j)
      (sell plum 50))
      (cost 200)
      (price-too-high 50))"
  :in-reply-to proposal13)`,
    expected: {
      performative: 'reject-proposal', sender: aid('i'), receiver: [aid('j')],
      content: '((action (agent-identifier :name j)\n      (sell plum 50))\n      (cost 200)\n      (price-too-high 50))',
      inReplyTo: 'proposal13',
    },
  },
  {
    source: 'SC00037 request',
    text: `(request
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "open \\"db.txt\\" for input"
  :language vb)`,
    expected: {
      performative: 'request', sender: aid('i'), receiver: [aid('j')],
      content: 'open "db.txt" for input', language: 'vb',
    },
  },
  {
    source: 'SC00037 subscribe',
    text: `(subscribe
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content
    "((iota ?x (= ?x (xch-rate USD FFR))))"
  :language fipa-sl)`,
    expected: {
      performative: 'subscribe', sender: aid('i'), receiver: [aid('j')],
      content: '((iota ?x (= ?x (xch-rate USD FFR))))', language: 'fipa-sl',
    },
  },
  {
    source: 'after SC00023: agent-identifier with addresses and a resolver',
    text: `(inform
  :sender (agent-identifier
    :name dummy@foo.com
    :addresses (sequence iiop://foo.com/acc http://foo.com/acc)
    :resolvers (sequence (agent-identifier :name ams@foo.com :addresses (sequence iiop://foo.com/acc))))
  :receiver (set (agent-identifier :name da0@foo.com))
  :content "hello")`,
    expected: {
      performative: 'inform',
      sender: aid('dummy@foo.com', {
        addresses: ['iiop://foo.com/acc', 'http://foo.com/acc'],
        resolvers: [aid('ams@foo.com', { addresses: ['iiop://foo.com/acc'] })],
      }),
      receiver: [aid('da0@foo.com')],
      content: 'hello',
    },
  },
  {
    source: 'after SC00037 query-if: SC00070 date-time token (UTC) and a user-defined parameter',
    text: `(query-if
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j) (agent-identifier :name k))
  :content "((registered (server d1) (agent j)))"
  :language fipa-sl
  :reply-with r09
  :reply-by 19960415T083000000Z
  :X-priority high)`,
    expected: {
      performative: 'query-if', sender: aid('i'), receiver: [aid('j'), aid('k')],
      content: '((registered (server d1) (agent j)))', language: 'fipa-sl', replyWith: 'r09',
      replyBy: '1996-04-15T08:30:00.000Z', userDefined: { 'X-priority': 'high' },
    },
  },
];

t.test('the specifications\' examples parse field by field and survive formatting', async (t) => {
  for (const ex of examples) {
    const parsed = parseAcl(ex.text);
    t.same(parsed, ex.expected, `${ex.source}: parsed`);
    for (const [key, value] of Object.entries(ex.expected)) {
      t.same((parsed as unknown as Record<string, unknown>)[key], value, `${ex.source}: ${key}`);
    }
    t.same(Object.keys(parsed).sort(), Object.keys(ex.expected).sort(), `${ex.source}: no other fields`);
    t.same(parseAcl(formatAcl(parsed)), ex.expected, `${ex.source}: compact form reads back`);
    t.same(parseAcl(formatAcl(parsed, { pretty: true })), ex.expected, `${ex.source}: pretty form reads back`);
  }
});

t.test('canonical form of the inform example', async (t) => {
  const m = parseAcl(examples[0]!.text);
  t.equal(formatAcl(m),
    '(inform :sender (agent-identifier :name i) :receiver (set (agent-identifier :name j)) :content "weather (today, raining)" :language Prolog)');
  t.equal(formatAcl(m, { pretty: true }), [
    '(inform',
    '  :sender (agent-identifier :name i)',
    '  :receiver (set (agent-identifier :name j))',
    '  :content "weather (today, raining)"',
    '  :language Prolog)',
  ].join('\n'));
});

t.test('canonical form of every example', async (t) => {
  const expectedForms: Record<string, string> = {
    'SC00037 failure':
      '(failure :sender (agent-identifier :name j) :receiver (set (agent-identifier :name i)) :content "((action (agent-identifier :name j)\n      (open \\"foo.txt\\"))\n      (error-message \\"No such file: foo.txt\\"))" :language fipa-sl)',
    'SC00037 agree (the request it answers)':
      '(request :sender (agent-identifier :name i) :receiver (set (agent-identifier :name j)) :content "((action (agent-identifier :name j)\n      (deliver box017 (loc 12 19))))" :language fipa-sl :protocol fipa-request :reply-with order567)',
    'after SC00023: agent-identifier with addresses and a resolver':
      '(inform :sender (agent-identifier :name dummy@foo.com :addresses (sequence iiop://foo.com/acc http://foo.com/acc) :resolvers (sequence (agent-identifier :name ams@foo.com :addresses (sequence iiop://foo.com/acc)))) :receiver (set (agent-identifier :name da0@foo.com)) :content "hello")',
    'after SC00037 query-if: SC00070 date-time token (UTC) and a user-defined parameter':
      '(query-if :sender (agent-identifier :name i) :receiver (set (agent-identifier :name j) (agent-identifier :name k)) :content "((registered (server d1) (agent j)))" :language fipa-sl :reply-with r09 :reply-by 19960415T083000000Z :X-priority high)',
  };
  for (const ex of examples) {
    const text = formatAcl(ex.expected);
    t.match(text, new RegExp(`^\\(${ex.expected.performative} `), `${ex.source}: lower-case act first`);
    if (expectedForms[ex.source] !== undefined) t.equal(text, expectedForms[ex.source], `${ex.source}: exact text`);
    t.equal(formatAcl(parseAcl(text)), text, `${ex.source}: formatting is a fixed point`);
  }
});

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
