/**
 * The public types of the in-process API (runtime/runtime.ts, the Runtime
 * class): its options, what it takes and what it answers. runtime.ts
 * re-exports them.
 */
import type { Performative } from '../bus/layout.js';
import type { DeadLetterReason } from './errors.js';
import type { RequestedSpec } from './supervisor/registry.js';
import type { ToolOptions } from './tools/spec.js';
import type { ToolMetrics } from './tools/tool-stats.js';
import type { AgentLogRecord, DeadLetterRecord, Transport } from './thread-messages.js';
import type { Logger } from './observability/logger.js';
import type { SpanCounts } from './observability/span-export.js';

export interface RuntimeOptions {
  /** worker threads hosting agents (default: one per core) */
  workers?: number;
  ringCapacity?: number;
  /** agent slots in the router table (agents + host endpoints), default 65,536 */
  maxAgents?: number;
  /**
   * live agent instances per process, default 12,000. V8 reserves about
   * 10 GiB of address space for every wasm memory, so a 47-bit address space
   * holds about 12,600 of them; past that, creating a memory fails only after
   * V8 has tried several full GCs (hundreds of ms each). Refusing early with
   * TOO_MANY_AGENTS keeps deploys fast and the error clear.
   */
  maxInstances?: number;
  maxFrameBytes?: number;
  /** worker threads busy-poll this long before sleeping, µs (0 = off) */
  spinMicros?: number;
  /**
   * shorten a worker's spin while its spins find nothing and restore it when
   * a frame comes soon after a sleep (bus/pump.ts; default true, false =
   * always spin spinMicros)
   */
  adaptiveSpin?: boolean;
  /**
   * the supervisor thread's busy-poll, µs (default 0): it is off the
   * agent-to-agent path, and spinning there steals a core from the workers
   * on small machines
   */
  supervisorSpinMicros?: number;
  /**
   * after the supervisor hands frames to a worker (a tool call's answer, an
   * in-process request), it polls its rings with setImmediate for this long
   * instead of sleeping, so the reply is read on the next turn of its event
   * loop rather than after a cross-thread wake-up (bus/pump.ts expectReply).
   * µs; default 200; 0 = off (also CAXTON_SUPERVISOR_POLL=off)
   */
  supervisorPollMicros?: number;
  maxSleepMs?: number;
  drainBudget?: number;
  /** 'postmessage' is the benchmark baseline; real servers use 'bus' */
  transport?: Transport;
  watchdogIntervalMs?: number;
  /**
   * rewrite agent modules with interrupt checks (runtime/module/interrupts.ts)
   * so that a call past its time limit ends without stopping its worker
   * thread; default true (false with CAXTON_INTERRUPT_CHECKS=off: then only
   * the watchdog stops runaway calls, by replacing the whole worker)
   */
  interruptChecks?: boolean;
  /**
   * give agents a virtual clock (the test kit, caxton/testing): caxton.now and
   * WASI's realtime clock start at this time (epoch ms; `true`: now) and move
   * only with Runtime.advanceClock, which fires the timers then due
   * (runtime/host/agent-clock.ts). Default: real time.
   */
  virtualClock?: boolean | number;
  deadLetterRetention?: number;
  defaults?: Partial<AgentLimits>;
  /** receives agents' log lines (in addition to the logger) */
  onLog?: (record: AgentLogRecord) => void;
  /** where the server logs (pino); default: NDJSON on stderr at CAXTON_LOG_LEVEL (info) */
  logger?: Logger;
  /**
   * extra bus threads that are not agent workers (the API thread): they get
   * thread indices W+1..W+peerThreads and join with joinPeer()
   */
  peerThreads?: number;
  /** tool servers agents may call through $mcp: the operator's policy and the call defaults (runtime/tools/spec.ts) */
  tools?: ToolOptions;
}

/** What a peer thread (the API thread) needs to join the bus. */
export interface PeerJoin {
  readonly thread: number;
  /** its mailbox: agents reply to this slot */
  readonly endpointSlot: number;
  readonly endpointGeneration: number;
  readonly maxFrameBytes: number;
  readonly spinMicros: number;
  readonly maxSleepMs: number;
}

/** Messages a peer thread posts to the supervisor on its control port. */
export type FromPeer = { type: 'dead-letters'; records: DeadLetterRecord[] };

export interface AgentLimits {
  /** bytes of linear memory the agent may grow to */
  memoryLimitBytes: number;
  /** per-message time limit enforced by the watchdog */
  timeLimitMs: number;
  /** messages that may wait while the agent restarts */
  mailbox: number;
  /**
   * messages the agent may send per second; past that its worker stops
   * calling it until the next tenth of a second (throttled), so a storm
   * cannot take its neighbours' share of the worker (runtime/host/send-budget.ts)
   */
  maxSendsPerSecond: number;
}

