// An OTLP receiver for tests: a real server on a loopback port that takes
// trace and metric exports in every encoding the exporters send (http/json
// and http/protobuf over node:http, or protobuf over gRPC with a grpc-js
// server), decodes every span and data point it is sent, and lets a test
// await what it expects (no sleeps: each arrival re-checks; a deadline ends
// the wait with what did arrive).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { within, type WaitOptions } from './wait.js';

/** OTLP SpanKind numbers (opentelemetry/proto/trace/v1/trace.proto). */
export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  /** the resource attributes of the batch the span came in (service.name, caxton.thread...) */
  resource: Record<string, unknown>;
  /** start and end, nanoseconds since the epoch (decimal) */
  startNanos: string;
  endNanos: string;
  /** code 0 unset, 1 ok, 2 error */
  status: { code: number; message: string };
  /** how the span arrived */
  encoding: 'json' | 'protobuf';
}

/** One data point of a sum, gauge (its value) or histogram (its count). */
interface MetricPoint {
  attributes: Record<string, string>;
  value: number;
}

export interface OtlpReceiver {
  /** base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the HTTP exporters append /v1/traces, /v1/metrics) */
  endpoint: string;
  spans: ReceivedSpan[];
  /** the newest metrics export: data points by metric name */
  metrics: Map<string, MetricPoint[]>;
  /** one entry per export request: its signal, content-type and how many spans or metrics it held */
  requests: { signal: 'traces' | 'metrics'; contentType: string; items: number }[];
  /** request bodies that could not be decoded, or unexpected requests (a test should assert this stays empty) */
  errors: string[];
  /**
   * resolves with the result of `pick` once it returns something (re-checked
   * at every export received); rejects after `opts.timeoutMs` (default 30 s)
   * naming `what` and `opts.seen()`, by default a summary of what arrived
   */
  waitFor<T>(pick: (spans: ReceivedSpan[]) => T | undefined, what: string, opts?: WaitOptions): Promise<T>;
  close(): Promise<void>;
}

type Signal = 'traces' | 'metrics';

/** What both transports share: decoding a body and recording it. */
class Collected {
  readonly spans: ReceivedSpan[] = [];
  metrics = new Map<string, MetricPoint[]>();
  readonly requests: OtlpReceiver['requests'] = [];
  readonly errors: string[] = [];
  private waiters: (() => void)[] = [];

