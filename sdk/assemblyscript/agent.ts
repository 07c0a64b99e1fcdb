// Everything about "this agent" and its host: handler registration, name
// lookup, own slot, clock, timers and logging.

import {
  LogLevel, hostCancelTimer, hostLog, hostLookup, hostNow, hostSelfSlot,
  hostSetTimer,
} from "./abi";
import { Config } from "./config";
import { Message } from "./message";
import { growBuffer, roundCapacity, scratch, utf8Length, utf8Write } from "./memory";
import { dtoa_buffered, itoa_buffered, MAX_DOUBLE_LENGTH } from "util/number";

// ---------------------------------------------------------------------------
// Handler registration

/** Handles one message; returns 0, or a negative code to have the message dead-lettered. */
export type MessageHandler = (msg: Message) => i32;
/** Runs once at start with the agent's config; returns 0, or a negative code to refuse to start. */
export type InitHandler = (config: Config) => i32;
/** Runs when a timer set with `setTimer(delay, token)` fires. */
export type TimerHandler = (token: i32) => void;

function missingMessageHandler(msg: Message): i32 {
  logError("no message handler: call register(onMessage) at the top level of the agent file");
  return -1;
}
function noInit(config: Config): i32 { return 0; }
function noTimer(token: i32): void {}

let messageHandler: MessageHandler = missingMessageHandler;
let initHandler: InitHandler = noInit;
let timerHandler: TimerHandler = noTimer;
let registered = false;

/** Registers the function that handles every incoming message (required). */
export function register(onMessage: MessageHandler): void {
  messageHandler = onMessage;
  registered = true;
}

/** Registers a function to run at init with the config (optional). */
export function registerInit(onInit: InitHandler): void { initHandler = onInit; }

/** Registers a function to run when a timer fires (optional). */
export function registerTimer(onTimer: TimerHandler): void { timerHandler = onTimer; }

/** Used by exports.ts. */
// @ts-ignore: decorator
@inline export function dispatchMessage(msg: Message): i32 { return messageHandler(msg); }
export function dispatchInit(config: Config): i32 {
  if (!registered) {
    logError("no message handler: call register(onMessage) at the top level of the agent file");
    return -1;
  }
  return initHandler(config);
}
export function dispatchTimer(token: i32): void { timerHandler(token); }

// ---------------------------------------------------------------------------
// Names and slots

const slotCache = new Map<string, i32>();

/**
 * Slot of the agent called `name`, or UNKNOWN_DESTINATION (-2) when none is
 * deployed. Successful results are cached; call it off the hot path anyway
 * (or keep the slot in an `AgentRef`).
 */
export function lookup(name: string): i32 {
  if (slotCache.has(name)) return slotCache.get(name);
  const slot = lookupUncached(name);
  if (slot >= 0) slotCache.set(name, slot);
  return slot;
}

/** Asks the host every time (no cache). */
export function lookupUncached(name: string): i32 {
  const n = utf8Length(name);
  const p = scratch(n);
  utf8Write(name, p);
  return hostLookup(p, n);
}

/** Drops `name` from the lookup cache (e.g. after UNKNOWN_DESTINATION). */
export function forget(name: string): void {
  if (slotCache.has(name)) slotCache.delete(name);
}

let ownSlot: i32 = -1;

/** This agent's own slot. */
export function selfSlot(): i32 {
  if (ownSlot < 0) ownSlot = hostSelfSlot();
  return ownSlot;
}

// ---------------------------------------------------------------------------
// Time and timers

/** Wall-clock milliseconds since the Unix epoch, with a sub-millisecond fraction. */
// @ts-ignore: decorator
@inline export function now(): f64 { return hostNow(); }

/**
 * Calls the registered timer handler with `token` after `delayMs` ms. Returns a
 * timer id (>= 0) or TOO_MANY_TIMERS (-4).
 */
export function setTimer(delayMs: i32, token: i32): i32 { return hostSetTimer(delayMs, token); }

/** Cancels a pending timer: 0, or -2 if there is no such timer. */
export function cancelTimer(timerId: i32): i32 { return hostCancelTimer(timerId); }

// ---------------------------------------------------------------------------
// Logging (never allocates)

/** Writes one log line at `level` (LogLevel.*). */
export function log(level: i32, text: string): void {
  const n = utf8Length(text);
  const p = scratch(n);
  utf8Write(text, p);
  hostLog(level, p, n);
}
export function logTrace(text: string): void { log(LogLevel.TRACE, text); }
export function logDebug(text: string): void { log(LogLevel.DEBUG, text); }
export function logInfo(text: string): void { log(LogLevel.INFO, text); }
export function logWarn(text: string): void { log(LogLevel.WARN, text); }
export function logError(text: string): void { log(LogLevel.ERROR, text); }

/**
 * Builds a log line from pieces without allocating (string concatenation would):
 * `logLine().add("mailbox of ").add(name).add(" full, code ").addInt(code).warn()`.
 */
@unmanaged
export class LogLine {
  private buf: usize = 0;
  private cap: i32 = 0;
  private len: i32 = 0;

  reset(): LogLine { this.len = 0; return this; }

  private room(n: i32): usize {
    const need = this.len + n;
    if (need > this.cap) {
      this.buf = growBuffer(this.buf, need);
      this.cap = roundCapacity(need);
    }
    return this.buf + <usize>this.len;
  }

  /** Appends text. */
  add(s: string): LogLine {
    const n = utf8Length(s);
    utf8Write(s, this.room(n));
    this.len += n;
    return this;
  }

  /** Appends UTF-8 bytes (e.g. a string read from a message with Reader.readStringHeader). */
  addBytes(ptr: usize, n: i32): LogLine {
    memory.copy(this.room(n), ptr, <usize>n);
    this.len += n;
    return this;
  }

  /** Appends a decimal integer. */
  addInt(v: i64): LogLine {
    const tmp = scratch(48);
    const n = <i32>itoa_buffered<i64>(tmp, v); // UTF-16 digits
    this.narrow(tmp, n);
    return this;
  }

  /** Appends a number like JavaScript prints it. */
  addF64(v: f64): LogLine {
    const tmp = scratch(MAX_DOUBLE_LENGTH << 1);
    const n = <i32>dtoa_buffered<f64>(tmp, v);
    this.narrow(tmp, n);
    return this;
  }

  private narrow(utf16: usize, n: i32): void {
    const d = this.room(n);
    for (let i = 0; i < n; i++) store<u8>(d + <usize>i, <u8>load<u16>(utf16 + (<usize>i << 1)));
    this.len += n;
  }

  /** Writes the line at `level` and resets it. */
  emit(level: i32): void {
    hostLog(level, this.buf, this.len);
    this.len = 0;
  }
  trace(): void { this.emit(LogLevel.TRACE); }
  debug(): void { this.emit(LogLevel.DEBUG); }
  info(): void { this.emit(LogLevel.INFO); }
  warn(): void { this.emit(LogLevel.WARN); }
  error(): void { this.emit(LogLevel.ERROR); }
}

const line = new LogLine();

/** The shared LogLine, emptied. */
export function logLine(): LogLine { return line.reset(); }
