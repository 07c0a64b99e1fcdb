// What the tool host's tests share (test/mcp/host-faults.test.ts,
// test/mcp/tool-spans.test.ts): the MCP fixture server
// (test/fixtures/mcp/tool-server.mjs) over stdio and over HTTP as real
// processes, a pino logger whose lines the test reads, and a ledger of the
// requests agents were sent and the answers they gave back, so that a test
// can prove every request got exactly one answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { pino, type Logger } from 'pino';
import type { Runtime } from '../../dist/runtime/runtime.js';
import type { DecodedFrame } from '../../dist/bus/frame.js';
import type { ToolServerSpec } from '../../dist/runtime/tools/spec.js';
import type { ToolServerInfo } from '../../dist/runtime/tools/tool-host.js';
import { waitUntil } from './wait.js';

export const FIXTURE = fileURLToPath(new URL('../fixtures/mcp/tool-server.mjs', import.meta.url));
/** a request's own deadline (rt.request): longer than any tool call these tests make */
export const ASK_MS = 60_000;

/** The fixture over stdio, run by this Node, with `args`. */
export function stdioFixture(name: string, args: string[] = [], extra: Partial<ToolServerSpec> = {}): ToolServerSpec {
  return { name, stdio: { command: process.execPath, args: [FIXTURE, ...args] }, ...extra };
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger at `level` whose lines land, parsed, in `lines`. */
export function captureLog(level = 'debug'): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

export interface HttpFixture {
  port: number;
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  child: ChildProcess;
  /** resolves with the exit code (null after a signal) once the process is gone */
  exited: Promise<number | null>;
  stderr: () => string;
  kill(): Promise<void>;
}

/**
 * `node tool-server.mjs --http PORT ARGS` (PORT 0: any free port), ready once
 * it printed "listening <port>"; killed at the end of the test.
 */
export async function httpFixture(t: Test, port = 0, args: string[] = []): Promise<HttpFixture> {
  const child = spawn(process.execPath, [FIXTURE, '--http', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-20_000); });
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => { gone = true; resolve(code); }));
  const kill = async (): Promise<void> => {
    if (!gone) child.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  const line = await waitUntil(() => {
    if (gone && !out.includes('\n')) throw new Error(`the fixture exited before listening:\n${err}`);
    return out;
  }, (o) => o.includes('\n'), 'the line "listening <port>"', { intervalMs: 0 });
  const m = /^listening (\d+)\n$/.exec(line);
  if (!m) throw new Error(`the first stdout line is not "listening <port>": ${JSON.stringify(line)}`);
  const p = Number(m[1]);
  return { port: p, url: `http://127.0.0.1:${p}/mcp`, child, exited, stderr: () => err, kill };
}

/** One tool server as the host lists it. */
export function server(rt: Runtime, name: string): ToolServerInfo {
  const s = rt.tools.list().find((x) => x.name === name);
  if (!s) throw new Error(`no tool server "${name}" (there are: ${rt.tools.list().map((x) => x.name).join(', ')})`);
  return s;
}

/** Resolves with the server's info once `ok` holds for it. */
export async function serverWhen(rt: Runtime, name: string, ok: (s: ToolServerInfo) => boolean, what: string): Promise<ToolServerInfo> {
  // A wait that fails shows the state, not the tool list.
  const shown = (s: ToolServerInfo) => Object.assign(s, { toJSON: () => ({ state: s.state, restarts: s.restarts, lastError: s.lastError, inFlight: s.inFlight, tools: s.tools.length }) });
  const s = await waitUntil(() => shown(server(rt, name)), ok, `tool server "${name}": ${what}`);
  delete (s as Partial<typeof s> & { toJSON?: unknown }).toJSON;
  return s;
}

/** What an answer to a tool call counts as in caxton_tool_calls_total: ok, is_error, or the failure's code. */
export function outcomeOf(r: DecodedFrame): string {
  const c = r.content as { isError?: unknown; code?: unknown } | null;
  if (r.performative === 'inform') return c?.isError === true ? 'is_error' : 'ok';
  if (r.performative === 'failure' && typeof c?.code === 'string') return c.code;
  return `(${r.performative})`;
}

