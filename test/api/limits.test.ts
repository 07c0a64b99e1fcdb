// Every number of an agent spec has one range (runtime/limits.ts), checked
// alike over REST (its JSON Schema), gRPC (before a uint32 could wrap) and a
// manifest through the CLI: values just inside each range are accepted and
// reported as given by both gateways, values just outside are refused with
// INVALID_AGENT_SPEC naming the field, the value and the range (#16 item 4).
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_LIMITS, CALL_LIMITS } from '../../dist/runtime/limits.js';
import { fixture } from '../helpers/agents.js';
import { runCli } from '../helpers/cli.js';
import { rich, startTestServer, stopTestServer } from '../helpers/server.js';
import { b64 } from '../helpers/rest.js';

const s = await startTestServer();
t.teardown(() => stopTestServer(s));
// one page of memory at start: the smallest memory limit fits it
const module = fixture('trap');
let n = 0;
const fresh = (): string => `lim-${n++}`;

const LIMIT_FIELDS = ['memoryLimitBytes', 'timeLimitMs', 'mailbox', 'maxSendsPerSecond'] as const;
const GRPC_NAME = { memoryLimitBytes: 'memory_limit_bytes', timeLimitMs: 'time_limit_ms', mailbox: 'mailbox', maxSendsPerSecond: 'max_sends_per_second' } as const;

/** The agent as both gateways show it. */
async function views(name: string): Promise<{ rest: any; grpc: any }> {
  const rest = await s.http('GET', `/v1/agents/${name}`);
  const grpc = await s.call(s.agents, 'Get', { name });
  return { rest: rest.body, grpc };
}

for (const field of LIMIT_FIELDS) {
  const range = AGENT_LIMITS[field];
  t.test(`${field}: ${range.min} and ${range.max} are accepted and reported as given, over REST and gRPC`, async (t) => {
    for (const value of [range.min, range.max]) {
      const viaRest = fresh();
      const r = await s.http('POST', '/v1/agents', { name: viaRest, module: b64(module), [field]: value });
      t.equal(r.status, 201, `REST accepts ${field} ${value}: ${r.text}`);
      const viaGrpc = fresh();
      await s.call(s.agents, 'Deploy', { name: viaGrpc, module, [field]: value });
      for (const name of [viaRest, viaGrpc]) {
        const v = await views(name);
        t.equal(v.rest[field], value, `REST shows ${field} ${value}`);
        t.equal(Number(v.grpc[field]), value, `gRPC shows ${field} ${value}`);
        t.equal(JSON.parse(v.grpc.specJson)[field], value, 'the spec as asked for keeps it too');
      }
    }
  });

  t.test(`${field}: ${range.min - 1} and ${range.max + 1} are refused over REST and gRPC, naming the field, value and range`, async (t) => {
    const words = `from ${range.min} to ${range.max}`;
    for (const value of [range.min - 1, range.max + 1]) {
      if (value === 0) continue; // 0 is a protobuf field's "not given" (gRPC) and below every minimum (REST): checked below
      const r = await s.http('POST', '/v1/agents', { name: fresh(), module: b64(module), [field]: value });
      t.equal(r.status, 400, `REST refuses ${field} ${value}`);
      t.equal(r.body?.error?.code, 'INVALID_AGENT_SPEC');
      t.match(r.body?.error?.message, field);
      t.match(r.body?.error?.message, String(value));
      t.match(r.body?.error?.message, words);
      const e = await s.call(s.agents, 'Deploy', { name: fresh(), module, [field]: value }).then(() => undefined, (err: unknown) => err);
      t.ok(e, `gRPC refuses ${field} ${value}`);
      t.equal(rich(e).reason, 'INVALID_AGENT_SPEC');
      t.match((e as Error).message, GRPC_NAME[field]);
      t.match((e as Error).message, String(value));
      t.match((e as Error).message, words);
    }
  });
}

t.test('REST: 1e300 ms and a mailbox of 1e15 are refused (they once wedged a worker or were shown as 0 and 2764472320)', async (t) => {
  for (const [field, value] of [['timeLimitMs', 1e300], ['mailbox', 1e15]] as const) {
    const r = await s.http('POST', '/v1/agents', `{"name": "${fresh()}", "module": "${b64(module)}", "${field}": ${value}}`);
    t.equal(r.status, 400, `${field} ${value}`);
    t.equal(r.body?.error?.code, 'INVALID_AGENT_SPEC');
    t.match(r.body?.error?.message, `${field} must be an integer from`);
  }
  const zero = await s.http('POST', '/v1/agents', { name: fresh(), module: b64(module), timeLimitMs: 0 });
  t.equal(zero.status, 400, 'REST has absent for the default: 0 is below the range');
});

t.test('gRPC: a uint64 past 2^32 is refused, not wrapped to a small value', async (t) => {
  for (const field of ['time_limit_ms', 'mailbox', 'worker']) {
    const camel = field.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
    const name = fresh();
    const e = await s.call(s.agents, 'Deploy', { name, module, [camel]: 2 ** 32 + 1 }).then(() => undefined, (err: unknown) => err);
    t.ok(e, `${field} 4294967297 is refused (wrapped, it would be 1)`);
    t.equal(rich(e).reason, 'INVALID_AGENT_SPEC');
    t.match((e as Error).message, `${field} must be an integer from 1 to`);
    t.match((e as Error).message, '4294967297');
    t.equal((await s.http('GET', `/v1/agents/${name}`)).status, 404, 'nothing was deployed');
  }
  const e = await s.call(s.management, 'ListDeadLetters', { limit: 2 ** 32 + 1 }).then(() => undefined, (err: unknown) => err);
  t.match((e as Error | undefined)?.message, `limit: must be an integer from 1 to ${CALL_LIMITS.deadLetterLimit.max}`, 'ListDeadLetters limit too');
  const d = await s.call(s.management, 'Drain', { timeoutMs: 2 ** 32 + 1 }).then(() => undefined, (err: unknown) => err);
  t.match((d as Error | undefined)?.message, `must be an integer from 1 to ${CALL_LIMITS.drainTimeoutMs.max}`, 'Drain timeout_ms too');
  const w = await s.call(s.agents, 'Deploy', { name: 'lim-worker', module, worker: 2 });
  t.equal(w.agent.worker, 2, 'a worker the server has is accepted');
});

