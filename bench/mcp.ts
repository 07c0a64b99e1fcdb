/**
 * `caxton bench --scenario mcp`: tool calls through an agent and `$mcp`,
 * next to the same MCP SDK client calling the same kind of tool server
 * directly, in the same run, over stdio and over Streamable HTTP.
 *
 * The Caxton paths: for latency, the bench asks the tool-proxy agent
 * (examples/tool-proxy) with Runtime.request; the agent forwards the request
 * to $mcp, the host calls the tool server (bench/mcp-tool-server.ts, an
 * `echo` tool), and the answer goes back through the agent. For throughput,
 * the tool-driver agent (examples/tool-driver) keeps `concurrency` calls in
 * flight itself, as an agent at work does (decision 0020); the same figure
 * through the proxy, with the bench keeping the calls in flight from
 * outside, is reported too (`viaRequest`): it adds a request/reply between
 * the bench and the agent to every call. The baseline: an SDK Client of its
 * own calling `echo` on a server of its own (a second process for stdio, the
 * same server for HTTP). All run on this thread, as the tool host does.
 *
 * As in the api scenario (decision 0011): latency from sequential calls in
 * alternating rounds, one HDR histogram per target; throughput with
 * `concurrency` calls in flight in alternating pairs, the ratio the median of
 * the pairs' ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Runtime } from '../runtime/runtime.js';
import { silentLogger } from '../runtime/observability/logger.js';
import type { ToolServerSpec } from '../runtime/tools/spec.js';
import { withOwnSignal } from '../runtime/tools/tool-server.js';
import { loadAgent, median, pairInTurn, round } from './common.js';
import type { BenchContext, PlannedRun } from './progress.js';

export interface McpBenchOptions {
  /** sequential calls per target and transport */
  calls: number;
  /** seconds of throughput per target and transport, split over the pairs */
  durationSeconds: number;
  pairs: number;
  concurrency: number;
}

const TOOL_SERVER = fileURLToPath(new URL('./mcp-tool-server.js', import.meta.url));
const ROUND_CALLS = 500;
/** the smallest run of the tool-driver agent: a run's ramp-up and drain stay under 2 % of it */
const MIN_DRIVER_CALLS = 2000;
const TEXT = 'hello from the bench';

type Transport = 'stdio' | 'http';

export function planMcp(o: McpBenchOptions): PlannedRun[] {
  return (['stdio', 'http'] as const).flatMap((t) => [
    { phase: `mcp ${t} latency (sequential calls)`, seconds: 1 + 2 * o.calls * 0.0004 },
    { phase: `mcp ${t} throughput (${o.concurrency} in flight)`, seconds: 3 * o.durationSeconds + 1 },
  ]);
}

interface Target {
  call: () => Promise<void>;
  histogram: hdr.Histogram;
  errors: number;
  completed: number;
  seconds: number;
}

function target(call: () => Promise<void>): Target {
  return { call, histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 }), errors: 0, completed: 0, seconds: 0 };
}

async function sequential(t: Target, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    try {
      await t.call();
      t.histogram.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0)));
    } catch {
      t.errors++;
    }
  }
}

async function throughput(t: Target, seconds: number, concurrency: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let done = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      try {
        await t.call();
        done++;
      } catch {
        t.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (performance.now() - t0) / 1000;
  t.completed += done;
  t.seconds += elapsed;
  return done / elapsed;
}

/**
 * The tool-driver agent's throughput for about `seconds`: one run of as many
 * calls as the last run's rate says fit (at least MIN_DRIVER_CALLS), all
 * driven by the agent with `concurrency` in flight. `rate` carries the last
 * rate from run to run.
 */
async function driven(rt: Runtime, t: Target, rate: { last: number }, seconds: number, concurrency: number): Promise<number> {
  const calls = Math.max(MIN_DRIVER_CALLS, Math.round(rate.last * seconds));
  const t0 = performance.now();
  const r = await rt.request({ to: 'driver', performative: 'request', content: { tool: 'bench/echo', arguments: { text: TEXT }, calls, inFlight: concurrency } }, 120_000);
  const elapsed = (performance.now() - t0) / 1000;
  const c = r.content as { done?: number; failed?: number; notSent?: number } | null;
  if (r.performative !== 'inform' || typeof c?.done !== 'number') throw new Error(`the tool-driver agent answered ${r.performative}: ${JSON.stringify(r.content)}`);
  t.errors += (c.failed ?? 0) + (c.notSent ?? 0);
  t.completed += c.done;
  t.seconds += elapsed;
  rate.last = c.done / elapsed;
  return rate.last;
}

/** An HTTP tool server process; resolves with its port once it listens. */
async function httpToolServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [TOOL_SERVER, '--http'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(Number(/^listening (\d+)$/.exec(l)?.[1] ?? NaN)));
    child.once('exit', (code) => reject(new Error(`the bench tool server exited with code ${code}`)));
  });
  return { child, port };
}

