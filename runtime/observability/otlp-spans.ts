/**
 * OTLP encoding of the workers' span records (runtime/observability/span-recorder.ts),
 * straight from the typed arrays: an ExportTraceServiceRequest in protobuf
 * (for OTLP http/protobuf and grpc) or in the OTLP/JSON mapping (http/json).
 *
 * Why not the SDK's serializer: it takes ReadableSpan objects, and building
 * those (hex ids, HrTime pairs, attribute maps) and then serialising them cost
 * the export thread about 20 µs of thread time per span under the throughput
 * benchmark; on a machine whose cores the workers keep busy, that time comes
 * out of the bus. Every span here has the same shape (three string
 * attributes, an optional error status), so the encoder is short: exact
 * lengths are computed first, then one buffer is written once. The transport
 * (HTTP or gRPC, retries, timeouts, compression, OTEL_EXPORTER_OTLP_*) stays
 * the OpenTelemetry exporter's (runtime/observability/span-export-thread.ts), and a test
 * checks this encoding against the SDK serializer's for the same spans
 * (test/observability/otlp-spans.test.ts).
 *
 * Field numbers are those of opentelemetry/proto/trace/v1/trace.proto and
 * common/v1/common.proto.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { idToString } from '../../bus/frame.js';
import { PERFORMATIVES } from '../../bus/layout.js';
import { R_AGENT, R_CONV_HI, R_CONV_LO, R_ERROR, R_PARENT, R_PERF, R_SENDER, R_SPAN, R_STATUS, R_TRACE, REC_WORDS, recordText, type SpanBatch } from './span-recorder.js';
import { wordsToHex } from './tracing.js';

/** Records `start` to `end` of one worker's batch: what one export request carries from it. */
export interface SpanRange {
  readonly batch: SpanBatch;
  readonly start: number;
  readonly end: number;
}

/** What every span of a thread shares: its resource's attributes and the instrumentation scope. */
export interface SpanSource {
  resource(thread: number): Attributes;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

const SPAN_KIND_CONSUMER = 5;
const STATUS_CODE_ERROR = 2;
const KEY_AGENT = 'caxton.agent';
const KEY_SENDER = 'caxton.sender';
const KEY_CONVERSATION = 'caxton.conversation_id';

export function spanName(perf: number): string {
  return `caxton handle ${PERFORMATIVES[perf] ?? `unknown(${perf})`}`;
}

// ---------------------------------------------------------------- protobuf

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
/** size of a length-delimited field (one-byte tag) whose payload is `n` bytes */
const lenField = (n: number): number => 1 + varintSize(n) + n;
const utf8Size = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A KeyValue with a string value: its payload size. */
const stringKvSize = (keySize: number, valueSize: number): number => lenField(keySize) + lenField(lenField(valueSize));

class Writer {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }
  len(field: number, n: number): void {
    this.tag(field, WIRE_LEN);
    this.varint(n);
  }
  string(field: number, s: string, size: number): void {
    this.len(field, size);
    this.pos += this.buf.write(s, this.pos, size, 'utf8');
  }
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  /**
   * `n` bytes of `src` from `at`. The spans' pieces are a few dozen bytes,
   * where a loop is cheaper than TypedArray.prototype.set's call.
   */
  copy(src: Uint8Array, at: number, n: number): void {
    const b = this.buf;
    const p = this.pos;
    if (n > 64) {
      b.set(src.subarray(at, at + n), p);
    } else {
      for (let i = 0; i < n; i++) b[p + i] = src[at + i]!;
    }
    this.pos = p + n;
  }
  /** The 16 lowercase hex digits of an id (lo, hi), most significant first, as idToString writes it. */
  hexId(lo: number, hi: number): void {
    this.hexWord(hi);
    this.hexWord(lo);
  }
  /** `n` words as the frame holds them (little-endian i32 = the id's bytes in order). */
  words(field: number, w: Int32Array, at: number, n: number): void {
    this.len(field, n * 4);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const v = w[at + i]!;
      b[p] = v & 0xff;
      b[p + 1] = (v >>> 8) & 0xff;
      b[p + 2] = (v >>> 16) & 0xff;
      b[p + 3] = v >>> 24;
      p += 4;
    }
    this.pos = p;
  }
  /** A little-endian 32-bit word (0..2^32-1 or any int32). */
  private u32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = (v >>> 24) & 0xff;
    this.pos = p + 4;
  }
  /** fixed64 nanoseconds since the epoch of `ms` (a millisecond float), exactly in doubles. */
  nanos(field: number, ms: number): void {
    this.tag(field, WIRE_FIXED64);
    splitNanos(ms);
    this.u32(nanosLo);
    this.u32(nanosHi);
  }
  /** A KeyValue whose string value is already UTF-8 bytes. */
  bytesKv(field: number, key: Buffer, value: Uint8Array): void {
    this.len(field, stringKvSize(key.length, value.length));
    this.len(1, key.length);
    this.raw(key);
    this.len(2, lenField(value.length));
    this.len(1, value.length);
    this.raw(value);
  }
  /** The 8 lowercase hex digits of a 32-bit word, most significant first. */
  hexWord(v: number): void {
    const b = this.buf;
    let p = this.pos;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const byte = (v >>> shift) & 0xff;
      b[p++] = HEX_DIGITS[byte >>> 4]!;
      b[p++] = HEX_DIGITS[byte & 0xf]!;
    }
    this.pos = p;
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef');

