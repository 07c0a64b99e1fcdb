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
import { InvalidAgentSpecError, InvalidArgumentError } from './errors.js';

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
  /** pin to a worker thread (1-based); the runtime also refuses one past the server's own number of workers */
  worker: { min: 1, max: 1024, unit: 'worker thread, 1-based', zero: 'default' },
} satisfies Record<string, NumberRange>);

export type AgentLimitField = keyof typeof AGENT_LIMITS;
/** The limit fields of an AgentSpec in the order messages and docs list them. */
export const AGENT_LIMIT_FIELDS = Object.keys(AGENT_LIMITS) as AgentLimitField[];

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

/**
 * What is wrong with `value` as a `range` number, or undefined when it is
 * in range: "must be an integer from 1 to 600000 (ms), got 1e+300". Values
 * that are not numbers at all (a string, a bigint) are described too.
 * `zeroIsDefault`: the caller reads 0 as "not given" (a protobuf default).
 */
export function rangeProblem(value: unknown, range: NumberRange, zeroIsDefault = false): string | undefined {
  if (typeof value === 'number' && (zeroIsDefault && range.zero === 'default' && value === 0 ? true : Number.isInteger(value) && value >= range.min && value <= range.max)) return undefined;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
  return `must be ${describeRange(range)}, got ${shown}`;
}

/** Throws INVALID_AGENT_SPEC naming `label` (the field as the caller's interface spells it) when `value` is out of its range. */
export function checkAgentLimit(field: AgentLimitField, value: unknown, label: string = field, zeroIsDefault = false): void {
  const problem = rangeProblem(value, AGENT_LIMITS[field], zeroIsDefault);
  if (problem !== undefined) throw new InvalidAgentSpecError(label, problem);
}

/** Throws INVALID_ARGUMENT naming `label` when `value` is out of its CALL_LIMITS range. */
export function checkCallLimit(field: keyof typeof CALL_LIMITS, value: unknown, label: string = field, zeroIsDefault = false): void {
  const range: NumberRange = CALL_LIMITS[field];
  const problem = rangeProblem(value, range, zeroIsDefault);
  if (problem !== undefined) throw new InvalidArgumentError(label, problem, `Give ${label} as ${describeRange(range)}${range.zero === 'default' ? ', or leave it out for the default' : ''} (docs/api.md, Limits).`);
}

/** The JSON Schema of a `range` number (REST bodies, /v1/openapi.json): generated here so that it cannot drift. */
export function rangeSchema(range: NumberRange): { type: 'integer'; minimum: number; maximum: number; description: string } {
  return { type: 'integer', minimum: range.min, maximum: range.max, description: `${describeRange(range)}; absent = the server's default` };
}

/** The range in words, for error messages and docs: "an integer from 1 to 600000 (ms)". */
export function describeRange(range: NumberRange): string {
  return `an integer from ${range.min} to ${range.max} (${range.unit})`;
}
