// Raw imports of Caxton agent ABI v1 (module "caxton") and its constants.
// Agents normally use the wrappers in agent.ts / outbox.ts instead.
// A host function is imported by the compiled module only if something calls it,
// so an agent that never sets a timer does not import `set_timer`.

/** The ABI version this SDK implements; returned by `caxton_abi_version`. */
export const ABI_VERSION: i32 = 1;

// Return codes of `caxton.send` and friends (docs/agent-abi.md).
export const OK: i32 = 0;
/** Frame shorter than the header, length mismatch or version != 1. */
export const BAD_FRAME: i32 = -1;
/** No agent lives at that slot (or no agent has that name). Look the name up again. */
export const UNKNOWN_DESTINATION: i32 = -2;
/** Back-pressure: the destination's mailbox is full. Nothing was sent. */
export const MAILBOX_FULL: i32 = -3;
/** More than 1024 timers pending. */
export const TOO_MANY_TIMERS: i32 = -4;
/** Frame larger than the server's maximum frame size (64 KiB by default). */
export const TOO_LARGE: i32 = -5;
/** The destination agent is stopped. */
export const AGENT_STOPPED: i32 = -6;
/** The message breaks the interaction protocol of its conversation (see protocols.ts). */
export const PROTOCOL_VIOLATION: i32 = -7;

/** Log levels accepted by `caxton.log`. */
export enum LogLevel {
  TRACE = 10,
  DEBUG = 20,
  INFO = 30,
  WARN = 40,
  ERROR = 50,
}

// @ts-ignore: decorator
@external("caxton", "send")
export declare function hostSend(framePtr: usize, frameLen: i32): i32;

// @ts-ignore: decorator
@external("caxton", "lookup")
export declare function hostLookup(namePtr: usize, nameLen: i32): i32;

// @ts-ignore: decorator
@external("caxton", "self_slot")
export declare function hostSelfSlot(): i32;

// @ts-ignore: decorator
@external("caxton", "log")
export declare function hostLog(level: i32, ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("caxton", "now")
export declare function hostNow(): f64;

// @ts-ignore: decorator
@external("caxton", "set_timer")
export declare function hostSetTimer(delayMs: i32, token: i32): i32;

// @ts-ignore: decorator
@external("caxton", "cancel_timer")
export declare function hostCancelTimer(timerId: i32): i32;

// @ts-ignore: decorator
@external("caxton", "message_id_lo")
export declare function hostMessageIdLo(): i32;

// @ts-ignore: decorator
@external("caxton", "message_id_hi")
export declare function hostMessageIdHi(): i32;
