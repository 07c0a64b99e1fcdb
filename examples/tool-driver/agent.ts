// tool-driver: an agent that keeps many tool calls in flight, as an agent
// doing real work would, for `caxton bench --scenario mcp` (decision 0020).
//
// A REQUEST {tool: "server/name", arguments: {...}, calls: N, inFlight: K}
// makes it call `tool` N times through the host's "$mcp", K at a time: each
// answer (INFORM or FAILURE) starts the next call until N have been answered.
// Then it replies INFORM {done, failed, notSent} to whoever asked, in their
// conversation. `failed` counts answers that were not a result (a FAILURE) or
// a result with isError; `notSent` calls the outbox refused (mailbox of $mcp
// full), which are not retried. One run at a time: a REQUEST during a run is
// refused with FAILURE "busy".
//
// The arguments are copied once from the request and written into every call
// as raw bytes: nothing is allocated per call.
import {
  Message, Performative, callTool, compose, dispatch, isToolReply, register, sendToolCall, setConversation,
  setInReplyTo, toolFailed, toolIsError, replyString,
} from "../../sdk/assemblyscript/index";
import { Reader } from "../../sdk/assemblyscript/msgpack";
export * from "../../sdk/assemblyscript/exports";

let tool = "";
/** the arguments, msgpack, copied from the request */
let args = new ArrayBuffer(0);
let total: i32 = 0;
let inFlightLimit: i32 = 1;
let started: i32 = 0;
let answered: i32 = 0;
let failed: i32 = 0;
let notSent: i32 = 0;
let running = false;

// Who asked for the run: the answer goes to them.
let askerSlot: i32 = 0;
let askerIdLo: i32 = 0;
let askerIdHi: i32 = 0;
let askerConvLo: i32 = 0;
let askerConvHi: i32 = 0;

const reader = new Reader();

/** Starts one call; false when the outbox refused it. */
function startCall(): bool {
  started++;
  callTool(tool).writeRaw(changetype<usize>(args), args.byteLength);
  if (sendToolCall() == 0) {
    notSent++;
    answered++;
    return false;
  }
  return true;
}

function finish(): i32 {
  running = false;
  const w = compose(askerSlot, Performative.INFORM);
  w.writeMapHeader(3);
  w.writeString("done").writeInt(answered - failed - notSent);
  w.writeString("failed").writeInt(failed);
  w.writeString("notSent").writeInt(notSent);
  setConversation(askerConvLo, askerConvHi);
  setInReplyTo(askerIdLo, askerIdHi);
  const rc = dispatch();
  return rc < 0 ? rc : 0;
}

function onAnswer(msg: Message): i32 {
  if (!running) return 0;
  answered++;
  if (toolFailed(msg) || toolIsError(msg)) failed++;
  return fill();
}

/**
 * Keeps inFlightLimit calls going. A refused call stops the filling while
 * others are in flight (their answers resume it); with none in flight it is
 * counted and the next one tried, so a run always ends.
 */
function fill(): i32 {
  while (started < total && started - answered < inFlightLimit) {
    if (!startCall() && started - answered > 0) break;
  }
  return answered >= total ? finish() : 0;
}

function onMessage(msg: Message): i32 {
  if (isToolReply(msg)) return onAnswer(msg);
  if (msg.performative != Performative.REQUEST) return 0;
  if (running) return replyString(msg, Performative.FAILURE, "busy");

  const r = reader.reset(msg.contentBytesPtr, msg.contentBytesLen);
  const n = r.readMapHeader();
  tool = "";
  args = new ArrayBuffer(0);
  total = 0;
  inFlightLimit = 1;
  for (let i = 0; i < n && !r.error; i++) {
    const key = r.readString();
    if (key == "tool") tool = r.readString();
    else if (key == "calls") total = <i32>r.readInt();
    else if (key == "inFlight") inFlightLimit = <i32>r.readInt();
    else if (key == "arguments") {
      const from = r.pos;
      r.skip();
      const len = <i32>(r.pos - from);
      args = new ArrayBuffer(len);
      memory.copy(changetype<usize>(args), from, len);
    } else r.skip();
  }
  if (r.error || tool.length == 0 || total <= 0 || inFlightLimit <= 0) {
    return replyString(msg, Performative.NOT_UNDERSTOOD, "send {tool, arguments, calls: N > 0, inFlight: K > 0}");
  }
  askerSlot = msg.sender;
  askerIdLo = msg.messageIdLo;
  askerIdHi = msg.messageIdHi;
  askerConvLo = msg.conversationIdLo;
  askerConvHi = msg.conversationIdHi;
  started = answered = failed = notSent = 0;
  running = true;
  return fill();
}

register(onMessage);