  /** Decode one export; throws what a receiver should answer as a bad request. */
  take(signal: Signal, contentType: string, body: Uint8Array): void {
    const protobuf = contentType.startsWith('application/x-protobuf') || contentType.startsWith('application/grpc');
    if (signal === 'traces') {
      const got = protobuf ? decodeProtobufRequest(body) : decodeJsonRequest(JSON.parse(Buffer.from(body).toString('utf8')));
      this.requests.push({ signal, contentType, items: got.length });
      this.spans.push(...got);
    } else {
      const got = protobuf ? decodeProtobufMetrics(body) : decodeJsonMetrics(JSON.parse(Buffer.from(body).toString('utf8')));
      this.requests.push({ signal, contentType, items: got.size });
      this.metrics = got;
    }
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitFor<T>(pick: (spans: ReceivedSpan[]) => T | undefined, what: string, opts: WaitOptions = {}): Promise<T> {
    let check: (() => void) | undefined;
    const found = new Promise<T>((resolve) => {
      check = (): void => {
        const v = pick(this.spans);
        if (v !== undefined) resolve(v);
        else this.waiters.push(check!);
      };
      check();
    });
    return within(found, what, { timeoutMs: opts.timeoutMs, seen: opts.seen ?? (() => this.summary()) }).finally(() => {
      this.waiters = this.waiters.filter((w) => w !== check);
    });
  }

  /** What arrived, for a wait's error message. */
  summary(): string {
    const metrics = [...this.metrics].map(([name, points]) => `${name} ${JSON.stringify(points.map((p) => [p.attributes, p.value]))}`);
    return `${this.requests.length} export(s); ${this.spans.length} span(s): ${this.spans.map((s) => `${s.name} (${s.resource['caxton.thread']})`).join(', ')}`
      + `; newest metrics: ${metrics.join('; ') || 'none'}; errors: ${JSON.stringify(this.errors)}`;
  }
}

/** OTLP over HTTP: POST /v1/traces and /v1/metrics, JSON or protobuf. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const c = new Collected();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const contentType = String(req.headers['content-type'] ?? '');
      const signal = req.method === 'POST' && req.url === '/v1/traces' ? 'traces' : req.method === 'POST' && req.url === '/v1/metrics' ? 'metrics' : undefined;
      if (!signal) {
        c.errors.push(`unexpected ${req.method} ${req.url}`);
        res.writeHead(404).end();
        return;
      }
      try {
        c.take(signal, contentType, body);
      } catch (e) {
        c.errors.push(`${signal} ${contentType}: ${(e as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      // An empty Export*ServiceResponse in the request's encoding.
      if (contentType.startsWith('application/x-protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    })().catch((e: unknown) => {
      c.errors.push(String(e));
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: c.spans, requests: c.requests, errors: c.errors,
    get metrics() { return c.metrics; },
    waitFor: (pick, what, opts) => c.waitFor(pick, what, opts),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * OTLP over gRPC: the collector's TraceService/Export and
 * MetricsService/Export on a grpc-js server, with the bodies kept as bytes
 * and decoded by the protobuf reader below (no generated code).
 */
export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const c = new Collected();
  const server = new grpc.Server();
  const bytes = (b: Buffer): Buffer => b;
  const method = (signal: Signal, path: string): grpc.ServiceDefinition => ({
    Export: {
      path, requestStream: false, responseStream: false, originalName: 'Export',
      requestSerialize: bytes, requestDeserialize: bytes,
      // An empty Export*ServiceResponse is zero bytes.
      responseSerialize: () => Buffer.alloc(0), responseDeserialize: bytes,
    },
  } as grpc.ServiceDefinition);
  const handler = (signal: Signal): grpc.UntypedServiceImplementation => ({
    Export: (call: grpc.ServerUnaryCall<Buffer, null>, done: grpc.sendUnaryData<null>) => {
      try {
        c.take(signal, 'application/grpc', call.request);
        done(null, null);
      } catch (e) {
        c.errors.push(`${signal} grpc: ${(e as Error).message}`);
        done({ code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
      }
    },
  });
  server.addService(method('traces', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'), handler('traces'));
  server.addService(method('metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'), handler('metrics'));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: c.spans, requests: c.requests, errors: c.errors,
    get metrics() { return c.metrics; },
    waitFor: (pick, what, opts) => c.waitFor(pick, what, opts),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (enc === 'gzip') return gunzipSync(raw);
  if (enc === 'deflate') return inflateSync(raw);
  return raw;
}

// ---------------------------------------------------------------- OTLP/JSON

interface JsonKeyValue { key: string; value?: Record<string, unknown> }

function jsonValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  // intValue stays a plain number and doubleValue is tagged, so a test sees which one was sent.
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return { doubleValue: Number(v.doubleValue) };
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(jsonValue);
  if ('kvlistValue' in v) return jsonAttributes((v.kvlistValue as { values?: JsonKeyValue[] }).values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

function jsonAttributes(kvs: JsonKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

/** OTLP/JSON ids are hex strings (the spec's JSON mapping, not base64). */
function jsonId(v: unknown, bytes: number): string {
  if (v === undefined || v === '') return '';
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) throw new Error(`id ${JSON.stringify(v)} is not ${bytes * 2} lowercase hex digits (OTLP/JSON ids are hex)`);
  return v;
}

export function decodeJsonRequest(body: any): ReceivedSpan[] {
  if (typeof body !== 'object' || body === null || !Array.isArray(body.resourceSpans)) throw new Error('no resourceSpans array');
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: jsonId(s.traceId, 16), spanId: jsonId(s.spanId, 8), parentSpanId: jsonId(s.parentSpanId, 8),
          name: String(s.name), kind: Number(s.kind ?? 0), attributes: jsonAttributes(s.attributes), resource,
          startNanos: String(BigInt(s.startTimeUnixNano ?? 0)), endNanos: String(BigInt(s.endTimeUnixNano ?? 0)),
          status: { code: Number(s.status?.code ?? 0), message: String(s.status?.message ?? '') }, encoding: 'json',
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- OTLP/protobuf
// A minimal protobuf wire-format reader for the few messages a trace export
// holds (no generated code, no dependency): ExportTraceServiceRequest ->
// ResourceSpans -> (Resource, ScopeSpans -> Span), KeyValue/AnyValue.

type Field = { no: number; wire: number; varint?: bigint; bytes?: Uint8Array };

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (i + n > buf.length) throw new Error('truncated fixed field');
      out.push({ no, wire, bytes: buf.subarray(i, i + n) });
      i += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (i + n > buf.length) throw new Error(`truncated field ${no}`);
      out.push({ no, wire, bytes: buf.subarray(i, i + n) });
      i += n;
    } else throw new Error(`unsupported wire type ${wire} (field ${no})`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');

function pbAnyValue(buf: Uint8Array): unknown {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: return utf8.decode(f.bytes!);
      case 2: return f.varint !== 0n;
      case 3: return Number(BigInt.asIntN(64, f.varint!));
      case 4: return { doubleValue: Buffer.from(f.bytes!).readDoubleLE(0) };
      case 5: return fields(f.bytes!).filter((g) => g.no === 1).map((g) => pbAnyValue(g.bytes!));
      case 6: return pbAttributes(fields(f.bytes!).filter((g) => g.no === 1));
      case 7: return Buffer.from(f.bytes!).toString('base64');
    }
  }
  return undefined;
}

/** KeyValue fields -> record */
function pbAttributes(kvs: Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs) {
    let key = '';
    let value: unknown;
    for (const f of fields(kv.bytes!)) {
      if (f.no === 1) key = utf8.decode(f.bytes!);
      else if (f.no === 2) value = pbAnyValue(f.bytes!);
    }
    out[key] = value;
  }
  return out;
}

export function decodeProtobufRequest(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(body).filter((f) => f.no === 1)) {
    const parts = fields(rs.bytes!);
    const res = parts.find((f) => f.no === 1);
    const resource = res ? pbAttributes(fields(res.bytes!).filter((f) => f.no === 1)) : {};
    for (const ss of parts.filter((f) => f.no === 2)) {
      for (const sp of fields(ss.bytes!).filter((f) => f.no === 2)) {
        const s: ReceivedSpan = {
          traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0, attributes: {}, resource,
          startNanos: '0', endNanos: '0', status: { code: 0, message: '' }, encoding: 'protobuf',
        };
        const attrs: Field[] = [];
        for (const f of fields(sp.bytes!)) {
          if (f.no === 1) s.traceId = hex(f.bytes);
          else if (f.no === 2) s.spanId = hex(f.bytes);
          else if (f.no === 4) s.parentSpanId = hex(f.bytes);
          else if (f.no === 5) s.name = utf8.decode(f.bytes!);
          else if (f.no === 6) s.kind = Number(f.varint);
          else if (f.no === 7) s.startNanos = String(Buffer.from(f.bytes!).readBigUInt64LE(0));
          else if (f.no === 8) s.endNanos = String(Buffer.from(f.bytes!).readBigUInt64LE(0));
          else if (f.no === 9) attrs.push(f);
          else if (f.no === 15) {
            for (const g of fields(f.bytes!)) {
              if (g.no === 2) s.status.message = utf8.decode(g.bytes!);
              else if (g.no === 3) s.status.code = Number(g.varint);
            }
          }
        }
        s.attributes = pbAttributes(attrs);
        out.push(s);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- metrics
// ExportMetricsServiceRequest -> ResourceMetrics(1) -> ScopeMetrics(2) ->
// Metric(2): name(1), gauge(5) / sum(7) / histogram(9) -> data_points(1).
// A number point holds attributes(7), as_double(4) or as_int(6); a
// histogram point's value here is its count(4).

function decodeJsonMetrics(body: any): Map<string, MetricPoint[]> {
  if (typeof body !== 'object' || body === null || !Array.isArray(body.resourceMetrics)) throw new Error('no resourceMetrics array');
  const out = new Map<string, MetricPoint[]>();
  for (const rm of body.resourceMetrics) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const points = (m.sum ?? m.gauge ?? m.histogram)?.dataPoints ?? [];
        out.set(String(m.name), points.map((p: any) => ({
          attributes: Object.fromEntries(Object.entries(jsonAttributes(p.attributes)).map(([k, v]) => [k, String(v)])),
          value: Number(p.asInt ?? p.asDouble ?? p.count ?? 0),
        })));
      }
    }
  }
  return out;
}

function decodeProtobufMetrics(body: Uint8Array): Map<string, MetricPoint[]> {
  const out = new Map<string, MetricPoint[]>();
  for (const rm of fields(body).filter((f) => f.no === 1)) {
    for (const sm of fields(rm.bytes!).filter((f) => f.no === 2)) {
      for (const m of fields(sm.bytes!).filter((f) => f.no === 2)) {
        let name = '';
        const points: MetricPoint[] = [];
        for (const f of fields(m.bytes!)) {
          if (f.no === 1) name = utf8.decode(f.bytes!);
          else if (f.no === 5 || f.no === 7 || f.no === 9) {
            for (const dp of fields(f.bytes!).filter((g) => g.no === 1)) points.push(pbPoint(dp.bytes!, f.no === 9));
          }
        }
        out.set(name, points);
      }
    }
  }
  return out;
}

function pbPoint(buf: Uint8Array, histogram: boolean): MetricPoint {
  const attrs: Field[] = [];
  let value = 0;
  for (const f of fields(buf)) {
    if (f.no === (histogram ? 9 : 7)) attrs.push(f);
    else if (histogram ? f.no === 4 : f.no === 6) value = Number(Buffer.from(f.bytes!).readBigInt64LE(0));
    else if (!histogram && f.no === 4) value = Buffer.from(f.bytes!).readDoubleLE(0);
  }
  return { attributes: Object.fromEntries(Object.entries(pbAttributes(attrs)).map(([k, v]) => [k, String(v)])), value };
}

// ---------------------------------------------------------------- trees

/** The spans' roots: those whose parent is not among them (a remote parent counts as outside). */
export function roots(spans: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
}
