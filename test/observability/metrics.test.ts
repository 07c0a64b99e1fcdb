// GET /metrics end to end: a real server (runtime + API thread) on loopback,
// real WASM agents, real grpc-js calls; the whole scrape is parsed by a
// strict Prometheus text-format parser (test/helpers/prometheus.ts) and its
// counters are checked against the exact traffic this test sends.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { example } from '../helpers/agents.js';
import { parseExposition, type Exposition } from '../helpers/prometheus.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// Every agent call is timed (the default times one in 16), so that the
// histogram's count is exact. Worker threads copy process.env when created.
process.env.CAXTON_HANDLE_TIMING = 'all';

/** informs sent with MessageService.Send to `sink`, which handles them and sends nothing */
const N = 40;
/** requests sent with MessageService.Invoke to `echo`, which replies one inform each */
const M = 24;
const AGENTS = ['echo', 'sink'];

// A hang (a count that never settles) fails well before tap's default 300 s.
t.setTimeout(120_000);

let s: TestServer;
t.before(async () => {
  s = await startTestServer({ runtime: { workers: 2 } });
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo'), worker: 1 });
  // fan-out with no targets: a sink that replies nothing
  await s.call(s.agents, 'Deploy', { name: 'sink', module: example('fan-out'), configJson: '{"targets": []}', worker: 2 });
});
t.teardown(() => stopTestServer(s));

