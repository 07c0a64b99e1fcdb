/**
 * Frame codec for JavaScript code (supervisor endpoints, the in-process API,
 * tests, dead letters). Workers do not decode frames: they route on the
 * header words and copy bytes. Layout: bus/layout.ts and docs/agent-abi.md.
 */
import { Packr } from 'msgpackr';
import {
  FRAME_HEADER_BYTES, FRAME_LENGTH, FRAME_VERSION, FRAME_VERSION_BYTE, FRAME_PERFORMATIVE, FRAME_FLAGS,
  FRAME_DST_SLOT, FRAME_DST_GEN, FRAME_SRC_SLOT, FRAME_SRC_GEN, FRAME_MSG_ID_LO, FRAME_MSG_ID_HI,
  FRAME_CONV_LO, FRAME_CONV_HI, FRAME_REPLY_TO_LO, FRAME_REPLY_TO_HI, FRAME_TRACE_ID, FRAME_SPAN_ID,
  FRAME_PARAMS_LENGTH, FRAME_PROTOCOL, FRAME_RESERVED, PERFORMATIVES, protocolByCode, protocolCode, type Performative,
} from './layout.js';

/** One shared msgpack codec; `useRecords: false` keeps the output plain msgpack any agent can read. */
export const msgpack = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

export interface FrameFields {
  performative: number;
  flags?: number;
  destinationSlot: number;
  destinationGeneration?: number;
  sourceSlot?: number;
  sourceGeneration?: number;
  messageIdLo?: number;
  messageIdHi?: number;
  conversationLo?: number;
  conversationHi?: number;
  inReplyToLo?: number;
  inReplyToHi?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  /** interaction protocol code (0 = none); encodeFrame derives it from params.protocol */
  protocol?: number;
}

export interface DecodedFrame {
  length: number;
  performative: Performative | `unknown(${number})`;
  performativeCode: number;
  flags: number;
  destinationSlot: number;
  destinationGeneration: number;
  sourceSlot: number;
  sourceGeneration: number;
  messageId: string;
  conversationId: string;
  inReplyTo: string;
  /** W3C trace id (32 hex digits), '' when the frame carries no trace context */
  traceId: string;
  /** the sender's span id (16 hex digits), '' when none */
  spanId: string;
  /** the interaction protocol named by the header's protocol code, if any */
  protocol: string | undefined;
  params: Record<string, unknown> | undefined;
  content: unknown;
}

/** A 64-bit id carried as two u32 words, shown as 16 hex digits. */
export function idToString(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** The two u32 words (as i32: lo, hi) of an id written as 1-16 hex digits; the caller validates the text. */
export function idFromString(hex: string): [number, number] {
  const padded = hex.padStart(16, '0');
  return [parseInt(padded.slice(8), 16) | 0, parseInt(padded.slice(0, 8), 16) | 0];
}

/**
 * The W3C id field of `bytes` at [at, at + length) as hex, or '' when it is
 * all zero (the frame carries no trace context). Most frames carry none, so
 * the zero test reads the field in place, as 32-bit words, before anything
 * is made.
 */
function traceHex(view: DataView, bytes: Uint8Array, at: number, length: number): string {
  for (let i = 0; i < length; i += 4) {
    if (view.getUint32(at + i, true) !== 0) return Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('hex');
  }
  return '';
}

/** Write a header at `offset` of `view` (a DataView over any buffer). */
export function writeHeader(view: DataView, offset: number, f: FrameFields, paramsLength: number, totalLength: number): void {
  if (!Number.isInteger(f.performative) || f.performative < 0 || f.performative > 255) throw new RangeError(`performative code ${f.performative} is not a u8`);
  if (!Number.isInteger(f.destinationSlot) || f.destinationSlot < 0 || f.destinationSlot > 0xffffffff) throw new RangeError(`destination slot ${f.destinationSlot} is not a u32`);
  view.setUint32(offset + FRAME_LENGTH, totalLength, true);
  view.setUint8(offset + FRAME_VERSION_BYTE, FRAME_VERSION);
  view.setUint8(offset + FRAME_PERFORMATIVE, f.performative);
  view.setUint16(offset + FRAME_FLAGS, f.flags ?? 0, true);
  view.setUint32(offset + FRAME_DST_SLOT, f.destinationSlot, true);
  view.setUint32(offset + FRAME_DST_GEN, f.destinationGeneration ?? 0, true);
  view.setUint32(offset + FRAME_SRC_SLOT, f.sourceSlot ?? 0, true);
  view.setUint32(offset + FRAME_SRC_GEN, f.sourceGeneration ?? 0, true);
  view.setUint32(offset + FRAME_MSG_ID_LO, f.messageIdLo ?? 0, true);
  view.setUint32(offset + FRAME_MSG_ID_HI, f.messageIdHi ?? 0, true);
  view.setUint32(offset + FRAME_CONV_LO, f.conversationLo ?? 0, true);
  view.setUint32(offset + FRAME_CONV_HI, f.conversationHi ?? 0, true);
  view.setUint32(offset + FRAME_REPLY_TO_LO, f.inReplyToLo ?? 0, true);
  view.setUint32(offset + FRAME_REPLY_TO_HI, f.inReplyToHi ?? 0, true);
  const u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  u8.fill(0, offset + FRAME_TRACE_ID, offset + FRAME_TRACE_ID + 24);
  if (f.traceId) u8.set(f.traceId.subarray(0, 16), offset + FRAME_TRACE_ID);
  if (f.spanId) u8.set(f.spanId.subarray(0, 8), offset + FRAME_SPAN_ID);
  view.setUint32(offset + FRAME_PARAMS_LENGTH, paramsLength, true);
  view.setUint8(offset + FRAME_PROTOCOL, f.protocol ?? 0);
  view.setUint8(offset + FRAME_RESERVED, 0);
  view.setUint16(offset + FRAME_RESERVED + 1, 0, true);
}

/** Encode a whole frame into a new buffer. */
export function encodeFrame(f: FrameFields, content: unknown, params?: Record<string, unknown>): Uint8Array {
  const paramBytes = params && Object.keys(params).length > 0 ? msgpack.pack(params) : undefined;
  if (f.protocol === undefined && typeof params?.protocol === 'string') {
    const code = protocolCode(params.protocol);
    if (code > 0) f = { ...f, protocol: code };
  }
  const contentBytes = msgpack.pack(content);
  const paramsLength = paramBytes ? paramBytes.length : 0;
  const total = FRAME_HEADER_BYTES + paramsLength + contentBytes.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, f, paramsLength, total);
  if (paramBytes) out.set(paramBytes, FRAME_HEADER_BYTES);
  out.set(contentBytes, FRAME_HEADER_BYTES + paramsLength);
  return out;
}

