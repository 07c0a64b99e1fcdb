// Frame layout of Caxton agent ABI v1 (docs/agent-abi.md, "The frame").
// All integers are little-endian. These constants are identical to the ones
// the host exports from bus/layout.ts.

/** Size of the fixed frame header, in bytes. Parameters start here. */
export const FRAME_HEADER_SIZE: i32 = 80;

/** u32: header + params + content, in bytes (agent fills). */
export const FRAME_LENGTH: i32 = 0;
/** u8: ABI frame version, always 1 (agent fills). */
export const FRAME_VERSION: i32 = 4;
/** u8: FIPA performative code, see `Performative` (agent fills). */
export const FRAME_PERFORMATIVE: i32 = 5;
/** u16: flags; bit 0 = TRACE_SAMPLED (host sets it, agent writes 0). */
export const FRAME_FLAGS: i32 = 6;
/** u32: destination slot (agent fills). */
export const FRAME_DESTINATION_SLOT: i32 = 8;
/** u32: destination generation (host fills). */
export const FRAME_DESTINATION_GENERATION: i32 = 12;
/** u32: source slot (host fills). */
export const FRAME_SOURCE_SLOT: i32 = 16;
/** u32: source generation (host fills). */
export const FRAME_SOURCE_GENERATION: i32 = 20;
/** u32 x2: message id lo, hi (host fills). */
export const FRAME_MESSAGE_ID: i32 = 24;
export const FRAME_MESSAGE_ID_LO: i32 = 24;
export const FRAME_MESSAGE_ID_HI: i32 = 28;
/** u32 x2: conversation id lo, hi; 0 = none (agent fills; copy it when replying). */
export const FRAME_CONVERSATION_ID: i32 = 32;
export const FRAME_CONVERSATION_ID_LO: i32 = 32;
export const FRAME_CONVERSATION_ID_HI: i32 = 36;
/** u32 x2: the message id this frame answers; 0 = none (agent fills). */
export const FRAME_IN_REPLY_TO: i32 = 40;
export const FRAME_IN_REPLY_TO_LO: i32 = 40;
export const FRAME_IN_REPLY_TO_HI: i32 = 44;
/** 16 bytes: W3C trace id (host fills). */
export const FRAME_TRACE_ID: i32 = 48;
/** 8 bytes: W3C parent span id (host fills). */
export const FRAME_SPAN_ID: i32 = 64;
/** u32: length of the msgpack parameter map that follows the header (agent fills). */
export const FRAME_PARAMS_LENGTH: i32 = 72;
/** u32: reserved, 0. */
export const FRAME_PROTOCOL: i32 = 76;   // u8 interaction protocol code (Protocol.*)
export const FRAME_RESERVED: i32 = 77;   // 3 bytes, 0
/** First byte of the parameters (then the content). */
export const FRAME_PARAMS: i32 = 80;

/** The frame version this SDK writes and understands. */
export const FRAME_VERSION_1: i32 = 1;
/** flags bit 0: the host samples this message for tracing. */
export const FLAG_TRACE_SAMPLED: i32 = 1;
export const FLAG_HOST_GENERATED: i32 = 2;

/** FIPA communicative act codes (FIPA SC00037, alphabetical). */
export enum Performative {
  ACCEPT_PROPOSAL = 0,
  AGREE = 1,
  CANCEL = 2,
  CFP = 3,
  CONFIRM = 4,
  DISCONFIRM = 5,
  FAILURE = 6,
  INFORM = 7,
  INFORM_IF = 8,
  INFORM_REF = 9,
  NOT_UNDERSTOOD = 10,
  PROPAGATE = 11,
  PROPOSE = 12,
  PROXY = 13,
  QUERY_IF = 14,
  QUERY_REF = 15,
  REFUSE = 16,
  REJECT_PROPOSAL = 17,
  REQUEST = 18,
  REQUEST_WHEN = 19,
  REQUEST_WHENEVER = 20,
  SUBSCRIBE = 21,
}

/** Number of defined performatives; valid codes are 0 .. PERFORMATIVE_COUNT-1. */
export const PERFORMATIVE_COUNT: i32 = 22;

/** FIPA name of a performative code ("inform", "query-ref"...), or "unknown". No allocation. */
export function performativeName(code: i32): string {
  switch (code) {
    case 0: return "accept-proposal";
    case 1: return "agree";
    case 2: return "cancel";
    case 3: return "cfp";
    case 4: return "confirm";
    case 5: return "disconfirm";
    case 6: return "failure";
    case 7: return "inform";
    case 8: return "inform-if";
    case 9: return "inform-ref";
    case 10: return "not-understood";
    case 11: return "propagate";
    case 12: return "propose";
    case 13: return "proxy";
    case 14: return "query-if";
    case 15: return "query-ref";
    case 16: return "refuse";
    case 17: return "reject-proposal";
    case 18: return "request";
    case 19: return "request-when";
    case 20: return "request-whenever";
    case 21: return "subscribe";
  }
  return "unknown";
}
