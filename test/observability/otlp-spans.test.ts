// The OTLP encoding of span records (runtime/observability/otlp-spans.ts) against the
// OpenTelemetry SDK's own serializers: for the same spans, our protobuf and
// JSON requests must decode (with the test's independent decoder,
// test/helpers/otlp.ts) to exactly what ProtobufTraceSerializer and
// JsonTraceSerializer produce from ReadableSpan objects: ids, parent, name,
// kind, times to the nanosecond, attributes, status and resource.
import t from 'tap';
import fc from 'fast-check';
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ProtobufSpanEncoder, encodeJson, nanosWords, spanName, type SpanRange, type SpanSource } from '../../dist/runtime/observability/otlp-spans.js';
import { REC_WORDS, R_AGENT, R_CONV_HI, R_CONV_LO, R_ERROR, R_PARENT, R_PERF, R_SENDER, R_SPAN, R_STATUS, R_TRACE, SpanRecorder, recordText, type SpanBatch } from '../../dist/runtime/observability/span-recorder.js';
import { wordsToHex } from '../../dist/runtime/observability/tracing.js';
import { idToString } from '../../dist/bus/frame.js';
import { PERFORMATIVES } from '../../dist/bus/layout.js';
import { decodeJsonRequest, decodeProtobufRequest, type ReceivedSpan } from '../helpers/otlp.js';

interface Rec {
  words: number[];
  start: number;
  end: number;
  agent: string;
  sender: string;
  error: string;
}

const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const nonZeroId = (n: number) => fc.array(i32, { minLength: n, maxLength: n }).filter((w) => w.some((x) => x !== 0));
const name = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ unit: 'grapheme', maxLength: 12 }));
/** epoch ms as a worker records them: performance.timeOrigin + performance.now() */
const epochMs = fc.double({ min: 1.6e12, max: 2.2e12, noNaN: true });

const record: fc.Arbitrary<Rec> = fc.record({
  trace: nonZeroId(4), parent: nonZeroId(2), span: nonZeroId(2), conv: fc.tuple(i32, i32),
  perf: fc.integer({ min: 0, max: PERFORMATIVES.length }), status: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 5 })),
  start: epochMs, took: fc.double({ min: 0, max: 5000, noNaN: true }),
  agent: name, sender: name, error: fc.string({ maxLength: 40 }),
}).map((r) => ({
  words: [...r.trace, ...r.parent, ...r.span, r.conv[0], r.conv[1], r.perf, r.status],
  start: r.start, end: r.start + r.took,
  agent: r.agent, sender: r.sender, error: r.status === 0 ? '' : r.error || 'caxton_handle returned 1',
}));

/** The records as a worker's SpanRecorder batches them (its own begin/end, times and strings as given). */
function batchOf(thread: number, recs: Rec[]): SpanBatch {
  let batch: SpanBatch | undefined;
  const rec = new SpanRecorder(thread, (b) => { batch = structuredClone(b); });
  const src = new Int32Array(6);
  const out = new Int32Array(6);
  recs.forEach((r) => {
    src.set([...r.words.slice(R_TRACE, R_TRACE + 4), ...r.words.slice(R_PARENT, R_PARENT + 2)]);
    rec.begin(src, 0, out, r.words[R_CONV_LO]!, r.words[R_CONV_HI]!, r.words[R_PERF]!, r.agent, r.sender);
    rec.end(r.words[R_STATUS]!, r.error);
  });
  rec.flush();
  // The recorder draws its own span ids and clock: put the generated ones back.
  const b = batch!;
  recs.forEach((r, i) => {
    b.words[i * REC_WORDS + R_SPAN] = r.words[R_SPAN]!;
    b.words[i * REC_WORDS + R_SPAN + 1] = r.words[R_SPAN + 1]!;
    b.times[i * 2] = r.start;
    b.times[i * 2 + 1] = r.end;
  });
  return b;
}

const RESOURCE = (thread: number): Attributes => ({
  'service.name': 'caxton', 'service.version': '1.2.3', 'caxton.thread': `worker-${thread}`,
  'deployment.environment': 'test', 'host.cpus': 2, 'feature.on': true, 'ratio': 0.25, 'tags': ['a', 'b'],
  // integers beyond int32 and negative ones are int64 intValues too, as the SDK writes them
  'process.started.ms': 1_764_000_000_000, 'offset': -7, 'big.negative': -(2 ** 40), 'counts': [1, 2 ** 33, -1],
});
const source: SpanSource = { resource: RESOURCE, scopeName: 'caxton', scopeVersion: '1.2.3' };

