/**
 * A Caxton server: the runtime (supervisor + workers) plus the API thread
 * serving gRPC and HTTP, with its token. `caxton server start` runs one;
 * tests and benchmarks start one in-process.
 *
 *   supervisor (this thread) --joinPeer--> API thread (bus thread W+1)
 *          ^  control port: deploy, list, stats, Contract Net...  |
 *          +-------------------------------------------------------+
 *   bus: the API thread writes and reads rings itself (Send, Invoke, streams)
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { Runtime, type RuntimeOptions, type RuntimeStats, type AgentInfo } from '../runtime/runtime.js';
import { serveControl, type AgentView, type ControlHandlers } from './control.js';
import { loadOrCreateToken } from './auth.js';
import { FleetStore } from '../runtime/store.js';
import { isCaxtonError, PortInUseError } from '../runtime/errors.js';
import type { ApiThreadInput, FromApiThread, ToApiThread } from './thread.js';
import type { ApiLimits } from './api-limits.js';
import { newRunId, readJournal, removeJournal, type JournalContents, type Unfinished } from './journal/recover.js';
import type { LostLetter } from '../runtime/supervisor/dead-letters.js';

import { CAXTON_VERSION } from '../runtime/version.js';
import { checkOtlpEndpoint } from '../runtime/observability/otel-env.js';

const API_ENDPOINT = '$api';

/**
 * The Invoke latency tricks of the API thread (api/bus-client.ts), on unless
 * the server's environment says CAXTON_API_LATENCY_TRICKS=off (the same
 * switch as the options apiEagerPublish: false, apiReplyPollMicros: 0,
 * apiPrewake: false).
 */
const LATENCY_TRICKS = process.env.CAXTON_API_LATENCY_TRICKS !== 'off';

export interface ServerOptions {
  /** where the token (and, with the CLI, the fleet) lives; default .caxton */
  dataDir?: string;
  /** listen address; loopback unless told otherwise */
  host?: string;
  /** 0 = any free port (tests); default 50051 */
  grpcPort?: number;
  /** false = no HTTP gateway; 0 = any free port; default 8080 */
  httpPort?: number | false;
  /** overrides $CAXTON_TOKEN and the token file */
  token?: string;
  runtime?: RuntimeOptions;
  /** API thread busy-poll after a drain, µs (default 0: it serves sockets too) */
  apiSpinMicros?: number;
  /**
   * an Invoke made while no other waits publishes its frame at once, not at
   * the end of the job (api/bus-client.ts); default true
   * (false with CAXTON_API_LATENCY_TRICKS=off)
   */
  apiEagerPublish?: boolean;
  /**
   * while such a lone Invoke waits, the API thread polls for its reply
   * instead of sleeping, for at most this long without a frame arriving, µs
   * (bus/pump.ts); default 500 (0 with CAXTON_API_LATENCY_TRICKS=off); 0 = off
   */
  apiReplyPollMicros?: number;
  /**
   * an Invoke arriving while no other waits wakes its likely worker as soon
   * as its metadata (gRPC) or path (REST) is read, so the wake-up overlaps
   * with reading the request (api/bus-client.ts prewake); default true
   * (false with CAXTON_API_LATENCY_TRICKS=off)
   */
  apiPrewake?: boolean;
  /** the log file the runtime's logger writes (runtime/observability/logger.ts logFileBase), read back by LogService.Tail and `caxton logs` */
  logFile?: string;
  /**
   * what the API takes from the network (api/api-limits.ts; docs/api.md, Limits):
   * request sizes (default 4 × the frame limit, 1 MiB at least; a deploy's, a
   * 64 MiB module in base64 more), connections per gateway (1000), how long a
   * connection may stay without authenticating (10 s) or idle (65 s)
   */
  api?: Partial<ApiLimits>;
  /** Invoke's limit when a call has no deadline (default 30 s) */
  defaultInvokeTimeoutMs?: number;
  /** retry delay suggested with RESOURCE_EXHAUSTED, ms (default 10) */
  retryAfterMs?: number;
  /**
   * runs after the API listens and before the server reports ready (the CLI
   * restores the stored fleet here); /readyz says 503 until it resolves
   */
  beforeReady?: (server: CaxtonServer) => Promise<void>;
  /** wraps the control handlers */
  wrapHandlers?: (handlers: ControlHandlers, server: CaxtonServer) => ControlHandlers;
  /**
   * keep the fleet in the data directory (default true): agents deployed
   * through the API are stored (runtime/store.ts) and restored on start
   */
  persistFleet?: boolean;
  /**
   * keep a journal of accepted-but-unfinished messages in <dataDir>/journal
   * (api/journal/; decision 0016), so that after a crash the next start
   * dead-letters them LOST_IN_CRASH and sends durable ones again; default
   * true. `rotateBytes` and `markIntervalMs` tune it (tests).
   */
  journal?: boolean | { rotateBytes?: number; markIntervalMs?: number };
}

