// AgentRef: a named agent, resolved lazily and re-resolved when it moved.

import { UNKNOWN_DESTINATION } from "./abi";
import { forget, lookupUncached } from "./agent";
import { Message } from "./message";
import { forwardAs, send, sendRaw } from "./outbox";

/**
 * A named agent whose slot is looked up on first use (it may be deployed after
 * this agent) and then kept in a field, so the hot path costs one comparison.
 * If a send reports UNKNOWN_DESTINATION (the agent was redeployed elsewhere),
 * the name is looked up again and the send retried once.
 * Create AgentRefs at init (`new AgentRef(config.getString("next"))`), not per message.
 */
export class AgentRef {
  /** Resolved slot, or UNKNOWN_DESTINATION (-2) while unresolved. */
  slot: i32 = UNKNOWN_DESTINATION;

  constructor(public name: string) {}

  /** The slot, looking the name up if needed; UNKNOWN_DESTINATION if there is no such agent (yet). */
  @inline resolve(): i32 {
    const s = this.slot;
    return s >= 0 ? s : this.resolveSlow();
  }

  private resolveSlow(): i32 {
    if (this.name.length == 0) return UNKNOWN_DESTINATION;
    const s = lookupUncached(this.name);
    if (s >= 0) this.slot = s;
    return s;
  }

  /** Forgets the slot; the next resolve() asks the host again. */
  invalidate(): void {
    this.slot = UNKNOWN_DESTINATION;
    forget(this.name);
  }

  /** `send(slot, performative, content)` to this agent (see outbox.ts). */
  send<T>(performative: i32, content: T): i32 {
    let s = this.resolve();
    if (s < 0) return s;
    let rc = send<T>(s, performative, content);
    if (rc == UNKNOWN_DESTINATION) {
      this.invalidate();
      s = this.resolve();
      if (s >= 0) rc = send<T>(s, performative, content);
    }
    return rc;
  }

  /** `sendRaw` to this agent. */
  sendRaw(performative: i32, contentPtr: usize, contentLen: i32): i32 {
    let s = this.resolve();
    if (s < 0) return s;
    let rc = sendRaw(s, performative, contentPtr, contentLen);
    if (rc == UNKNOWN_DESTINATION) {
      this.invalidate();
      s = this.resolve();
      if (s >= 0) rc = sendRaw(s, performative, contentPtr, contentLen);
    }
    return rc;
  }

  /** `forward(msg)` to this agent (same performative, params, content, conversation). */
  forward(msg: Message): i32 {
    return this.forwardAs(msg, msg.performative);
  }

  /** `forwardAs(msg, performative)` to this agent. */
  forwardAs(msg: Message, performative: i32): i32 {
    let s = this.resolve();
    if (s < 0) return s;
    let rc = forwardAs(msg, s, performative);
    if (rc == UNKNOWN_DESTINATION) {
      this.invalidate();
      s = this.resolve();
      if (s >= 0) rc = forwardAs(msg, s, performative);
    }
    return rc;
  }
}