/** The same records as the SDK's finished spans. */
function readable(ranges: SpanRange[]): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (const { batch: b, start, end } of ranges) {
    const resource = resourceFromAttributes(RESOURCE(b.thread));
    for (let i = start; i < end; i++) {
      const w = b.words;
      const r = i * REC_WORDS;
      const traceId = wordsToHex(w, r + R_TRACE, 4);
      const startTime = millisToHrTime(b.times[i * 2]!);
      const endTime = millisToHrTime(b.times[i * 2 + 1]!);
      out.push({
        name: spanName(w[r + R_PERF]!), kind: SpanKind.CONSUMER,
        spanContext: () => ({ traceId, spanId: wordsToHex(w, r + R_SPAN, 2), traceFlags: TraceFlags.SAMPLED }),
        parentSpanContext: { traceId, spanId: wordsToHex(w, r + R_PARENT, 2), traceFlags: TraceFlags.SAMPLED, isRemote: true },
        startTime, endTime, duration: hrTimeDuration(startTime, endTime),
        status: w[r + R_STATUS] === 0 ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: recordText(b, i, R_ERROR) },
        attributes: {
          'caxton.agent': recordText(b, i, R_AGENT), 'caxton.sender': recordText(b, i, R_SENDER),
          'caxton.conversation_id': idToString(w[r + R_CONV_LO]!, w[r + R_CONV_HI]!),
        },
        links: [], events: [], ended: true, resource, instrumentationScope: { name: 'caxton', version: '1.2.3' },
        droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
      });
    }
  }
  return out;
}

/** Comparable form: the SDK groups by resource in its own order, so sort by span id. */
const normal = (spans: ReceivedSpan[]): object[] => spans
  .map((span) => {
    // all but the wire format it came in
    const rest: Omit<ReceivedSpan, 'encoding'> & Partial<Pick<ReceivedSpan, 'encoding'>> = { ...span };
    delete rest.encoding;
    return rest;
  })
  .sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));

const ranges = fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.map(([thread, recs, a, b]) => {
    // a sub-range of the batch, as an export request takes them
    const start = a % recs.length;
    const end = start + 1 + (b % (recs.length - start));
    return { batch: batchOf(thread, recs), start, end } satisfies SpanRange;
  }));

t.test('protobuf: the same request as the SDK serializer, decoded', async (t) => {
  const encoder = new ProtobufSpanEncoder(source);
  fc.assert(fc.property(ranges, (rs) => {
    const ours = normal(decodeProtobufRequest(encoder.encode(rs)));
    const sdk = normal(decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(readable(rs))!));
    t.strictSame(ours, sdk);
    return JSON.stringify(ours) === JSON.stringify(sdk);
  }), { numRuns: 300 });
});

t.test('JSON: the same request as the SDK serializer, decoded', async (t) => {
  fc.assert(fc.property(ranges, (rs) => {
    const ours = normal(decodeJsonRequest(JSON.parse(Buffer.from(encodeJson(rs, source)).toString('utf8'))));
    const sdk = normal(decodeJsonRequest(JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(readable(rs))!).toString('utf8'))));
    t.strictSame(ours, sdk);
    return JSON.stringify(ours) === JSON.stringify(sdk);
  }), { numRuns: 200 });
});

t.test('nanosWords is exact: the same 64-bit count as BigInt arithmetic on the HrTime', async (t) => {
  fc.assert(fc.property(epochMs, (ms) => {
    const [lo, hi] = nanosWords(ms);
    const [sec, ns] = millisToHrTime(ms);
    return ((BigInt(hi) << 32n) | BigInt(lo)) === BigInt(sec) * 1_000_000_000n + BigInt(ns);
  }), { numRuns: 10_000 });
  t.pass('10,000 times');
});

t.test('many spans in one request (lengths past one and two varint bytes)', async (t) => {
  const encoder = new ProtobufSpanEncoder(source);
  const recs = fc.sample(record, 2000);
  const rs: SpanRange[] = [{ batch: batchOf(1, recs.slice(0, 1000)), start: 0, end: 1000 }, { batch: batchOf(2, recs.slice(1000)), start: 0, end: 1000 }];
  const ours = decodeProtobufRequest(encoder.encode(rs));
  t.equal(ours.length, 2000);
  t.strictSame(normal(ours), normal(decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(readable(rs))!)));
});