/** splitNanos's result (module state, so the encoder's per-span path allocates nothing). */
let nanosLo = 0;
let nanosHi = 0;

/**
 * Epoch milliseconds (a double with sub-microsecond precision) as the two
 * 32-bit words of the unsigned 64-bit nanosecond count, left in nanosLo and
 * nanosHi. Every intermediate stays below 2^53, so no BigInt is needed.
 */
function splitNanos(ms: number): void {
  const sec = Math.floor(ms / 1000);
  const ns = Math.round((ms - sec * 1000) * 1e6);
  // sec * 1e9 + ns = (secHi * 1e9) * 2^16 + secLo * 1e9 + ns
  const secHi = Math.floor(sec / 65536);
  const secLo = sec - secHi * 65536;
  const upper = secHi * 1e9;
  // (x - floor(x / m) * m rather than x % m: the doubles' % is a call to fmod)
  const upperHi = Math.floor(upper / 65536);
  const low = secLo * 1e9 + ns + (upper - upperHi * 65536) * 65536;
  const lowHi = Math.floor(low / 4294967296);
  nanosLo = low - lowHi * 4294967296;
  nanosHi = upperHi + lowHi;
}

/** The two 32-bit words (lo, hi) of the unsigned 64-bit nanosecond count of epoch milliseconds `ms`. */
export function nanosWords(ms: number): [number, number] {
  splitNanos(ms);
  return [nanosLo, nanosHi];
}

/** AnyValue payload of a resource attribute (strings, booleans, numbers, arrays of them). */
function writeAnyValue(w: Writer | undefined, v: AttributeValue | undefined): number {
  // Returns the payload size; writes when given a writer.
  if (typeof v === 'string') {
    const n = utf8Size(v);
    w?.string(1, v, n);
    return lenField(n);
  }
  if (typeof v === 'boolean') {
    w?.tag(2, WIRE_VARINT);
    w?.varint(v ? 1 : 0);
    return 2;
  }
  if (typeof v === 'number') {
    // Every integer is an int64 intValue, as the SDK's serializers write it.
    if (Number.isSafeInteger(v)) {
      const bytes = int64Varint(v);
      w?.tag(3, WIRE_VARINT);
      w?.raw(bytes);
      return 1 + bytes.length;
    }
    w?.tag(4, WIRE_FIXED64);
    if (w) {
      w.buf.writeDoubleLE(v, w.pos);
      w.pos += 8;
    }
    return 9;
  }
  if (Array.isArray(v)) {
    // ArrayValue { repeated AnyValue values = 1 }
    const sizes = v.map((x) => writeAnyValue(undefined, x as AttributeValue));
    const inner = sizes.reduce((a, s) => a + lenField(s), 0);
    if (w) {
      w.len(5, inner);
      v.forEach((x, i) => {
        w.len(1, sizes[i]!);
        writeAnyValue(w, x as AttributeValue);
      });
    }
    return lenField(inner);
  }
  return writeAnyValue(w, String(v));
}

