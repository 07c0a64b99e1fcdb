/**
 * Management calls from the API thread to the supervisor, over a
 * MessagePort. Deploy, list, stats, Contract Net... change or read the
 * authoritative registry, which lives on the supervisor; they are rare next
 * to messages, so structured cloning is fine here. Messages never take this
 * path: Send and Invoke go through the bus (api/bus-client.ts).
 *
 * Errors cross as SerializedError ({code, message, hint, details}) and are
 * revived on the API thread, so the gateways map them like local ones.
 */
import type { ToolServerSpec } from '../runtime/tools/spec.js';
import type { ToolServerInfo } from '../runtime/tools/tool-host.js';
import type { MessagePort } from 'node:worker_threads';
import { InternalError, isCaxtonError, reviveError, type SerializedError } from '../runtime/errors.js';
import type { AgentInfo, AgentSpec, DeadLetter, MetricsReader, RuntimeMetrics, RuntimeStats } from '../runtime/runtime.js';
import type { ContractNetOutcome, ContractNetRequest } from '../runtime/fipa/contract-net.js';

/** An agent as the API shows it: the registry's view plus its counters. */
export interface AgentView extends AgentInfo {
  handled: number;
  failed: number;
  mailboxDepth: number;
}

/** What Deploy carries to the supervisor: the runtime's own deploy spec. */
export type DeployArgs = AgentSpec;

export interface ServerInfoView {
  version: string;
  uptimeSeconds: number;
  workers: number;
  agents: number;
  abiVersion: number;
  nodeVersion: string;
  state: string;
}

/** What the supervisor side answers; api/server.ts builds it around the Runtime. */
export interface ControlHandlers {
  deploy(a: DeployArgs): Promise<AgentView>;
  undeploy(a: { name: string }): Promise<void>;
  list(): Promise<AgentView[]>;
  get(a: { name: string }): Promise<AgentView>;
  stats(): Promise<RuntimeStats>;
  /** by performative, handle times, utilisation (over `reader`'s own window), agents by state, mailbox depths (/metrics, OTel) */
  metrics(a: { reader: MetricsReader }): Promise<RuntimeMetrics>;
  serverInfo(): Promise<ServerInfoView>;
  deadLetters(a: { limit: number }): Promise<DeadLetter[]>;
  drain(a: { timeoutMs: number; shutdown: boolean }): Promise<{ drained: boolean; stats: RuntimeStats }>;
  contractNet(a: ContractNetRequest): Promise<ContractNetOutcome>;
  /** ready = workers up and the stored fleet loaded */
  ready(): Promise<{ ready: boolean; reason: string }>;
  /** add or replace a tool server (runtime/tools/); stored with the fleet */
  toolPut(a: { spec: ToolServerSpec }): Promise<{ outcome: 'created' | 'updated' | 'unchanged'; server: ToolServerInfo }>;
  toolRemove(a: { name: string }): Promise<void>;
  toolList(): Promise<ToolServerInfo[]>;
}

export type ControlMethod = keyof ControlHandlers;

type Request = { id: number; method: ControlMethod; args: unknown };
type Response = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** Supervisor side: answer every request on `port` with `handlers`. */
export function serveControl(port: MessagePort, handlers: ControlHandlers, onBug: (e: unknown, method: string) => void): void {
  port.on('message', (req: Request) => {
    const fn = handlers[req.method] as ((a: unknown) => Promise<unknown>) | undefined;
    const answer = (r: Response): void => port.postMessage(r);
    if (!fn) {
      answer({ id: req.id, ok: false, error: new InternalError(`unknown control method ${String(req.method)}`).toJSON() });
      return;
    }
    let p: Promise<unknown>;
    try {
      p = fn.call(handlers, req.args);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (value) => answer({ id: req.id, ok: true, value }),
      (e: unknown) => {
        if (!isCaxtonError(e)) onBug(e, req.method);
        answer({ id: req.id, ok: false, error: isCaxtonError(e) ? e.toJSON() : new InternalError((e as Error)?.message ?? String(e)).toJSON() });
      },
    );
  });
}

/** API thread side: call the supervisor. */
export class ControlClient {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly port: MessagePort) {
    port.on('message', (r: Response) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r.value);
      else w.reject(reviveError(r.error));
    });
  }

  call<M extends ControlMethod>(method: M, ...args: Parameters<ControlHandlers[M]>): ReturnType<ControlHandlers[M]> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, method, args: args[0] });
    }) as ReturnType<ControlHandlers[M]>;
  }
}
