// Interaction protocols: the state machines (unit), conversation release and
// reply-by (unit, with real timers), and the host enforcing them end to end.
import t from 'tap';
import { nextState, END } from '../../dist/runtime/fipa/protocols.js';
import { ConversationTable } from '../../dist/runtime/fipa/conversations.js';
import { Runtime, silentLogger, decodeFrame, type DecodedFrame } from '../../dist/runtime/index.js';
import { example, Inbox } from '../helpers/agents.js';
import { within } from '../helpers/wait.js';

type P = Parameters<typeof nextState>[0];
type S = Parameters<typeof nextState>[2];

/** Walk a sequence of [side, act]; return the final state or where it broke. */
function walk(protocol: P, steps: [S, string][]): string {
  let state: string | undefined;
  for (const [i, [side, act]] of steps.entries()) {
    const next = nextState(protocol, state, side, act as never);
    if (next === undefined) return `broke at ${i}`;
    state = next;
  }
  return state ?? 'none';
}

t.test('protocol state machines', async (t) => {
  const I = 'initiator' as const;
  const R = 'participant' as const;
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'agree'], [R, 'inform']]), END);
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'inform']]), END, 'inform without agree');
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'refuse']]), END);
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'agree'], [R, 'failure']]), END);
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'propose']]), 'broke at 1');
  t.equal(walk('fipa-request', [[R, 'agree']]), 'broke at 0', 'no opening');
  t.equal(walk('fipa-request', [[I, 'request'], [R, 'agree'], [R, 'agree']]), 'broke at 2');
  t.equal(walk('fipa-query', [[I, 'query-ref'], [R, 'inform']]), END);
  t.equal(walk('fipa-query', [[I, 'query-if'], [R, 'agree'], [R, 'inform']]), END);
  t.equal(walk('fipa-query', [[I, 'request']]), 'broke at 0');
  t.equal(walk('fipa-subscribe', [[I, 'subscribe'], [R, 'agree'], [R, 'inform'], [R, 'inform'], [I, 'cancel'], [R, 'inform']]), END);
  t.equal(walk('fipa-subscribe', [[I, 'subscribe'], [R, 'refuse']]), END);
  t.equal(walk('fipa-subscribe', [[I, 'subscribe'], [R, 'agree'], [I, 'inform']]), 'broke at 2', 'the initiator does not inform');
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [R, 'propose'], [I, 'accept-proposal'], [R, 'inform']]), END);
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [R, 'propose'], [I, 'reject-proposal']]), END);
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [R, 'refuse']]), END);
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [I, 'accept-proposal']]), 'broke at 1', 'accept before a proposal');
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [R, 'propose'], [R, 'inform']]), 'broke at 2', 'result before acceptance');
  t.equal(walk('fipa-contract-net', [[I, 'cfp'], [R, 'not-understood']]), END, 'not-understood ends any conversation');
});

t.test('conversation table: finished conversations are released; reply-by times out; late replies are recognised', async (t) => {
  const timedOut: unknown[] = [];
  const table = new ConversationTable({ idleMs: 60_000, lateGraceMs: 60_000, onTimeout: (c) => timedOut.push(c) });
  // One assertion per step, not one per conversation: the suite counts tests, and a loop of t.ok inflated it.
  const refusedOpen: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const open = table.check('fipa-request', 1, true, 2, i, 0, 'request', 0);
    if (open.ok) open.apply();
    else refusedOpen.push(i);
  }
  t.same(refusedOpen, [], '1,000 conversations open');
  t.equal(table.size, 1000);
  const refusedClose: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const done = table.check('fipa-request', 1, false, 2, i, 0, 'inform', 0);
    if (done.ok) done.apply();
    else refusedClose.push(i);
  }
  t.same(refusedClose, [], 'each one is finished by its inform');
  t.equal(table.size, 0, 'memory does not grow with the number of conversations ever held');

  let timeoutFired!: () => void;
  const fired = new Promise<void>((resolve) => { timeoutFired = resolve; });
  const t2 = new ConversationTable({ idleMs: 60_000, lateGraceMs: 60_000, onTimeout: () => timeoutFired() });
  const open = t2.check('fipa-query', 5, true, 6, 1, 0, 'query-ref', Date.now() - 1);
  if (open.ok) open.apply();
  await within(fired, 'the reply-by time-out of the conversation');
  const late = t2.check('fipa-query', 5, false, 6, 1, 0, 'inform', 0);
  t.notOk(late.ok);
  t.ok(!late.ok && late.late, 'a reply after the reply-by is late');
  t.equal(t2.sweep(Date.now() + 61_000), 1, 'and forgotten after the grace period');
  t.equal(t2.size, 0);
  const bad = table.check('fipa-request', 1, false, 2, 99, 0, 'inform', 0);
  t.ok(!bad.ok && /expected an opening request from the initiator/.test(bad.reason));
});

t.test('the host enforces fipa-request end to end', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  const box = new Inbox<DecodedFrame>();
  rt.openEndpoint('observer', (f) => box.push(decodeFrame(f)));
  await rt.deploy([
    { name: 'alice', module: example('fipa-request'), worker: 1, config: { peer: 'bob', reportTo: 'observer', replyByMs: 300 } },
    { name: 'bob', module: example('fipa-request'), worker: 2, config: { reportTo: 'observer' } },
  ]);
  const go = async (action: string, n: number) => {
    rt.send({ to: 'alice', performative: 'request', content: `go ${action}` });
    return (await box.take(n)).map((f) => f.content);
  };
  t.same(await go('work', 2), ['agree', 'inform'], 'request, agree, inform');
  t.same(await go('refuse', 1), ['refuse']);
  t.same(await go('slow', 1), ['agree'], 'agree is a reply: it meets the reply-by (the conversation then waits for the result)');
  const broke = await go('break', 2);
  t.same(broke.sort(), ['failure (timeout)', 'send refused: protocol violation'], 'a reply that breaks the protocol is refused at send; no reply by the reply-by: the host tells the initiator');

  // a message that breaks the protocol on arrival is answered with not-understood and dead-lettered
  const nu = await rt.request({ to: 'bob', performative: 'agree', content: 'out of the blue', params: { protocol: 'fipa-request' } });
  t.equal(nu.performative, 'not-understood');
  t.match(nu.content, { error: 'PROTOCOL_VIOLATION', reason: /agree from the initiator breaks fipa-request/ });
  t.equal(nu.protocol, 'fipa-request');

  // replies made with the SDK's reply() stay in the protocol: echo answers a fipa-request
  await rt.deploy({ name: 'echo', module: example('echo') });
  const r = await rt.request({ to: 'echo', performative: 'request', content: 'x', params: { protocol: 'fipa-request' } });
  t.equal(r.performative, 'inform');
  t.equal(r.protocol, 'fipa-request');

  const s = await rt.waitIdle();
  // Left: both sides of the "slow" conversation (agreed, waiting for a result),
  // bob's side of "break" (never answered) and alice's timed-out side (kept a
  // minute to recognise a late reply). Idle ones are swept after 10 minutes.
  t.equal(s.conversations, 4, 'finished conversations were released');
  t.equal(s.accepted, s.delivered + s.deadLettered, 'host-made time-outs are counted as accepted');
  t.same(rt.listDeadLetters().map((d) => d.reason), ['PROTOCOL_VIOLATION']);
});