/**
 * The varint of a protobuf int64: two's complement over 64 bits, so a
 * negative number takes ten bytes. Only resource attributes use it (encoded
 * once per resource, not per span), so BigInt is fine here.
 */
function int64Varint(v: number): Uint8Array {
  let u = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Uint8Array.from(out);
}

/** Resource { repeated KeyValue attributes = 1 } as a complete message. */
function encodeResource(attrs: Attributes): Buffer {
  const entries = Object.entries(attrs).filter(([, v]) => v !== undefined && v !== null);
  const kvSizes = entries.map(([k, v]) => lenField(utf8Size(k)) + lenField(writeAnyValue(undefined, v)));
  const w = new Writer(kvSizes.reduce((a, s) => a + lenField(s), 0));
  entries.forEach(([k, v], i) => {
    w.len(1, kvSizes[i]!);
    w.string(1, k, utf8Size(k));
    w.len(2, writeAnyValue(undefined, v));
    writeAnyValue(w, v);
  });
  return w.buf;
}

/** InstrumentationScope { name = 1, version = 2 } as a complete message. */
function encodeScope(name: string, version: string): Buffer {
  const w = new Writer(lenField(utf8Size(name)) + lenField(utf8Size(version)));
  w.string(1, name, utf8Size(name));
  w.string(2, version, utf8Size(version));
  return w.buf;
}

/** A complete length-delimited field: tag, length, payload. */
function fieldBytes(field: number, payload: Uint8Array): Buffer {
  const w = new Writer(lenField(payload.length));
  w.len(field, payload.length);
  w.raw(payload);
  return w.buf;
}

/**
 * A batch's strings as the bytes the spans copy: each string's UTF-8 (for
 * error messages), and for each string the complete `caxton.agent` and
 * `caxton.sender` attribute fields, in one buffer with their offsets and
 * lengths. Index k + 1 is string k; index 0 is the empty string (-1).
 */
interface BatchPieces {
  readonly text: Buffer[];
  readonly kv: Buffer;
  readonly agentAt: Int32Array;
  readonly agentLen: Int32Array;
  readonly senderAt: Int32Array;
  readonly senderLen: Int32Array;
}

/**
 * The protobuf encoder, with what every request repeats made once: the
 * resources (per worker thread), the scope, the span names as complete
 * fields, the conversation attribute up to its value, and per batch the
 * agent and sender attributes as complete fields. A span is then written as
 * a few short copies, its ids, times and the conversation's 16 hex digits:
 * about 0.34 µs per span encoding whole 2048-span batches in a loop, from
 * 0.38 when each attribute was assembled per span.
 */
export class ProtobufSpanEncoder {
  private readonly source: SpanSource;
  private readonly resources: Buffer[] = [];
  private readonly scope: Buffer;
  /** each performative's span name as a complete `name` field (5) */
  private readonly nameFields = PERFORMATIVES.map((_, p) => fieldBytes(5, Buffer.from(spanName(p))));
  private readonly keyAgent = Buffer.from(KEY_AGENT);
  private readonly keySender = Buffer.from(KEY_SENDER);
  /** the `caxton.conversation_id` attribute field up to its value's 16 hex digits (always 16) */
  private readonly convPrefix: Buffer;
  private readonly convKvSize: number;
  /** per-span scratch: the payload size of each span message */
  private sizes = new Int32Array(1024);
  private readonly pieces = new WeakMap<SpanBatch, BatchPieces>();

  constructor(source: SpanSource) {
    this.source = source;
    this.scope = encodeScope(source.scopeName, source.scopeVersion);
    const key = Buffer.from(KEY_CONVERSATION);
    const kv = stringKvSize(key.length, 16);
    const w = new Writer(lenField(kv) - 16);
    w.len(9, kv); // Span.attributes
    w.len(1, key.length); // KeyValue.key
    w.raw(key);
    w.len(2, lenField(16)); // KeyValue.value: AnyValue
    w.len(1, 16); // AnyValue.string_value, 16 bytes to follow
    this.convPrefix = w.buf;
    this.convKvSize = lenField(kv);
  }

  private resource(thread: number): Buffer {
    return (this.resources[thread] ??= encodeResource(this.source.resource(thread)));
  }

