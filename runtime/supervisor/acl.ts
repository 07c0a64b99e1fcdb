/**
 * FIPA ACL messages to and from the host: sendAcl() turns the JSON model of
 * docs/fipa.md into frames (one per receiver), toAcl() reads a frame back,
 * naming conversations by the conversation-id strings known to the bus
 * (sent with sendAcl here, or given to the API).
 */
import { NAME_WRITER_SUPERVISOR } from '../../bus/layout.js';
import type { ConversationNames } from '../../bus/conversation-names.js';
import { decodeFrame, type DecodedFrame } from '../../bus/frame.js';
import { validateMessage, type AclMessage } from '../fipa/acl/message.js';
import { aclToFrames, frameToAcl } from '../fipa/acl/bridge.js';
import type { Endpoint } from '../types.js';
import type { HostEndpoints } from './endpoints.js';
import type { EndpointRecord, Registry } from './registry.js';

export class AclMessages {
  private readonly endpoints: HostEndpoints;
  private readonly registry: Registry;
  /** conversation key -> FIPA conversation-id string, shared with every thread (bus/conversation-names.ts) */
  private readonly names: ConversationNames;

  constructor(endpoints: HostEndpoints, registry: Registry, names: ConversationNames) {
    this.endpoints = endpoints;
    this.registry = registry;
    this.names = names;
  }

  /**
   * Send a FIPA ACL message (the JSON model of docs/fipa.md, validated first):
   * one frame per receiver. Returns the message ids.
   */
  sendAcl(message: unknown, from: Endpoint | EndpointRecord = this.endpoints.hostEndpoint): { messageIds: string[] } {
    const m = validateMessage(message);
    const frames = aclToFrames(m);
    const key = frames[0]?.conversationId;
    if (key !== undefined && m.conversationId !== undefined) this.names.remember(NAME_WRITER_SUPERVISOR, key, m.conversationId);
    return { messageIds: frames.map((f) => this.endpoints.send(f, from).messageId) };
  }

  /** The FIPA ACL view of a frame an endpoint received. */
  toAcl(frame: Uint8Array | DecodedFrame): AclMessage {
    const d = frame instanceof Uint8Array ? decodeFrame(frame) : frame;
    return frameToAcl(d, (slot) => this.registry.nameOf(slot), (key) => this.names.lookup(key));
  }
}
