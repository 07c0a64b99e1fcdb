// The real CLI as a subprocess: `caxton bench --json` prints one JSON object
// per scenario with the documented fields, and bad usage exits 1. One short
// real run of every scenario is checked for the figures' arithmetic (what a
// rate counts, how a ratio and a spread are made, how finely a latency is
// shown) and for its progress lines. Also which tokens the throughput
// scenario's traced runs trace (tracedToken).
import t from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tracedToken } from '../../dist/bench/throughput.js';

const cli = fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url));

function caxton(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 280_000 });
}

type Json = Record<string, unknown>;
/** A stretch of a throughput run, as the JSON reports it. */
interface Span { seconds: number; delivered: number }
interface ThroughputRun { sent: number; delivered: number; deadLettered: number; lost: number; warmup: Span; window: Span; messagesPerSecond: number }
interface Throughput extends ThroughputRun {
  baseline: ThroughputRun;
  ratio: number; ratioMin: number; ratioMax: number; lostAllRuns: number;
  baselinePairs: { first: string; bus: number; baseline: number; ratio: number }[];
  observability: Json & { tracedTokens: number; pairs: number; exportRequests: number; spans: { received: number; exported: number } };
}
interface DensityRun { pid: number; gcForced: boolean; agents: number; rssBytesPerAgent: number; rssBeforeBytes: number; rssAfterBytes: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const DURATION = 1;
let run: SpawnSyncReturns<string>;
let lines: Json[];
t.before(() => {
  run = caxton('bench', '--scenario', 'all', '--json', '--duration', String(DURATION), '--agents', '4', '--tokens', '64', '--rounds', '2000',
    '--density', '1000', '--api-calls', '300', '--api-pairs', '3', '--api-concurrency', '4');
  lines = run.status === 0 ? run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json) : [];
});
const result = (scenario: string): Json => lines.find((l) => l.scenario === scenario) ?? {};

t.test('tracedToken: exactly the given number of tokens, spread evenly', async (t) => {
  for (const [traced, tokens] of [[21, 2048], [1, 64], [0, 100], [100, 100], [7, 10], [3, 1000]] as const) {
    const picked = Array.from({ length: tokens }, (_, i) => i).filter((i) => tracedToken(i, traced, tokens));
    t.equal(picked.length, traced, `${traced} of ${tokens}`);
    const gaps = picked.slice(1).map((x, k) => x - picked[k]!);
    if (gaps.length) t.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `${traced} of ${tokens}: gaps differ by at most 1`);
  }
});

t.test('bench --scenario all --json (small sizes): every scenario, in order, with its fields', async (t) => {
  t.equal(run.status, 0, run.stderr);
  t.same(lines.map((l) => l.scenario), ['throughput', 'pingpong', 'density', 'contract-net', 'api', 'mcp', 'mcp']);
  const tp = result('throughput') as unknown as Throughput;
  t.ok(tp.sent > 0 && tp.baseline.delivered > 0, 'both transports carried traffic');
  t.equal(tp.lostAllRuns, 0, 'nothing lost in any run');
  const obs = tp.observability;
  t.equal(obs.tracedTokens, 1, 'observability: 1 % of 64 tokens, rounded up, is one traced token');
  t.equal(obs.pairs, 5);
  t.ok(obs.spans.received > 0 && obs.spans.exported === obs.spans.received, 'its hops were recorded and all exported');
  t.ok(obs.exportRequests > 0, 'the sink received them');
  const pp = result('pingpong') as Record<string, number>;
  for (const k of ['p50Us', 'p99Us', 'p999Us']) t.ok(pp[k]! > 0, `pingpong.${k} > 0`);
  t.ok(pp.p50Us! <= pp.p99Us! && pp.p99Us! <= pp.p999Us!, 'percentiles are ordered');
  t.equal(pp.rounds, 2000);
  const dn = result('density') as Record<string, number>;
  t.equal(dn.agents, 1000);
  t.type(dn.deploySeconds, 'number');
  t.equal(dn.lastAgentAnswered, true);
  const cn = result('contract-net') as Record<string, number>;
  t.equal(cn.contractors, 10);
  t.ok(cn.completed! > 0 && cn.completed === cn.tasks, 'every task completed');
  t.equal(cn.lost, 0);
  type Fields = Record<string, number> & { baseline: Record<string, number> };
  const api = result('api') as unknown as Fields;
  for (const k of ['p50Us', 'p99Us', 'callsPerSecond', 'addedP50Us', 'addedP99Us', 'throughputRatio']) t.type(api[k], 'number', `api.${k}`);
  for (const k of ['p50Us', 'p99Us', 'callsPerSecond']) t.ok(api.baseline[k]! > 0, `api.baseline.${k} > 0`);
  t.equal(api.calls, 300, '300 sequential Invoke calls through the server, in alternating rounds');
  t.equal(api.throughputPairs, 3, 'three throughput pairs');
  t.ok(api.throughputRatioMin! <= api.throughputRatio! && api.throughputRatio! <= api.throughputRatioMax!, 'the median ratio lies within the pairs\' range');
  t.equal(api.errors, 0, 'no call failed');
  t.ok(api.p50Us! > 0 && api.p50Us! <= api.p99Us!);
  // The journal's cost: Sends with it against a server without it, in pairs.
  t.ok(api.journalSendsPerSecond! > 0 && api.noJournalSendsPerSecond! > 0, 'Sends went through both servers');
  t.ok(api.journalRatioMin! <= api.journalRatio! && api.journalRatio! <= api.journalRatioMax!, 'the journal ratio is the median of its pairs');
  const mcp = lines.filter((l) => l.scenario === 'mcp') as unknown as (Fields & { transport: string })[];
  t.same(mcp.map((m) => m.transport), ['stdio', 'http'], 'mcp over both transports');
  for (const m of mcp) {
    for (const k of ['p50Us', 'p99Us', 'callsPerSecond', 'addedP50Us', 'ratio']) t.type(m[k], 'number', `mcp ${m.transport} ${k}`);
    t.ok(m.callsPerSecond! > 0 && m.baseline.callsPerSecond! > 0, `mcp ${m.transport}: tool calls through $mcp and directly`);
    t.equal(m.errors, 0, `mcp ${m.transport}: no call failed`);
    t.equal(m.baseline.errors, 0);
    // Throughput driven by the tool-driver agent; the same through request lanes from outside, reported beside it.
    const via = (m as unknown as { viaRequest: Fields }).viaRequest;
    t.ok(via.callsPerSecond! > 0, `mcp ${m.transport}: calls through the proxy agent with the bench keeping them in flight`);
    t.equal(via.errors, 0);
    t.ok(via.ratioMin! <= via.ratio! && via.ratio! <= via.ratioMax!, 'its ratio is the median of its pairs');
  }
});

