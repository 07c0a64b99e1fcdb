// Frame codec (bus/frame.ts): encodeFrame/decodeFrame round trips over
// arbitrary header fields, parameters and msgpack content; header byte layout
// (docs/agent-abi.md); ids as 16 hex digits; RangeErrors for bad lengths.
import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual, strictEqual, ok } from 'node:assert';
import { encodeFrame, decodeFrame, writeHeader, idToString, msgpack } from '../../dist/bus/frame.js';
import {
  FRAME_HEADER_BYTES, FRAME_VERSION, PERFORMATIVES, FRAME_LENGTH, FRAME_VERSION_BYTE, FRAME_PERFORMATIVE,
  FRAME_FLAGS, FRAME_DST_SLOT, FRAME_DST_GEN, FRAME_SRC_SLOT, FRAME_SRC_GEN, FRAME_MSG_ID_LO, FRAME_MSG_ID_HI,
  FRAME_CONV_LO, FRAME_CONV_HI, FRAME_REPLY_TO_LO, FRAME_REPLY_TO_HI, FRAME_TRACE_ID, FRAME_SPAN_ID,
  FRAME_PARAMS_LENGTH, FRAME_RESERVED,
} from '../../dist/bus/layout.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const hex16 = (lo: number, hi: number) => ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');
const hexOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

// values msgpack (msgpackr, as configured in frame.ts) round-trips exactly:
// no -0 (packed as integer 0), no undefined, no "__proto__" keys (msgpackr renames them)
const key = fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
  fc.constant(null),
  fc.boolean(),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }),
}));
const params = fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true });

const fieldsArb = fc.record(
  {
    performative: fc.integer({ min: 0, max: PERFORMATIVES.length - 1 }),
    flags: fc.integer({ min: 0, max: 0xffff }),
    destinationSlot: u32,
    destinationGeneration: u32,
    sourceSlot: u32,
    sourceGeneration: u32,
    messageIdLo: u32,
    messageIdHi: u32,
    conversationLo: u32,
    conversationHi: u32,
    inReplyToLo: u32,
    inReplyToHi: u32,
    traceId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    spanId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  },
  { requiredKeys: ['performative', 'destinationSlot'] },
);
type Fields = Parameters<typeof encodeFrame>[0];

function checkDecoded(bytes: Uint8Array, f: Fields, content: unknown, p: Record<string, unknown> | undefined): void {
  const d = decodeFrame(bytes);
  const paramsLen = p && Object.keys(p).length > 0 ? msgpack.pack(p).length : 0;
  const contentLen = msgpack.pack(content).length;
  strictEqual(d.length, FRAME_HEADER_BYTES + paramsLen + contentLen);
  strictEqual(d.performativeCode, f.performative);
  strictEqual(d.performative, PERFORMATIVES[f.performative]);
  strictEqual(d.flags, f.flags ?? 0);
  strictEqual(d.destinationSlot, f.destinationSlot);
  strictEqual(d.destinationGeneration, f.destinationGeneration ?? 0);
  strictEqual(d.sourceSlot, f.sourceSlot ?? 0);
  strictEqual(d.sourceGeneration, f.sourceGeneration ?? 0);
  strictEqual(d.messageId, hex16(f.messageIdLo ?? 0, f.messageIdHi ?? 0));
  strictEqual(d.conversationId, hex16(f.conversationLo ?? 0, f.conversationHi ?? 0));
  strictEqual(d.inReplyTo, hex16(f.inReplyToLo ?? 0, f.inReplyToHi ?? 0));
  for (const id of [d.messageId, d.conversationId, d.inReplyTo]) ok(/^[0-9a-f]{16}$/.test(id), id);
  // All-zero ids (none given) read as '': no trace context.
  strictEqual(d.traceId, f.traceId && f.traceId.some((b) => b !== 0) ? hexOf(f.traceId) : '');
  strictEqual(d.spanId, f.spanId && f.spanId.some((b) => b !== 0) ? hexOf(f.spanId) : '');
  deepStrictEqual(d.params, paramsLen > 0 ? p : undefined);
  strictEqual(d.protocol, PROTOCOL_NAMES[protocolCodeOf(p) - 1]);
  deepStrictEqual(d.content, content);
}