async function scrape(): Promise<{ text: string; m: Exposition; contentType: string }> {
  const r = await s.http('GET', '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.text}`);
  return { text: r.text, m: parseExposition(r.text), contentType: r.headers.get('content-type') ?? '' };
}

/** Poll Stats until nothing is in flight and `delivered` messages were delivered (failing with the numbers rather than hanging). */
function settled(delivered: number): Promise<any> {
  return waitUntil(() => s.call(s.management, 'Stats', {}), (st) => st.inFlight === 0 && st.delivered >= delivered,
    `Stats settled: nothing in flight, ${delivered} delivered`);
}

t.test('the parser is strict: it refuses what is not the exposition format', async (t) => {
  const ok = '# HELP a_total An \\\\ escaped\\nhelp\n# TYPE a_total counter\na_total{x="1",y="q\\"uote"} 3\na_total{x="2",} 4.5e1 1700000000000\n\nb NaN\nc -Inf\n';
  const m = parseExposition(ok);
  t.equal(m.value('a_total', { x: '1', y: 'q"uote' }), 3);
  t.equal(m.value('a_total', { x: '2' }), 45);
  t.equal(m.families.get('a_total')?.help, 'An \\ escaped\nhelp');
  t.ok(Number.isNaN(m.value('b')));
  const bad: [string, RegExp][] = [
    ['a 1', /end with a line feed/],
    ['a one\n', /not a float/],
    ['1a 1\n', /bad metric name/],
    ['a-b 1\n', /whitespace expected/],
    ['a{x=1} 1\n', /double quotes/],
    ['a{x="1" y="2"} 1\n', /"," or "}" expected/],
    ['a{x="1",x="2"} 1\n', /given twice/],
    ['a{__x="1"} 1\n', /reserved/],
    ['a{x="\\t"} 1\n', /bad escape/],
    ['a{x="1} 1\n', /unterminated/],
    ['a 1 2 3\n', /a value and an optional timestamp/],
    ['a 1 1.5\n', /not a timestamp/],
    ['# a comment\na 1\n', /neither/],
    ['# TYPE a countr\n', /unknown type/],
    ['# TYPE a counter\n# TYPE a counter\n', /second TYPE/],
    ['a 1\n# TYPE a counter\n', /after its samples/],
    ['a{x="1"} 1\nb 1\na{x="2"} 1\n', /not in one group/],
    ['a 1\na 2\n', /appears twice/],
    ['# TYPE h histogram\nh_bucket 1\n', /without "le"/],
    ['# TYPE h histogram\nh 1\n', /only _bucket, _sum, _count/],
    ['# TYPE h histogram\nh_sum{le="1"} 1\n', /"le" on h_sum/],
    ['  a 1\n', /bad metric name/],
  ];
  for (const [text, why] of bad) t.throws(() => parseExposition(text), why, JSON.stringify(text));
});

t.test('/metrics needs the token', async (t) => {
  const r = await s.http('GET', '/metrics', undefined, null);
  t.equal(r.status, 401);
  t.equal(r.body?.error?.code, 'UNAUTHENTICATED');
});

t.test('/metrics parses as Prometheus text and its counters match the messages sent', async (t) => {
  const before = await scrape();
  t.match(before.contentType, /^text\/plain; version=0\.0\.4/, 'the 0.0.4 text format');
  t.equal(before.m.value('caxton_messages_accepted_total'), 0, 'no message before the traffic (Deploy sends none)');

  // The traffic, all at once: N fire-and-forget informs and M request-replies.
  const sent = await Promise.all(Array.from({ length: N }, (_, i) => s.call(s.messages, 'Send', { agent: 'sink', performative: 'inform', contentJson: String(i) })));
  const replies = await Promise.all(Array.from({ length: M }, (_, i) => s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: String(i) })));
  t.equal(sent.length, N);
  t.same(replies.map((r) => Number(r.reply.contentJson)), Array.from({ length: M }, (_, i) => i), 'every Invoke got its reply');
  // N informs to sink + M requests to echo + M inform replies to the API endpoint
  const messages = N + 2 * M;
  const stats = await settled(messages);
  t.match(stats, { accepted: messages, delivered: messages, deadLettered: 0, inFlight: 0, refused: 0 }, 'Stats: every message accepted and delivered once');

  const { text, m } = await scrape();
  t.ok(text.split('\n').length > 50, `the whole scrape parsed (${text.split('\n').length} lines)`);

  // Types as declared.
  for (const [name, f] of m.families) {
    if (name.endsWith('_total')) t.equal(f.type, 'counter', `${name} is a counter`);
    t.ok(f.help && f.help.length > 0, `${name} has HELP`);
    for (const x of f.samples) {
      if (f.type === 'counter' || f.type === 'histogram') t.ok(x.value >= 0 && Number.isFinite(x.value), `${x.name}${JSON.stringify(x.labels)} = ${x.value} is a finite count`);
    }
  }
  t.equal(m.families.get('caxton_messages_in_flight')?.type, 'gauge');
  t.equal(m.families.get('caxton_handle_duration_seconds')?.type, 'histogram');

  // Messages, all and by performative.
  t.equal(m.value('caxton_messages_accepted_total'), messages, 'accepted = N + 2M');
  t.equal(m.value('caxton_messages_delivered_total'), messages, 'delivered = N + 2M');
  t.equal(m.value('caxton_messages_dead_lettered_total'), 0);
  t.equal(m.value('caxton_messages_refused_total'), 0);
  t.equal(m.value('caxton_messages_in_flight'), 0);
  t.equal(m.value('caxton_performative_accepted_total', { performative: 'inform' }), N + M, 'informs accepted: N sent + M replies');
  t.equal(m.value('caxton_performative_accepted_total', { performative: 'request' }), M, 'requests accepted: M');
  t.equal(m.value('caxton_performative_delivered_total', { performative: 'inform' }), N + M, 'informs delivered: N to sink + M replies to the API endpoint');
  t.equal(m.value('caxton_performative_delivered_total', { performative: 'request' }), M, 'requests delivered: M to echo');
  const sum = (name: string): number => m.samples(name).reduce((a, x) => a + x.value, 0);
  t.equal(sum('caxton_performative_accepted_total'), messages, 'no other performative was accepted');
  t.equal(sum('caxton_performative_delivered_total'), messages, 'no other performative was delivered');
  t.equal(sum('caxton_performative_dead_lettered_total'), 0);

  // API calls, counted by the gRPC gateway.
  t.equal(m.value('caxton_api_calls_total', { gateway: 'grpc', operation: 'MessageService.Send', status: 'OK' }), N, 'N Sends');
  t.equal(m.value('caxton_api_calls_total', { gateway: 'grpc', operation: 'MessageService.Invoke', status: 'OK' }), M, 'M Invokes');
  t.equal(m.value('caxton_api_calls_total', { gateway: 'grpc', operation: 'AgentService.Deploy', status: 'OK' }), AGENTS.length, 'the Deploys');
  t.ok(m.value('caxton_api_calls_total', { gateway: 'grpc', operation: 'ManagementService.Stats', status: 'OK' }) >= 1, 'the Stats polls');
  t.equal(m.value('caxton_api_calls_total', { gateway: 'http', operation: 'Metrics', status: '401' }), 1, 'the scrape without a token');
  t.equal(m.value('caxton_api_calls_total', { gateway: 'http', operation: 'Metrics', status: '200' }), 1, 'the scrape before (this one is counted after it answers)');
  t.same(m.samples('caxton_api_calls_total', { status: 'OK' }).filter((x) => x.labels.gateway !== 'grpc'), [], 'HTTP statuses are codes, not names');

  // Agents and workers.
  t.equal(m.value('caxton_agents'), AGENTS.length);
  t.equal(m.value('caxton_workers'), 2);
  t.equal(m.value('caxton_agents_by_state', { state: 'running' }), AGENTS.length, 'every agent deployed is running');
  t.equal(sum('caxton_agents_by_state'), AGENTS.length, 'and in no other state');
  t.same(m.samples('caxton_mailbox_depth').map((x) => x.labels.agent).sort(), AGENTS, 'a mailbox depth for each agent');
  for (const a of AGENTS) t.equal(m.value('caxton_mailbox_depth', { agent: a }), 0, `${a}: mailbox empty once idle`);
  t.equal(m.value('caxton_agent_traps_total'), 0);
  t.equal(m.value('caxton_agent_restarts_total'), 0);
  // The API thread (thread workers + 1) is not a worker.
  t.same(m.samples('caxton_worker_utilisation').map((x) => x.labels.worker).sort(), ['1', '2'], 'one utilisation per worker thread, no more');
  t.same(m.samples('caxton_worker_busy_seconds_total').map((x) => x.labels.worker).sort(), ['1', '2'], 'one busy-seconds counter per worker thread, no more');
  for (const w of ['1', '2']) {
    const u = m.value('caxton_worker_utilisation', { worker: w });
    t.ok(u >= 0 && u <= 1, `worker ${w}: utilisation ${u} in [0, 1]`);
    t.ok(m.value('caxton_worker_busy_seconds_total', { worker: w }) >= 0, `worker ${w}: busy seconds`);
  }
  t.ok(sum('caxton_worker_busy_seconds_total') > 0, `the workers were busy (${sum('caxton_worker_busy_seconds_total')} s)`);

  // The handle-time histogram: cumulative buckets in order of le, +Inf = count.
  const buckets = m.samples('caxton_handle_duration_seconds_bucket');
  t.ok(buckets.length >= 2, `${buckets.length} buckets`);
  const les = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
  t.equal(buckets.at(-1)?.labels.le, '+Inf', 'the last bucket is +Inf');
  for (let i = 1; i < buckets.length; i++) {
    t.ok(les[i]! > les[i - 1]!, `le ${buckets[i]!.labels.le} > ${buckets[i - 1]!.labels.le}`);
    t.ok(buckets[i]!.value >= buckets[i - 1]!.value, `bucket le=${buckets[i]!.labels.le} (${buckets[i]!.value}) >= le=${buckets[i - 1]!.labels.le} (${buckets[i - 1]!.value}): cumulative`);
  }
  const count = m.value('caxton_handle_duration_seconds_count');
  t.equal(buckets.at(-1)!.value, count, '+Inf bucket = _count');
  t.equal(count, N + M, 'with CAXTON_HANDLE_TIMING=all every agent call is timed: N to sink + M to echo');
  const seconds = m.value('caxton_handle_duration_seconds_sum');
  t.ok(seconds > 0 && seconds < count, `_sum ${seconds} s is positive and under 1 s per call`);

  // A second scrape: counters never go down, utilisation stays a share.
  const again = (await scrape()).m;
  for (const [name, f] of m.families) {
    if (f.type !== 'counter' && f.type !== 'histogram') continue;
    for (const x of f.samples) {
      const later = again.samples(x.name, x.labels).find((y) => Object.keys(y.labels).length === Object.keys(x.labels).length);
      t.ok(later && later.value >= x.value, `${name}${JSON.stringify(x.labels)}: ${x.value} -> ${later?.value} does not go down`);
    }
  }
  t.equal(again.value('caxton_messages_accepted_total'), messages, 'scraping sends no message');
  t.equal(again.value('caxton_api_calls_total', { gateway: 'http', operation: 'Metrics', status: '200' }), 2);
  for (const w of ['1', '2']) {
    const u = again.value('caxton_worker_utilisation', { worker: w });
    t.ok(u >= 0 && u <= 1, `worker ${w}: utilisation ${u} in [0, 1] on the next scrape`);
  }
});

