// FIPA interaction protocols (docs/fipa.md): helpers for both roles.
//
// The host checks every message of a protocol conversation against the
// protocol's state machine: a message that breaks it is refused at send
// (PROTOCOL_VIOLATION, -7) or, when received, answered with not-understood for
// the agent and never delivered. A reply-by set by the initiator is enforced:
// when it passes without a reply, the initiator gets a FAILURE in the
// conversation with msg.hostGenerated == true, and a reply arriving later is
// dead-lettered (LATE_REPLY) instead of delivered.
//
// Initiator: begin(...) / request(...) / queryRef(...) / subscribe(...) / cfp(...),
//            acceptProposal(msg), rejectProposal(msg, reason), cancel(...)
// Participant: agree(msg), refuse(msg, reason), failure(msg, reason),
//              informDone(msg), informResult<T>(msg, value), propose<T>(msg, value)
// (A reply made with reply()/replyRaw() stays in the protocol of the message it answers.)
import { compose, dispatch, reply, setConversation, setParams, setProtocol } from "./outbox";
import { Message } from "./message";
import { Performative } from "./frame";
import { Writer } from "./msgpack";
import { selfSlot } from "./agent";

export namespace Protocol {
  export const NONE: i32 = 0;
  export const REQUEST: i32 = 1;
  export const QUERY: i32 = 2;
  export const CONTRACT_NET: i32 = 3;
  export const SUBSCRIBE: i32 = 4;
}

/** The FIPA name of a protocol code ("fipa-request"...), "" for none. */
export function protocolName(code: i32): string {
  if (code == Protocol.REQUEST) return "fipa-request";
  if (code == Protocol.QUERY) return "fipa-query";
  if (code == Protocol.CONTRACT_NET) return "fipa-contract-net";
  if (code == Protocol.SUBSCRIBE) return "fipa-subscribe";
  return "";
}

const params = new Writer(64);
let conversationSeq: u32 = 0;

/**
 * Starts a conversation of `protocol` with `dest`: a fresh conversation id
 * (this agent's slot in the high word, a counter in the low word), the
 * `protocol` and `replyBy` (ms since the epoch, 0 = none) parameters. Returns
 * the outbox Writer: write ONE content value, then `dispatch()`.
 * `conversationLo()`/`conversationHi()` give the id afterwards.
 */
export function begin(dest: i32, performative: i32, protocol: i32, replyBy: f64 = 0): Writer {
  conversationSeq++;
  lastConvLo = <i32>conversationSeq;
  lastConvHi = selfSlot();
  return continueConversation(dest, performative, protocol, lastConvLo, lastConvHi, replyBy);
}

/** Another message of the initiator in an existing conversation (e.g. to the next contractor, or a cancel). */
export function continueConversation(dest: i32, performative: i32, protocol: i32, convLo: i32, convHi: i32, replyBy: f64 = 0): Writer {
  params.reset();
  params.writeMapHeader(replyBy > 0 ? 2 : 1);
  params.writeString("protocol");
  params.writeString(protocolName(protocol));
  if (replyBy > 0) {
    params.writeString("replyBy");
    params.writeF64(replyBy);
  }
  const w = compose(dest, performative);
  setConversation(convLo, convHi);
  setProtocol(protocol);
  setParams(params.buf + <usize>params.base, params.pos - params.base);
  return w;
}

let lastConvLo: i32 = 0;
let lastConvHi: i32 = 0;
/** Conversation id of the last conversation begun by this agent. */
export function conversationLo(): i32 { return lastConvLo; }
export function conversationHi(): i32 { return lastConvHi; }

// ---- initiator shorthands (content: a string; use begin() for anything else)

export function request(dest: i32, action: string, replyBy: f64 = 0): i32 {
  begin(dest, Performative.REQUEST, Protocol.REQUEST, replyBy).writeString(action);
  return dispatch();
}

export function queryRef(dest: i32, query: string, replyBy: f64 = 0): i32 {
  begin(dest, Performative.QUERY_REF, Protocol.QUERY, replyBy).writeString(query);
  return dispatch();
}

export function queryIf(dest: i32, proposition: string, replyBy: f64 = 0): i32 {
  begin(dest, Performative.QUERY_IF, Protocol.QUERY, replyBy).writeString(proposition);
  return dispatch();
}

export function subscribe(dest: i32, subject: string, replyBy: f64 = 0): i32 {
  begin(dest, Performative.SUBSCRIBE, Protocol.SUBSCRIBE, replyBy).writeString(subject);
  return dispatch();
}

/** Ends a subscription begun with subscribe(): send it in the same conversation. */
export function cancel(dest: i32, convLo: i32, convHi: i32): i32 {
  continueConversation(dest, Performative.CANCEL, Protocol.SUBSCRIBE, convLo, convHi).writeNil();
  return dispatch();
}

/** A call for proposals to one contractor; call it for each with the same conversation (continueConversation) or let the host's Contract Net service do it all (startContractNet). */
export function cfp(dest: i32, task: string, replyBy: f64 = 0): i32 {
  begin(dest, Performative.CFP, Protocol.CONTRACT_NET, replyBy).writeString(task);
  return dispatch();
}

export function acceptProposal(proposal: Message): i32 {
  return reply<string>(proposal, Performative.ACCEPT_PROPOSAL, "accepted");
}

export function rejectProposal(proposal: Message, reason: string): i32 {
  return reply<string>(proposal, Performative.REJECT_PROPOSAL, reason);
}

// ---- participant shorthands (replies stay in the protocol of `msg`)

export function agree(msg: Message): i32 {
  return reply<string>(msg, Performative.AGREE, "agreed");
}

export function refuse(msg: Message, reason: string): i32 {
  return reply<string>(msg, Performative.REFUSE, reason);
}

export function failure(msg: Message, reason: string): i32 {
  return reply<string>(msg, Performative.FAILURE, reason);
}

export function informDone(msg: Message): i32 {
  return reply<string>(msg, Performative.INFORM, "done");
}

export function informResult<T>(msg: Message, value: T): i32 {
  return reply<T>(msg, Performative.INFORM, value);
}

export function propose<T>(msg: Message, value: T): i32 {
  return reply<T>(msg, Performative.PROPOSE, value);
}
