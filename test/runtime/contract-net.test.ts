// Contract Net (FIPA SC00029) end to end: the runtime as manager, real
// AssemblyScript contractor agents on both workers.
import t from 'tap';
import { Runtime, silentLogger } from '../../dist/runtime/index.js';
import { example } from '../helpers/agents.js';

const contractor = example('contract-net-contractor');

async function fleet(rt: Runtime, prefix: string, configs: Record<string, unknown>[], capability = `${prefix}-work`) {
  await rt.deploy(configs.map((config, i) => ({ name: `${prefix}-${i}`, module: contractor, capabilities: [capability], config: { name: `${prefix}-${i}`, ...config } })));
  return capability;
}

t.test('contract net', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));

  t.test('the cheapest proposal wins; refusals and rejections are in the transcript', async (t) => {
    const cap = await fleet(rt, 'a', [{ price: 30 }, { price: 10 }, { price: 20 }, { refuse: true }, { refuse: true }]);
    t.same(rt.directory.search(cap), ['a-0', 'a-1', 'a-2', 'a-3', 'a-4']);
    const o = await rt.contractNet({ capability: cap, task: { job: 'translate', words: 300 }, deadlineMs: 5000 });
    t.equal(o.status, 'completed');
    t.equal(o.winner, 'a-1');
    t.same(o.result, { result: 'done', price: 10, by: 'a-1' });
    t.same(o.proposals.map((p) => p.agent).sort(), ['a-0', 'a-1', 'a-2']);
    t.same(o.refusals.map((r) => r.agent).sort(), ['a-3', 'a-4']);
    t.same(o.silent, []);
    const count = (p: string) => o.transcript.filter((e) => e.performative === p).length;
    t.same([count('cfp'), count('propose'), count('refuse'), count('accept-proposal'), count('reject-proposal'), count('inform')], [5, 3, 2, 1, 2, 1]);
    t.ok(o.transcript.filter((e) => e.performative === 'cfp').every((e) => (e.content as { job: string }).job === 'translate'), 'the task is the CFP content');
    t.match(o.conversationId, /^[0-9a-f]{16}$/);
  });

  t.test('highest:FIELD picks the largest value', async (t) => {
    const o = await rt.contractNet({ contractors: ['a-0', 'a-1', 'a-2'], task: 'x', deadlineMs: 5000, select: 'highest:price' });
    t.equal(o.winner, 'a-0');
  });

  t.test('failure after acceptance is reported as failed, with the reason', async (t) => {
    const cap = await fleet(rt, 'b', [{ price: 5, failAfterAccept: true }, { price: 8 }]);
    const o = await rt.contractNet({ capability: cap, task: 'x', deadlineMs: 5000 });
    t.equal(o.status, 'failed');
    t.equal(o.winner, 'b-0');
    t.equal(o.failure, 'could not complete the task');
  });

  t.test('all refusing: no proposals', async (t) => {
    const cap = await fleet(rt, 'c', [{ refuse: true }, { refuse: true }, { refuse: true }]);
    const o = await rt.contractNet({ capability: cap, task: 'x', deadlineMs: 5000 });
    t.equal(o.status, 'no-proposals');
    t.equal(o.refusals.length, 3);
    t.notOk(o.winner);
  });

  t.test('nobody offers the capability', async (t) => {
    const o = await rt.contractNet({ capability: 'nothing-offers-this', task: 'x', deadlineMs: 100 });
    t.equal(o.status, 'no-contractors');
    t.same(o.transcript, []);
  });

  t.test('the deadline ends the call for proposals; a silent contractor is reported', async (t) => {
    // ping-pong ignores CFPs: it never answers
    await rt.deploy({ name: 'silent', module: example('ping-pong'), capabilities: ['d-work'], config: { peer: 'x', reportTo: 'x', rounds: 1 } });
    await fleet(rt, 'd', [{ price: 3 }], 'd-work');
    // The call lasts exactly the deadline (silent never answers), and d-0 must
    // propose before it: a generous deadline, not a race with 200 ms of wall clock.
    const o = await rt.contractNet({ capability: 'd-work', task: 'x', deadlineMs: 5000 });
    t.equal(o.status, 'completed');
    t.equal(o.winner, 'd-0');
    t.same(o.silent, ['silent']);
    t.same(o.proposals.map((p) => p.agent), ['d-0'], 'the proposal came in time');
  });

  t.test('bad requests are refused with a hint', async (t) => {
    t.throws(() => rt.contractNet({ capability: 'a-work', task: 'x', deadlineMs: 0 }), { code: 'INVALID_ARGUMENT', details: { argument: 'deadlineMs' } });
    t.throws(() => rt.contractNet({ capability: 'a-work', task: 'x', deadlineMs: 10, select: 'cheapest' }), { code: 'INVALID_ARGUMENT', hint: /lowest:price/ });
    t.throws(() => rt.contractNet({ task: 'x', deadlineMs: 10 }), { code: 'INVALID_ARGUMENT', details: { argument: 'capability' } });
  });

  t.test('1,000 concurrent tasks all finish with the right winner', async (t) => {
    const cap = await fleet(rt, 'e', Array.from({ length: 10 }, (_, i) => ({ price: 100 - i * 7 })));
    const outcomes = await Promise.all(Array.from({ length: 1000 }, (_, i) => rt.contractNet({ capability: cap, task: { n: i }, deadlineMs: 30_000 })));
    t.equal(outcomes.filter((o) => o.status === 'completed').length, 1000);
    t.equal(outcomes.filter((o) => o.winner === 'e-9').length, 1000, 'price 37 wins every time');
    t.equal(new Set(outcomes.map((o) => o.conversationId)).size, 1000, 'one conversation each');
    const s = await rt.waitIdle();
    t.equal(s.accepted, s.delivered + s.deadLettered);
    t.equal(s.deadLettered, 0);
  });

  t.test('agents use the directory and start Contract Net by messaging the host services', async (t) => {
    await rt.deploy({ name: 'manager', module: example('contract-net-manager'), config: { capability: 'a-work', deadlineMs: 5000, select: 'lowest:price' } });
    const reply = await rt.request({ to: 'manager', performative: 'request', content: 'go' }, 20_000);
    t.equal(reply.performative, 'inform');
    t.match(reply.content, { status: 'completed', winner: 'a-1', result: { price: 10 } });
  });
});