/** Decode a frame; the content is unpacked, a content that is not valid msgpack is returned as raw bytes. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  if (bytes.byteLength < FRAME_HEADER_BYTES) throw new RangeError(`frame of ${bytes.byteLength} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(FRAME_LENGTH, true);
  if (length > bytes.byteLength || length < FRAME_HEADER_BYTES) throw new RangeError(`frame length field ${length} does not fit the ${bytes.byteLength} bytes given`);
  const code = view.getUint8(FRAME_PERFORMATIVE);
  const paramsLength = view.getUint32(FRAME_PARAMS_LENGTH, true);
  if (paramsLength > length - FRAME_HEADER_BYTES) throw new RangeError(`frame params length ${paramsLength} exceeds the ${length - FRAME_HEADER_BYTES} bytes after the header`);
  const paramsEnd = FRAME_HEADER_BYTES + paramsLength;
  let params: Record<string, unknown> | undefined;
  if (paramsLength > 0) {
    try {
      params = msgpack.unpack(bytes.subarray(FRAME_HEADER_BYTES, paramsEnd)) as Record<string, unknown>;
    } catch {
      // Kept, not thrown: a reader (the API thread, a dead-letter record) must survive a bad sender.
      params = { $undecodable: Uint8Array.from(bytes.subarray(FRAME_HEADER_BYTES, paramsEnd)) };
    }
  }
  const contentBytes = bytes.subarray(paramsEnd, length);
  let content: unknown;
  try {
    content = contentBytes.byteLength === 0 ? undefined : msgpack.unpack(contentBytes);
  } catch {
    content = Uint8Array.from(contentBytes);
  }
  return {
    length,
    performative: PERFORMATIVES[code] ?? `unknown(${code})`,
    performativeCode: code,
    flags: view.getUint16(FRAME_FLAGS, true),
    destinationSlot: view.getUint32(FRAME_DST_SLOT, true),
    destinationGeneration: view.getUint32(FRAME_DST_GEN, true),
    sourceSlot: view.getUint32(FRAME_SRC_SLOT, true),
    sourceGeneration: view.getUint32(FRAME_SRC_GEN, true),
    messageId: idToString(view.getUint32(FRAME_MSG_ID_LO, true), view.getUint32(FRAME_MSG_ID_HI, true)),
    conversationId: idToString(view.getUint32(FRAME_CONV_LO, true), view.getUint32(FRAME_CONV_HI, true)),
    inReplyTo: idToString(view.getUint32(FRAME_REPLY_TO_LO, true), view.getUint32(FRAME_REPLY_TO_HI, true)),
    traceId: traceHex(view, bytes, FRAME_TRACE_ID, 16),
    spanId: traceHex(view, bytes, FRAME_SPAN_ID, 8),
    protocol: protocolByCode(view.getUint8(FRAME_PROTOCOL)),
    params,
    content,
  };
}
