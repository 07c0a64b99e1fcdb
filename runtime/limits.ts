/**
 * The range of every number a user can give Caxton, in one place: the
 * runtime checks them (runtime/supervisor/agents.ts), the REST gateway's
 * JSON Schemas and the gRPC operations check them before that, and the
 * manifest schema and the CLI flags check them before anything is sent, all
 * from these constants, so a value is accepted or refused alike on every
 * interface (docs/api.md, docs/manifest.md list them).
 *
 * Every range is inclusive and every value an integer. A range's `zero`
 * says what 0 means where a protobuf field's default (0) stands for "not
 * given" (the default then applies); where it is absent 0 is out of range.
 */

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** what the unit is, for messages: "bytes", "ms", "messages" */
  readonly unit: string;
  /** in a protobuf field, 0 means "not given" and takes this default */
  readonly zero?: 'default';
}

const KiB = 1024;
const GiB = 1024 ** 3;

/** Limits of one agent (deploy, manifest, AgentSpec). */
export const AGENT_LIMITS = Object.freeze({
  /** linear memory the agent may grow to (and its tables: runtime/module/abi.ts) */
  memoryLimitBytes: { min: 64 * KiB, max: 4 * GiB, unit: 'bytes', zero: 'default' },
  /** per-message time limit the watchdog enforces; past ten minutes a worker is better restarted than waited for */
  timeLimitMs: { min: 1, max: 600_000, unit: 'ms', zero: 'default' },
  /** messages that may wait while the agent restarts (each is a copy on its worker's heap) */
  mailbox: { min: 1, max: 65_536, unit: 'messages', zero: 'default' },
  /** messages the agent may send per second before it is throttled (runtime/host/send-budget.ts) */
  maxSendsPerSecond: { min: 10, max: 100_000_000, unit: 'messages per second', zero: 'default' },
} satisfies Record<string, NumberRange>);

/** The largest agent module accepted (globals, data and element segments are bounded by it). */
export const MAX_MODULE_BYTES = 64 * 1024 * 1024;
/** What one table entry is counted as against the agent's memory limit (V8 keeps about this much per funcref entry). */
export const TABLE_ENTRY_BYTES = 16;

/** Numbers of API calls (gRPC and REST alike). */
export const CALL_LIMITS = Object.freeze({
  /** how long an Invoke waits for its reply (REST timeoutMs; a gRPC deadline further away is cut to this) */
  invokeTimeoutMs: { min: 1, max: 3_600_000, unit: 'ms', zero: 'default' },
  /** how many dead letters one ListDeadLetters returns */
  deadLetterLimit: { min: 1, max: 100_000, unit: 'dead letters', zero: 'default' },
  /** how long a Drain waits for the messages in flight */
  drainTimeoutMs: { min: 1, max: 600_000, unit: 'ms', zero: 'default' },
  /** a Contract Net's deadline for proposals */
  contractNetDeadlineMs: { min: 1, max: 600_000, unit: 'ms' },
  /** how long a Contract Net waits for the winner's result */
  contractNetResultTimeoutMs: { min: 1, max: 600_000, unit: 'ms', zero: 'default' },
} satisfies Record<string, NumberRange>);

/** Does `value` fall in `range` (an integer between min and max, or 0 where 0 means "default")? */
export function inRange(value: number, range: NumberRange): boolean {
  if (value === 0 && range.zero === 'default') return true;
  return Number.isInteger(value) && value >= range.min && value <= range.max;
}

/** The range in words, for error messages and docs: "an integer from 1 to 600000 (ms)". */
export function describeRange(range: NumberRange): string {
  return `an integer from ${range.min} to ${range.max} (${range.unit})`;
}