/**
 * Requests to agents through rt.request, each in a conversation of its own,
 * and what came back: a tool call is asked of a tool-proxy agent, which
 * hands it to $mcp and its answer back. The ledger is what the final checks
 * compare with the runtime's own counters.
 */
export class Ledger {
  /** requests sent, by agent */
  readonly asked = new Map<string, number>();
  /** answers to tool calls by outcome (ok, is_error, a failure code) */
  readonly outcomes = new Map<string, number>();
  private next = 0;

  constructor(private readonly rt: Runtime, private readonly prefix: number) {}

  /** A request to `agent` with `content`; resolves with its one answer (checked to be in the asker's conversation). */
  async request(agent: string, content: unknown, params?: Record<string, unknown>): Promise<DecodedFrame> {
    const conversationId = (this.prefix * 0x1_0000_0000 + ++this.next).toString(16).padStart(16, '0');
    this.asked.set(agent, (this.asked.get(agent) ?? 0) + 1);
    const r = await this.rt.request({ to: agent, performative: 'request', content, conversationId, ...(params ? { params } : {}) }, ASK_MS);
    if (r.conversationId !== conversationId) throw new Error(`the answer to conversation ${conversationId} came in ${r.conversationId}`);
    return r;
  }

  /** A tool call through the tool-proxy agent `agent`: its answer, counted by outcome. */
  async call(agent: string, tool: string, args: Record<string, unknown> = {}, params?: Record<string, unknown>): Promise<DecodedFrame> {
    const r = await this.request(agent, { tool, arguments: args }, params);
    const o = outcomeOf(r);
    this.outcomes.set(o, (this.outcomes.get(o) ?? 0) + 1);
    return r;
  }

  /** The content of the answer, with its performative (for t.match). */
  static seen(r: DecodedFrame): { performative: string; content: any } {
    return { performative: r.performative, content: r.content };
  }
}

export interface LostCheck {
  /** the tool-proxy agents the ledger asked (each request is one request and one answer for them to handle) */
  proxies: string[];
  /** the agents' own log lines (RuntimeOptions.onLog) */
  agentLogs: { agent: string; level: number; msg: string }[];
}

/**
 * Nothing counted lost, and every request answered exactly once: once the
 * runtime is idle, its counters must agree with the ledger. A second answer
 * to any request shows up here: a tool-proxy that receives an answer from
 * $mcp no request waits for handles one message more and logs a warning; an
 * extra reply to a finished rt.request is dead-lettered; an extra frame on
 * the bus is an accepted message more.
 */
export async function checkNothingLost(t: Test, rt: Runtime, ledger: Ledger, check: LostCheck): Promise<void> {
  await waitUntil(() => rt.tools.list().map((s) => [s.name, s.inFlight]), (l) => l.every(([, n]) => n === 0), 'no tool call in flight');
  const stats = await rt.waitIdle(30_000);
  t.equal(stats.inFlight, 0, 'nothing in flight on the bus');
  t.same(rt.listDeadLetters(), [], 'no dead letters');
  let frames = 0;
  for (const [agent, asked] of ledger.asked) {
    const proxy = check.proxies.includes(agent);
    // a proxy handles the request and $mcp's answer; another agent the request only
    const counts = rt.agentCounts(agent, false);
    t.same({ handled: counts.handled, failed: counts.failed }, { handled: proxy ? 2 * asked : asked, failed: 0 }, `${agent}: ${asked} request(s), each with one answer`);
    // asker -> agent, agent -> asker; and for a proxy, proxy -> $mcp, $mcp -> proxy
    frames += (proxy ? 4 : 2) * asked;
  }
  t.match(stats, { accepted: frames, delivered: frames, deadLettered: 0, refused: 0, traps: 0, restarts: 0, workerRestarts: 0 }, 'the bus counted exactly those messages');
  const stray = check.agentLogs.filter((l) => check.proxies.includes(l.agent) && l.level >= 40);
  t.same(stray, [], 'no tool-proxy saw an answer from $mcp that no request waited for');
  const counted = new Map<string, number>();
  for (const c of rt.tools.metrics().calls) counted.set(c.outcome, (counted.get(c.outcome) ?? 0) + c.count);
  t.same(Object.fromEntries([...counted].sort()), Object.fromEntries([...ledger.outcomes].sort()), 'caxton_tool_calls_total counts each call once, with the outcome its agent saw');
}