t.test('REST: call limits have their ranges too', async (t) => {
  const d = await s.http('POST', '/v1/drain', { timeoutMs: CALL_LIMITS.drainTimeoutMs.max + 1 });
  t.equal(d.status, 400);
  t.match(d.body?.error?.message, `timeoutMs: must be an integer from 1 to ${CALL_LIMITS.drainTimeoutMs.max}`);
  const c = await s.http('POST', '/v1/tasks/contract-net', { capability: 'x', task: {}, deadlineMs: CALL_LIMITS.contractNetDeadlineMs.max + 1 });
  t.equal(c.status, 400);
  t.match(c.body?.error?.message, 'deadlineMs');
  const api = await s.http('GET', '/v1/openapi.json');
  const props = api.body.paths['/v1/agents'].post.requestBody.content['application/json'].schema.properties;
  for (const field of LIMIT_FIELDS) {
    t.same([props[field].minimum, props[field].maximum], [AGENT_LIMITS[field].min, AGENT_LIMITS[field].max], `openapi.json shows ${field}'s range`);
  }
});

t.test('docs/fleet.schema.json has the ranges of runtime/limits.ts', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../../docs/fleet.schema.json', import.meta.url), 'utf8'));
  const defs = schema.$defs;
  const agent = defs.agent.properties;
  const resolve = (p: any): any => (p.$ref ? defs[p.$ref.split('/').pop()] : p);
  for (const field of [...LIMIT_FIELDS, 'worker'] as const) {
    const def = resolve(agent[field]);
    t.same([def.minimum, def.maximum], [AGENT_LIMITS[field].min, AGENT_LIMITS[field].max], field);
  }
});

t.test('a manifest through the CLI: the range ends deploy and are shown as given; one past them is refused, naming the field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'caxton-limits-'));
  writeFileSync(join(dir, 'trap.wasm'), module);
  const env = { ...process.env, CAXTON_SERVER: s.target, CAXTON_TOKEN: s.token, CAXTON_DATA_DIR: join(dir, 'data') };
  const L = AGENT_LIMITS;
  const fleet = (agents: string): string => `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n${agents}`;
  writeFileSync(join(dir, 'ok.yaml'), fleet(`  - { name: cli-max, module: trap.wasm, memoryLimitBytes: 4GiB, timeLimitMs: ${L.timeLimitMs.max}, mailbox: ${L.mailbox.max}, maxSendsPerSecond: ${L.maxSendsPerSecond.max} }
  - { name: cli-min, module: trap.wasm, memoryLimitBytes: 64KiB, timeLimitMs: 1ms, mailbox: ${L.mailbox.min}, maxSendsPerSecond: ${L.maxSendsPerSecond.min} }
`));
  const ok = await runCli(['deploy', '-f', join(dir, 'ok.yaml')], env);
  t.equal(ok.code, 0, `deploy exits 0: ${ok.stderr}`);
  for (const [name, want] of [
    ['cli-max', { timeLimitMs: L.timeLimitMs.max, mailbox: L.mailbox.max, maxSendsPerSecond: L.maxSendsPerSecond.max }],
    ['cli-min', { timeLimitMs: 1, mailbox: L.mailbox.min, maxSendsPerSecond: L.maxSendsPerSecond.min, memoryLimitBytes: L.memoryLimitBytes.min }],
  ] as const) {
    const got = await runCli(['agents', 'get', name, '-o', 'json'], env);
    t.equal(got.code, 0, got.stderr);
    t.match(JSON.parse(got.stdout), want, `caxton agents get ${name} shows what was asked for`);
    t.match((await views(name)).rest, want, 'and so does REST');
  }
  const plan = await runCli(['deploy', '-f', join(dir, 'ok.yaml')], env);
  t.same(JSON.parse(plan.stdout).plan.map((p: { action: string }) => p.action), ['unchanged', 'unchanged'], 're-applied, nothing changed');
  const outside: [string, string][] = [
    ['timeLimitMs', `${L.timeLimitMs.max + 1}`], ['timeLimitMs', '601s'], ['mailbox', `${L.mailbox.max + 1}`], ['mailbox', '0'],
    ['maxSendsPerSecond', `${L.maxSendsPerSecond.max + 1}`], ['maxSendsPerSecond', `${L.maxSendsPerSecond.min - 1}`],
    ['memoryLimitBytes', `${L.memoryLimitBytes.max + 1}`], ['memoryLimitBytes', '63KiB'], ['worker', `${L.worker.max + 1}`],
  ];
  for (const [field, value] of outside) {
    writeFileSync(join(dir, 'bad.yaml'), fleet(`  - { name: cli-bad, module: trap.wasm, ${field}: ${value} }\n`));
    const r = await runCli(['deploy', '-f', join(dir, 'bad.yaml')], env);
    t.equal(r.code, 1, `${field}: ${value} is refused`);
    t.match(r.stderr, `agents[0].${field}`, 'naming the field');
    t.notOk((await s.http('GET', '/v1/agents/cli-bad')).status === 200, 'nothing was deployed');
  }
});
