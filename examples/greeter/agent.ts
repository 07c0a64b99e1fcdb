// greeter: the README's first agent. Replies INFORM "hello, <content>".
import { Message, Performative, register, replyString } from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

function onMessage(msg: Message): i32 {
  return replyString(msg, Performative.INFORM, "hello, " + msg.contentString());
}

register(onMessage);
