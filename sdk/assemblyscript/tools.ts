// Calling MCP tools through the host endpoint "$mcp" (docs/sdk.md, "Calling
// tools (MCP)"; the failure codes: docs/errors.md, "Tool call failures").
//
//   callTool("everything/get-sum")           // the outbox Writer, on the arguments
//     .writeMapHeader(2).writeString("a").writeInt(2).writeString("b").writeInt(3);
//   const id = sendToolCall(now() + 5000);   // its message id (0: not sent, toolCallError() says why)
//   ...
//   // later, in onMessage: the answer names the call in inReplyTo
//   if (isToolReply(msg) && msg.inReplyTo == id) {
//     if (toolFailed(msg)) ... toolFailureCode(msg)            // the call did not run: a coded failure
//     else if (toolIsError(msg)) ... toolResultText(msg)       // it ran, and the tool reports an error
//     else ... toolResultText(msg), toolStructuredField(msg, "temperature")
//   }
//
// The request is a REQUEST to "$mcp" with content {tool: "server/name",
// arguments: {...}}; the answer comes in the same conversation, inReplyTo =
// the request's id: INFORM {content: [blocks], structuredContent?, isError}
// or FAILURE {code, message, hint}. listTools() sends a QUERY_REF, answered
// INFORM {tools: [{name, description, inputSchema}]}: what this agent may call.
//
// Allocation: the call is written straight into the outbox (no copy, nothing
// allocated); the readers work on the reply frame in place with one shared
// Reader. Only the helpers that return a `string` or `string[]` allocate
// (toolResultText, toolFailureCode, toolFailureMessage, listedTools); each has
// a non-allocating companion (writeToolResultText, toolFailureIs, toolListed).

import { BAD_FRAME, OK, UNKNOWN_DESTINATION } from "./abi";
import { lookupUncached } from "./agent";
import { Performative } from "./frame";
import { scratch } from "./memory";
import { Message } from "./message";
import { MsgpackType, Reader, Writer } from "./msgpack";
import { compose, dispatch, sentMessageId, setConversation, setParams } from "./outbox";

// Every agent links this file (index.ts exports it), so nothing here is
// created at start: the state is plain globals, and the Writer and Reader
// below are made at first use. An agent that calls no tool pays nothing.

/** Slot of the host's tool endpoint "$mcp", looked up at the first use (it never moves). */
let mcpSlot: i32 = UNKNOWN_DESTINATION;

function mcp(): i32 {
  if (mcpSlot < 0) mcpSlot = lookupUncached("$mcp");
  return mcpSlot;
}

// The call being composed with callTool(). The arguments are written straight
// into the outbox, so an agent never builds them twice.
let callOut: Writer | null = null;
/** Outbox position where the arguments value starts (-1: no call being composed). */
let callArgsAt: i32 = -1;
let callDest: i32 = UNKNOWN_DESTINATION;
let lastError: i32 = OK;

/** The {replyBy} params of a call: one small buffer, reused. */
let callParams: Writer | null = null;
/** The one Reader the reply helpers share (never the message's own contentReader). */
let sharedReader: Reader | null = null;

/** The shared Reader, on the content of `msg`. */
function contentOf(msg: Message): Reader {
  let r = sharedReader;
  if (r === null) sharedReader = r = new Reader();
  return r.reset(msg.contentBytesPtr, msg.contentBytesLen);
}

/**
 * Starts a call of `tool` ("server/name", e.g. "everything/get-sum"): returns
 * the outbox Writer, positioned where the arguments go. Write ONE value, the
 * arguments map (or nothing: no arguments), then `sendToolCall()`. Any other
 * send in between discards the call (as with compose()).
 */
export function callTool(tool: string): Writer {
  callDest = mcp();
  const w = compose(callDest < 0 ? 0 : callDest, Performative.REQUEST);
  w.writeMapHeader(2);
  w.writeString("tool");
  w.writeString(tool);
  w.writeString("arguments");
  callOut = w;
  callArgsAt = w.pos;
  return w;
}

/**
 * Sends the call composed with callTool(). `replyBy` (ms since the epoch, e.g.
 * `now() + 5000`; 0 = none) is the call's time limit: past it the answer is a
 * TOOL_TIMEOUT failure. The call goes in conversation (convLo, convHi), 0 =
 * none; its answer comes in the same one.
 * Returns the call's message id, which its answer carries as `inReplyTo`;
 * 0 when it was not sent: then toolCallError() gives the send error.
 */
