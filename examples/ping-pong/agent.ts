// ping-pong: measures round trips with a peer running the same code.
//   REQUEST "start"    -> QUERY_IF <now() as float64> to `peer` (a ping)
//   QUERY_IF <x>       -> reply INFORM <x> (the pong side)
//   INFORM <float64 t> -> records (now() - t) * 1000 (microseconds); every `reportEvery`
//                         pongs sends INFORM [rtt, rtt, ...] (array of float64) to `reportTo`;
//                         next ping until `rounds` pongs, then CONFIRM "done" to `reportTo`.
// Config: { peer: string, reportTo: string, rounds: int, reportEvery?: int (1..1024, default 1) }
//
// Reporting in batches keeps the reporter's thread asleep during the measured
// round trips, so the numbers are the two agents' and the bus's, not a third
// thread's competing for the same cores.
import {
  AgentRef, compose, dispatch, Config, MAILBOX_FULL, Message, MsgpackType, Performative, logLine, now, register,
  registerInit, replyRaw,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let peer = new AgentRef("");
let reportTo = new AgentRef("");
let rounds: i32 = 1;
let pongs: i32 = 0;
let reportEvery: i32 = 1;
const pending = new StaticArray<f64>(1024);
let pendingCount: i32 = 0;

// Sends the recorded round trips as one INFORM [f64, ...] and empties the buffer.
function flushReports(): i32 {
  if (pendingCount == 0) return 0;
  const dest = reportTo.resolve();
  if (dest < 0) return dest;
  const w = compose(dest, Performative.INFORM);
  w.writeArrayHeader(pendingCount);
  for (let i = 0; i < pendingCount; i++) w.writeF64(unchecked(pending[i]));
  pendingCount = 0;
  return dispatch();
}

function onInit(config: Config): i32 {
  peer = new AgentRef(config.getString("peer"));
  reportTo = new AgentRef(config.getString("reportTo"));
  rounds = <i32>config.getInt("rounds", 1);
  reportEvery = <i32>config.getInt("reportEvery", 1);
  if (reportEvery < 1 || reportEvery > 1024) return -1;
  return 0;
}

function ping(): i32 {
  const rc = peer.send(Performative.QUERY_IF, now());
  if (rc < 0) logLine().add("ping to ").add(peer.name).add(" failed: ").addInt(rc).warn();
  return rc;
}

function onMessage(msg: Message): i32 {
  const p = msg.performative;
  if (p == Performative.QUERY_IF) {
    const rc = replyRaw(msg, Performative.INFORM, msg.contentBytesPtr, msg.contentBytesLen);
    return rc < 0 ? rc : 0;
  }
  if (p == Performative.INFORM && msg.contentType() == MsgpackType.FLOAT) {
    const rtt = now() - msg.contentF64();
    unchecked(pending[pendingCount++] = rtt * 1000.0);
    pongs++;
    let rc = 0;
    if (pendingCount >= reportEvery || pongs >= rounds) rc = flushReports();
    if (pongs < rounds) {
      const prc = ping();
      if (prc < 0) rc = prc;
    } else {
      const drc = reportTo.send(Performative.CONFIRM, "done");
      if (drc < 0) rc = drc;
    }
    if (rc == MAILBOX_FULL) logLine().add("report to ").add(reportTo.name).add(" refused: mailbox full").warn();
    return rc < 0 ? rc : 0;
  }
  if (p == Performative.REQUEST && msg.contentIs("start")) {
    pongs = 0;
    pendingCount = 0;
    const rc = ping();
    return rc < 0 ? rc : 0;
  }
  return 0; // anything else is ignored
}

registerInit(onInit);
register(onMessage);
