// contract-net decider: picks the winner of a Contract Net task for the host's
// Contract Net service (select: "agent:<this agent's name>").
//   REQUEST {proposals: [{agent, content}, ...]} -> INFORM {winner: <agent>}
//   the proposal of `prefer` when there is one, else the last proposal listed.
// Config: { prefer?: string }
import {
  Config, Message, Performative, composeReply, dispatch, failure, register, registerInit,
} from "../../../sdk/assemblyscript/index";
export * from "../../../sdk/assemblyscript/exports";

let prefer = "";

function onInit(config: Config): i32 {
  prefer = config.getString("prefer");
  return 0;
}

function onMessage(msg: Message): i32 {
  if (msg.performative != Performative.REQUEST) return 0;
  const r = msg.contentReader();
  if (!r.findKey("proposals")) return clamp(failure(msg, "expected a request {proposals: [{agent, content}]}"));
  const n = r.readArrayHeader();
  let chosen = "";
  for (let i = 0; i < n && !r.error; i++) {
    const fields = r.readMapHeader();
    let agent = "";
    for (let j = 0; j < fields && !r.error; j++) {
      if (r.readStringEquals("agent")) {
        agent = r.readString();
      } else {
        r.skip(); // key
        r.skip(); // value
      }
    }
    if (chosen != prefer || chosen.length == 0) chosen = agent;
  }
  if (r.error || chosen.length == 0) return clamp(failure(msg, "no proposal to choose from"));
  const w = composeReply(msg, Performative.INFORM);
  w.writeMapHeader(1);
  w.writeString("winner");
  w.writeString(chosen);
  return clamp(dispatch());
}

function clamp(rc: i32): i32 {
  return rc < 0 ? rc : 0;
}

registerInit(onInit);
register(onMessage);
