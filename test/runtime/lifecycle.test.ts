// Agent lifecycle end to end: real worker threads, real WASM agents built
// from examples/ with the AssemblyScript SDK.
import t from 'tap';
import { Runtime, decodeFrame, type DecodedFrame } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { example, Inbox } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

t.test('lifecycle', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));

  t.test('echo replies with the same content, conversation and in-reply-to', async (t) => {
    const [info] = await rt.deploy({ name: 'echo', module: example('echo') });
    t.equal(info!.state, 'running');
    const reply = await rt.request({ to: 'echo', performative: 'request', content: { hello: 'world', n: [1, 2, 3] }, conversationId: 'abc123' }, 5000);
    t.equal(reply.performative, 'inform');
    t.same(reply.content, { hello: 'world', n: [1, 2, 3] });
    t.equal(reply.conversationId, '0000000000abc123');
    t.equal(reply.sourceSlot, info!.slot);
    t.not(reply.inReplyTo, '0000000000000000');
  });

  t.test('counter keeps state across messages; stop/start gives a fresh instance', async (t) => {
    await rt.deploy({ name: 'counter', module: example('counter'), config: { start: 10 } });
    t.equal((await rt.request({ to: 'counter', performative: 'request', content: 5 })).content, 15);
    t.equal((await rt.request({ to: 'counter', performative: 'request', content: 'inc' })).content, 16);
    t.equal((await rt.request({ to: 'counter', performative: 'query-ref', content: null })).content, 16);
    const nu = await rt.request({ to: 'counter', performative: 'cfp', content: null });
    t.equal(nu.performative, 'not-understood');

    const stopped = await rt.stop('counter');
    t.equal(stopped.state, 'stopped');
    t.throws(() => rt.send({ to: 'counter', performative: 'request', content: 1 }), { code: 'AGENT_STOPPED' });
    const started = await rt.start('counter');
    t.equal(started.state, 'running');
    t.equal((await rt.request({ to: 'counter', performative: 'query-ref', content: null })).content, 10, 'init ran again with its config');
  });

  t.test('remove frees the name; a new agent of that name gets a new generation', async (t) => {
    const [first] = await rt.deploy({ name: 'temp', module: example('echo') });
    await t.rejects(rt.deploy({ name: 'temp', module: example('echo') }), { code: 'AGENT_EXISTS' });
    await rt.remove('temp');
    t.throws(() => rt.get('temp'), { code: 'AGENT_NOT_FOUND' });
    t.throws(() => rt.send({ to: 'temp', performative: 'inform', content: 1 }), { code: 'AGENT_NOT_FOUND' });
    const [second] = await rt.deploy({ name: 'temp', module: example('echo') });
    t.ok(second!.slot !== first!.slot || second!.generation > first!.generation, 'slot reuse bumps the generation');
    t.same((await rt.request({ to: 'temp', performative: 'request', content: 'x' })).content, 'x');
    await rt.remove('temp');
  });

  t.test('fan-out forwards to every target (agents can address host endpoints)', async (t) => {
    const inboxes = [new Inbox<DecodedFrame>(), new Inbox<DecodedFrame>(), new Inbox<DecodedFrame>()];
    const eps = inboxes.map((box, i) => rt.openEndpoint(`sink-${i}`, (f) => box.push(decodeFrame(f))));
    await rt.deploy({ name: 'fan', module: example('fan-out'), config: { targets: eps.map((e) => e.name) } });
    rt.send({ to: 'fan', performative: 'propose', content: { price: 42 } });
    for (const box of inboxes) {
      const f = await box.next();
      t.equal(f.performative, 'propose');
      t.same(f.content, { price: 42 });
    }
    for (const e of eps) e.close();
  });

  t.test('timers fire in the agent', async (t) => {
    const box = new Inbox<DecodedFrame>();
    const ep = rt.openEndpoint('ticks', (f) => box.push(decodeFrame(f)));
    await rt.deploy({ name: 'ticker', module: example('ticker'), config: { periodMs: 2, reportTo: 'ticks', count: 3 } });
    const ticks = await box.take(3);
    t.same(ticks.map((f) => f.content), [1, 2, 3]);
    ep.close();
  });

  t.test('list and get describe agents', async (t) => {
    const names = rt.list().map((a) => a.name).sort();
    t.same(names, ['counter', 'echo', 'fan', 'ticker']);
    const echo = rt.get('echo');
    t.match(echo, { name: 'echo', state: 'running', memoryLimitBytes: 16 * 1024 * 1024, timeLimitMs: 1000 });
    t.ok(echo.worker >= 1 && echo.worker <= 2);
  });
});

