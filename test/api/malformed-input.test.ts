// Input that is not what it claims to be is the client's INVALID_ARGUMENT,
// naming where it is (#16 item 7): bytes that are not a protobuf message for
// the gRPC method (once grpc-js's INTERNAL "Error deserializing request"),
// and text holding a lone UTF-16 surrogate (once stored, breaking every JSON
// reader of the fleet, logs and dead letters later).
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { example } from '../helpers/agents.js';
import { rich, startTestServer, stopTestServer } from '../helpers/server.js';
import { b64 } from '../helpers/rest.js';

const s = await startTestServer();
t.teardown(() => stopTestServer(s));
await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });

t.test('gRPC: undecodable bytes are INVALID_ARGUMENT naming the method, and the server goes on', async (t) => {
  const client = new grpc.Client(s.target, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const raw = (path: string, bytes: Buffer): Promise<grpc.ServiceError | undefined> => new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, s.metadata(), { deadline: Date.now() + 10_000 },
      (e) => resolve(e ?? undefined));
  });
  // a varint cut short; a field with wire type 7 (there is none); a tag of eleven 0xff bytes
  for (const bytes of [Buffer.from([0x08, 0xff]), Buffer.from([0x0f, 0x00, 0x00]), Buffer.alloc(11, 0xff)]) {
    for (const path of ['/caxton.v1.MessageService/Send', '/caxton.v1.AgentService/Deploy']) {
      const e = await raw(path, bytes);
      t.ok(e, `${path}: refused`);
      t.equal(e?.code, grpc.status.INVALID_ARGUMENT, `${path}: INVALID_ARGUMENT, not INTERNAL (${e?.details})`);
      t.equal(rich(e).reason, 'INVALID_ARGUMENT');
      t.match(e?.details, `is not a valid protobuf ${path.replace('/caxton.v1.', '')} request`);
      t.ok(rich(e).hint, 'with a hint');
    }
  }
  const r = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '"still here"' });
  t.equal(r.reply.contentJson, '"still here"', 'well-formed calls are served after it');
});

t.test('REST: a lone surrogate in a name, config, content or conversation id is refused, naming the field', async (t) => {
  const module = b64(example('echo'));
  // JSON text written by hand: JSON.stringify would write the escape, which is the point anyway
  const cases: [string, string, string][] = [
    ['POST', '/v1/agents', `{"name": "lone\\ud800", "module": "${module}"}`],
    ['POST', '/v1/agents', `{"name": "cfg", "module": "${module}", "config": {"greeting": "hi \\ud800"}}`],
    ['POST', '/v1/agents', `{"name": "cfg", "module": "${module}", "config": {"\\udc00": 1}}`],
    ['POST', '/v1/agents/echo/messages', '{"content": ["ok", "\\udfff"]}'],
    ['POST', '/v1/agents/echo/invoke', '{"content": "x", "conversationId": "order-\\ud800"}'],
  ];
  const fields = ['name', 'config.greeting', 'config (a key)', 'content[1]', 'conversationId'];
  for (const [i, [method, path, body]] of cases.entries()) {
    const r = await s.http(method, path, body);
    t.equal(r.status, 400, `${path} ${body.slice(0, 60)}: 400`);
    t.equal(r.body?.error?.code, 'INVALID_ARGUMENT');
    t.match(r.body?.error?.message, `${fields[i]}: holds a lone UTF-16 surrogate`);
    t.ok(r.body?.error?.hint);
  }
  t.equal((await s.http('GET', '/v1/agents/cfg')).status, 404, 'nothing was deployed');
  const list = await s.http('GET', '/v1/agents');
  t.doesNotThrow(() => JSON.parse(Buffer.from(list.text, 'utf8').toString('utf8')), 'the agent list is still JSON');
  const ok = await s.http('POST', '/v1/agents/echo/invoke', { content: 'pair \ud83d\ude00 is fine' });
  t.equal(ok.body?.reply?.content, 'pair \ud83d\ude00 is fine', 'a surrogate pair is text');
});

t.test('gRPC: the same over gRPC (config_json and strings)', async (t) => {
  const e = await s.call(s.agents, 'Deploy', { name: 'g', module: example('echo'), configJson: '{"a": "\\ud800"}' }).then(() => undefined, (err: unknown) => err);
  t.equal((e as grpc.ServiceError | undefined)?.code, grpc.status.INVALID_ARGUMENT);
  t.match((e as Error).message, 'config.a: holds a lone UTF-16 surrogate');
  const c = await s.call(s.messages, 'Send', { agent: 'echo', contentJson: '"\\udbff"' }).then(() => undefined, (err: unknown) => err);
  t.match((c as Error | undefined)?.message, 'content: holds a lone UTF-16 surrogate');
});
