// The journal of accepted messages (api/journal/; decision 0016) over a real
// in-process server: files rotate and go once settled, `durable` is kept and
// checked on REST, a run that stopped with messages unfinished says so, and a
// line cut short by a crash is skipped with a warning, not fatal.
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, stopTestServer } from '../helpers/server.js';
import { example } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';
import { readJournal } from '../../dist/api/journal/recover.js';

const files = (dataDir: string): string[] => readdirSync(join(dataDir, 'journal')).filter((n) => n.endsWith('.ndjson'));

t.test('files rotate, and go once every message in them is settled', async (t) => {
  const s = await startTestServer({ journal: { rotateBytes: 2048, markIntervalMs: 10 } });
  t.teardown(() => stopTestServer(s));
  const dataDir = s.server.dataDir;
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) ids.add((await s.call(s.messages, 'Send', { agent: 'echo', contentJson: String(i), conversationId: `c-${i}` })).messageId);
  t.equal(ids.size, 200);
  // 200 records of ~100 bytes cannot fit one 2 KiB file: it rotated, and settled files were deleted.
  const left = await waitUntil(() => ({ files: files(dataDir), unfinished: readJournal(dataDir).unfinished.length }),
    (v) => v.unfinished === 0 && v.files.length === 1, 'every message settled and only the current file left');
  t.equal(left.files.length, 1);
});

t.test('REST durable: kept in the journal with its content; a durable that is not a boolean is refused naming the field', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  const ok = await s.http('POST', '/v1/agents/echo/messages', { content: { order: 7 }, durable: true });
  t.equal(ok.status, 202);
  const lines = files(s.server.dataDir).flatMap((f) => readFileSync(join(s.server.dataDir, 'journal', f), 'utf8').split('\n')).filter((l) => l.includes(ok.body.messageId));
  t.equal(lines.length, 1, 'one record');
  t.same(JSON.parse(lines[0]!).d, { content: { order: 7 } }, 'the content kept for sending again');
  const bad = await s.http('POST', '/v1/agents/echo/messages', { content: 1, durable: 'yes' });
  t.equal(bad.status, 400);
  t.match(bad.text, /durable/);
});

t.test('a stop whose drain times out keeps the unfinished messages; the next start dead-letters them saying so', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-journal-'));
  const s1 = await startTestServer({ dataDir });
  await s1.call(s1.agents, 'Deploy', { name: 'slow', module: example('slow'), timeLimitMs: 600_000 });
  const busy = await s1.call(s1.messages, 'Send', { agent: 'slow', contentJson: '600000', conversationId: 'long-job' });
  for (const c of [s1.agents, s1.messages, s1.tasks, s1.management]) c.close();
  const stopped = await s1.server.stop(200);
  t.equal(stopped.drained, false, 'the busy agent kept the drain from finishing');
  t.ok(files(dataDir).length >= 1, 'the journal stays');

  const s2 = await startTestServer({ dataDir });
  t.teardown(() => stopTestServer(s2));
  const { deadLetters } = await s2.call(s2.management, 'ListDeadLetters', { limit: 100 });
  const lost = deadLetters.filter((d: { reason: string }) => d.reason === 'LOST_IN_CRASH');
  t.equal(lost.length, 1);
  t.equal(lost[0].messageId, busy.messageId);
  t.equal(lost[0].conversationId, 'long-job');
  t.match(lost[0].detail, /stopped before it was handled \(its drain timed out\)/);
  t.match(lost[0].hint, /Resend it if it matters/);
});

t.test('a line cut short by the crash is skipped; the readable records still count', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-journal-'));
  mkdirSync(join(dataDir, 'journal'));
  writeFileSync(join(dataDir, 'journal', 'abc-00000001-000001.ndjson'), [
    '{"run":"abc-00000001","pid":1,"at":1,"v":1}',
    '{"s":[0,0,0,0],"at":1}',
    '{"m":"0300000100000001","a":"echo","p":"inform","c":"x","t":1,"o":1,"at":1764900000000}',
    '{"m":"0300000100000002","a":"echo","p":"inform","t":1,"o":2,"at":1764900000001}',
    '{"s":[0,1,0,0],"at":2}',
    '{"m":"0300000100000003","a":"ec',
  ].join('\n'));
  const s = await startTestServer({ dataDir });
  t.teardown(() => stopTestServer(s));
  const stats = await s.call(s.management, 'Stats', {});
  t.equal(stats.lostInCrash, 1, 'the second record, above the mark; the first was settled, the third unreadable');
  const { deadLetters } = await s.call(s.management, 'ListDeadLetters', { limit: 10 });
  t.same(deadLetters.map((d: { messageId: string }) => d.messageId), ['0300000100000002']);
  t.notOk(files(dataDir).includes('abc-00000001-000001.ndjson'), 'the old file is gone');
});