t.test('agents register capabilities with the directory at run time', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy([
    { name: 'self-0', module: contractor, config: { price: 4, capability: 'self-work', name: 'self-0' } },
    { name: 'self-1', module: contractor, config: { price: 2, capability: 'self-work', name: 'self-1' } },
  ]);
  // registration is a message to "$df": wait until both are listed
  const s = await rt.waitIdle();
  t.equal(s.deadLettered, 0);
  t.same(rt.directory.search('self-work'), ['self-0', 'self-1']);
  t.same(rt.get('self-1').capabilities, ['self-work']);
  const o = await rt.contractNet({ capability: 'self-work', task: 'x', deadlineMs: 5000 });
  t.equal(o.winner, 'self-1');
  await rt.remove('self-1');
  t.same(rt.directory.search('self-work'), ['self-0'], 'removing an agent withdraws its capabilities');
});

t.test('a decider agent can choose the winner (select agent:NAME)', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  const cap = await fleet(rt, 'f', [{ price: 30 }, { price: 10 }, { price: 20 }]);
  await rt.deploy({ name: 'judge', module: example('contract-net-decider'), config: { prefer: 'f-2' } });
  const o = await rt.contractNet({ capability: cap, task: 'x', deadlineMs: 5000, select: 'agent:judge' });
  t.equal(o.status, 'completed');
  t.equal(o.winner, 'f-2', 'the decider preferred f-2 over the cheapest');
  t.ok(o.transcript.some((e) => e.note === 'decider' && e.from === 'judge' && e.performative === 'inform'), 'the decision is in the transcript');
  const rejected = o.transcript.filter((e) => e.performative === 'reject-proposal');
  t.equal(rejected.length, 2);
  t.match(rejected[0]!.content, { reason: 'judge chose f-2' });
  const missing = await rt.contractNet({ capability: cap, task: 'x', deadlineMs: 5000, select: 'agent:nobody' });
  t.equal(missing.status, 'failed');
  t.match(missing.failure, { decider: 'nobody', error: /no agent named "nobody"/ });
});
