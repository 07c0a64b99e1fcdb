// echo: replies INFORM to every message, with the same content bytes.
import { Message, Performative, register, replyRaw } from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

function onMessage(msg: Message): i32 {
  const rc = replyRaw(msg, Performative.INFORM, msg.contentBytesPtr, msg.contentBytesLen);
  return rc < 0 ? rc : 0;
}

register(onMessage);
