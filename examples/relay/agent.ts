// relay: passes a token around a ring until its deadline.
// Content = float64 deadline (ms since epoch). Before the deadline: forward the
// frame to `next` as INFORM (content bytes copied, not re-encoded). At or after
// it: CONFIRM with the same content to `reportTo`. If `next`'s mailbox is full:
// FAILURE with the same content to `reportTo` (the token ends) and a warning.
// Config: { next: string, reportTo: string }
import {
  AgentRef, Config, MAILBOX_FULL, Message, Performative, logLine, now, register, registerInit,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let next = new AgentRef("");
let reportTo = new AgentRef("");

function onInit(config: Config): i32 {
  next = new AgentRef(config.getString("next"));
  reportTo = new AgentRef(config.getString("reportTo"));
  return 0;
}

function onMessage(msg: Message): i32 {
  const deadline = msg.contentF64();
  if (isNaN(deadline)) {
    logLine().add("relay: content is not a float64 deadline, message ignored").debug();
    return 0;
  }
  if (now() < deadline) {
    const rc = next.forwardAs(msg, Performative.INFORM);
    if (rc == 0) return 0;
    if (rc == MAILBOX_FULL) {
      logLine().add("relay: mailbox of ").add(next.name).add(" is full, token ends").warn();
      const frc = reportTo.forwardAs(msg, Performative.FAILURE);
      return frc < 0 ? frc : 0;
    }
    return rc;
  }
  const rc = reportTo.forwardAs(msg, Performative.CONFIRM);
  return rc < 0 ? rc : 0;
}

registerInit(onInit);
register(onMessage);
