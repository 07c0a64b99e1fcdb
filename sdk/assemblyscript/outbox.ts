// Outgoing messages. Every send builds its frame in ONE reusable buffer (the
// outbox) and hands it to `caxton.send`, which copies it before returning; so
// sending never allocates once the buffer has grown to the largest frame sent.
//
// All functions return the result of `caxton.send`: 0, or a negative error
// (BAD_FRAME, UNKNOWN_DESTINATION, MAILBOX_FULL, TOO_LARGE; see abi.ts).

import { hostMessageIdHi, hostMessageIdLo, hostSend } from "./abi";
import { FRAME_HEADER_SIZE } from "./frame";
import { Message } from "./message";
import { Writer } from "./msgpack";

/** The outbox: header space, then params, then content. */
const out = createOutbox();

function createOutbox(): Writer {
  const w = new Writer(256);
  memory.fill(w.buf, 0, FRAME_HEADER_SIZE); // host-filled fields and `reserved` stay 0
  w.base = FRAME_HEADER_SIZE;
  w.pos = FRAME_HEADER_SIZE;
  return w;
}

// Header of the frame being composed with compose()/composeReply().
let cDest: i32 = 0;
let cPerf: i32 = 0;
let cConv: u64 = 0;
let cReplyTo: u64 = 0;
let cParamsLen: i32 = 0;
let cProto: i32 = 0;

/** Fills the agent-owned header fields and sends the `frameLen` bytes of the outbox. */
// @ts-ignore: decorator
@inline function commit(frameLen: i32, dest: i32, perf: i32, conv: u64, inReplyTo: u64, paramsLen: i32, protocol: i32 = 0): i32 {
  const b = out.buf;
  store<u32>(b, <u32>frameLen, 0);                         // frameLength
  store<u32>(b, 1 | ((<u32>perf & 0xff) << 8), 4);         // version 1, performative, flags 0
  store<u32>(b, <u32>dest, 8);                             // destinationSlot
  store<u64>(b, conv, 32);                                 // conversationId
  store<u64>(b, inReplyTo, 40);                            // inReplyTo
  store<u32>(b, <u32>paramsLen, 72);                       // paramsLength
  store<u32>(b, <u32>protocol & 0xff, 76);                 // interaction protocol code, reserved
  return hostSend(b, frameLen);
}

// @ts-ignore: decorator
@inline function writeValue<T>(w: Writer, value: T): void {
  if (isBoolean<T>()) {
    w.writeBool(<bool>value);
  } else if (isInteger<T>()) {
    if (isSigned<T>()) w.writeInt(<i64>value);
    else w.writeUint(<u64>value);
  } else if (isFloat<T>()) {
    if (sizeof<T>() == 4) w.writeF32(<f32>value);
    else w.writeF64(<f64>value);
  } else if (isString<T>()) {
    if (changetype<usize>(value) == 0) w.writeNil();
    else w.writeString(changetype<string>(value));
  } else {
    ERROR("send/reply content must be a string, bool, integer or float; use sendRaw/replyRaw or compose() for anything else");
  }
}

/**
 * Sends one msgpack value to the agent at `dest`: a string, a bool, an integer
 * (any width, signed or not) or a float (f64 -> float64, f32 -> float32).
 */
export function send<T>(dest: i32, performative: i32, content: T): i32 {
  out.pos = out.base = FRAME_HEADER_SIZE;
  writeValue<T>(out, content);
  return commit(out.pos, dest, performative, 0, 0, 0);
}

/** Sends content given as already-encoded msgpack (`len` bytes at `ptr`). */
export function sendRaw(dest: i32, performative: i32, contentPtr: usize, contentLen: i32): i32 {
  out.pos = out.base = FRAME_HEADER_SIZE;
  out.writeRaw(contentPtr, contentLen);
  return commit(out.pos, dest, performative, 0, 0, 0);
}

/** Sends a nil content. */
export function sendNil(dest: i32, performative: i32): i32 {
  out.pos = out.base = FRAME_HEADER_SIZE;
  out.writeNil();
  return commit(out.pos, dest, performative, 0, 0, 0);
}

/**
 * Replies to `msg`: destination = msg.sender, same conversation id,
 * inReplyTo = msg.messageId, same interaction protocol, empty params.
 * Content as for `send`.
 */
export function reply<T>(msg: Message, performative: i32, content: T): i32 {
  out.pos = out.base = FRAME_HEADER_SIZE;
  writeValue<T>(out, content);
  return commit(out.pos, msg.sender, performative, msg.conversationId, msg.messageId, 0, msg.protocol);
}

/** Replies with already-encoded msgpack content. `replyRaw(msg, p, msg.contentBytesPtr, msg.contentBytesLen)` echoes. */
export function replyRaw(msg: Message, performative: i32, contentPtr: usize, contentLen: i32): i32 {
  out.pos = out.base = FRAME_HEADER_SIZE;
  out.writeRaw(contentPtr, contentLen);
  return commit(out.pos, msg.sender, performative, msg.conversationId, msg.messageId, 0, msg.protocol);
}

