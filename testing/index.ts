/**
 * The agent test kit (`import { TestKit } from 'caxton/testing'`): a real
 * in-process Caxton runtime (real worker threads, the agent's real module)
 * for an agent's own tests, usable from tap, node:test or vitest alike (it
 * only returns promises and throws errors).
 *
 *   const kit = await TestKit.start();
 *   await kit.deploy('echo', 'build/agent.wasm');
 *   const reply = await kit.request('echo', 'hi');            // within 2 s, or a clear error
 *   await kit.waitForLog('echo', /handled/);                   // the agent's own log lines
 *   const inbox = kit.mailbox('observer');                     // a name agents can send to
 *   await kit.clock.advance(60_000);                           // fire the timers due in a minute, now
 *   await kit.stop();
 *
 * Every wait has a deadline (`within`, ms); a wait that passes it fails
 * saying what it waited for and what came instead. The agents' clock is
 * virtual by default: their time (caxton.now, WASI realtime) moves only with
 * `clock.advance`, so tests of timers neither wait nor race.
 */
import { readFileSync } from 'node:fs';
import type { DecodedFrame } from '../bus/frame.js';
import type { Performative } from '../bus/layout.js';
import { decodeFrame } from '../bus/frame.js';
import { silentLogger, type Logger } from '../runtime/observability/logger.js';
import { Runtime } from '../runtime/runtime.js';
import type { AgentLogRecord } from '../runtime/thread-messages.js';
import type { AgentSpec, DeadLetter, RuntimeOptions } from '../runtime/types.js';
import { Mailbox, TestTimeoutError, waitFor } from './mailbox.js';

export { Mailbox, TestTimeoutError };
export type { DecodedFrame, AgentLogRecord };

/** the deadline of a wait when none is given, ms */
export const DEFAULT_WITHIN_MS = 2000;

export interface TestKitOptions {
  /** worker threads (default 1) */
  workers?: number;
  /** the agents' clock: virtual from this time (epoch ms; `true`, the default: now), or `false` for real time */
  virtualClock?: boolean | number;
  /** where the server's own log goes (default: nowhere; the agents' lines are kept by the kit either way) */
  logger?: Logger;
  /** anything else of the runtime's options */
  runtime?: Omit<RuntimeOptions, 'workers' | 'virtualClock' | 'logger' | 'onLog'>;
}

/** What an AgentSpec says besides the name and module: config, limits, worker. */
export type DeployOptions = Omit<AgentSpec, 'name' | 'module'>;

export interface RequestOptions {
  performative?: Performative;
  /** deadline for the reply, ms (default 2000) */
  within?: number;
  conversationId?: string;
  params?: Record<string, unknown>;
}

export class TestKit {
  readonly runtime: Runtime;
  private readonly lines: AgentLogRecord[];
  private readonly lineWaiters: Set<() => void>;
  private readonly mailboxes = new Map<string, Mailbox>();

  private constructor(runtime: Runtime, lines: AgentLogRecord[], waiters: Set<() => void>) {
    this.runtime = runtime;
    this.lines = lines;
    this.lineWaiters = waiters;
  }

  static async start(options: TestKitOptions = {}): Promise<TestKit> {
    const lines: AgentLogRecord[] = [];
    const waiters = new Set<() => void>();
    const runtime = await Runtime.start({
      ...options.runtime,
      workers: options.workers ?? 1,
      logger: options.logger ?? silentLogger(),
      ...(options.virtualClock === false ? {} : { virtualClock: options.virtualClock ?? true }),
      onLog: (r) => {
        lines.push(r);
        for (const w of [...waiters]) w();
      },
    });
    return new TestKit(runtime, lines, waiters);
  }

  /** Deploy `module` (a .wasm path or its bytes) as agent `name`; rejects with the deploy error (code, message, hint). */
  async deploy(name: string, module: string | Uint8Array, options: DeployOptions = {}): Promise<void> {
    const bytes = typeof module === 'string' ? readFileSync(module) : module;
    await this.runtime.deploy({ ...options, name, module: bytes });
  }

  /** Send `content` to `to` and wait for the reply (the first message in reply to it), within a deadline. */
  async request(to: string, content: unknown, options: RequestOptions = {}): Promise<DecodedFrame> {
    const within = options.within ?? DEFAULT_WITHIN_MS;
    const performative = options.performative ?? 'request';
    try {
      return await this.runtime.request({
        to, performative, content,
        ...(options.conversationId ? { conversationId: options.conversationId } : {}),
        ...(options.params ? { params: options.params } : {}),
      }, within);
    } catch (e) {
      if ((e as { code?: string }).code === 'REPLY_TIMEOUT') {
        throw new TestTimeoutError(`no reply from "${to}" within ${within} ms to a ${performative} with content ${JSON.stringify(content)}${this.lastLinesOf(to)}`);
      }
      throw e;
    }
  }

  /** Send without waiting (fire and forget); returns the message id. */
  send(to: string, content: unknown, performative: Performative = 'inform', conversationId?: string): string {
    return this.runtime.send({ to, performative, content, ...(conversationId ? { conversationId } : {}) }).messageId;
  }

  /**
   * A named mailbox on the host that agents can look up and send to, like an
   * agent: its messages are kept until the test takes them (`next`,
   * `expect`). Open it before deploying an agent that looks it up at start.
   */
  mailbox(name: string): Mailbox {
    let box = this.mailboxes.get(name);
    if (!box) {
      box = new Mailbox(name);
      const b = box;
      this.runtime.openEndpoint(name, (frame) => b.push(decodeFrame(frame)));
      this.mailboxes.set(name, box);
    }
    return box;
  }

  /** The agents' log lines so far (of one agent, if named). */
  logs(agent?: string): AgentLogRecord[] {
    return agent === undefined ? [...this.lines] : this.lines.filter((l) => l.agent === agent);
  }

  /** Wait for a log line of `agent` whose text matches (a substring or a pattern), within a deadline. */
  waitForLog(agent: string, match: string | RegExp, options: { within?: number } = {}): Promise<AgentLogRecord> {
    const within = options.within ?? DEFAULT_WITHIN_MS;
    const test = (l: AgentLogRecord): boolean => l.agent === agent && (typeof match === 'string' ? l.msg.includes(match) : match.test(l.msg));
    return waitFor(
      () => this.lines.find(test),
      (wake) => {
        this.lineWaiters.add(wake);
        return () => this.lineWaiters.delete(wake);
      },
      within,
      () => `no log line of "${agent}" matching ${String(match)} within ${within} ms${this.lastLinesOf(agent)}`,
    );
  }

  /** Dead letters so far (of one agent, if named): what could not be delivered or handled, with the reason. */
  deadLetters(agent?: string): DeadLetter[] {
    const all = this.runtime.listDeadLetters();
    return agent === undefined ? all : all.filter((d) => d.agent === agent);
  }

  /** The agents' virtual clock (option virtualClock, on by default). */
  readonly clock = {
    /** the agents' time now, epoch ms */
    now: (): number => this.runtime.clockNow(),
    /** move it on by `ms`; resolves once every timer due by then has fired (its handler has run) */
    advance: async (ms: number): Promise<number> => this.runtime.advanceClock(ms),
  };

  async stop(): Promise<void> {
    await this.runtime.shutdown(2000);
  }

  /** The last few log lines of an agent, for a failed wait's message. */
  private lastLinesOf(agent: string): string {
    const last = this.lines.filter((l) => l.agent === agent).slice(-5);
    return last.length === 0 ? ` (the agent logged nothing)` : `; its last log lines: ${last.map((l) => JSON.stringify(l.msg)).join(', ')}`;
  }
}