/** An unfinished message of an earlier run as a LOST_IN_CRASH letter. */
function lostLetter(u: Unfinished, more: string): LostLetter {
  const how = u.stopped ? 'the server was stopped before it was handled (its drain timed out)' : 'the server stopped abruptly (killed or crashed) before it was known to be handled';
  return {
    at: u.at, agent: u.agent, performative: u.performative, messageId: u.messageId, conversationId: u.conversationId,
    content: u.durable?.content, detail: `accepted at ${new Date(u.at).toISOString()} (run ${u.run}); ${how}.${more}`,
  };
}

export class CaxtonServer {
  readonly runtime: Runtime;
  readonly token: string;
  readonly tokenSource: 'env' | 'file' | 'created' | 'option';
  readonly dataDir: string;
  grpcPort = 0;
  httpPort: number | undefined;
  private readonly api: Worker;
  private ready = false;
  private readyReason = 'starting';
  stopping: Promise<{ drained: boolean; stats: RuntimeStats }> | undefined;
  private readonly stoppedListeners: (() => void)[] = [];
  /** the durable fleet, when persisted */
  store: FleetStore | undefined;
  /** agents restored at start, and the ones that could not be */
  readonly restored: { agents: number; failed: { name: string; error: string }[] } = { agents: 0, failed: [] };

  private constructor(runtime: Runtime, api: Worker, dataDir: string, token: string, tokenSource: CaxtonServer['tokenSource']) {
    this.runtime = runtime;
    this.api = api;
    this.dataDir = dataDir;
    this.token = token;
    this.tokenSource = tokenSource;
  }

  static async start(opts: ServerOptions = {}): Promise<CaxtonServer> {
    const dataDir = resolve(opts.dataDir ?? '.caxton');
    const { token, source } = opts.token ? { token: opts.token, source: 'option' as const } : loadOrCreateToken(dataDir);
    // Before any thread starts: a store that cannot be read stops the start cleanly.
    const store = opts.persistFleet !== false ? new FleetStore(dataDir) : undefined;
    // The API thread pushes OTel metrics: a bad endpoint is refused before anything starts.
    checkOtlpEndpoint('METRICS');
    // What an earlier run accepted and never finished, read before this run writes its own journal.
    const journalOn = opts.journal !== false;
    const previous = journalOn ? readJournal(dataDir) : undefined;
    const runtime = await Runtime.start({ ...opts.runtime, peerThreads: 1 });
    const busChannel = new MessageChannel();
    const controlChannel = new MessageChannel();
    const thread = runtime.workers + 1;
    const join = runtime.joinPeer(thread, busChannel.port1, API_ENDPOINT);
    const input: ApiThreadInput = {
      bus: runtime.bus.init, join, busPort: busChannel.port2, controlPort: controlChannel.port2, token,
      host: opts.host ?? '127.0.0.1', grpcPort: opts.grpcPort ?? 50051, httpPort: opts.httpPort ?? 8080,
      spinMicros: opts.apiSpinMicros ?? 0,
      eagerPublish: opts.apiEagerPublish ?? LATENCY_TRICKS,
      replyPollMicros: opts.apiReplyPollMicros ?? (LATENCY_TRICKS ? 500 : 0),
      prewake: opts.apiPrewake ?? LATENCY_TRICKS,
      defaultInvokeTimeoutMs: opts.defaultInvokeTimeoutMs ?? 30_000,
      retryAfterMs: opts.retryAfterMs ?? 10, logLevel: runtime.logger.levelVal, logFile: opts.logFile, limits: opts.api,
      journal: journalOn ? { dataDir, run: newRunId(), ...(typeof opts.journal === 'object' ? opts.journal : {}) } : undefined,
    };
    const api = new Worker(new URL('./thread.js', import.meta.url), {
      workerData: input, transferList: [busChannel.port2, controlChannel.port2], name: 'caxton-api',
    });
    const server = new CaxtonServer(runtime, api, dataDir, token, source);
    server.store = store;
    const base = server.handlers();
    serveControl(controlChannel.port1, opts.wrapHandlers ? opts.wrapHandlers(base, server) : base, (e, method) => {
      runtime.logger.error({ err: e, method }, 'control call failed with an internal error');
    });
    try {
      const listening = await new Promise<Extract<FromApiThread, { type: 'listening' }>>((resolveListening, reject) => {
        api.on('message', (m: FromApiThread) => {
          if (m.type === 'listening') resolveListening(m);
          else if (m.type === 'failed') reject(m.portInUse ? new PortInUseError(input.host, m.portInUse.port, m.portInUse.gateway) : new Error(`the API thread could not start: ${m.message}`));
          else if (m.type === 'log') runtime.logger[m.level]({ thread: 'api', ...(m.operation ? { operation: m.operation } : {}), ...m.fields }, m.msg);
        });
        api.once('error', reject);
        api.once('exit', (code) => reject(new Error(`the API thread exited with code ${code}`)));
      });
      server.grpcPort = listening.grpcPort;
      server.httpPort = listening.httpPort;
      api.on('error', (e) => runtime.logger.error({ err: e, thread: 'api' }, 'the API thread failed'));
      // Without its API thread the server cannot serve: stop it (a service
      // manager restarts it) rather than run deaf.
      api.once('exit', (code) => {
        if (server.stopping) return;
        runtime.logger.fatal({ thread: 'api', code }, 'the API thread exited: stopping the server');
        void server.stop(2000);
      });
      await server.restoreFleet();
      if (previous) await server.recover(previous);
      if (opts.beforeReady) await opts.beforeReady(server);
    } catch (e) {
      await api.terminate();
      await runtime.shutdown(0);
      throw e;
    }
    server.ready = true;
    server.readyReason = 'ready';
    server.post({ type: 'serving', serving: true });
    runtime.logger.info({ grpcPort: server.grpcPort, httpPort: server.httpPort, host: input.host, workers: runtime.workers }, 'caxton server ready');
    return server;
  }

