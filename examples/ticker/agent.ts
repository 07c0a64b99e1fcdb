// ticker: timers demo. Every `periodMs` ms sends INFORM <tick number: 1, 2, ...>
// to `reportTo`, `count` times, then stops. Incoming messages are ignored.
// Config: { periodMs: int, reportTo: string, count: int }
import {
  AgentRef, Config, Message, Performative, logLine, register, registerInit, registerTimer,
  setTimer,
} from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

const TICK: i32 = 1; // timer token

let periodMs: i32 = 1000;
let count: i32 = 0;
let ticks: i32 = 0;
let reportTo = new AgentRef("");

function onInit(config: Config): i32 {
  periodMs = <i32>config.getInt("periodMs", 1000);
  count = <i32>config.getInt("count", 10);
  reportTo = new AgentRef(config.getString("reportTo"));
  if (periodMs < 0) periodMs = 0;
  if (count > 0) {
    const id = setTimer(periodMs, TICK);
    if (id < 0) return id; // TOO_MANY_TIMERS: refuse to start
  }
  return 0;
}

function onTimer(token: i32): void {
  if (token != TICK) return;
  ticks++;
  const rc = reportTo.send(Performative.INFORM, ticks);
  if (rc < 0) logLine().add("ticker: tick ").addInt(ticks).add(" not delivered: ").addInt(rc).warn();
  if (ticks < count) setTimer(periodMs, TICK);
}

function onMessage(msg: Message): i32 {
  return 0;
}

registerInit(onInit);
registerTimer(onTimer);
register(onMessage);
