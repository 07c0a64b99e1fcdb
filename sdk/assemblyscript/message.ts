// `Message`: a zero-copy view over an incoming frame.
//
// A Message *is* the frame's address (an unmanaged class): creating one costs
// nothing and the garbage collector never sees it. It is only valid during the
// `onMessage` call that received it: the host reuses that memory for the next
// frame (the alloc contract of docs/agent-abi.md). Copy out what you keep.

import {
  FRAME_CONVERSATION_ID_HI, FRAME_CONVERSATION_ID_LO, FRAME_DESTINATION_SLOT, FRAME_FLAGS,
  FRAME_HEADER_SIZE, FRAME_IN_REPLY_TO_HI, FRAME_IN_REPLY_TO_LO, FRAME_LENGTH, FRAME_MESSAGE_ID_HI,
  FRAME_MESSAGE_ID_LO, FRAME_PARAMS_LENGTH, FRAME_PERFORMATIVE, FRAME_SOURCE_GENERATION,
  FRAME_SOURCE_SLOT, FRAME_TRACE_ID, FRAME_SPAN_ID, FRAME_VERSION, FLAG_TRACE_SAMPLED,
} from "./frame";
import { MsgpackType, Reader, readF64Fast, typeOfByte } from "./msgpack";

const contentReader = new Reader();
const paramsReader = new Reader();

@unmanaged
export class Message {
  /** Address of the frame in linear memory. */
  @inline get ptr(): usize { return changetype<usize>(this); }
  /** Frame length in bytes (header + params + content). */
  @inline get frameLength(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_LENGTH); }
  @inline get version(): i32 { return <i32>load<u8>(changetype<usize>(this), FRAME_VERSION); }
  /** FIPA performative code; compare with `Performative.*`. */
  @inline get performative(): i32 { return <i32>load<u8>(changetype<usize>(this), FRAME_PERFORMATIVE); }
  @inline get flags(): i32 { return <i32>load<u16>(changetype<usize>(this), FRAME_FLAGS); }
  @inline get traceSampled(): bool { return (this.flags & FLAG_TRACE_SAMPLED) != 0; }

  /** Slot of the agent that sent the message (reply target). */
  @inline get sender(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_SOURCE_SLOT); }
  @inline get senderGeneration(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_SOURCE_GENERATION); }
  /** Slot the message was sent to (this agent's slot). */
  @inline get destination(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_DESTINATION_SLOT); }

  @inline get messageIdLo(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_MESSAGE_ID_LO); }
  @inline get messageIdHi(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_MESSAGE_ID_HI); }
  @inline get messageId(): u64 { return load<u64>(changetype<usize>(this), FRAME_MESSAGE_ID_LO); }

  @inline get conversationIdLo(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_CONVERSATION_ID_LO); }
  @inline get conversationIdHi(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_CONVERSATION_ID_HI); }
  /** 0 = no conversation. */
  @inline get conversationId(): u64 { return load<u64>(changetype<usize>(this), FRAME_CONVERSATION_ID_LO); }

  @inline get inReplyToLo(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_IN_REPLY_TO_LO); }
  @inline get inReplyToHi(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_IN_REPLY_TO_HI); }
  /** Message id this message answers; 0 = none. */
  @inline get inReplyTo(): u64 { return load<u64>(changetype<usize>(this), FRAME_IN_REPLY_TO_LO); }

  /** Address of the 16-byte W3C trace id and of the 8-byte parent span id. */
  @inline get traceIdPtr(): usize { return changetype<usize>(this) + FRAME_TRACE_ID; }
  @inline get spanIdPtr(): usize { return changetype<usize>(this) + FRAME_SPAN_ID; }

  /** Raw msgpack map of the ACL parameters (may be empty: length 0). */
  @inline get paramsPtr(): usize { return changetype<usize>(this) + FRAME_HEADER_SIZE; }
  @inline get paramsLen(): i32 { return <i32>load<u32>(changetype<usize>(this), FRAME_PARAMS_LENGTH); }
  /** Interaction protocol code (Protocol.*), 0 = none. */
  @inline get protocol(): i32 { return <i32>load<u8>(changetype<usize>(this), 76); }
  /** True when the host made this message (e.g. a reply-by time-out failure). */
  @inline get hostGenerated(): bool { return (this.flags & 2) != 0; }

  /** Raw msgpack of the content (one value); copy it to forward/echo without re-encoding. */
  @inline get contentBytesPtr(): usize {
    return changetype<usize>(this) + FRAME_HEADER_SIZE + <usize>load<u32>(changetype<usize>(this), FRAME_PARAMS_LENGTH);
  }
  @inline get contentBytesLen(): i32 {
    return this.frameLength - FRAME_HEADER_SIZE - this.paramsLen;
  }

  /** `MsgpackType` of the content (INVALID if there is none). */
  contentType(): i32 {
    if (this.contentBytesLen <= 0) return MsgpackType.INVALID;
    return typeOfByte(<u32>load<u8>(this.contentBytesPtr));
  }

  /** A shared Reader over the content (reset on every call; do not nest). */
  contentReader(): Reader {
    return contentReader.reset(this.contentBytesPtr, this.contentBytesLen);
  }

  /** A shared Reader over the params map (reset on every call). */
  paramsReader(): Reader {
    return paramsReader.reset(this.paramsPtr, this.paramsLen);
  }

  /** The content as a string ("" if it is not a string). Allocates: avoid on hot paths. */
  contentString(): string { return this.contentReader().readString(); }

  /** Whether the content is the string `s`. Does not allocate. */
  contentIs(s: string): bool {
    return this.contentReader().readStringEquals(s);
  }

  /** The content as an integer of any msgpack width (floats truncated); 0 if not a number. */
  contentInt(): i64 { return this.contentReader().readInt(); }

  /** The content as f64 (float64, float32 or any integer); NaN if not a number. */
  contentF64(): f64 {
    const p = this.contentBytesPtr;
    const n = this.contentBytesLen;
    const f = readF64Fast(p, n); // one-branch path for float64 content
    if (!isNaN(f)) return f;
    return contentReader.reset(p, n).readF64();
  }

  /** The content as bool (false if not a bool). */
  contentBool(): bool { return this.contentReader().readBool(); }

  /** Whether the content is an int or a float. */
  contentIsNumber(): bool {
    const t = this.contentType();
    return t == MsgpackType.INT || t == MsgpackType.FLOAT;
  }

  /** The string parameter `key` (e.g. "ontology", "protocol"), or `dflt`. Allocates. */
  paramString(key: string, dflt: string = ""): string {
    const r = this.paramsReader();
    if (r.findKey(key) && r.peekType() == MsgpackType.STRING) return r.readString();
    return dflt;
  }

  /** Whether the string parameter `key` equals `value`. Does not allocate. */
  paramIs(key: string, value: string): bool {
    const r = this.paramsReader();
    return r.findKey(key) && r.readStringEquals(value);
  }
}

/** Views the frame at `ptr` as a Message (no copy, no allocation). */
// @ts-ignore: decorator
@inline export function messageAt(ptr: usize): Message {
  return changetype<Message>(ptr);
}
