// FIPA ACL string representation (runtime/fipa/acl/string-codec.ts): the
// specifications' example messages parsed field by field and formatted back,
// and their canonical text. Lexical details and error positions are in
// string-codec-syntax.test.ts, fast-check round trips in
// string-codec-properties.test.ts.
import t from 'tap';
import { parseAcl, formatAcl } from '../../dist/runtime/fipa/acl/string-codec.js';
import type { AclMessage, AgentIdentifier } from '../../dist/runtime/fipa/acl/message.js';

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
