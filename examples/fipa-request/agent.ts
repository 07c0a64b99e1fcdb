// fipa-request: both roles of the FIPA Request protocol, with a reply-by.
//   As initiator: REQUEST "go <action>" from anyone (outside any protocol) -> request(peer,
//     <action>, reply-by = now + replyByMs); every answer in that conversation (agree, inform,
//     refuse, failure, not-understood, or the host's time-out failure) is reported to
//     `reportTo` as INFORM "<performative>[ (timeout)]".
//   As participant (a REQUEST in fipa-request): "slow" -> agree, then nothing (the initiator
//     times out); "refuse" -> refuse; "break" -> a propose (breaks the protocol: the host
//     refuses to send it); anything else -> agree, then inform "done".
// Config: { peer?: string, reportTo?: string, replyByMs?: int (default 200) }
import {
  AgentRef, Config, Message, Performative, Protocol, agree, informDone, logLine, now, propose,
  refuse, register, registerInit, request, performativeName,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let peer = new AgentRef("");
let reportTo = new AgentRef("");
let replyByMs: f64 = 200;

function onInit(config: Config): i32 {
  peer = new AgentRef(config.getString("peer"));
  reportTo = new AgentRef(config.getString("reportTo"));
  replyByMs = <f64>config.getInt("replyByMs", 200);
  return 0;
}

function report(what: string): void {
  const rc = reportTo.send(Performative.INFORM, what);
  if (rc < 0) logLine().add("report failed: ").addInt(rc).warn();
}

function onMessage(msg: Message): i32 {
  const p = msg.performative;
  if (msg.protocol == Protocol.NONE) {
    if (p == Performative.REQUEST && msg.contentString().startsWith("go ")) {
      const rc = request(peer.resolve(), msg.contentString().substring(3), now() + replyByMs);
      if (rc < 0) report("send failed " + rc.toString());
    }
    return 0;
  }
  if (msg.protocol != Protocol.REQUEST) return 0;
  if (p == Performative.REQUEST) {
    const action = msg.contentString();
    if (action == "refuse") return clamp(refuse(msg, "not today"));
    if (action == "break") {
      const rc = propose<string>(msg, "this is not how fipa-request goes");
      report(rc == -7 ? "send refused: protocol violation" : "break sent " + rc.toString());
      return 0;
    }
    const rc = agree(msg);
    if (rc < 0 || action == "slow") return clamp(rc);
    return clamp(informDone(msg));
  }
  // the initiator's side: report every answer
  report(performativeName(p) + (msg.hostGenerated ? " (timeout)" : ""));
  return 0;
}

function clamp(rc: i32): i32 {
  return rc < 0 ? rc : 0;
}

registerInit(onInit);
register(onMessage);