// Typed shorthands of send / reply (same behaviour, explicit content type).
export function sendString(dest: i32, performative: i32, content: string): i32 { return send<string>(dest, performative, content); }
export function sendInt(dest: i32, performative: i32, content: i64): i32 { return send<i64>(dest, performative, content); }
export function sendF64(dest: i32, performative: i32, content: f64): i32 { return send<f64>(dest, performative, content); }
export function sendBool(dest: i32, performative: i32, content: bool): i32 { return send<bool>(dest, performative, content); }
export function replyString(msg: Message, performative: i32, content: string): i32 { return reply<string>(msg, performative, content); }
export function replyInt(msg: Message, performative: i32, content: i64): i32 { return reply<i64>(msg, performative, content); }
export function replyF64(msg: Message, performative: i32, content: f64): i32 { return reply<f64>(msg, performative, content); }
export function replyBool(msg: Message, performative: i32, content: bool): i32 { return reply<bool>(msg, performative, content); }

/**
 * Re-sends `msg` to `dest` unchanged: same performative, params, content bytes,
 * conversation id and inReplyTo (the host gives it a new message id and sets
 * this agent as the source).
 */
export function forward(msg: Message, dest: i32): i32 {
  return forwardAs(msg, dest, msg.performative);
}

/** Like `forward` with another performative. */
export function forwardAs(msg: Message, dest: i32, performative: i32): i32 {
  const len = msg.frameLength;
  out.pos = out.base = FRAME_HEADER_SIZE;
  out.writeRaw(msg.ptr + FRAME_HEADER_SIZE, len - FRAME_HEADER_SIZE); // params + content
  return commit(len, dest, performative, msg.conversationId, msg.inReplyTo, msg.paramsLen);
}

/**
 * Starts a message with arbitrary content: returns the outbox Writer; write ONE
 * msgpack value with it (e.g. a map), optionally call setConversation /
 * setInReplyTo / setParams, then `dispatch()`. Any other send in between
 * discards the composed message.
 */
export function compose(dest: i32, performative: i32): Writer {
  cDest = dest;
  cPerf = performative;
  cConv = 0;
  cReplyTo = 0;
  cParamsLen = 0;
  cProto = 0;
  out.pos = out.base = FRAME_HEADER_SIZE;
  return out;
}

/** Like `compose`, addressed as a reply to `msg` (sender, conversation, inReplyTo). */
export function composeReply(msg: Message, performative: i32): Writer {
  const w = compose(msg.sender, performative);
  cConv = msg.conversationId;
  cReplyTo = msg.messageId;
  cProto = msg.protocol;
  return w;
}

/** Sets the interaction protocol code of the composed message (Protocol.*; 0 = none). */
export function setProtocol(code: i32): void {
  cProto = code;
}

/** Sets the conversation id of the composed message (0 = none). */
export function setConversation(lo: i32, hi: i32): void {
  cConv = (<u64><u32>hi << 32) | <u64><u32>lo;
}

/** Sets inReplyTo of the composed message (0 = none). */
export function setInReplyTo(lo: i32, hi: i32): void {
  cReplyTo = (<u64><u32>hi << 32) | <u64><u32>lo;
}

/** Sets the ACL parameters (a raw msgpack map) of the composed message; may be called before or after writing content. */
export function setParams(paramsPtr: usize, paramsLen: i32): void {
  const oldStart = FRAME_HEADER_SIZE + cParamsLen;
  const contentLen = out.pos - oldStart;
  const newStart = FRAME_HEADER_SIZE + paramsLen;
  out.pos = oldStart;
  out.reserve(newStart - oldStart > 0 ? newStart - oldStart + contentLen : contentLen); // capacity
  memory.copy(out.buf + <usize>newStart, out.buf + <usize>oldStart, <usize>contentLen);
  memory.copy(out.buf + FRAME_HEADER_SIZE, paramsPtr, <usize>paramsLen);
  out.pos = newStart + contentLen;
  out.base = newStart;
  cParamsLen = paramsLen;
}

/** Sends the composed message. */
export function dispatch(): i32 {
  return commit(out.pos, cDest, cPerf, cConv, cReplyTo, cParamsLen, cProto);
}

/** Message id the host gave the last frame this agent sent (low / high 32 bits). */
export function sentMessageIdLo(): i32 { return hostMessageIdLo(); }
export function sentMessageIdHi(): i32 { return hostMessageIdHi(); }
/** Message id of the last frame this agent sent, as u64. */
export function sentMessageId(): u64 {
  return (<u64><u32>hostMessageIdHi() << 32) | <u64><u32>hostMessageIdLo();
}
