// fan-out: forwards every message (same performative, params, content and
// conversation) to every agent named in `targets`; replies nothing.
// If a target's mailbox is full it logs a warning and returns MAILBOX_FULL (-3),
// so the host dead-letters the input (after the other targets got it).
// Config: { targets: string[] }
import {
  AgentRef, Config, MAILBOX_FULL, Message, logLine, register, registerInit,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

let targets = new Array<AgentRef>(0);

function onInit(config: Config): i32 {
  const names = config.getStringArray("targets");
  targets = new Array<AgentRef>(names.length);
  for (let i = 0; i < names.length; i++) targets[i] = new AgentRef(names[i]); // resolved at first use
  return 0;
}

function onMessage(msg: Message): i32 {
  let result: i32 = 0;
  const n = targets.length;
  for (let i = 0; i < n; i++) {
    const t = unchecked(targets[i]);
    const rc = t.forward(msg);
    if (rc < 0) {
      if (rc == MAILBOX_FULL) logLine().add("fan-out: mailbox of ").add(t.name).add(" is full").warn();
      else logLine().add("fan-out: send to ").add(t.name).add(" failed: ").addInt(rc).warn();
      if (result == 0) result = rc;
    }
  }
  return result;
}

registerInit(onInit);
register(onMessage);
