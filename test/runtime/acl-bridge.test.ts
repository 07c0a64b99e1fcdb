// FIPA ACL messages through the runtime: the JSON/string model in, frames on
// the bus, the model out again at an endpoint.
import t from 'tap';
import { Runtime, silentLogger, parseAcl, conversationKey, type AclMessage } from '../../dist/runtime/index.js';
import { example, Inbox } from '../helpers/agents.js';

t.test('conversation keys', async (t) => {
  t.equal(conversationKey('abc123'), '0000000000abc123', 'hex ids are used as they are');
  t.match(conversationKey('order-2024-17'), /^[0-9a-f]{16}$/);
  t.equal(conversationKey('order-2024-17'), conversationKey('order-2024-17'), 'stable');
  t.not(conversationKey('order-2024-17'), conversationKey('order-2024-18'));
});

t.test('sendAcl: one frame per receiver, parameters preserved, replies mapped back', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy([{ name: 'echo-1', module: example('echo') }, { name: 'echo-2', module: example('echo') }]);
  const box = new Inbox<AclMessage>();
  const client = rt.openEndpoint('client', (f) => box.push(rt.toAcl(f)));
  const sent = rt.sendAcl(parseAcl(`(request
      :sender (agent-identifier :name client)
      :receiver (set (agent-identifier :name echo-1) (agent-identifier :name echo-2))
      :content "translate (bonjour)"
      :language English :ontology travel
      :protocol fipa-request :conversation-id order-17
      :reply-with r1 :reply-by 20991231T235959000Z :X-priority high)`), client);
  t.equal(sent.messageIds.length, 2, 'one frame per receiver');
  const replies = await box.take(2);
  t.same(replies.map((r) => r.sender!.name).sort(), ['echo-1', 'echo-2']);
  for (const r of replies) {
    t.equal(r.performative, 'inform');
    t.equal(r.content, 'translate (bonjour)');
    t.equal(r.protocol, 'fipa-request', 'the reply stays in the protocol');
    t.equal(r.conversationId, 'order-17', 'the conversation-id string comes back');
    t.same(r.receiver, [{ name: 'client' }]);
  }
  t.throws(() => rt.sendAcl({ performative: 'inform', content: 'no receiver' }), { code: 'INVALID_MESSAGE' });
  t.throws(() => rt.sendAcl({ performative: 'inform', receiver: [{ name: 'echo-1' }], replyBy: '2001-01-01T00:00:00.000Z' }), { code: 'REPLY_BY_IN_PAST' });
});

t.test('parameters reach the agent: a frame carries them in its params map', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  const box = new Inbox<AclMessage>();
  const sink = rt.openEndpoint('sink', (f) => box.push(rt.toAcl(f)));
  // fan-out forwards the frame unchanged (params included) to the sink
  await rt.deploy({ name: 'fan', module: example('fan-out'), config: { targets: ['sink'] } });
  rt.sendAcl({ performative: 'inform', receiver: [{ name: 'fan' }], content: 'x', language: 'fipa-sl', ontology: 'o', encoding: 'utf-8', replyWith: 'q', inReplyTo: 'p', userDefined: { 'X-trace': 'yes' } }, sink);
  const m = await box.next();
  t.match(m, { performative: 'inform', content: 'x', language: 'fipa-sl', ontology: 'o', encoding: 'utf-8', replyWith: 'q', inReplyTo: 'p', userDefined: { 'X-trace': 'yes' } });
  t.equal(m.sender!.name, 'fan', 'without a sender parameter, the sender is the agent that sent the frame');
});