export function sendToolCall(replyBy: f64 = 0, convLo: i32 = 0, convHi: i32 = 0): u64 {
  const w = callOut;
  if (w === null || callArgsAt < 0) return notSent(BAD_FRAME); // no callTool() before
  if (w.pos == callArgsAt) w.writeMapHeader(0); // nothing written: no arguments
  callOut = null;
  callArgsAt = -1;
  if (callDest < 0) return notSent(callDest);
  setConversation(convLo, convHi);
  if (replyBy > 0) {
    let p = callParams;
    if (p === null) callParams = p = new Writer(32);
    p.reset();
    p.writeMapHeader(1);
    p.writeString("replyBy");
    p.writeF64(replyBy);
    setParams(p.ptr, p.length);
  }
  return sent(dispatch());
}

/**
 * Asks "$mcp" which tools this agent may call (a QUERY_REF, in conversation
 * (convLo, convHi)). Its answer: read it with toolListed / listedTools.
 * Returns the message id as sendToolCall does (0: not sent, see toolCallError()).
 * Discards a call being composed.
 */
export function listTools(convLo: i32 = 0, convHi: i32 = 0): u64 {
  callOut = null;
  callArgsAt = -1;
  const dest = mcp();
  if (dest < 0) return notSent(dest);
  compose(dest, Performative.QUERY_REF).writeNil();
  setConversation(convLo, convHi);
  return sent(dispatch());
}

/**
 * Why the last sendToolCall / listTools returned 0: a send error (MAILBOX_FULL,
 * UNKNOWN_DESTINATION... see abi.ts; BAD_FRAME for a sendToolCall without
 * callTool), or OK (0) when it was sent.
 */
export function toolCallError(): i32 {
  return lastError;
}

function sent(rc: i32): u64 {
  if (rc < 0) {
    // "$mcp" never moves, but a stale slot must not stick.
    if (rc == UNKNOWN_DESTINATION) mcpSlot = UNKNOWN_DESTINATION;
    return notSent(rc);
  }
  lastError = OK;
  return sentMessageId();
}

function notSent(rc: i32): u64 {
  lastError = rc;
  return 0;
}

// ---------------------------------------------------------------------------
// Reading the answer

/** The slot of "$mcp" (UNKNOWN_DESTINATION if it cannot be found). */
export function toolEndpointSlot(): i32 {
  return mcp();
}

/** Whether `msg` comes from "$mcp": the answer to a call or to listTools (match it by `msg.inReplyTo`). */
export function isToolReply(msg: Message): bool {
  const s = mcp();
  return s >= 0 && msg.sender == s;
}

/**
 * Whether the call did not give a result: a FAILURE {code, message, hint}
 * (anything but INFORM). A tool that ran and reports an error is not a
 * failed call: see toolIsError.
 */
export function toolFailed(msg: Message): bool {
  return msg.performative != Performative.INFORM;
}

/** A Reader on the value of `key` in the failure {code, message, hint}, or null (not a failure, or no such string). */
function failureField(msg: Message, key: string): Reader | null {
  if (msg.performative == Performative.INFORM) return null;
  const r = contentOf(msg);
  if (!r.findKey(key) || r.peekType() != MsgpackType.STRING) return null;
  return r;
}

/** The failure code ("TOOL_NOT_ALLOWED", "TOOL_TIMEOUT"...; docs/errors.md), "" if `msg` is not a coded failure. Allocates. */
export function toolFailureCode(msg: Message): string {
  const r = failureField(msg, "code");
  return r === null ? "" : r.readString();
}

/** Whether `msg` is a failure with code `code`. Does not allocate. */
export function toolFailureIs(msg: Message, code: string): bool {
  const r = failureField(msg, "code");
  return r !== null && r.readStringEquals(code);
}

/** The failure's message (what went wrong, naming the tool), "" if none. Allocates. */
export function toolFailureMessage(msg: Message): string {
  const r = failureField(msg, "message");
  return r === null ? "" : r.readString();
}

/** Whether the tool ran and flagged its result as an error (INFORM with isError: true; the text says why). */
export function toolIsError(msg: Message): bool {
  if (msg.performative != Performative.INFORM) return false;
  const r = contentOf(msg);
  return r.findKey("isError") && r.peekType() == MsgpackType.BOOL && r.readBool();
}

/**
 * Walks the result's text blocks ({type: "text", text}; other blocks are
 * skipped). Returns their UTF-8 length joined with "\n"; copies them to
 * `dest` as well unless it is 0.
 */