t.test('throughput: messages/s is what the measured window delivered over its length, the warm-up not counted', async (t) => {
  const tp = result('throughput') as unknown as Throughput;
  for (const [name, r] of [['bus', tp], ['postMessage baseline', tp.baseline]] as const) {
    t.ok(r.warmup && r.window, `${name}: the run reports its warm-up and its window`);
    if (!r.warmup || !r.window) continue;
    t.ok(r.warmup.seconds >= 0.99, `${name}: a warm-up of about 1 s came first (${r.warmup.seconds} s)`);
    t.ok(r.warmup.delivered > 0, `${name}: messages were delivered during the warm-up (${r.warmup.delivered}), so counting them would show`);
    // The window's own length depends on when the warm-up's timer fired; the two together last until the tokens' deadline.
    t.ok(r.warmup.seconds + r.window.seconds >= (1 + DURATION) * 0.99, `${name}: warm-up and window lasted the warm-up and the --duration (${r.warmup.seconds} + ${r.window.seconds} s)`);
    t.equal(r.warmup.delivered + r.window.delivered, r.delivered, `${name}: every delivery is in the warm-up or in the window`);
    // window.seconds is rounded to 1 ms in the JSON: allow for it.
    const rate = r.window.delivered / r.window.seconds;
    t.ok(Math.abs(r.messagesPerSecond - rate) <= 1 + rate * 0.0006 / r.window.seconds,
      `${name}: ${r.messagesPerSecond} msg/s = ${r.window.delivered} delivered in the window / ${r.window.seconds} s`);
    // lost from the stats identity, not from the run's own field
    t.equal(r.sent - r.delivered - r.deadLettered, 0, `${name}: sent = delivered + dead-lettered`);
    t.equal(r.lost, r.sent - r.delivered - r.deadLettered, `${name}: lost is what the identity leaves over`);
  }
});

t.test('throughput: the postMessage baseline is measured in alternating pairs with bus runs, the ratio their median', async (t) => {
  const tp = result('throughput') as unknown as Throughput;
  const pairs = tp.baselinePairs ?? [];
  t.equal(pairs.length, 5, 'five pairs');
  t.same(pairs.map((p) => p.first), ['postMessage', 'bus', 'postMessage', 'bus', 'postMessage'], 'the side that goes first alternates');
  for (const p of pairs) t.ok(Math.abs(p.ratio - p.bus / p.baseline) <= 0.006, `pair ratio ${p.ratio} = ${p.bus} / ${p.baseline}`);
  const ratios = pairs.map((p) => p.bus / p.baseline);
  t.ok(Math.abs(tp.ratio - median(ratios)) <= 0.006, `the ratio ${tp.ratio} is the median of the pairs' ratios`);
  t.ok(tp.ratioMin <= tp.ratio && tp.ratio <= tp.ratioMax, 'and lies within their range');
  t.equal(tp.messagesPerSecond, median(pairs.map((p) => p.bus)), 'the bus figure is the median bus run');
  t.equal(tp.baseline.messagesPerSecond, median(pairs.map((p) => p.baseline)), 'the baseline figure is the median baseline run');
});