  private nameField(perf: number): Buffer {
    return this.nameFields[perf] ?? fieldBytes(5, Buffer.from(spanName(perf)));
  }

  /**
   * A batch's pieces (BatchPieces), made once per batch rather than once
   * per span; a batch is spread over requests, so they are kept until it is
   * collected.
   */
  private piecesOf(b: SpanBatch): BatchPieces {
    let p = this.pieces.get(b);
    if (p !== undefined) return p;
    const text = b.names.map((n) => Buffer.from(n, 'utf8'));
    const n = text.length + 1;
    const agentLen = new Int32Array(n);
    const senderLen = new Int32Array(n);
    const agentAt = new Int32Array(n);
    const senderAt = new Int32Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const v = k === 0 ? 0 : text[k - 1]!.length;
      agentLen[k] = lenField(stringKvSize(this.keyAgent.length, v));
      senderLen[k] = lenField(stringKvSize(this.keySender.length, v));
      total += agentLen[k]! + senderLen[k]!;
    }
    const w = new Writer(total);
    for (let k = 0; k < n; k++) {
      const v = k === 0 ? NO_BYTES : text[k - 1]!;
      agentAt[k] = w.pos;
      w.bytesKv(9, this.keyAgent, v);
      senderAt[k] = w.pos;
      w.bytesKv(9, this.keySender, v);
    }
    p = { text, kv: w.buf, agentAt, agentLen, senderAt, senderLen };
    this.pieces.set(b, p);
    return p;
  }

  /** ExportTraceServiceRequest for the ranges: one ResourceSpans per worker thread. */
  encode(ranges: readonly SpanRange[]): Uint8Array {
    const byThread = new Map<number, SpanRange[]>();
    let total = 0;
    for (const r of ranges) {
      const list = byThread.get(r.batch.thread);
      if (list) list.push(r);
      else byThread.set(r.batch.thread, [r]);
      total += r.end - r.start;
    }
    if (this.sizes.length < total) this.sizes = new Int32Array(total);
    const sizes = this.sizes;
    const convKv = this.convKvSize;

    // Pass 1: sizes (sizes[k]: the payload of span k).
    const groups: { thread: number; ranges: SpanRange[]; scopeSpans: number; resourceSpans: number }[] = [];
    let request = 0;
    let k = 0;
    for (const [thread, list] of byThread) {
      let spans = 0;
      for (const { batch: b, start, end } of list) {
        const words = b.words;
        const p = this.piecesOf(b);
        for (let i = start; i < end; i++, k++) {
          const r = i * REC_WORDS;
          // trace_id 18, span_id 10, parent_span_id 10, kind 2, start and end 9 each
          let size = 18 + 10 + 10 + this.nameField(words[r + R_PERF]!).length + 2 + 9 + 9
            + p.agentLen[words[r + R_AGENT]! + 1]! + p.senderLen[words[r + R_SENDER]! + 1]! + convKv;
          if (words[r + R_STATUS] !== 0) size += lenField(lenField(textAt(p.text, words[r + R_ERROR]!).length) + 2);
          sizes[k] = size;
          spans += lenField(size);
        }
      }
      const scopeSpans = lenField(this.scope.length) + spans;
      const resourceSpans = lenField(this.resource(thread).length) + lenField(scopeSpans);
      groups.push({ thread, ranges: list, scopeSpans, resourceSpans });
      request += lenField(resourceSpans);
    }

    // Pass 2: write.
    const w = new Writer(request);
    const convPrefix = this.convPrefix;
    k = 0;
    for (const g of groups) {
      w.len(1, g.resourceSpans); // ExportTraceServiceRequest.resource_spans
      const res = this.resource(g.thread);
      w.len(1, res.length); // ResourceSpans.resource
      w.raw(res);
      w.len(2, g.scopeSpans); // ResourceSpans.scope_spans
      w.len(1, this.scope.length); // ScopeSpans.scope
      w.raw(this.scope);
      for (const { batch: b, start, end } of g.ranges) {
        const words = b.words;
        const times = b.times;
        const p = this.piecesOf(b);
        const kv = p.kv;
        for (let i = start; i < end; i++, k++) {
          const r = i * REC_WORDS;
          w.len(2, sizes[k]!); // ScopeSpans.spans
          w.words(1, words, r + R_TRACE, 4); // trace_id
          w.words(2, words, r + R_SPAN, 2); // span_id
          w.words(4, words, r + R_PARENT, 2); // parent_span_id
          const name = this.nameField(words[r + R_PERF]!);
          w.copy(name, 0, name.length); // name
          w.tag(6, WIRE_VARINT); // kind
          w.varint(SPAN_KIND_CONSUMER);
          w.nanos(7, times[i * 2]!);
          w.nanos(8, times[i * 2 + 1]!);
          const a = words[r + R_AGENT]! + 1;
          w.copy(kv, p.agentAt[a]!, p.agentLen[a]!); // attributes: caxton.agent
          const f = words[r + R_SENDER]! + 1;
          w.copy(kv, p.senderAt[f]!, p.senderLen[f]!); // caxton.sender
          w.copy(convPrefix, 0, convPrefix.length); // caxton.conversation_id
          w.hexId(words[r + R_CONV_LO]!, words[r + R_CONV_HI]!);
          if (words[r + R_STATUS] !== 0) {
            // Status { message = 2, code = 3 }
            const message = textAt(p.text, words[r + R_ERROR]!);
            w.len(15, lenField(message.length) + 2);
            w.len(2, message.length);
            w.raw(message);
            w.tag(3, WIRE_VARINT);
            w.varint(STATUS_CODE_ERROR);
          }
        }
      }
    }
    if (w.pos !== request) throw new Error(`OTLP span encoding wrote ${w.pos} bytes, sized ${request}`);
    return w.buf;
  }
}

