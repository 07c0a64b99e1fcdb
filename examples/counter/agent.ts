// counter: keeps an integer. REQUEST <int n> adds n, REQUEST "inc" adds 1, then
// replies INFORM <new count> (an integral float64 counts as an int, since
// JavaScript encoders write big integers that way); QUERY_REF replies INFORM <count>; anything else
// gets NOT_UNDERSTOOD. Config: { start?: int } (default 0).
import {
  Config, Message, MsgpackType, Performative, register, registerInit, reply,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let count: i64 = 0;

function onInit(config: Config): i32 {
  count = config.getInt("start", 0);
  return 0;
}

// JavaScript encoders (msgpackr) write integers beyond 32 bits as float64.
function isIntegral(f: f64): bool {
  return isFinite(f) && Math.floor(f) == f;
}

function onMessage(msg: Message): i32 {
  let rc: i32;
  const p = msg.performative;
  if (p == Performative.REQUEST) {
    const t = msg.contentType();
    if (t == MsgpackType.INT || (t == MsgpackType.FLOAT && isIntegral(msg.contentF64()))) {
      count += msg.contentInt();
      rc = reply(msg, Performative.INFORM, count);
    } else if (msg.contentIs("inc")) {
      count += 1;
      rc = reply(msg, Performative.INFORM, count);
    } else {
      rc = reply(msg, Performative.NOT_UNDERSTOOD, "counter: a REQUEST must carry an integer or the string \"inc\"");
    }
  } else if (p == Performative.QUERY_REF) {
    rc = reply(msg, Performative.INFORM, count);
  } else {
    rc = reply(msg, Performative.NOT_UNDERSTOOD, "counter understands REQUEST (integer or \"inc\") and QUERY_REF");
  }
  return rc < 0 ? rc : 0; // a reply refused by the host dead-letters the input
}

registerInit(onInit);
register(onMessage);