export interface AgentSpec extends Partial<AgentLimits> {
  name: string;
  /** module bytes (a compiled kind is cached by content hash) */
  module: Uint8Array;
  config?: unknown;
  /** pin to a worker (1-based thread index); default: the least loaded */
  worker?: number;
  /** what the agent offers, for directory searches and Contract Net */
  capabilities?: string[];
  /** the tools it may call through $mcp: server/tool, server/* or * (docs/mcp.md); none by default */
  tools?: string[];
}

export interface AgentInfo {
  name: string;
  slot: number;
  generation: number;
  worker: number;
  state: string;
  kind: string;
  memoryLimitBytes: number;
  timeLimitMs: number;
  mailbox: number;
  restarts: number;
  lastError?: string;
  maxSendsPerSecond: number;
  /** how many times it was throttled for sending more than maxSendsPerSecond */
  throttled: number;
  capabilities: string[];
  /** the tools it may call through $mcp */
  tools: string[];
  /** the config it was deployed with (handed to caxton_init) */
  config: unknown;
  /** limits and capabilities as the deploy asked for them (what `caxton deploy -f` compares) */
  requested: RequestedSpec;
}

export interface OutgoingMessage {
  to: string;
  performative: Performative;
  content?: unknown;
  params?: Record<string, unknown>;
  /** 16 hex digits (64 bits); omitted = none */
  conversationId?: string;
  inReplyTo?: string;
  /** W3C trace context (`00-<trace id>-<parent span id>-<flags>`): the message joins that trace */
  traceparent?: string;
}

export interface DeadLetter {
  seq: number;
  at: string;
  reason: DeadLetterReason;
  hint: string;
  detail: string;
  agent: string;
  from: string;
  performative: string;
  messageId: string;
  conversationId: string;
  content: unknown;
}

export interface RuntimeStats {
  accepted: number;
  delivered: number;
  deadLettered: number;
  inFlight: number;
  refused: number;
  traps: number;
  restarts: number;
  workerRestarts: number;
  agents: number;
  workers: number;
  baselineSent: number;
  /** interaction-protocol conversations in progress (each agent's side counts once) */
  conversations: number;
  /** times an agent was throttled for sending past its maxSendsPerSecond */
  throttled: number;
  /** messages an earlier run accepted and never finished, dead-lettered LOST_IN_CRASH at this start (not part of accepted) */
  lostInCrash: number;
  /** durable messages an earlier run left unfinished, sent again at this start */
  redelivered: number;
}

export interface RuntimeMetrics {
  /** by FIPA performative: accepted onto the bus, handled, dead-lettered ("unknown" when the frame was unreadable) */
  byPerformative: Record<string, { accepted: number; delivered: number; deadLettered: number }>;
  /** caxton_handle durations: counts[k] for k < boundsUs.length is calls in (boundsUs[k-1], boundsUs[k]]; the last, the rest */
  handleTime: { boundsUs: number[]; counts: number[]; sumUs: number; oneIn: number };
  /**
   * busySeconds: total since start. utilisation: busy time / wall time (0..1)
   * since the same reader's previous snapshot (or since start), see
   * metricsSnapshot().
   */
  workers: { worker: number; busySeconds: number; utilisation: number }[];
  agentsByState: Record<string, number>;
  mailboxDepth: { agent: string; depth: number }[];
  /** the workers' spans, when tracing is on (runtime/observability/span-export.ts) */
  spans?: SpanCounts;
  /** tool calls through $mcp (runtime/tools/tool-stats.ts) */
  tools?: ToolMetrics;
}

/**
 * The readers of metricsSnapshot() that get their own utilisation window: a
 * Prometheus scrape does not shorten the OTel export's window, nor the other
 * way round. A fixed list, so the windows kept stay bounded.
 */
export const METRICS_READERS = ['prometheus', 'otel'] as const;
export type MetricsReader = (typeof METRICS_READERS)[number];

export interface Endpoint {
  readonly name: string;
  readonly slot: number;
  close(): void;
}

/** RuntimeOptions with every default filled in: what the supervisor's parts read. */
export type ResolvedRuntimeOptions = Required<Omit<RuntimeOptions, 'defaults' | 'onLog' | 'workers' | 'logger' | 'peerThreads' | 'tools' | 'virtualClock'>> & { defaults: AgentLimits };
