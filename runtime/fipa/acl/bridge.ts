/**
 * Between the ACL message model (runtime/fipa/acl/message.ts: what the API, the
 * CLI and other FIPA platforms see) and frames (what the bus carries):
 *
 * - one frame per receiver; the performative, the conversation (as a 64-bit
 *   key) and the protocol code go in the header, the other parameters in the
 *   frame's msgpack params map, the content as the msgpack content;
 * - a FIPA conversation-id is any string: its 64-bit header key is the string
 *   itself when it is 1-16 hex digits, otherwise an FNV-1a hash of its UTF-8
 *   bytes; the string travels in params so the other side sees it unchanged.
 */
import type { DecodedFrame } from '../../../bus/frame.js';
import type { Performative } from '../../../bus/layout.js';
import type { AclMessage, AgentIdentifier } from './message.js';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** The 16-hex-digit header key of a FIPA conversation-id. */
export function conversationKey(id: string): string {
  if (/^[0-9a-fA-F]{1,16}$/.test(id)) return id.toLowerCase().padStart(16, '0');
  let h = FNV_OFFSET;
  for (const b of Buffer.from(id, 'utf8')) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  if (h === 0n) h = 1n; // 0 means "no conversation"
  return h.toString(16).padStart(16, '0');
}

export interface OutgoingFrame {
  to: string;
  performative: Performative;
  content: unknown;
  params: Record<string, unknown>;
  conversationId?: string;
}

const names = (ids: AgentIdentifier[] | undefined): string[] | undefined => (ids && ids.length ? ids.map((a) => a.name) : undefined);

/** The frames that carry a (validated) message: one per receiver. */
export function aclToFrames(m: AclMessage): OutgoingFrame[] {
  const params: Record<string, unknown> = {};
  if (m.sender) params.sender = m.sender.name;
  if (m.receiver && m.receiver.length > 1) params.receivers = names(m.receiver);
  if (m.replyTo) params.replyTo = names(m.replyTo);
  for (const k of ['language', 'encoding', 'ontology', 'protocol', 'conversationId', 'replyWith', 'inReplyTo'] as const) {
    if (m[k] !== undefined) params[k] = m[k];
  }
  if (m.replyBy !== undefined) params.replyBy = Date.parse(m.replyBy);
  if (m.userDefined) for (const [k, v] of Object.entries(m.userDefined)) params[k] = v;
  return (m.receiver ?? []).map((r) => ({
    to: r.name,
    performative: m.performative,
    content: m.content,
    params,
    ...(m.conversationId !== undefined ? { conversationId: conversationKey(m.conversationId) } : {}),
  }));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The ACL view of a received frame. `nameOf` names slots; `conversationOf`
 * recovers a conversation-id string from its header key when the params do
 * not carry it (a reply made by an agent that did not copy the params).
 */
export function frameToAcl(d: DecodedFrame, nameOf: (slot: number) => string, conversationOf: (key: string) => string | undefined = () => undefined): AclMessage {
  const p = d.params ?? {};
  const m: AclMessage = {
    performative: d.performative as Performative,
    sender: { name: str(p.sender) ?? nameOf(d.sourceSlot) },
    receiver: Array.isArray(p.receivers) ? (p.receivers as unknown[]).map((n) => ({ name: String(n) })) : [{ name: nameOf(d.destinationSlot) }],
  };
  if (Array.isArray(p.replyTo)) m.replyTo = (p.replyTo as unknown[]).map((n) => ({ name: String(n) }));
  if (d.content !== undefined && d.content !== null) m.content = typeof d.content === 'string' ? d.content : JSON.stringify(d.content);
  for (const k of ['language', 'encoding', 'ontology', 'replyWith', 'inReplyTo'] as const) {
    const v = str(p[k]);
    if (v !== undefined) m[k] = v;
  }
  const protocol = str(p.protocol) ?? d.protocol;
  if (protocol) m.protocol = protocol;
  const conversation = str(p.conversationId) ?? (d.conversationId !== '0000000000000000' ? conversationOf(d.conversationId) ?? d.conversationId : undefined);
  if (conversation) m.conversationId = conversation;
  if (typeof p.replyBy === 'number' && Number.isFinite(p.replyBy)) m.replyBy = new Date(p.replyBy).toISOString();
  const userDefined = Object.fromEntries(Object.entries(p).filter(([k, v]) => /^x-/i.test(k) && typeof v === 'string')) as Record<string, string>;
  if (Object.keys(userDefined).length) m.userDefined = userDefined;
  return m;
}