t.test('worker utilisation: /metrics and OTel each read it over their own window', async (t) => {
  // Reader A is /metrics (reader 'prometheus', through the API thread), reader
  // B is what the OTel export calls (reader 'otel'), called directly. Each
  // reading must be busy time / wall time since the same reader's previous
  // one, whatever the other read in between. The supervisor runs on this
  // thread, so performance.now() here is its clock: a reading was taken
  // between `from` and `to`, and its utilisation must lie between busy / the
  // longest and busy / the shortest window those allow. A window restarted
  // by the other reader's read is far shorter and holds next to no busy time
  // (the reads are apart from the traffic), so it cannot fall in that range.
  const rt = s.server.runtime;
  const workers = ['1', '2'];
  type Reading = { from: number; to: number; busyMs: Record<string, number>; utilisation: Record<string, number> };
  const otel = (): Reading => {
    const from = performance.now();
    const m = rt.metricsSnapshot('otel');
    const to = performance.now();
    t.same(m.workers.map((w) => String(w.worker)), workers, 'one entry per worker');
    return {
      from, to,
      busyMs: Object.fromEntries(m.workers.map((w) => [String(w.worker), w.busySeconds * 1000])),
      utilisation: Object.fromEntries(m.workers.map((w) => [String(w.worker), w.utilisation])),
    };
  };
  const prometheus = async (): Promise<Reading> => {
    const from = performance.now();
    const { m } = await scrape();
    const to = performance.now();
    return {
      from, to,
      busyMs: Object.fromEntries(workers.map((w) => [w, m.value('caxton_worker_busy_seconds_total', { worker: w }) * 1000])),
      utilisation: Object.fromEntries(workers.map((w) => [w, m.value('caxton_worker_utilisation', { worker: w })])),
    };
  };
  /** Busy time on both workers: informs to sink (worker 2), requests to echo (worker 1). */
  const traffic = async (): Promise<void> => {
    const before = (await s.call(s.management, 'Stats', {})).delivered as number;
    await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => s.call(s.messages, 'Send', { agent: 'sink', performative: 'inform', contentJson: String(i) })),
      ...Array.from({ length: 50 }, (_, i) => s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: String(i) })),
    ]);
    await settled(before + 100 + 2 * 50);
  };
  const busyBetween = (a: Reading, b: Reading, w: string): number => b.busyMs[w]! - a.busyMs[w]!;
  /** `later`'s utilisation is its busy time over [earlier, later], its own reader's window. */
  const overOwnWindow = (what: string, earlier: Reading, later: Reading): void => {
    for (const w of workers) {
      const busy = busyBetween(earlier, later, w);
      const low = Math.min(1, busy / (later.to - earlier.from));
      const high = later.from > earlier.to ? Math.min(1, busy / (later.from - earlier.to)) : 1;
      const u = later.utilisation[w]!;
      t.ok(u >= low * (1 - 1e-9) && u <= high * (1 + 1e-9),
        `${what}, worker ${w}: utilisation ${u} is ${busy.toFixed(3)} ms busy over its own window (${low.toFixed(6)} to ${high.toFixed(6)})`);
    }
  };

  const b0 = otel();
  await traffic();
  const a0 = await prometheus();
  rt.metricsSnapshot(); // no reader (the bench, tests): moves no window
  await sleep(250);
  const b1 = otel();
  for (const w of workers) t.ok(busyBetween(b0, a0, w) > 0, `worker ${w} was busy in OTel's window before the scrape`);
  overOwnWindow('OTel reading after a scrape', b0, b1);

  await traffic();
  const b2 = otel();
  rt.metricsSnapshot();
  await sleep(250);
  const a1 = await prometheus();
  for (const w of workers) t.ok(busyBetween(a0, b2, w) > 0, `worker ${w} was busy in the scrape's window before the OTel reading`);
  overOwnWindow('scrape after OTel readings', a0, a1);
  overOwnWindow('the next OTel reading', b1, b2);

  t.throws(() => rt.metricsSnapshot('grafana' as never), /unknown metrics reader "grafana"/, 'only the known readers get a window');
});