  /** Deploy the stored fleet again (one agent at a time: one bad module does not keep the others down). */
  private async restoreFleet(): Promise<void> {
    if (!this.store) return;
    this.readyReason = 'restoring the stored fleet';
    // Tool servers first: an agent's init may call a tool.
    for (const spec of this.store.loadTools()) {
      try {
        this.runtime.tools.put(spec);
      } catch (e) {
        this.runtime.logger.error({ toolServer: spec.name }, `could not restore tool server: ${(e as Error).message}`);
      }
    }
    for (const { agent, module } of this.store.load()) {
      const { module: hash, ...spec } = agent;
      if (!module) {
        this.restored.failed.push({ name: agent.name, error: `module ${hash} is missing from ${this.dataDir}/modules` });
        continue;
      }
      try {
        await this.runtime.deploy({ ...spec, module });
        this.restored.agents++;
      } catch (e) {
        this.restored.failed.push({ name: agent.name, error: (e as Error).message });
      }
    }
    for (const f of this.restored.failed) this.runtime.logger.error({ agent: f.name }, `could not restore agent: ${f.error}`);
    if (this.restored.agents) this.runtime.logger.info({ agents: this.restored.agents }, 'restored the stored fleet');
  }

  /**
   * What the journal of earlier runs holds unfinished: durable messages are
   * sent again (through the API thread, journaled anew), the rest and those
   * that cannot be sent become LOST_IN_CRASH dead letters, with one log
   * line saying how many. The old files go only after that.
   */
  private async recover(previous: JournalContents): Promise<void> {
    const logger = this.runtime.logger;
    if (previous.unreadable) logger.warn({ lines: previous.unreadable }, `${previous.unreadable} line(s) of the journal could not be read (cut short by the crash?); they are skipped`);
    const lost: LostLetter[] = [];
    const durable = previous.unfinished.filter((u) => u.durable !== undefined);
    for (const u of previous.unfinished) if (u.durable === undefined) lost.push(lostLetter(u, ''));
    if (durable.length) {
      this.readyReason = 'sending again the durable messages of the last run';
      const messages = durable.map((u) => ({ agent: u.agent, performative: u.performative, content: u.durable!.content, conversationId: u.conversationId, inReplyTo: u.durable!.inReplyTo }));
      const result = await new Promise<Extract<FromApiThread, { type: 'redelivered' }>>((resolveSent) => {
        const onMessage = (m: FromApiThread): void => {
          if (m.type !== 'redelivered') return;
          this.api.off('message', onMessage);
          resolveSent(m);
        };
        this.api.on('message', onMessage);
        this.post({ type: 'redeliver', messages, names: this.runtime.names() });
      });
      for (const f of result.failed) {
        const u = durable[f.index]!;
        lost.push(lostLetter(u, ` It was durable, but could not be sent again: ${f.error}`));
      }
      this.runtime.countRedelivered(result.sent);
      logger.info({ redelivered: result.sent }, `sent again ${result.sent} durable message(s) the last run accepted and never finished`);
    }
    if (lost.length) {
      this.runtime.recordLostInCrash(lost);
      logger.warn({ lostInCrash: lost.length }, `${lost.length} message(s) accepted before the last stop were never finished: dead-lettered LOST_IN_CRASH (see caxton dead-letters)`);
    }
    removeJournal(previous.files);
  }

