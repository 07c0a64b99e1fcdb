// Issue #16 item 1: an Invoke is answered only by the agent it invoked (slot
// and generation). test/fixtures/wat/spoofer.wat answers every message with
// INFORMs to the sender ($api) that name the API's next message ids (they are
// sequential) and the conversations the API gives Invokes without one; each
// spoof that names a waiting call must be dead-lettered SPOOFED_REPLY and the
// call keep waiting for the real reply.
//
// The race is made deterministic, not left to timing: one worker hosts every
// agent and is held (test/helpers/hold-starts.ts) until the trigger and the
// Invokes all wait in its ring, in that order. Released, it handles them in
// ring order, so every spoof reaches the API thread before any real reply, and
// while every call waits.
import t, { type Test } from 'tap';
import { example, fixture } from '../helpers/agents.js';
import { holdWorkerStarts, type StartHold } from '../helpers/hold-starts.js';
import { startTestServer, stopTestServer, type TestServer, type UnaryFn } from '../helpers/server.js';
import { waitUntil, within } from '../helpers/wait.js';

/** A server of one worker that drains nothing until `hold.release()`. */
async function heldServer(t: Test): Promise<{ s: TestServer; hold: StartHold }> {
  const hold = holdWorkerStarts();
  let s: TestServer;
  try {
    s = await startTestServer({ runtime: { workers: 1 } });
  } catch (e) {
    hold.release();
    throw e;
  }
  t.teardown(async () => {
    hold.release();
    await stopTestServer(s);
  });
  t.equal(hold.held, 1, 'the worker is held');
  return { s, hold };
}

/** Wait until the API thread has accepted `n` messages (they wait in the held worker's ring). */
function accepted(s: TestServer, n: number): Promise<unknown> {
  return waitUntil(() => s.call(s.management, 'Stats', {}), (st: any) => Number(st.accepted) >= n, `${n} messages accepted`);
}

/** The dead letters once nothing is in flight any more (every spoof delivered or dead-lettered). */
async function settledDeadLetters(s: TestServer): Promise<any[]> {
  const r = await s.call(s.management, 'Drain', { timeoutMs: 10_000 }, { deadlineMs: 20_000 });
  if (!r.drained) throw new Error('the server did not settle');
  return (await s.call(s.management, 'ListDeadLetters', { limit: 1000 })).deadLetters;
}

t.test('a spoofing agent racing echo: 10 of 10 Invokes return echo\'s content, the spoofs are SPOOFED_REPLY dead letters', async (t) => {
  const { s, hold } = await heldServer(t);
  await s.call(s.agents, 'Deploy', { name: 'spoofer', module: fixture('spoofer') });
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  const base = Number((await s.call(s.management, 'Stats', {})).accepted);
  // The trigger: the spoofer sees its id (L) and guesses L+1..L+16, the ids of the Invokes below.
  await s.call(s.messages, 'Send', { agent: 'spoofer', performative: 'inform', contentJson: '"go"' });
  const calls = Array.from({ length: 10 }, (_, i) => s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: JSON.stringify(`real ${i}`), timeoutMs: 30_000 }, { deadlineMs: 60_000 }));
  await accepted(s, base + 11);
  hold.release();
  const replies = await within(Promise.all(calls), '10 Invokes of echo');
  t.same(replies.map((r: any) => JSON.parse(r.reply.contentJson)), Array.from({ length: 10 }, (_, i) => `real ${i}`), 'each Invoke gets echo\'s own answer');
  t.ok(replies.every((r: any) => r.reply.sender === 'echo'), 'every reply is from echo');
  // 16 guesses x 2 forms: the 10 that named a waiting call (by in-reply-to, and
  // by conversation) are SPOOFED_REPLY, the other 6 x 2 named no call.
  const letters = (await settledDeadLetters(s)).filter((d: any) => d.from === 'spoofer');
  const spoofed = letters.filter((d: any) => d.reason === 'SPOOFED_REPLY');
  t.equal(spoofed.length, 20, 'every spoof that named a waiting call is SPOOFED_REPLY');
  t.equal(letters.filter((d: any) => d.reason === 'NO_WAITER').length, 12, 'the guesses past the last call found no waiter');
  t.match(spoofed[0], { agent: '$api', from: 'spoofer', performative: 'inform', contentJson: '"spoofed"', detail: /names the Invoke of echo \(slot \d+, generation \d+\) by its (in-reply-to|conversation) but comes from spoofer/ });
  t.match(spoofed[0].hint, /came from another agent than the one invoked/);
  t.equal(spoofed.filter((d: any) => / by its in-reply-to /.test(d.detail)).length, 10, 'ten named a call by its in-reply-to');
  t.equal(spoofed.filter((d: any) => / by its conversation /.test(d.detail)).length, 10, 'ten by its conversation alone');
});

t.test('a new agent in the invoked agent\'s slot (a later generation) cannot answer the call', async (t) => {
  const { s, hold } = await heldServer(t);
  await s.call(s.agents, 'Deploy', { name: 'target', module: example('echo') });
  const slotOf = async (name: string): Promise<number> => (await s.call(s.agents, 'Get', { name })).slot;
  const targetSlot = await slotOf('target');
  const base = Number((await s.call(s.management, 'Stats', {})).accepted);
  // The Invoke waits in the held ring; its agent is then replaced by the spoofer in the same slot.
  let answer: unknown;
  const call = (s.messages.Invoke as UnaryFn).call(s.messages, { agent: 'target', contentJson: '"real"', conversationId: 'gen-check', timeoutMs: 30_000 }, s.metadata(), { deadline: Date.now() + 60_000 }, (e, v) => {
    answer = e ?? v;
  });
  await accepted(s, base + 1);
  await s.call(s.agents, 'Undeploy', { name: 'target' });
  await s.call(s.agents, 'Deploy', { name: 'spoofer', module: fixture('spoofer') });
  t.equal(await slotOf('spoofer'), targetSlot, 'the spoofer took the invoked agent\'s slot (slots are reused newest-first)');
  // The spoofer answers in the conversation it is told: the Invoke's.
  await s.call(s.messages, 'Send', { agent: 'spoofer', performative: 'inform', contentJson: '"go"', conversationId: 'gen-check' });
  hold.release();
  const letters = await settledDeadLetters(s);
  t.match(letters.find((x: any) => x.reason === 'SPOOFED_REPLY'), { from: 'spoofer', conversationId: 'gen-check', detail: /names the Invoke of target \(slot \d+, generation \d+\) by its conversation but comes from spoofer/ });
  t.match(letters.find((x: any) => x.reason === 'AGENT_GONE'), { contentJson: '"real"' }, 'the request itself found its agent gone');
  t.equal(answer, undefined, 'the call is still waiting: nothing answered it');
  call.cancel();
});
