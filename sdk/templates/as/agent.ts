// {{name}}: a first Caxton agent in AssemblyScript. It answers every REQUEST
// with INFORM "hello, <content>" and logs how many it has answered (its
// state lives as long as the agent). The SDK is in ./caxton-sdk (copied by
// `caxton init`); its guide: the Caxton docs, docs/sdk.md.
import { Message, Performative, logLine, register, replyString } from "./caxton-sdk/index";
export * from "./caxton-sdk/exports";

let answered: i32 = 0;

function onMessage(msg: Message): i32 {
  if (msg.performative != Performative.REQUEST) return 0;
  answered++;
  logLine().add("{{name}}: answered ").addInt(answered).info();
  return replyString(msg, Performative.INFORM, "hello, " + msg.contentString());
}

register(onMessage);
