// contract-net contractor: answers calls for proposals.
//   CFP               -> PROPOSE {price} (or REFUSE "busy" when config.refuse)
//   ACCEPT_PROPOSAL   -> INFORM {result, price, by} (or FAILURE when config.failAfterAccept)
//   REJECT_PROPOSAL   -> nothing
//   REQUEST, QUERY_*  -> NOT_UNDERSTOOD; informational messages (INFORM, FAILURE,
//                        NOT_UNDERSTOOD...) are never answered, so two agents cannot
//                        bounce not-understood forever
// Config: { price: number, refuse?: bool, failAfterAccept?: bool, name?: string,
//           capability?: string (registered with the directory at start) }
import {
  Config, Message, Performative, composeReply, dispatch, register, registerCapability, registerInit, replyString,
} from "../../../sdk/assemblyscript/index";
export * from "../../../sdk/assemblyscript/exports";

let price: f64 = 0;
let refuse = false;
let failAfterAccept = false;
let name = "";

function onInit(config: Config): i32 {
  price = config.getF64("price", 0);
  refuse = config.getBool("refuse", false);
  failAfterAccept = config.getBool("failAfterAccept", false);
  name = config.getString("name", "contractor");
  const capability = config.getString("capability");
  if (capability.length > 0 && registerCapability(capability) < 0) return -1;
  return 0;
}

function onMessage(msg: Message): i32 {
  const p = msg.performative;
  if (p == Performative.CFP) {
    if (refuse) return clamp(replyString(msg, Performative.REFUSE, "busy"));
    const w = composeReply(msg, Performative.PROPOSE);
    w.writeMapHeader(1);
    w.writeString("price");
    w.writeF64(price);
    return clamp(dispatch());
  }
  if (p == Performative.ACCEPT_PROPOSAL) {
    if (failAfterAccept) return clamp(replyString(msg, Performative.FAILURE, "could not complete the task"));
    const w = composeReply(msg, Performative.INFORM);
    w.writeMapHeader(3);
    w.writeString("result");
    w.writeString("done");
    w.writeString("price");
    w.writeF64(price);
    w.writeString("by");
    w.writeString(name);
    return clamp(dispatch());
  }
  if (p == Performative.REJECT_PROPOSAL) return 0;
  if (p != Performative.REQUEST && p != Performative.QUERY_IF && p != Performative.QUERY_REF) return 0;
  return clamp(replyString(msg, Performative.NOT_UNDERSTOOD, "a contractor understands cfp, accept-proposal and reject-proposal"));
}

// A refused reply is reported to the host (the input is dead-lettered).
function clamp(rc: i32): i32 {
  return rc < 0 ? rc : 0;
}

registerInit(onInit);
register(onMessage);
