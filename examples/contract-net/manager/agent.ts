// contract-net manager: delegates a task through the host's Contract Net service.
//   REQUEST <task>            (from anyone) -> asks "$contract-net" to run Contract Net for
//                                             `capability` with <task> as the CFP content
//   INFORM | FAILURE <outcome> (from "$contract-net") -> passes the outcome back to whoever
//                                             asked, as a reply to their request
// Config: { capability: string, deadlineMs?: int (default 1000), select?: string (default "lowest:price") }
// One task at a time per manager: a request that arrives while one runs is refused.
import {
  Config, Message, Performative, compose, contractNetSlot, dispatch, logLine, register, registerInit,
  replyString, setConversation, setInReplyTo, startContractNet,
} from "../../../sdk/assemblyscript/index";
export * from "../../../sdk/assemblyscript/exports";

let capability = "";
let deadlineMs: i32 = 1000;
let select = "lowest:price";

// the request being served
let busy = false;
let requester: i32 = -1;
let reqConvLo: i32 = 0;
let reqConvHi: i32 = 0;
let reqIdLo: i32 = 0;
let reqIdHi: i32 = 0;

function onInit(config: Config): i32 {
  capability = config.getString("capability");
  deadlineMs = <i32>config.getInt("deadlineMs", 1000);
  select = config.getString("select", "lowest:price");
  return capability.length > 0 ? 0 : -1;
}

function onMessage(msg: Message): i32 {
  const p = msg.performative;
  if (msg.sender == contractNetSlot() && (p == Performative.INFORM || p == Performative.FAILURE)) {
    if (!busy) return 0;
    busy = false;
    const w = compose(requester, p);
    w.writeRaw(msg.contentBytesPtr, msg.contentBytesLen);
    setConversation(reqConvLo, reqConvHi);
    setInReplyTo(reqIdLo, reqIdHi);
    const rc = dispatch();
    if (rc < 0) logLine().add("could not pass the outcome on: ").addInt(rc).warn();
    return rc < 0 ? rc : 0;
  }
  if (p == Performative.REQUEST) {
    if (busy) return clamp(replyString(msg, Performative.REFUSE, "a task is already being delegated"));
    requester = msg.sender;
    reqConvLo = msg.conversationIdLo;
    reqConvHi = msg.conversationIdHi;
    reqIdLo = msg.messageIdLo;
    reqIdHi = msg.messageIdHi;
    const rc = startContractNet(capability, msg.contentBytesPtr, msg.contentBytesLen, deadlineMs, select, reqConvLo, reqConvHi);
    if (rc < 0) return clamp(replyString(msg, Performative.FAILURE, "the contract-net service is not reachable"));
    busy = true;
    logLine().add("delegating to agents offering ").add(capability).info();
    return 0;
  }
  return 0;
}

function clamp(rc: i32): i32 {
  return rc < 0 ? rc : 0;
}

registerInit(onInit);
register(onMessage);
