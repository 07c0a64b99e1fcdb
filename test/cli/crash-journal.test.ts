// The journal of accepted messages (issue #16 item 8; decision 0016): a real
// `caxton server start` is killed with SIGKILL while messages it accepted
// wait behind a busy agent; the next start on the same data directory turns
// every one of them into a LOST_IN_CRASH dead letter (by message id), counts
// them in Stats, and sends the durable ones again.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/cli-server.js';
import { example } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

const journalDir = (dataDir: string): string => join(dataDir, 'journal');

function journalFiles(dataDir: string): string[] {
  try {
    return readdirSync(journalDir(dataDir)).filter((n) => n.endsWith('.ndjson')).sort();
  } catch {
    return [];
  }
}

/** The largest settled mark of worker `thread` written in the journal so far. */
function settledMark(dataDir: string, thread: number): number {
  let mark = 0;
  for (const f of journalFiles(dataDir)) {
    for (const line of readFileSync(join(journalDir(dataDir), f), 'utf8').split('\n')) {
      if (!line.startsWith('{"s":')) continue;
      const s = (JSON.parse(line) as { s: number[] }).s[thread] ?? 0;
      if (s > mark) mark = s;
    }
  }
  return mark;
}

t.test('kill -9 under load: accepted messages become LOST_IN_CRASH letters; durable ones are sent again', async (t) => {
  const s1 = await startServer({}, { workers: 2 });
  t.teardown(() => s1.kill());
  // Both on worker 1: the busy agent's message holds the counter's behind it in the same ring.
  await s1.call(s1.agents, 'Deploy', { name: 'slow', module: example('slow'), worker: 1, timeLimitMs: 600_000 });
  await s1.call(s1.agents, 'Deploy', { name: 'counter', module: example('counter'), worker: 1 });

  // Two answered calls: finished, so never reported lost once their marks are written.
  for (const n of [1, 2]) {
    const r = await s1.call(s1.messages, 'Invoke', { agent: 'counter', performative: 'request', contentJson: '"inc"' });
    t.equal(JSON.parse(r.reply.contentJson), n);
  }
  await waitUntil(() => settledMark(s1.dataDir, 1), (m) => m >= 2, 'the journal marking both calls settled', { timeoutMs: 10_000, intervalMs: 20 });

  // The busy agent takes its message for ten minutes (its time limit): nothing behind it is handled before the kill.
  const busy = await s1.call(s1.messages, 'Send', { agent: 'slow', performative: 'request', contentJson: '600000', conversationId: 'busy-1' });
  const lost: string[] = [busy.messageId];
  for (let i = 0; i < 5; i++) {
    const r = await s1.call(s1.messages, 'Send', { agent: 'counter', performative: 'request', contentJson: '"inc"', conversationId: `order-${i}` });
    lost.push(r.messageId);
  }
  const durable: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await s1.call(s1.messages, 'Send', { agent: 'counter', performative: 'request', contentJson: '"inc"', conversationId: `kept-${i}`, durable: true });
    durable.push(r.messageId);
  }
  await s1.kill();
  const before = journalFiles(s1.dataDir);
  t.ok(before.length >= 1, 'the killed run left its journal');

  const s2 = await startServer({}, { workers: 2, dataDir: s1.dataDir });
  t.teardown(() => s2.kill());
  const { deadLetters } = await s2.call(s2.management, 'ListDeadLetters', { limit: 1000 });
  const letters = (deadLetters as { reason: string; messageId: string; agent: string; conversationId: string; performative: string; detail: string }[])
    .filter((d) => d.reason === 'LOST_IN_CRASH');
  t.same(letters.map((d) => d.messageId).sort(), [...lost].sort(), 'one LOST_IN_CRASH letter per accepted, unfinished, non-durable message, by id');
  const first = letters.find((d) => d.messageId === busy.messageId)!;
  t.equal(first.agent, 'slow');
  t.equal(first.performative, 'request');
  t.equal(first.conversationId, 'busy-1', 'the conversation as the caller named it');
  t.match(first.detail, /stopped abruptly/);
  t.same(letters.filter((d) => d.agent === 'counter').map((d) => d.conversationId).sort(), ['order-0', 'order-1', 'order-2', 'order-3', 'order-4']);

  const stats = await s2.call(s2.management, 'Stats', {});
  t.equal(stats.lostInCrash, 6, 'Stats counts them');
  t.equal(stats.redelivered, 3, 'and the durable messages sent again');
  t.match(s2.stderr(), /6 message\(s\) accepted before the last stop were never finished/, 'one log line with their number');

  // The restored counter starts at 0: the three durable "inc"s reached it again, before this query.
  const q = await s2.call(s2.messages, 'Invoke', { agent: 'counter', performative: 'query-ref' });
  t.equal(JSON.parse(q.reply.contentJson), 3, 'each durable message was handled once after the restart');
  t.notOk(journalFiles(s2.dataDir).some((f) => before.includes(f)), 'the old run\'s files are gone once dealt with');

  // A clean stop with nothing unfinished leaves no journal.
  t.equal(await s2.stop(), 0);
  t.same(journalFiles(s2.dataDir), [], 'a clean stop deletes the journal');
});