  private post(m: ToApiThread): void {
    this.api.postMessage(m);
  }

  /** An agent with its bus counters; `depth` scans its rings (Get only). */
  view(info: AgentInfo, depth: boolean): AgentView {
    const c = this.runtime.agentCounts(info.name, depth);
    return { ...info, handled: c.handled, failed: c.failed, mailboxDepth: depth ? c.mailboxDepth : 0 };
  }

  private handlers(): ControlHandlers {
    const rt = this.runtime;
    return {
      deploy: async (a) => {
        const [info] = await rt.deploy(a);
        const { module, ...spec } = a;
        this.store?.put(spec, module);
        return this.view(info!, false);
      },
      undeploy: async (a) => {
        try {
          await rt.remove(a.name);
        } catch (e) {
          // Stored but not running (it failed to restore): removing it is what the caller wants.
          if (!(isCaxtonError(e) && e.code === 'AGENT_NOT_FOUND' && this.store?.has(a.name))) throw e;
        }
        this.store?.remove(a.name);
      },
      list: async () => rt.list().map((i) => this.view(i, false)),
      get: async (a) => this.view(rt.get(a.name), true),
      stats: async () => rt.stats(),
      metrics: async (a) => rt.metricsSnapshot(a.reader),
      serverInfo: async () => {
        const i = rt.serverInfo();
        return {
          version: CAXTON_VERSION, uptimeSeconds: i.uptimeSeconds, workers: i.workers, agents: i.agents, abiVersion: i.abiVersion,
          nodeVersion: process.version, state: this.stopping ? 'draining' : 'running',
        };
      },
      deadLetters: async (a) => rt.listDeadLetters(a.limit),
      drain: async (a) => {
        if (!a.shutdown) {
          const stats = await rt.waitIdle(a.timeoutMs);
          return { drained: stats.inFlight === 0, stats };
        }
        // Answer first, then stop: the API thread lets this call finish before it closes.
        const stats = await rt.waitIdle(a.timeoutMs);
        setImmediate(() => void this.stop(a.timeoutMs));
        return { drained: stats.inFlight === 0, stats };
      },
      contractNet: (a) => rt.contractNet(a),
      ready: async () => ({ ready: this.ready && !this.stopping, reason: this.stopping ? 'stopping' : this.readyReason }),
      toolPut: async (a) => {
        const outcome = rt.tools.put(a.spec);
        if (outcome !== 'unchanged') this.store?.putTool(a.spec);
        // Started in the background: wait for its first connection to settle, so the answer says whether it came up.
        await rt.tools.settled();
        return { outcome, server: rt.tools.list().find((s) => s.name === a.spec.name)! };
      },
      toolRemove: async (a) => {
        try {
          await rt.tools.remove(a.name);
        } catch (e) {
          // Stored but not running (it could not be restored): removing it is what the caller wants.
          if (!(isCaxtonError(e) && e.code === 'TOOL_SERVER_NOT_FOUND' && this.store?.hasTool(a.name))) throw e;
        }
        this.store?.removeTool(a.name);
      },
      toolList: async () => rt.tools.list(),
    };
  }

  /** Called once the server has stopped (after stop(), or a Drain with shutdown). */
  onStopped(listener: () => void): void {
    this.stoppedListeners.push(listener);
  }

  /** Stop serving, drain what is in flight, stop the workers. Idempotent. */
  stop(drainTimeoutMs = 10_000): Promise<{ drained: boolean; stats: RuntimeStats }> {
    this.stopping ??= (async () => {
      this.ready = false;
      const closed = new Promise<void>((resolveClosed) => {
        const onMessage = (m: FromApiThread): void => {
          if (m.type === 'closed') resolveClosed();
        };
        this.api.on('message', onMessage);
        this.api.once('exit', () => resolveClosed());
      });
      // Refuse new work but keep consuming replies until nothing is in flight.
      this.post({ type: 'draining' });
      const idle = await this.runtime.waitIdle(drainTimeoutMs);
      this.post({ type: 'close' });
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      await this.api.terminate();
      this.runtime.leavePeer(this.runtime.workers + 1, API_ENDPOINT);
      const result = await this.runtime.shutdown(idle.inFlight === 0 ? 1000 : 0);
      for (const l of this.stoppedListeners) l();
      return result;
    })();
    return this.stopping;
  }
}
