// slow: takes its time. Content N (an integer) makes it busy for N ms before
// it replies INFORM with the same content; any other content is answered at
// once. Used to show (and test) that a slow agent delays only itself.
import { Message, Performative, now, register, replyRaw } from "../../sdk/assemblyscript/index";
export * from "../../sdk/assemblyscript/exports";

function onMessage(msg: Message): i32 {
  let ms: f64 = 0;
  if (msg.contentBytesLen > 0) {
    const first = load<u8>(msg.contentBytesPtr);
    // msgpack integers: positive fixint, or uint8/16/32
    if (first < 0x80 || first == 0xcc || first == 0xcd || first == 0xce) ms = <f64>msg.contentInt();
  }
  const until = now() + ms;
  while (now() < until) { /* busy, like a heavy computation */ }
  const rc = replyRaw(msg, Performative.INFORM, msg.contentBytesPtr, msg.contentBytesLen);
  return rc < 0 ? rc : 0;
}

register(onMessage);