function checkRawHeader(bytes: Uint8Array, f: Fields, p?: Record<string, unknown>): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  strictEqual(v.getUint32(FRAME_LENGTH, true), bytes.byteLength);
  strictEqual(v.getUint8(FRAME_VERSION_BYTE), FRAME_VERSION);
  strictEqual(v.getUint8(FRAME_PERFORMATIVE), f.performative);
  strictEqual(v.getUint16(FRAME_FLAGS, true), f.flags ?? 0);
  const words: [number, number | undefined][] = [
    [FRAME_DST_SLOT, f.destinationSlot], [FRAME_DST_GEN, f.destinationGeneration], [FRAME_SRC_SLOT, f.sourceSlot],
    [FRAME_SRC_GEN, f.sourceGeneration], [FRAME_MSG_ID_LO, f.messageIdLo], [FRAME_MSG_ID_HI, f.messageIdHi],
    [FRAME_CONV_LO, f.conversationLo], [FRAME_CONV_HI, f.conversationHi], [FRAME_REPLY_TO_LO, f.inReplyToLo],
    [FRAME_REPLY_TO_HI, f.inReplyToHi],
  ];
  for (const [at, want] of words) strictEqual(v.getUint32(at, true), want ?? 0, `u32 at ${at}`);
  strictEqual(hexOf(bytes.subarray(FRAME_TRACE_ID, FRAME_TRACE_ID + 16)), f.traceId ? hexOf(f.traceId) : '0'.repeat(32));
  strictEqual(hexOf(bytes.subarray(FRAME_SPAN_ID, FRAME_SPAN_ID + 8)), f.spanId ? hexOf(f.spanId) : '0'.repeat(16));
  // byte 76: the protocol code (encodeFrame derives it from params.protocol); 77..79 reserved
  strictEqual(v.getUint8(FRAME_RESERVED - 1), protocolCodeOf(p));
  for (let i = FRAME_RESERVED; i < FRAME_HEADER_BYTES; i++) strictEqual(v.getUint8(i), 0, `reserved byte ${i}`);
}

const PROTOCOL_NAMES = ['fipa-request', 'fipa-query', 'fipa-contract-net', 'fipa-subscribe'];
function protocolCodeOf(p: Record<string, unknown> | undefined): number {
  return typeof p?.protocol === 'string' ? PROTOCOL_NAMES.indexOf(p.protocol) + 1 : 0;
}

