// tool-user/probe (dist/agents/tool-user-probe.wasm): drives each tool helper
// of the SDK (sdk/assemblyscript/tools.ts) for test/mcp/sdk-tools.test.ts.
// A REQUEST whose content names a scenario makes one call to "$mcp"; its
// answer is reported back to the asker as INFORM with what every reader
// helper makes of it:
//   {scenario, sameConversation, failed, code, codeIs, message, isError,
//    text, textAlloc, temperature, conditions, structuredKeys, tools, listsSum, listsEcho}
// Scenarios (tools of @modelcontextprotocol/server-everything):
//   sum      get-sum {a: 2, b: 3.5}
//   image    get-tiny-image, no arguments (text, image, text blocks)
//   error    get-resource-reference {resourceId: 0} (the tool reports isError)
//   weather  get-structured-content {location: "Los Angeles"} (structuredContent)
//   slow     trigger-long-running-operation {duration: 5, steps: 1}, reply-by in 200 ms
//   echo     echo {message: "hi"} (refused unless the allow-list names it)
//   list     listTools()
//   unsent   sendToolCall() without callTool(): answered at once {notSent: toolCallError()}
import {
  Message, Performative, Writer, callTool, compose, dispatch, isToolReply, listTools, listedTools, now,
  register, replyInt, replyString, sendToolCall, setConversation, setInReplyTo, toolCallError, toolFailed,
  toolFailureCode, toolFailureIs, toolFailureMessage, toolIsError, toolListed, toolResultText, toolStructuredContent,
  toolStructuredField, writeToolResultText,
} from "../../../sdk/assemblyscript/index";
export * from "../../../sdk/assemblyscript/exports";

class Asked {
  constructor(public slot: i32, public idLo: i32, public idHi: i32, public convLo: i32, public convHi: i32, public scenario: string) {}
}

const inFlight = new Map<u64, Asked>();

function onMessage(msg: Message): i32 {
  if (isToolReply(msg)) return report(msg);
  if (msg.performative != Performative.REQUEST) return 0;
  const scenario = msg.contentString();
  let id: u64 = 0;
  if (scenario == "sum") {
    callTool("everything/get-sum").writeMapHeader(2).writeString("a").writeInt(2).writeString("b").writeF64(3.5);
    id = sendToolCall(0, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "image") {
    callTool("everything/get-tiny-image");
    id = sendToolCall(0, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "error") {
    callTool("everything/get-resource-reference").writeMapHeader(1).writeString("resourceId").writeInt(0);
    id = sendToolCall(0, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "weather") {
    callTool("everything/get-structured-content").writeMapHeader(1).writeString("location").writeString("Los Angeles");
    id = sendToolCall(0, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "slow") {
    callTool("everything/trigger-long-running-operation").writeMapHeader(2).writeString("duration").writeInt(5).writeString("steps").writeInt(1);
    id = sendToolCall(now() + 200, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "echo") {
    callTool("everything/echo").writeMapHeader(1).writeString("message").writeString("hi");
    id = sendToolCall(0, msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "list") {
    id = listTools(msg.conversationIdLo, msg.conversationIdHi);
  } else if (scenario == "unsent") {
    sendToolCall();
    return replyInt(msg, Performative.INFORM, toolCallError());
  } else {
    return replyString(msg, Performative.NOT_UNDERSTOOD, "no such scenario");
  }
  if (id == 0) return replyInt(msg, Performative.FAILURE, toolCallError());
  inFlight.set(id, new Asked(msg.sender, msg.messageIdLo, msg.messageIdHi, msg.conversationIdLo, msg.conversationIdHi, scenario));
  return 0;
}

function report(msg: Message): i32 {
  const id = msg.inReplyTo;
  if (!inFlight.has(id)) return 0;
  const a = inFlight.get(id);
  inFlight.delete(id);

  // Everything that allocates is read before the outbox is written, to keep it simple.
  const code = toolFailureCode(msg);
  const message = toolFailureMessage(msg);
  const textAlloc = toolResultText(msg);
  const tools = a.scenario == "list" ? listedTools(msg) : new Array<string>(0);
  const t = toolStructuredField(msg, "temperature");
  const temperature = t === null ? NaN : t.readF64();
  const c = toolStructuredField(msg, "conditions");
  const conditions = c === null ? "" : c.readString();
  const s = toolStructuredContent(msg);
  const structuredKeys = s === null ? -1 : s.readMapHeader();

  const w = compose(a.slot, Performative.INFORM);
  setConversation(a.convLo, a.convHi);
  setInReplyTo(a.idLo, a.idHi);
  w.writeMapHeader(15);
  w.writeString("scenario").writeString(a.scenario);
  w.writeString("sameConversation").writeBool(msg.conversationIdLo == a.convLo && msg.conversationIdHi == a.convHi);
  w.writeString("failed").writeBool(toolFailed(msg));
  w.writeString("code").writeString(code);
  w.writeString("codeIs").writeBool(code.length > 0 && toolFailureIs(msg, code) && !toolFailureIs(msg, "TOOL_SOMETHING_ELSE"));
  w.writeString("message").writeString(message);
  w.writeString("isError").writeBool(toolIsError(msg));
  writeToolResultText(w.writeString("text"), msg);
  w.writeString("textAlloc").writeString(textAlloc);
  w.writeString("temperature");
  if (isNaN(temperature)) w.writeNil(); else w.writeF64(temperature);
  w.writeString("conditions").writeString(conditions);
  w.writeString("structuredKeys").writeInt(structuredKeys);
  writeNames(w.writeString("tools"), tools);
  w.writeString("listsSum").writeBool(toolListed(msg, "everything/get-sum"));
  w.writeString("listsEcho").writeBool(toolListed(msg, "everything/echo"));
  const rc = dispatch();
  return rc < 0 ? rc : 0;
}

function writeNames(w: Writer, names: string[]): void {
  w.writeArrayHeader(names.length);
  for (let i = 0; i < names.length; i++) w.writeString(names[i]);
}

register(onMessage);
