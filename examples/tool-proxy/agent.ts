// tool-proxy: hands a request to the host's tool endpoint "$mcp" and its answer
// back. A REQUEST ({tool: "server/name", arguments: {...}}) or a QUERY_REF
// from anyone but $mcp is forwarded to $mcp as it is (content, conversation);
// the answer from $mcp (INFORM with the tool's result, or FAILURE with a
// coded reason: docs/mcp.md) goes back to whoever asked, unchanged. Used by
// the tests and `caxton bench --scenario mcp` to drive tool calls through an
// agent; examples/tool-user shows an agent that acts on a result.
import {
  AgentRef, Message, Performative, compose, dispatch, forwardAs, logLine, register, sentMessageId, setConversation, setInReplyTo,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

const mcp = new AgentRef("$mcp");
/** who asked, and the id of their request (the answer names it in in-reply-to) */
class Asker {
  constructor(public slot: i32, public idLo: i32, public idHi: i32) {}
}

/** requests forwarded to $mcp and not yet answered, by the forwarded message's id */
const waiting = new Map<u64, Asker>();

function onMessage(msg: Message): i32 {
  const tools = mcp.resolve();
  if (tools >= 0 && msg.sender == tools) {
    const id = msg.inReplyTo;
    if (!waiting.has(id)) {
      logLine().add("tool-proxy: an answer from $mcp that no request waits for").warn();
      return 0;
    }
    const asker = waiting.get(id);
    waiting.delete(id);
    // The answer as it came (performative, content bytes), addressed as the answer to the asker's request.
    compose(asker.slot, msg.performative).writeRaw(msg.contentBytesPtr, msg.contentBytesLen);
    setConversation(msg.conversationIdLo, msg.conversationIdHi);
    setInReplyTo(asker.idLo, asker.idHi);
    const rc = dispatch();
    return rc < 0 ? rc : 0;
  }
  const p = msg.performative;
  if (p != Performative.REQUEST && p != Performative.QUERY_REF) return 0;
  if (tools < 0) return tools;
  const rc = forwardAs(msg, tools, p);
  if (rc < 0) return rc;
  waiting.set(sentMessageId(), new Asker(msg.sender, msg.messageIdLo, msg.messageIdHi));
  return 0;
}

register(onMessage);