const NO_BYTES = Buffer.alloc(0);
/** The UTF-8 of a batch string index (-1: none, the empty string). */
const textAt = (bytes: Buffer[], k: number): Buffer => (k < 0 ? NO_BYTES : bytes[k]!);

// ---------------------------------------------------------------- JSON

const jsonAnyValue = (v: AttributeValue | undefined): Record<string, unknown> => {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => jsonAnyValue(x as AttributeValue)) } };
  return { stringValue: String(v) };
};

const jsonNanos = (ms: number): string => {
  const [lo, hi] = nanosWords(ms);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
};

/** The same request in the OTLP/JSON mapping (ids as hex, nanoseconds as decimal strings). */
export function encodeJson(ranges: readonly SpanRange[], source: SpanSource): Uint8Array {
  const byThread = new Map<number, unknown[]>();
  for (const { batch: b, start, end } of ranges) {
    let spans = byThread.get(b.thread);
    if (!spans) byThread.set(b.thread, (spans = []));
    const w = b.words;
    for (let i = start; i < end; i++) {
      const r = i * REC_WORDS;
      spans.push({
        traceId: wordsToHex(w, r + R_TRACE, 4),
        spanId: wordsToHex(w, r + R_SPAN, 2),
        parentSpanId: wordsToHex(w, r + R_PARENT, 2),
        name: spanName(w[r + R_PERF]!),
        kind: SPAN_KIND_CONSUMER,
        startTimeUnixNano: jsonNanos(b.times[i * 2]!),
        endTimeUnixNano: jsonNanos(b.times[i * 2 + 1]!),
        attributes: [
          { key: KEY_AGENT, value: { stringValue: recordText(b, i, R_AGENT) } },
          { key: KEY_SENDER, value: { stringValue: recordText(b, i, R_SENDER) } },
          { key: KEY_CONVERSATION, value: { stringValue: idToString(w[r + R_CONV_LO]!, w[r + R_CONV_HI]!) } },
        ],
        status: w[r + R_STATUS] === 0 ? {} : { code: STATUS_CODE_ERROR, message: recordText(b, i, R_ERROR) },
      });
    }
  }
  const resourceSpans = [...byThread].map(([thread, spans]) => ({
    resource: { attributes: Object.entries(source.resource(thread)).filter(([, v]) => v !== undefined && v !== null).map(([key, v]) => ({ key, value: jsonAnyValue(v) })) },
    scopeSpans: [{ scope: { name: source.scopeName, version: source.scopeVersion }, spans }],
  }));
  return Buffer.from(JSON.stringify({ resourceSpans }));
}