t.test('pingpong: figures rounded no finer than the agents\' clock steps', async (t) => {
  const pp = result('pingpong') as Record<string, number>;
  // The agents read milliseconds since the epoch as an f64: its step at today's date.
  const f64Step = 2 ** (Math.floor(Math.log2(Date.now())) - 52) * 1000;
  t.ok(pp.clockStepUs! >= f64Step * 0.99, `the measured clock step ${pp.clockStepUs} µs is not finer than an f64 of epoch ms allows (${f64Step} µs)`);
  t.ok(pp.roundedToUs! >= pp.clockStepUs!, `figures are rounded to ${pp.roundedToUs} µs, not finer than the clock`);
  for (const k of ['p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs', 'meanUs']) {
    const steps = pp[k]! / pp.roundedToUs!;
    t.ok(Math.abs(steps - Math.round(steps)) < 1e-6, `${k} = ${pp[k]} is a whole number of ${pp.roundedToUs} µs steps`);
  }
});

t.test('density: each measurement in a fresh process after a forced collection, with the spread', async (t) => {
  const dn = result('density') as Json & { runs?: DensityRun[]; rssBytesPerAgent: number; rssBytesPerAgentMin: number; rssBytesPerAgentMax: number };
  const runs = dn.runs ?? [];
  t.equal(runs.length, 3, 'three measurements');
  t.equal(new Set(runs.map((r) => r.pid)).size, 3, 'each in its own process');
  t.notOk(runs.some((r) => r.pid === run.pid), 'none in the bench\'s process, where earlier scenarios left garbage');
  for (const r of runs) {
    t.equal(r.gcForced, true, `process ${r.pid} forced a collection before each reading`);
    t.equal(r.agents, 1000);
    t.equal(r.rssBytesPerAgent, Math.round((r.rssAfterBytes - r.rssBeforeBytes) / r.agents), 'per agent = (after - before) / agents, unclamped');
    t.ok(r.rssBytesPerAgent > 0, `1,000 idle agents take memory: ${r.rssBytesPerAgent} bytes each`);
  }
  const per = runs.map((r) => r.rssBytesPerAgent);
  t.equal(dn.rssBytesPerAgent, Math.round(median(per)), 'the figure is the median');
  t.same([dn.rssBytesPerAgentMin, dn.rssBytesPerAgentMax], [Math.min(...per), Math.max(...per)], 'and the spread is reported');
});

t.test('contract-net: the rate is completed tasks per second', async (t) => {
  const cn = result('contract-net') as Record<string, number>;
  const rate = cn.completed! / cn.durationSeconds!;
  t.ok(Math.abs(cn.completedPerSecond! - rate) <= 1 + rate * 0.001, `${cn.completedPerSecond} = ${cn.completed} completed / ${cn.durationSeconds} s`);
  t.equal(cn.tasks, cn.completed! + cn.failed! + cn.noProposals! + cn.noContractors! + cn.resultTimeout!, 'every task ended one of the counted ways');
});

t.test('progress off a terminal: each run numbered within its phase, with an estimate of the time left', async (t) => {
  const progress = run.stderr.split('\n').filter((l) => l.startsWith('caxton bench: '));
  for (const l of progress) t.match(l, /^caxton bench: .+ \d+\/\d+, (about \d+ (s|min( \d+ s)?)|a few seconds) left$/, l);
  for (const phase of ['throughput (bus)', 'throughput (postMessage)', 'throughput (bus, tracing and logs on)']) {
    const of = progress.filter((l) => l.startsWith(`caxton bench: ${phase} `)).map((l) => /(\d+)\/5,/.exec(l)?.[1]);
    t.same(of, ['1', '2', '3', '4', '5'], `${phase}: runs 1/5 to 5/5`);
  }
  t.equal(progress.filter((l) => l.startsWith('caxton bench: density (1,000 agents) ')).length, 3, 'three density measurements');
  t.ok(progress.length >= 15 + 2 + 3 + 1 + 2, 'a line for every run');
});

t.test('human output and progress', async (t) => {
  const r = caxton('bench', '--scenario', 'density', '--density', '50');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /density\s+50 agents: .* KiB RSS per idle agent \(median of 3 processes, .* to .*\), deployed in/);
  t.match(r.stderr, /caxton bench: density \(50 agents\) 1\/3, /);
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
