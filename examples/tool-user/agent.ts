// tool-user ("forecaster" in fleet.yaml): calls an MCP tool and acts on its
// result. A REQUEST naming a city ("Chicago", or {location: "Chicago"}) makes
// it ask the tool everything/get-structured-content (the weather there, from
// @modelcontextprotocol/server-everything) through the host's "$mcp"; when the
// answer comes, it replies to whoever asked, in their conversation:
//
//   INFORM  {location, decision: "go" | "postpone", reason, temperature, conditions}
//   FAILURE {code, location, message}   code: the tool failure code (TOOL_NOT_ALLOWED,
//           TOOL_ARGUMENTS_INVALID, TOOL_TIMEOUT...: docs/errors.md), or
//           WEATHER_TOOL_ERROR (the tool ran and reported an error),
//           WEATHER_UNREADABLE (no temperature/conditions in its result),
//           TOOL_CALL_NOT_SENT (the call could not be sent to $mcp)
//
// The answer to a call comes in a later onMessage, so each call in flight is
// kept, by its message id (the answer's inReplyTo), with what is needed to
// answer the asker then: many can be in flight at once.
//
// Config (all optional): tool (default "everything/get-structured-content"),
// timeoutMs (the call's reply-by, default 5000), coldBelow (below this
// temperature the decision is "postpone", default 50).
import {
  Config, Message, MsgpackType, Performative, Writer, callTool, compose, dispatch, isToolReply, logLine, now, register,
  registerInit, replyString, sendToolCall, setConversation, setInReplyTo, setProtocol, toolCallError,
  toolFailed, toolFailureCode, toolFailureMessage, toolIsError, toolStructuredField, writeToolResultText,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let tool = "everything/get-structured-content";
let timeoutMs: f64 = 5000;
let coldBelow: f64 = 50;

function onInit(config: Config): i32 {
  tool = config.getString("tool", tool);
  timeoutMs = config.getF64("timeoutMs", timeoutMs);
  coldBelow = config.getF64("coldBelow", coldBelow);
  return 0;
}

/** A request waiting for its tool call's answer: who asked, and the ids to answer them with. */
class Asked {
  constructor(
    public slot: i32,
    public idLo: i32, public idHi: i32,
    public convLo: i32, public convHi: i32,
    public protocol: i32,
    /** the city, kept for the answer (one small string per request) */
    public location: string,
  ) {}
}

/** Calls in flight, by the call's message id. */
const inFlight = new Map<u64, Asked>();

function onMessage(msg: Message): i32 {
  if (isToolReply(msg)) return onToolAnswer(msg);
  if (msg.performative != Performative.REQUEST) return 0;

  // The city: the content itself, or its "location".
  const r = msg.contentReader();
  if (r.peekType() == MsgpackType.MAP && !r.findKey("location")) r.reset(0, 0);
  if (r.peekType() != MsgpackType.STRING) {
    return replyString(msg, Performative.NOT_UNDERSTOOD, "send a city: \"Chicago\" or {\"location\": \"Chicago\"}");
  }
  const asked = new Asked(msg.sender, msg.messageIdLo, msg.messageIdHi, msg.conversationIdLo, msg.conversationIdHi, msg.protocol, r.readString());

  // {location}: the tool's input schema lists the cities it knows; one it
  // does not know comes back as a TOOL_ARGUMENTS_INVALID failure.
  callTool(tool).writeMapHeader(1).writeString("location").writeString(asked.location);
  // In the asker's conversation, so that `caxton logs --conversation` shows the call too.
  const id = sendToolCall(now() + timeoutMs, msg.conversationIdLo, msg.conversationIdHi);
  if (id == 0) {
    logLine().add("tool-user: could not call ").add(tool).add(", send error ").addInt(toolCallError()).warn();
    writeFailure(answerTo(asked, Performative.FAILURE), "TOOL_CALL_NOT_SENT", asked.location)
      .writeString("the tool call could not be sent to $mcp (its mailbox is full?); try again");
    return dispatchAnswer();
  }
  inFlight.set(id, asked);
  return 0;
}

function onToolAnswer(msg: Message): i32 {
  const id = msg.inReplyTo;
  if (!inFlight.has(id)) {
    logLine().add("tool-user: an answer from $mcp that no call waits for").warn();
    return 0;
  }
  const asked = inFlight.get(id);
  inFlight.delete(id);

  if (toolFailed(msg)) {
    // The call did not run (not allowed, bad arguments, time-out, server down...): pass its code on.
    const code = toolFailureCode(msg);
    const w = answerTo(asked, Performative.FAILURE);
    writeFailure(w, code.length > 0 ? code : "TOOL_ERROR", asked.location).writeString(toolFailureMessage(msg));
    return dispatchAnswer();
  }
  if (toolIsError(msg)) {
    // It ran, and says it could not do it: its text says why.
    writeToolResultText(writeFailure(answerTo(asked, Performative.FAILURE), "WEATHER_TOOL_ERROR", asked.location), msg);
    return dispatchAnswer();
  }

  // structuredContent: {temperature, conditions, humidity}
  const t = toolStructuredField(msg, "temperature");
  const temperature = t === null ? NaN : t.readF64();
  const c = toolStructuredField(msg, "conditions");
  const conditionsLen = c === null ? -1 : c.readStringHeader();
  if (isNaN(temperature) || conditionsLen < 0) {
    writeToolResultText(writeFailure(answerTo(asked, Performative.FAILURE), "WEATHER_UNREADABLE", asked.location), msg);
    return dispatchAnswer();
  }
  // The conditions' bytes stay in the answer's frame: read in place, copied once into the reply.
  const conditionsPtr = c!.pos;
  const rain = containsAscii(conditionsPtr, conditionsLen, "rain");
  const cold = temperature < coldBelow;

  const w = answerTo(asked, Performative.INFORM);
  w.writeMapHeader(5);
  w.writeString("location").writeString(asked.location);
  w.writeString("decision").writeString(rain || cold ? "postpone" : "go");
  w.writeString("reason").writeString(rain ? "rain" : cold ? "too cold" : "dry and warm enough");
  w.writeString("temperature").writeF64(temperature);
  w.writeString("conditions").writeStringBytes(conditionsPtr, conditionsLen);
  return dispatchAnswer();
}

/** Starts the answer to a request handled earlier (as composeReply would have, then). */
function answerTo(a: Asked, performative: i32): Writer {
  const w = compose(a.slot, performative);
  setConversation(a.convLo, a.convHi);
  setInReplyTo(a.idLo, a.idHi);
  setProtocol(a.protocol);
  return w;
}

/** Writes {code, location, message: <next value>}: the caller writes the message. */
function writeFailure(w: Writer, code: string, location: string): Writer {
  w.writeMapHeader(3);
  w.writeString("code").writeString(code);
  w.writeString("location").writeString(location);
  w.writeString("message");
  return w;
}

function dispatchAnswer(): i32 {
  const rc = dispatch();
  if (rc < 0) logLine().add("tool-user: could not answer, send error ").addInt(rc).warn();
  return rc < 0 ? rc : 0;
}

/** Whether the `len` bytes at `ptr` contain `word` (ASCII, any case). No allocation. */
function containsAscii(ptr: usize, len: i32, word: string): bool {
  const n = word.length;
  for (let i = 0; i + n <= len; i++) {
    let j = 0;
    for (; j < n; j++) {
      let b = <u32>load<u8>(ptr + <usize>(i + j));
      if (b >= 0x41 && b <= 0x5a) b += 0x20; // to lower case
      if (b != <u32>word.charCodeAt(j)) break;
    }
    if (j == n) return true;
  }
  return false;
}

registerInit(onInit);
register(onMessage);
