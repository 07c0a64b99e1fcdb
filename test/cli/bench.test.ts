// The real CLI as a subprocess: `caxton bench --json` prints one JSON object
// per scenario with the documented fields, and bad usage exits 1. Also
// which tokens the throughput scenario's traced runs trace (tracedToken).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tracedToken } from '../../dist/bench/throughput.js';

const cli = fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url));

function caxton(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000 });
}

t.test('tracedToken: exactly the given number of tokens, spread evenly', async (t) => {
  for (const [traced, tokens] of [[21, 2048], [1, 64], [0, 100], [100, 100], [7, 10], [3, 1000]] as const) {
    const picked = Array.from({ length: tokens }, (_, i) => i).filter((i) => tracedToken(i, traced, tokens));
    t.equal(picked.length, traced, `${traced} of ${tokens}`);
    const gaps = picked.slice(1).map((x, k) => x - picked[k]!);
    if (gaps.length) t.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `${traced} of ${tokens}: gaps differ by at most 1`);
  }
});

t.test('bench --scenario all --json (small sizes)', async (t) => {
  const r = caxton('bench', '--scenario', 'all', '--json', '--duration', '0.5', '--agents', '4', '--tokens', '64', '--rounds', '2000', '--density', '200', '--api-calls', '300', '--api-pairs', '3', '--api-concurrency', '4');
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(lines.map((l) => l.scenario), ['throughput', 'pingpong', 'density', 'contract-net', 'api']);
  // The fields a test reads (a missing one fails the typeof checks below).
  type Fields = Record<string, number> & { baseline: Record<string, number> };
  const [tp, pp, dn, cn, api] = lines as unknown as [Fields, Record<string, number>, Record<string, number>, Record<string, number>, Fields];
  for (const k of ['durationSeconds', 'sent', 'delivered', 'lost', 'messagesPerSecond', 'ratio']) t.type(tp[k], 'number', `throughput.${k}`);
  t.type(tp.baseline.messagesPerSecond, 'number', 'throughput.baseline.messagesPerSecond');
  t.equal(tp.lost, 0, 'nothing lost');
  t.equal(tp.sent, tp.delivered! + tp.deadLettered!, 'sent = delivered + dead-lettered');
  t.ok(tp.sent! > 0 && tp.baseline.delivered! > 0, 'both transports carried traffic');
  t.equal(tp.baseline.lost, 0);
  const obs = (tp as unknown as { observability: Record<string, number> & { spans: { received: number; exported: number } } }).observability;
  t.equal(obs.tracedTokens, 1, 'observability: 1 % of 64 tokens, rounded up, is one traced token');
  t.equal(obs.pairs, 5);
  t.ok(obs.spans.received > 0 && obs.spans.exported === obs.spans.received, 'its hops were recorded and all exported');
  t.ok(obs.exportRequests! > 0, 'the sink received them');
  for (const k of ['p50Us', 'p99Us', 'p999Us']) t.ok(pp[k]! > 0, `pingpong.${k} > 0`);
  t.ok(pp.p50Us! <= pp.p99Us! && pp.p99Us! <= pp.p999Us!, 'percentiles are ordered');
  t.equal(pp.rounds, 2000);
  t.equal(dn.agents, 200);
  t.type(dn.rssBytesPerAgent, 'number');
  t.type(dn.deploySeconds, 'number');
  t.equal(dn.lastAgentAnswered, true);
  t.equal(cn.contractors, 10);
  t.ok(cn.completed! > 0 && cn.completed === cn.tasks, 'every task completed');
  t.ok(cn.tasksPerSecond! > 0);
  t.equal(cn.lost, 0);
  for (const k of ['p50Us', 'p99Us', 'callsPerSecond', 'addedP50Us', 'addedP99Us', 'throughputRatio']) t.type(api[k], 'number', `api.${k}`);
  for (const k of ['p50Us', 'p99Us', 'callsPerSecond']) t.ok(api.baseline[k]! > 0, `api.baseline.${k} > 0`);
  t.equal(api.calls, 300, '300 sequential Invoke calls through the server, in alternating rounds');
  t.equal(api.throughputPairs, 3, 'three throughput pairs');
  t.ok(api.throughputRatioMin! <= api.throughputRatio! && api.throughputRatio! <= api.throughputRatioMax!, 'the median ratio lies within the pairs\' range');
  t.equal(api.errors, 0, 'no call failed');
  t.ok(api.p50Us! > 0 && api.p50Us! <= api.p99Us!);
});

t.test('human output and progress', async (t) => {
  const r = caxton('bench', '--scenario', 'density', '--density', '50');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /density\s+50 agents: .* KiB RSS per idle agent, deployed in/);
  t.match(r.stderr, /caxton bench: density: deploying 50 agents/);
});

t.test('usage errors exit 1 with a message', async (t) => {
  const bad = caxton('bench', '--duration', '-1');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /--duration must be a positive number/);
  t.equal(bad.stdout, '', 'nothing ran');
  const unknown = caxton('frobnicate');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /caxton:/);
  const scen = caxton('bench', '--scenario', 'nope');
  t.equal(scen.status, 1);
  t.match(scen.stderr, /Invalid values|Choices/);
});
