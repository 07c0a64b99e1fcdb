// The standard services next to caxton.v1 on a real server over loopback:
// grpc.health.v1.Health (no token needed: probes and load balancers send
// none), server reflection (token needed, like every caxton.v1 call), and the
// bearer-token check itself on a caxton.v1 method. Streams are awaited on
// their events; nothing here waits for a fixed time.
import t from 'tap';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { SERVICE_NAMES } from '../../dist/api/grpc.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { within } from '../helpers/wait.js';

const require = createRequire(import.meta.url);
// The same descriptor codec @grpc/reflection encodes with.
const descriptor = require('protobufjs/ext/descriptor') as {
  FileDescriptorProto: { decode(b: Uint8Array): FileDescriptor };
};
interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: { name: string }[];
  enumType: { name: string }[];
  service: { name: string; method: { name: string; inputType: string; outputType: string; serverStreaming?: boolean }[] }[];
}

const REFLECTION_DIR = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
const REFLECTION_V1 = join(REFLECTION_DIR, 'grpc', 'reflection', 'v1', 'reflection.proto');
const REFLECTION_V1ALPHA = join(REFLECTION_DIR, 'grpc', 'reflection', 'v1alpha', 'reflection.proto');
const HEALTH = 'grpc.health.v1.Health';
const CLIENT_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** A method of these clients (unary, server stream or bidi), called by name. */
type Method = (...args: any[]) => any;
type Ctor = new (target: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Method>;
function serviceCtor(file: string, path: string[]): Ctor {
  let o: any = grpc.loadPackageDefinition(protoLoader.loadSync(file, CLIENT_OPTIONS));
  for (const p of path) o = o[p];
  if (typeof o !== 'function') throw new Error(`${path.join('.')} not found in ${file}`);
  return o as Ctor;
}

/** Messages of a readable call, one at a time, in order; rejects once the call ends or fails with nothing left, or after 30 s without one. */
class Stream<T> {
  private readonly items: T[] = [];
  private waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  private ended: unknown;
  readonly status: Promise<grpc.StatusObject>;

  constructor(readonly call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>) {
    call.on('data', (d: T) => {
      const w = this.waiters.shift();
      if (w) w.resolve(d);
      else this.items.push(d);
    });
    // An error (non-OK status) is also reported as 'status'; listening keeps it from being thrown.
    call.on('error', () => {});
    this.status = new Promise((resolve) => {
      call.on('status', (st: grpc.StatusObject) => {
        this.ended = Object.assign(new Error(`the call ended: ${st.code} ${st.details}`), { code: st.code });
        for (const w of this.waiters.splice(0)) w.reject(this.ended);
        resolve(st);
      });
    });
  }

  /** The call's status, once it has ended (fails after 30 s without one). */
  finished(): Promise<grpc.StatusObject> {
    return within(this.status, 'the call to end with a status');
  }

  next(): Promise<T> {
    if (this.items.length) return Promise.resolve(this.items.shift()!);
    if (this.ended) return Promise.reject(this.ended);
    let waiter: { resolve: (v: T) => void; reject: (e: unknown) => void } | undefined;
    const next = new Promise<T>((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return within(next, 'the next message on the stream').catch((e: unknown) => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      throw e;
    });
  }
}

t.test('health and reflection', async (t) => {
  const s: TestServer = await startTestServer();
  t.teardown(() => stopTestServer(s));

  const creds = grpc.credentials.createInsecure();
  t.ok(existsSync(healthProtoPath), `grpc-health-check ships its proto (${healthProtoPath})`);
  const Health = serviceCtor(healthProtoPath, ['grpc', 'health', 'v1', 'Health']);
  const ReflectionV1 = serviceCtor(REFLECTION_V1, ['grpc', 'reflection', 'v1', 'ServerReflection']);
  const ReflectionV1Alpha = serviceCtor(REFLECTION_V1ALPHA, ['grpc', 'reflection', 'v1alpha', 'ServerReflection']);
  const health = new Health(s.target, creds);
  const reflection = new ReflectionV1(s.target, creds);
  const reflectionAlpha = new ReflectionV1Alpha(s.target, creds);
  t.teardown(() => {
    health.close();
    reflection.close();
    reflectionAlpha.close();
  });

  const check = (service: string, md = s.metadata(null)): Promise<{ status: string }> => new Promise((resolve, reject) => {
    health.Check!({ service }, md, { deadline: Date.now() + 10_000 }, (e: unknown, v: { status: string }) => (e ? reject(e) : resolve(v)));
  });
  const watch = (service: string, md = s.metadata(null)): Stream<{ status: string }> => new Stream(health.Watch!({ service }, md));

  /** One ServerReflectionInfo stream: writes the requests, half-closes, collects the answers and the status. */
  async function reflect(client: grpc.Client & Record<string, Method>, requests: object[], md: grpc.Metadata): Promise<{ responses: any[]; status: grpc.StatusObject }> {
    const call = client.ServerReflectionInfo!(md, { deadline: Date.now() + 10_000 }) as grpc.ClientDuplexStream<object, any>;
    const responses: any[] = [];
    call.on('data', (d: any) => responses.push(d));
    const stream = new Stream(call);
    for (const r of requests) call.write(r);
    call.end();
    const status = await stream.finished();
    return { responses, status };
  }

  t.test('the server reports SERVING once started (Watch, no token)', async (t) => {
    // CaxtonServer.start() tells the API thread to serve just before it
    // resolves; wait for that on the stream rather than for a time.
    const w = watch('');
    const seen: string[] = [];
    for (;;) {
      const m = await w.next();
      seen.push(m.status);
      if (m.status === 'SERVING') break;
      t.equal(m.status, 'NOT_SERVING', 'before SERVING, only NOT_SERVING');
    }
    t.equal(seen.at(-1), 'SERVING', `statuses seen: ${seen.join(', ')}`);
    w.call.cancel();
    t.equal((await w.finished()).code, grpc.status.CANCELLED);
  });

  t.test('Check without a token: overall and every caxton.v1 service SERVING', async (t) => {
    t.same(await check(''), { status: 'SERVING' }, "service '' (the whole server)");
    t.same(await check('caxton.v1.MessageService'), { status: 'SERVING' });
    for (const name of SERVICE_NAMES) t.same(await check(name), { status: 'SERVING' }, name);
    t.same(await check('', s.metadata('not-the-token-at-all')), { status: 'SERVING' }, 'a wrong token is ignored too');
  });

  t.test('Check of an unknown service is NOT_FOUND', async (t) => {
    await t.rejects(check('caxton.v1.NoSuchService'), { code: grpc.status.NOT_FOUND });
    await t.rejects(check('caxton.v1.messageservice'), { code: grpc.status.NOT_FOUND }, 'names are case-sensitive');
  });

  t.test('Watch without a token: SERVING is the first message', async (t) => {
    const w = watch('caxton.v1.MessageService');
    t.same(await w.next(), { status: 'SERVING' });
    w.call.cancel();
    t.equal((await w.finished()).code, grpc.status.CANCELLED);

    const unknown = watch('caxton.v1.NoSuchService');
    t.same(await unknown.next(), { status: 'SERVICE_UNKNOWN' }, 'an unknown service: SERVICE_UNKNOWN, the stream stays open');
    unknown.call.cancel();
    t.equal((await unknown.finished()).code, grpc.status.CANCELLED);
  });

  t.test('reflection (v1) list_services names every service the server serves', async (t) => {
    const { responses, status } = await reflect(reflection, [{ list_services: '*' }], s.metadata());
    t.equal(status.code, grpc.status.OK, status.details);
    t.equal(responses.length, 1);
    const r = responses[0];
    t.equal(r.message_response, 'list_services_response', JSON.stringify(r.error_response ?? null));
    const names: string[] = r.list_services_response.service.map((x: { name: string }) => x.name);
    for (const name of SERVICE_NAMES) t.ok(names.includes(name), `lists ${name}`);
    t.same(
      SERVICE_NAMES.slice().sort(),
      ['caxton.v1.AgentService', 'caxton.v1.LogService', 'caxton.v1.ManagementService', 'caxton.v1.MessageService', 'caxton.v1.TaskService', 'caxton.v1.ToolService'],
      'the six caxton.v1 services',
    );
    t.ok(names.includes(HEALTH), `lists ${HEALTH} (served, so it must be advertised; got ${names.join(', ')})`);
    const allowed = new Set([...SERVICE_NAMES, HEALTH, 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']);
    t.same(names.filter((n) => !allowed.has(n)), [], 'nothing that is not served');
  });

  t.test('reflection (v1) describes grpc.health.v1.Health, so clients like grpcurl can call it', async (t) => {
    const { responses, status } = await reflect(reflection, [{ file_containing_symbol: HEALTH }], s.metadata());
    t.equal(status.code, grpc.status.OK, status.details);
    const r = responses[0];
    t.equal(r?.message_response, 'file_descriptor_response', JSON.stringify(r?.error_response ?? null));
    const files: FileDescriptor[] = (r?.file_descriptor_response?.file_descriptor_proto ?? []).map((b: Uint8Array) => descriptor.FileDescriptorProto.decode(b));
    const svc = files.flatMap((f) => f.service.map((x) => ({ pkg: f.package, ...x }))).find((x) => `${x.pkg}.${x.name}` === HEALTH);
    t.ok(svc, `a descriptor declares ${HEALTH}`);
    const methods = svc?.method.map((m) => m.name) ?? [];
    t.ok(methods.includes('Check') && methods.includes('Watch'), `with Check and Watch (${methods.join(', ')})`);
  });

  t.test('reflection (v1) file_containing_symbol returns decodable descriptors of the caxton.v1 API', async (t) => {
    const { responses, status } = await reflect(reflection, [
      { file_containing_symbol: 'caxton.v1.MessageService' },
      { file_containing_symbol: 'caxton.v1.MessageService.Invoke' },
      { file_containing_symbol: 'caxton.v1.NoSuchThing' },
    ], s.metadata());
    t.equal(status.code, grpc.status.OK, status.details);
    t.equal(responses.length, 3, 'one answer per request');

    const [svc, method, missing] = responses;
    t.equal(svc.message_response, 'file_descriptor_response', JSON.stringify(svc.error_response ?? null));
    const raw: Uint8Array[] = svc.file_descriptor_response.file_descriptor_proto;
    t.ok(raw.length >= 1, `${raw.length} file descriptor(s)`);
    const files = raw.map((b) => descriptor.FileDescriptorProto.decode(b));
    const declaring = files.filter((f) => f.package === 'caxton.v1' && f.service.some((x) => x.name === 'MessageService'));
    t.equal(declaring.length, 1, 'exactly one descriptor declares caxton.v1.MessageService');
    const file = declaring[0]!;
    t.ok(file.name.endsWith('.proto'), `named ${file.name}`);
    const ms = file.service.find((x) => x.name === 'MessageService')!;
    t.same(ms.method.map((m) => m.name), ['Send', 'Invoke', 'StreamConversation'], 'the methods, in proto order');
    const stream = ms.method.find((m) => m.name === 'StreamConversation')!;
    t.equal(stream.serverStreaming, true, 'StreamConversation is server streaming');

    // Everything the service refers to is in the returned set (grpcurl needs nothing else).
    const declared = new Set(files.flatMap((f) => [...f.messageType, ...f.enumType].map((m) => `.${f.package}.${m.name}`)));
    for (const m of ms.method) {
      t.ok(declared.has(m.inputType), `${m.name} input ${m.inputType} is described`);
      t.ok(declared.has(m.outputType), `${m.name} output ${m.outputType} is described`);
    }
    const names = new Set(files.map((f) => f.name));
    for (const f of files) for (const d of f.dependency) t.ok(names.has(d), `${f.name}'s import ${d} is included`);

    t.equal(method.message_response, 'file_descriptor_response', 'a method name resolves too');
    t.equal(missing.message_response, 'error_response');
    t.equal(missing.error_response.error_code, grpc.status.NOT_FOUND, 'an unknown symbol: NOT_FOUND in the response, the stream goes on');
  });

  t.test('reflection v1alpha (older grpcurl and tools) answers the same', async (t) => {
    const { responses, status } = await reflect(reflectionAlpha, [{ list_services: '*' }, { file_containing_symbol: 'caxton.v1.AgentService' }], s.metadata());
    t.equal(status.code, grpc.status.OK, status.details);
    const names: string[] = responses[0].list_services_response.service.map((x: { name: string }) => x.name);
    for (const name of SERVICE_NAMES) t.ok(names.includes(name), `lists ${name}`);
    const files = (responses[1].file_descriptor_response.file_descriptor_proto as Uint8Array[]).map((b) => descriptor.FileDescriptorProto.decode(b));
    t.ok(files.some((f) => f.package === 'caxton.v1' && f.service.some((x) => x.name === 'AgentService')), 'describes caxton.v1.AgentService');
  });

  t.test('reflection without a token (or with a wrong one) is UNAUTHENTICATED', async (t) => {
    for (const [label, md] of [['no token', s.metadata(null)], ['wrong token', s.metadata('x'.repeat(43))]] as const) {
      for (const client of [reflection, reflectionAlpha]) {
        const { responses, status } = await reflect(client, [{ list_services: '*' }], md);
        t.equal(status.code, grpc.status.UNAUTHENTICATED, `${label}: code 16`);
        t.same(status.metadata.get('caxton-error-code'), ['UNAUTHENTICATED'], `${label}: caxton-error-code trailer`);
        t.equal(responses.length, 0, `${label}: nothing is answered`);
      }
    }
  });

  t.test('ManagementService.ServerInfo: no token / wrong token UNAUTHENTICATED, the token OK', async (t) => {
    const fails = async (token: string | null, label: string): Promise<void> => {
      const e = await s.call(s.management, 'ServerInfo', {}, { token }).then(() => undefined, (err: grpc.ServiceError) => err);
      t.ok(e, `${label}: fails`);
      t.equal(e?.code, grpc.status.UNAUTHENTICATED, `${label}: code 16`);
      t.same(e?.metadata.get('caxton-error-code'), ['UNAUTHENTICATED'], `${label}: caxton-error-code trailer`);
    };
    await fails(null, 'no token');
    await fails(`${s.token}x`, 'wrong token');
    await fails('', 'empty token');
    const info = await s.call(s.management, 'ServerInfo', {});
    t.equal(info.state, 'running');
    t.equal(info.nodeVersion, process.version);
    t.ok(info.workers >= 1);
  });

  // Last: it stops the server (the teardown's stop is then a no-op).
  t.test('stop(): a Watch stream sees NOT_SERVING, then the server is gone', async (t) => {
    const w = watch('');
    t.same(await w.next(), { status: 'SERVING' });
    const service = watch('caxton.v1.MessageService');
    t.same(await service.next(), { status: 'SERVING' });

    const stopped = s.server.stop(5000);
    t.same(await w.next(), { status: 'NOT_SERVING' }, "'' turns NOT_SERVING as soon as the drain starts");
    t.same(await service.next(), { status: 'NOT_SERVING' }, 'and so does each service');
    // Let the server finish its graceful shutdown without waiting for our watches.
    w.call.cancel();
    service.call.cancel();
    await w.finished();
    await service.finished();
    await stopped;
    await t.rejects(check(''), { code: grpc.status.UNAVAILABLE }, 'once stopped, nothing answers');
  });
});