t.test('graceful shutdown drains every accepted message', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000)); // nothing to do once the test has shut it down
  await rt.deploy([{ name: 'c1', module: example('counter'), worker: 1 }, { name: 'c2', module: example('counter'), worker: 2 }]);
  let sent = 0;
  for (let i = 0; i < 5000; i++) {
    rt.send({ to: i % 2 ? 'c1' : 'c2', performative: 'request', content: 1 });
    sent++;
  }
  const { drained, stats } = await rt.shutdown(10_000);
  t.ok(drained, 'nothing left in flight');
  // each request produces a reply to the host endpoint: 2 messages per send
  t.equal(stats.accepted, sent * 2);
  t.equal(stats.delivered, sent * 2);
  t.equal(stats.deadLettered, 0);
  t.equal(stats.inFlight, 0);
  t.throws(() => rt.send({ to: 'c1', performative: 'request', content: 1 }), { code: 'RUNTIME_NOT_RUNNING' });
});

t.test("agents' log lines reach the server log with the agent's name", async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  const seen = new Inbox<Record<string, unknown>>();
  const rt = await Runtime.start({ workers: 2, logger: pino({ level: 'debug' }, sink), onLog: (r) => seen.push(r as never) });
  t.teardown(() => rt.shutdown(2000)); // nothing to do once the test has shut it down
  await rt.deploy({ name: 'lonely', module: example('ping-pong'), config: { peer: 'nobody', reportTo: 'nobody', rounds: 1 } });
  rt.send({ to: 'lonely', performative: 'request', content: 'start' });
  const record = await seen.next();
  t.match(record, { agent: 'lonely', level: 40, msg: /ping to nobody failed: -2/ });
  await rt.shutdown(2000);
  const line = lines.find((l) => l.agent === 'lonely' && /ping to nobody/.test(String(l.msg)));
  t.match(line, { level: 40, agent: 'lonely', msg: /ping to nobody failed: -2/ });
  t.type(line?.worker, 'number');
  // The line is about the message being handled: it carries that message's ids.
  t.match(line, { performative: 'request', from: String, conversationId: /^[0-9a-f]{16}$/, messageId: /^[0-9a-f]{16}$/ });
  // At debug level each handled message has its own line, and a dead letter is a warning with its ids.
  t.ok(lines.some((l) => l.agent === 'lonely' && l.msg === 'handler returned -2' && l.messageId === line?.messageId), 'the debug line about the call');
  t.ok(lines.some((l) => l.msg === 'dead letter (HANDLER_FAILED): caxton_handle returned -2' && l.messageId === line?.messageId), 'the dead letter, with the same message id');
});

t.test('a dead-letter storm is cut at 100 lines a second and summed up when its second ends, with no later dead letter needed', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  const rt = await Runtime.start({ workers: 2, logger: pino({ level: 'warn' }, sink) });
  t.teardown(() => rt.shutdown(2000));
  // Every request makes this agent's handler fail: one HANDLER_FAILED dead letter each.
  await rt.deploy({ name: 'lonely', module: example('ping-pong'), config: { peer: 'nobody', reportTo: 'nobody', rounds: 1 } });
  // 400 dead letters: at 100 lines a second, fewer than four seconds of them would need a window without skips.
  const storm = 400;
  for (let i = 0; i < storm; i++) rt.send({ to: 'lonely', performative: 'request', content: 'start' });
  await waitUntil(() => rt.stats().deadLettered, (n) => n === storm, `${storm} dead letters`);
  const deadLetterLines = (): number => lines.filter((l) => /^dead letter \(HANDLER_FAILED\)/.test(String(l.msg))).length;
  const skipped = (): number => lines.filter((l) => /more dead letter\(s\) not logged/.test(String(l.msg))).reduce((n, l) => n + Number(l.skipped), 0);
  // No dead letter follows the storm: the summary must come from the timer, before shutdown.
  await waitUntil(() => deadLetterLines() + skipped(), (n) => n === storm, 'every dead letter logged or counted in a summary', { timeoutMs: 10_000 });
  t.ok(skipped() > 0, `lines were skipped (${skipped()}) and summed up`);
  const first = lines.findIndex((l) => /more dead letter\(s\) not logged/.test(String(l.msg)));
  t.equal(lines.slice(0, first).filter((l) => /^dead letter \(HANDLER_FAILED\)/.test(String(l.msg))).length, 100, 'exactly 100 dead-letter lines before the first summary');
  const summary = lines[first];
  t.match(summary, { level: 40, msg: /not logged \(more than 100 per second\); see ListDeadLetters/ });
});
