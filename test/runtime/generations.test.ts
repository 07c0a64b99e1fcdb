// Generations at delivery: a frame names its destination by slot AND the
// generation the slot had when it was sent. Slots are reused newest-first
// (runtime/supervisor/registry.ts), so a frame that waited in a ring while
// its agent was removed and a new one deployed finds the new agent in the
// same slot: the delivering thread must compare generations and dead-letter
// it, never hand it to the new agent. Worker side: WorkerHost.deliverFrame
// (runtime/host/worker-host.ts); supervisor side: HostEndpoints.deliverToEndpoint
// (runtime/supervisor/endpoints.ts).
//
// Frames wait deterministically: the worker's 'start' is held back
// (test/helpers/hold-starts.ts), so it serves deploy/stop/remove but drains
// nothing until the test releases it. No sleeps: the tests wait for
// waitIdle(), which returns once every accepted frame is delivered or
// dead-lettered.
import t, { type Test } from 'tap';
import { Runtime, silentLogger } from '../../dist/runtime/index.js';
import { decodeFrame } from '../../dist/bus/frame.js';
import { example } from '../helpers/agents.js';
import { holdWorkerStarts, type StartHold } from '../helpers/hold-starts.js';
import { within } from '../helpers/wait.js';

const echo = example('echo');
/** Generous: only reached when a test is failing. */
const WAIT_MS = 10_000;

/** A runtime of one worker (every agent shares it) whose worker drains nothing until `hold.release()`. */
async function heldRuntime(t: Test): Promise<{ rt: Runtime; hold: StartHold }> {
  const hold = holdWorkerStarts();
  let rt: Runtime;
  try {
    rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  } catch (e) {
    hold.release();
    throw e;
  }
  t.teardown(async () => {
    hold.release();
    await within(rt.shutdown(5000), 'shutdown()', { timeoutMs: WAIT_MS });
  });
  t.equal(hold.held, 1, 'the worker is held: it will not drain until released');
  return { rt, hold };
}

/** Every accepted frame delivered or dead-lettered, and the books balance. */
async function settled(t: Test, rt: Runtime): Promise<void> {
  const s = await rt.waitIdle(WAIT_MS);
  t.equal(s.inFlight, 0, 'nothing left in flight');
  t.equal(s.accepted, s.delivered + s.deadLettered, 'accepted = delivered + dead-lettered');
}

/** A mailbox on the supervisor that records what reaches it (an agent's reply would). */
function mailbox(rt: Runtime, name: string): { endpoint: ReturnType<Runtime['openEndpoint']>; got: unknown[] } {
  const got: unknown[] = [];
  const endpoint = rt.openEndpoint(name, (frame) => got.push(decodeFrame(frame).content));
  return { endpoint, got };
}

t.test('a frame for an agent removed while it waited is dead-lettered AGENT_GONE', async (t) => {
  const { rt, hold } = await heldRuntime(t);
  await rt.deploy({ name: 'a', module: echo });
  const replies = mailbox(rt, 'replies');
  rt.send({ to: 'a', performative: 'request', content: 'for a' }, replies.endpoint);
  await rt.remove('a');
  hold.release();
  await settled(t, rt);
  t.same(replies.got, [], 'nothing answered it');
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_GONE', content: 'for a', from: 'replies' }]);
});

t.test('a frame waiting when its agent is stopped is dead-lettered AGENT_STOPPED', async (t) => {
  const { rt, hold } = await heldRuntime(t);
  await rt.deploy({ name: 'a', module: echo });
  const replies = mailbox(rt, 'replies');
  rt.send({ to: 'a', performative: 'request', content: 'while stopping' }, replies.endpoint);
  await rt.stop('a');
  hold.release();
  await settled(t, rt);
  t.same(replies.got, [], 'the stopped agent did not handle it');
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_STOPPED', agent: 'a', content: 'while stopping' }]);
  await rt.start('a');
  t.equal((await rt.request({ to: 'a', performative: 'request', content: 'back' }, WAIT_MS)).content, 'back', 'started again, it answers new messages');
});

t.test('a frame for a removed agent never reaches the new agent that got its slot', async (t) => {
  const { rt, hold } = await heldRuntime(t);
  const [old] = await rt.deploy({ name: 'old', module: echo });
  const replies = mailbox(rt, 'replies');
  rt.send({ to: 'old', performative: 'request', content: 'for old' }, replies.endpoint);
  await rt.remove('old');
  const [fresh] = await rt.deploy({ name: 'new', module: echo });
  t.equal(fresh!.slot, old!.slot, 'the new agent got the removed agent\'s slot (newest-first reuse)');
  t.equal(fresh!.worker, old!.worker, 'on the same worker, where the frame waits');
  t.not(fresh!.generation, old!.generation, 'with a new generation');
  hold.release();
  await settled(t, rt);
  t.same(replies.got, [], 'the new agent did not answer the old agent\'s message');
  t.equal(rt.agentCounts('new').handled, 0, 'the new agent handled nothing');
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_GONE', content: 'for old', from: 'replies' }]);
  t.equal((await rt.request({ to: 'new', performative: 'request', content: 'for new' }, WAIT_MS)).content, 'for new', 'the new agent gets its own messages');
});

t.test('a frame for a removed agent is AGENT_GONE even when the new agent in its slot is stopped', async (t) => {
  const { rt, hold } = await heldRuntime(t);
  const [old] = await rt.deploy({ name: 'old', module: echo });
  rt.send({ to: 'old', performative: 'request', content: 'for old' });
  await rt.remove('old');
  const [fresh] = await rt.deploy({ name: 'new', module: echo });
  t.equal(fresh!.slot, old!.slot, 'the new agent got the removed agent\'s slot');
  await rt.stop('new');
  hold.release();
  await settled(t, rt);
  // AGENT_STOPPED would tell the sender its agent is stopped and may come back: it is gone.
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_GONE', content: 'for old' }]);
});

t.test('a frame for a closed host endpoint is dead-lettered NO_ENDPOINT, not handed to the endpoint that got its slot', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => within(rt.shutdown(5000), 'shutdown()', { timeoutMs: WAIT_MS }));
  const first = mailbox(rt, 'first');
  const second: unknown[] = [];
  // One synchronous job on the supervisor thread: its drain loop (a later job)
  // finds the frame in its ring only after the endpoint it was for is closed
  // and a new one holds the slot.
  rt.send({ to: 'first', performative: 'inform', content: 'for first' });
  first.endpoint.close();
  const reopened = rt.openEndpoint('second', (frame) => second.push(decodeFrame(frame).content));
  t.equal(reopened.slot, first.endpoint.slot, 'the new endpoint got the closed endpoint\'s slot (newest-first reuse)');
  await settled(t, rt);
  t.same(first.got, [], 'the closed endpoint got nothing');
  t.same(second, [], 'the new endpoint did not get the frame sent to the closed one');
  t.match(rt.listDeadLetters(), [{ reason: 'NO_ENDPOINT', content: 'for first' }]);
  rt.send({ to: 'second', performative: 'inform', content: 'for second' });
  await settled(t, rt);
  t.same(second, ['for second'], 'the new endpoint gets its own messages');
});