function textBlocks(msg: Message, dest: usize): i32 {
  if (msg.performative != Performative.INFORM) return 0;
  const r = contentOf(msg);
  if (!r.findKey("content") || r.peekType() != MsgpackType.ARRAY) return 0;
  const n = r.readArrayHeader();
  let total = 0;
  let blocks = 0;
  for (let i = 0; i < n && !r.error; i++) {
    if (r.peekType() != MsgpackType.MAP) { r.skip(); continue; }
    const entries = r.readMapHeader();
    let isText = false;
    let textPtr: usize = 0;
    let textLen = -1;
    // Keys come in any order: note the text, decide once the block is read.
    for (let k = 0; k < entries && !r.error; k++) {
      if (r.readStringEquals("type")) {
        if (r.readStringEquals("text")) isText = true;
        else r.skip();
      } else if (r.readStringEquals("text")) {
        if (r.peekType() == MsgpackType.STRING) {
          textLen = r.readStringHeader();
          textPtr = r.pos;
          r.skipBytes(textLen);
        } else {
          r.skip();
        }
      } else {
        r.skip(); // the key
        r.skip(); // its value
      }
    }
    if (!isText || textLen < 0) continue;
    if (blocks > 0) {
      if (dest != 0) store<u8>(dest + <usize>total, 0x0a);
      total++;
    }
    if (dest != 0) memory.copy(dest + <usize>total, textPtr, <usize>textLen);
    total += textLen;
    blocks++;
  }
  return total;
}

/**
 * The text of the result: its text blocks joined with "\n" ("" if none, or if
 * the call failed). Allocates the string (only that: the blocks are joined
 * in the shared scratch area).
 */
export function toolResultText(msg: Message): string {
  const n = textBlocks(msg, 0);
  if (n == 0) return "";
  // The scratch area is safe here: the walk compares ASCII keys only, which
  // never touches it (memory.ts utf8Equals).
  const p = scratch(n);
  textBlocks(msg, p);
  return String.UTF8.decodeUnsafe(p, <usize>n);
}

/**
 * Writes the text of the result (as toolResultText) to `w` as ONE msgpack
 * string, e.g. into a reply being composed, without allocating.
 */
export function writeToolResultText(w: Writer, msg: Message): Writer {
  const n = textBlocks(msg, 0);
  w.writeStringHeader(n);
  if (n > 0) textBlocks(msg, w.reserve(n));
  return w;
}

/**
 * A Reader on the result's structuredContent map (not yet read: use
 * findKey, or readMapHeader to walk it), or null when there is none.
 * Shared with the other tool helpers: use it before calling another.
 */
export function toolStructuredContent(msg: Message): Reader | null {
  if (msg.performative != Performative.INFORM) return null;
  const r = contentOf(msg);
  if (!r.findKey("structuredContent") || r.peekType() != MsgpackType.MAP) return null;
  return r;
}

/**
 * A Reader on the value of `key` in structuredContent, or null when it is
 * absent: `const t = toolStructuredField(msg, "temperature"); if (t !== null) temperature = t.readF64();`
 * Shared as toolStructuredContent's. Each call scans the map from its start.
 */
export function toolStructuredField(msg: Message, key: string): Reader | null {
  const r = toolStructuredContent(msg);
  if (r === null || !r.findKey(key)) return null;
  return r;
}

/**
 * Walks the tools in the answer to listTools(): with `out` null, returns
 * whether one is named `name` (stopping there); else pushes every name to
 * `out` (which allocates them).
 */
function walkListed(msg: Message, name: string, out: string[] | null): bool {
  if (msg.performative != Performative.INFORM) return false;
  const r = contentOf(msg);
  if (!r.findKey("tools") || r.peekType() != MsgpackType.ARRAY) return false;
  const n = r.readArrayHeader();
  for (let i = 0; i < n && !r.error; i++) {
    if (r.peekType() != MsgpackType.MAP) { r.skip(); continue; }
    const entries = r.readMapHeader();
    for (let k = 0; k < entries && !r.error; k++) {
      if (!r.readStringEquals("name")) {
        r.skip(); // the key
        r.skip(); // its value
      } else if (r.peekType() != MsgpackType.STRING) {
        r.skip();
      } else if (out !== null) {
        out.push(r.readString());
      } else if (r.readStringEquals(name)) {
        return true;
      } else {
        r.skip();
      }
    }
  }
  return false;
}

/** Whether the answer to listTools() lists `tool` ("server/name"). Does not allocate. */
export function toolListed(msg: Message, tool: string): bool {
  return walkListed(msg, tool, null);
}

/** The names ("server/name") in the answer to listTools(). Allocates: off the hot path. */
export function listedTools(msg: Message): string[] {
  const out = new Array<string>(0);
  walkListed(msg, "", out);
  return out;
}