async function measure(transport: Transport, o: McpBenchOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  let http: { child: ChildProcess; port: number } | undefined;
  const rt = await Runtime.start({ workers: 1, logger: silentLogger(), tools: { allowCommands: [process.execPath], allowUrls: ['http://127.0.0.1:'] } });
  const client = new Client({ name: 'caxton-bench', version: '1.0.0' });
  try {
    let spec: ToolServerSpec;
    if (transport === 'http') {
      http = await httpToolServer();
      const url = `http://127.0.0.1:${http.port}/mcp`;
      spec = { name: 'bench', http: { url } };
      // The fetch the tool host uses too (withOwnSignal): without it the SDK's transport piles abort listeners on one signal.
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: (u, init) => fetch(u, withOwnSignal(init)) }));
    } else {
      spec = { name: 'bench', stdio: { command: process.execPath, args: [TOOL_SERVER] } };
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [TOOL_SERVER], stderr: 'inherit' }));
    }
    rt.tools.put(spec);
    await rt.tools.settled();
    const state = rt.tools.list()[0]!;
    if (state.state !== 'ready') throw new Error(`the bench tool server did not start: ${state.lastError}`);
    await rt.deploy({ name: 'proxy', module: loadAgent('tool-proxy'), tools: ['bench/echo'] });
    await rt.deploy({ name: 'driver', module: loadAgent('tool-driver'), tools: ['bench/echo'] });
    const direct = target(async () => {
      const r = await client.callTool({ name: 'echo', arguments: { text: TEXT } });
      if (r.isError) throw new Error('isError');
    });
    const caxton = target(async () => {
      const r = await rt.request({ to: 'proxy', performative: 'request', content: { tool: 'bench/echo', arguments: { text: TEXT } } }, 10_000);
      if (r.performative !== 'inform') throw new Error(`${r.performative}: ${JSON.stringify(r.content)}`);
    });
    const driver = target(async () => undefined);
    const viaRequest = target(caxton.call);
    // Warm-up: connections, JIT, the agent's buffers; the driver's first rate.
    await sequential(direct, Math.min(1000, o.calls));
    await sequential(caxton, Math.min(1000, o.calls));
    const rate = { last: 0 };
    await driven(rt, driver, rate, 0, o.concurrency);
    for (const t of [direct, caxton, driver]) {
      t.histogram.reset();
      t.errors = 0;
      t.completed = 0;
      t.seconds = 0;
    }
    const bar = ctx.progress(`mcp ${transport} latency (sequential calls)`, 2 * o.calls);
    const rounds = Math.max(2, Math.ceil(o.calls / ROUND_CALLS));
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      const calls = Math.floor(o.calls / rounds) + (r < o.calls % rounds ? 1 : 0);
      for (const t of r % 2 === 0 ? [direct, caxton] : [caxton, direct]) {
        await sequential(t, calls);
        done += calls;
        bar.update(done);
      }
    }
    bar.stop();
    const pairs = Math.max(1, o.pairs);
    const phase = o.durationSeconds / pairs;
    const ratios: number[] = [];
    const viaRequestRatios: number[] = [];
    const tbar = ctx.progress(`mcp ${transport} throughput (${o.concurrency} in flight)`, 3 * pairs);
    for (let p = 0; p < pairs; p++) {
      // Each Caxton figure is paired with a direct run of its own, the order alternating.
      const [b, x] = await pairInTurn(p, () => throughput(direct, phase, o.concurrency), () => driven(rt, driver, rate, phase, o.concurrency));
      ratios.push(x / Math.max(1e-9, b));
      const [b2, y] = await pairInTurn(p + 1, () => throughput(direct, phase / 2, o.concurrency), () => throughput(viaRequest, phase / 2, o.concurrency));
      viaRequestRatios.push(y / Math.max(1e-9, b2));
      tbar.update(3 * (p + 1));
    }
    tbar.stop();
    const us = (t: Target, p: number): number => round(t.histogram.getValueAtPercentile(p) / 1000, 1);
    const summary = (t: Target): Record<string, number> => ({ p50Us: us(t, 50), p99Us: us(t, 99), callsPerSecond: Math.round(t.completed / t.seconds), calls: t.histogram.totalCount, errors: t.errors });
    const c = summary(caxton);
    const b = summary(direct);
    return {
      scenario: 'mcp', transport, ...c, callsPerSecond: Math.round(driver.completed / driver.seconds), errors: c.errors! + driver.errors,
      concurrency: o.concurrency, baseline: b,
      addedP50Us: round(c.p50Us! - b.p50Us!, 1), addedP99Us: round(c.p99Us! - b.p99Us!, 1),
      ratio: round(median(ratios), 2), ratioMin: round(Math.min(...ratios), 2), ratioMax: round(Math.max(...ratios), 2), pairs,
      viaRequest: {
        callsPerSecond: Math.round(viaRequest.completed / viaRequest.seconds), errors: viaRequest.errors,
        ratio: round(median(viaRequestRatios), 2), ratioMin: round(Math.min(...viaRequestRatios), 2), ratioMax: round(Math.max(...viaRequestRatios), 2),
      },
    };
  } finally {
    await client.close().catch(() => undefined);
    await rt.shutdown(1000);
    http?.child.kill();
  }
}

export async function mcpScenario(o: McpBenchOptions, ctx: BenchContext): Promise<Record<string, unknown>[]> {
  return [await measure('stdio', o, ctx), await measure('http', o, ctx)];
}