t.test('encodeFrame/decodeFrame round trip', async (t) => {
  fc.assert(
    fc.property(fieldsArb, value, fc.option(params, { nil: undefined }), (f, content, p) => {
      const bytes = encodeFrame(f, content, p);
      checkRawHeader(bytes, f, p);
      const paramsLength = new DataView(bytes.buffer).getUint32(FRAME_PARAMS_LENGTH, true);
      if (p === undefined || Object.keys(p).length === 0) strictEqual(paramsLength, 0);
      else deepStrictEqual(msgpack.unpack(bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + paramsLength)), p);
      checkDecoded(bytes, f, content, p);
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 frames round-tripped');
});

t.test('decodeFrame reads a frame inside a larger buffer, up to its length field only', async (t) => {
  fc.assert(
    fc.property(fieldsArb, value, params, fc.nat(64), fc.uint8Array({ maxLength: 64 }), (f, content, p, before, after) => {
      const frame = encodeFrame(f, content, p);
      const buf = new Uint8Array(before + frame.length + after.length);
      buf.fill(0xee, 0, before);
      buf.set(frame, before);
      buf.set(after, before + frame.length);
      // a view that starts at an offset and has trailing garbage
      checkDecoded(buf.subarray(before), f, content, p);
    }),
    { numRuns: 300 },
  );
  t.pass('ok');
});

t.test('writeHeader at an offset of a dirty buffer matches encodeFrame', async (t) => {
  fc.assert(
    fc.property(fieldsArb, value, params, fc.nat(200), (f, content, p, at) => {
      const ref = encodeFrame(f, content, p);
      const paramsLength = new DataView(ref.buffer).getUint32(FRAME_PARAMS_LENGTH, true);
      const buf = new Uint8Array(at + ref.length + 16).fill(0xa5);
      writeHeader(new DataView(buf.buffer), at, f, paramsLength, ref.length);
      buf.set(ref.subarray(FRAME_HEADER_BYTES), at + FRAME_HEADER_BYTES);
      deepStrictEqual(buf.subarray(at, at + ref.length), ref);
      strictEqual(buf[at - 1] ?? 0xa5, 0xa5, 'byte before untouched');
      strictEqual(buf[at + ref.length], 0xa5, 'byte after untouched');
    }),
    { numRuns: 300 },
  );
  t.pass('ok');
});

t.test('idToString shows a 64-bit id as 16 lowercase hex digits (hi word first)', async (t) => {
  t.equal(idToString(0, 0), '0000000000000000');
  t.equal(idToString(1, 0), '0000000000000001');
  t.equal(idToString(0, 1), '0000000100000000');
  t.equal(idToString(0xdeadbeef, 0x01234567), '01234567deadbeef');
  t.equal(idToString(-1, -1), 'ffffffffffffffff', 'signed i32 words are read as u32');
  fc.assert(
    fc.property(u32, u32, (lo, hi) => {
      strictEqual(idToString(lo, hi), hex16(lo, hi));
      strictEqual(idToString(lo | 0, hi | 0), hex16(lo, hi));
    }),
  );
});

t.test('content that is not msgpack comes back as raw bytes; empty content as undefined', async (t) => {
  const f = { performative: 7, destinationSlot: 3 };
  // content = a truncated msgpack array (0x92 = array of 2, one element given)
  const frame = encodeFrame(f, [1]);
  frame[frame.length - 2] = 0x92;
  const d = decodeFrame(frame);
  t.ok(d.content instanceof Uint8Array, 'raw bytes');
  t.same([...(d.content as Uint8Array)], [0x92, 1]);
  const header = encodeFrame(f, null).subarray(0, FRAME_HEADER_BYTES).slice();
  new DataView(header.buffer).setUint32(FRAME_LENGTH, FRAME_HEADER_BYTES, true);
  t.equal(decodeFrame(header).content, undefined, 'header-only frame');
  t.equal(decodeFrame(header).params, undefined);
});

t.test('unknown performative codes decode as unknown(n)', async (t) => {
  const frame = encodeFrame({ performative: PERFORMATIVES.length, destinationSlot: 0 }, 1);
  t.equal(decodeFrame(frame).performative, `unknown(${PERFORMATIVES.length})`);
  frame[FRAME_PERFORMATIVE] = 255;
  t.equal(decodeFrame(frame).performative, 'unknown(255)');
  t.equal(decodeFrame(frame).performativeCode, 255);
});

t.test('errors: short buffers and bad length fields throw RangeError naming the sizes', async (t) => {
  for (const n of [0, 1, 4, FRAME_HEADER_BYTES - 1]) {
    t.throws(() => decodeFrame(new Uint8Array(n)), {
      name: 'RangeError',
      message: new RegExp(`\\b${n} bytes\\b.*\\b${FRAME_HEADER_BYTES}-byte header`),
    }, `${n}-byte buffer`);
  }
  const frame = encodeFrame({ performative: 1, destinationSlot: 2 }, 'hello', { language: 'en' });
  const v = new DataView(frame.buffer);
  v.setUint32(FRAME_LENGTH, frame.length + 1, true);
  t.throws(() => decodeFrame(frame), {
    name: 'RangeError',
    message: new RegExp(`\\b${frame.length + 1}\\b.*\\b${frame.length} bytes\\b`),
  }, 'length field one larger than the buffer');
  v.setUint32(FRAME_LENGTH, 0xffffffff, true);
  t.throws(() => decodeFrame(frame), { name: 'RangeError', message: /\b4294967295\b/ }, 'length field 2^32-1');
  v.setUint32(FRAME_LENGTH, FRAME_HEADER_BYTES - 1, true);
  t.throws(() => decodeFrame(frame), { name: 'RangeError', message: new RegExp(`\\b${FRAME_HEADER_BYTES - 1}\\b`) }, 'length field below the header size');
  // every truncation of a valid frame is refused with both sizes in the message
  fc.assert(
    fc.property(fieldsArb, value, params, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (f, content, p, cut) => {
      const whole = encodeFrame(f, content, p);
      const n = Math.floor(cut * whole.length);
      const want = n < FRAME_HEADER_BYTES
        ? new RegExp(`\\b${n} bytes\\b.*\\b${FRAME_HEADER_BYTES}-byte`)
        : new RegExp(`\\b${whole.length}\\b.*\\b${n} bytes\\b`);
      let err: unknown;
      try {
        decodeFrame(whole.subarray(0, n));
      } catch (e) {
        err = e;
      }
      ok(err instanceof RangeError, `truncated to ${n}: ${String(err)}`);
      ok(want.test(err.message), err.message);
    }),
    { numRuns: 300 },
  );
});

// Regression: decodeFrame once read parameters from bytes past the frame's end.
t.test('a paramsLength that runs past the frame length is rejected', async (t) => {
  const good = encodeFrame({ performative: 7, destinationSlot: 1 }, null, { a: 'hi' });
  const paramsLength = new DataView(good.buffer).getUint32(FRAME_PARAMS_LENGTH, true);
  t.ok(paramsLength > 2, 'the frame has parameters to cut into');
  // the length field says the frame ends 2 bytes into its params; the bytes
  // after it (the rest of the params, then the content) belong to whatever
  // follows the frame in the buffer
  const buf = good.slice();
  new DataView(buf.buffer).setUint32(FRAME_LENGTH, FRAME_HEADER_BYTES + paramsLength - 2, true);
  t.throws(() => decodeFrame(buf), RangeError, 'params beyond the frame are not read');
});

t.test('params that are not msgpack are kept as bytes, not thrown', async (t) => {
  const good = encodeFrame({ performative: 7, destinationSlot: 1 }, 'hi', { language: 'en' });
  const view = new DataView(good.buffer);
  const paramsLength = view.getUint32(72, true);
  const bad = good.slice();
  bad.fill(0xc1, 80, 80 + paramsLength); // 0xc1 is never used by msgpack
  const d = decodeFrame(bad);
  t.ok(d.params && d.params.$undecodable instanceof Uint8Array, 'the raw params are kept');
  t.equal((d.params!.$undecodable as Uint8Array).length, paramsLength);
  t.equal(d.content, 'hi', 'the content is still read');
});
