/**
 * Control messages between the supervisor and a worker host, carried over a
 * MessagePort (rare, structured-cloned). Messages between agents never use
 * this path: they travel on the bus rings.
 */
import type { BusInit } from '../bus/shared.js';
import type { DeadLetterReason, SerializedError } from './errors.js';

export type Transport = 'bus' | 'postmessage';

export interface HostOptions {
  readonly spinMicros: number;
  /** bus/pump.ts adaptiveSpin */
  readonly adaptiveSpin: boolean;
  readonly maxSleepMs: number;
  readonly maxFrameBytes: number;
  /** frames handled per drain before yielding to the event loop */
  readonly drainBudget: number;
  /** 'postmessage' = the baseline transport used by `caxton bench` */
  readonly transport: Transport;
  /** pino level number: 20 (debug) or lower writes one line per handled message */
  readonly logLevel: number;
  /** the virtual clock's time cell (runtime/host/agent-clock.ts), absent for real time */
  readonly virtualClock?: SharedArrayBuffer;
}

export interface HostTaskInput {
  readonly thread: number;
  readonly bus: BusInit;
  readonly port: MessagePort;
  readonly options: HostOptions;
  /** baseline transport only: one port per other worker thread, keyed by thread index */
  readonly peers?: Record<number, MessagePort>;
  /** tracing on: where span batches go (a port of the span export thread, runtime/observability/span-export.ts) */
  readonly spans?: MessagePort;
}

export interface AgentPlacement {
  readonly slot: number;
  readonly generation: number;
  readonly name: string;
  readonly kindId: string;
  readonly config: Uint8Array;
  readonly memoryPages: number;
  /** how many messages may wait while the agent restarts after a trap */
  readonly mailbox: number;
  /** a call longer than this is ended by the interrupt checks (runtime/module/interrupts.ts) */
  readonly timeLimitMs: number;
  /** messages it may send per second before its worker throttles it */
  readonly maxSendsPerSecond: number;
}

export type ToWorker =
  | { type: 'kind'; kindId: string; module: WebAssembly.Module; memoryMinPages: number; hasTimer: boolean; initialize: boolean; abi2Uses: string }
  | { type: 'names'; add: [string, number][]; remove: string[] }
  | { type: 'deploy'; reqId: number; agents: AgentPlacement[] }
  | { type: 'remove'; reqId: number; slots: number[]; reason: DeadLetterReason }
  /** begin draining the rings (sent once the worker's agents are in place) */
  | { type: 'start' }
  | { type: 'clock'; reqId: number }
  | { type: 'shutdown' };

export interface DeadLetterRecord {
  readonly frame: Uint8Array;
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly at: number;
  readonly agent: string;
  /** how many messages this record stands for (1, or more for a WORKER_LOST summary) */
  readonly count?: number;
}

export interface AgentLogRecord {
  readonly agent: string;
  readonly level: number;
  readonly msg: string;
  readonly at: number;
  /** the message being handled when the line was written (logger.ts MessageContext) */
  readonly conversationId?: string;
  readonly messageId?: string;
  readonly performative?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  /** the sender of that message */
  readonly from?: string;
}

export type FromWorker =
  | { type: 'ready'; thread: number }
  | { type: 'deployed'; reqId: number; results: { slot: number; error?: SerializedError }[] }
  | { type: 'removed'; reqId: number }
  | { type: 'clock-done'; reqId: number }
  | { type: 'dead-letters'; records: DeadLetterRecord[] }
  | { type: 'logs'; records: AgentLogRecord[] }
  | { type: 'agent-restarted'; slot: number; reason: string; failures: number }
  /** a call of the agent ran past its time limit and was ended by the interrupt checks (the agent is restarted) */
  | { type: 'agent-timed-out'; slot: number; generation: number; reason: string }
  /** the agent sent past its budget and is not called until the next tick (runtime/host/send-budget.ts) */
  | { type: 'agent-throttled'; slot: number; generation: number };
