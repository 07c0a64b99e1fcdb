// The REST gateway's routes end to end: a real server (runtime + API thread)
// on loopback, real WASM agents from examples/, plain fetch. Every operation
// of the route table (api/http/route-table.ts) is exercised with its success
// status and body, the OpenAPI document is checked against the table, and
// /metrics against /v1/stats. Streams are in http-streams.test.ts, the error
// mapping on the wire in http-errors.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { routes } from '../../dist/api/http.js';
import { conversationKey } from '../../dist/runtime/fipa/acl/bridge.js';
import { startTestServer, stopTestServer } from '../helpers/server.js';
import { b64, restCalls } from '../helpers/rest.js';
import { example } from '../helpers/agents.js';

const HEX16 = /^[0-9a-f]{16}$/;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Every route of the gateway's table (the handlers are not called here). */
const TABLE = routes(null as never, null as never).map((r) => ({ method: r.method, path: r.path, operationId: r.operationId, public: r.public === true, status: r.status ?? 200 }));

// ---------------------------------------------------------------- Prometheus text format

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Exposition { samples: Sample[]; types: Map<string, string>; helps: Map<string, string> }

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

function parseValue(s: string, where: string): number {
  if (!NUMBER.test(s)) throw new Error(`${where}: "${s}" is not a number`);
  if (s === 'NaN') return NaN;
  if (/^[+]?Inf$/.test(s)) return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function parseLabels(s: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) throw new Error(`${where}: bad label set {${s}} at offset ${at}`);
    if (m[1]! in out) throw new Error(`${where}: label ${m[1]} twice`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
    if (m[3] === ',' && at === s.length) throw new Error(`${where}: trailing comma in {${s}}`);
  }
  return out;
}

/** A strict parser of the Prometheus text exposition format (0.0.4). */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const sampleLine = new RegExp(`^(${METRIC_NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
  const familyOf = (name: string): string | undefined => {
    if (types.has(name)) return name;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && (types.get(base) === 'histogram' || types.get(base) === 'summary') ? base : undefined;
  };
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      if (/^#\s*(HELP|TYPE)\b/.test(line)) {
        const help = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`).exec(line);
        const type = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
        if (help) {
          if (helps.has(help[1]!)) throw new Error(`${where}: second HELP for ${help[1]}`);
          helps.set(help[1]!, help[2]!);
        } else if (type) {
          if (types.has(type[1]!)) throw new Error(`${where}: second TYPE for ${type[1]}`);
          if (samples.some((s) => s.name === type[1])) throw new Error(`${where}: TYPE for ${type[1]} after its samples`);
          types.set(type[1]!, type[2]!);
        } else {
          throw new Error(`${where}: malformed HELP/TYPE line: ${JSON.stringify(line)}`);
        }
      }
      return;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`${where}: not "name{labels} value": ${JSON.stringify(line)}`);
    if (!familyOf(m[1]!)) throw new Error(`${where}: sample of ${m[1]} without a TYPE line`);
    samples.push({ name: m[1]!, labels: m[2] === undefined ? {} : parseLabels(m[2], where), value: parseValue(m[3]!, where) });
  });
  return { samples, types, helps };
}

// ---------------------------------------------------------------- the tests

t.test('REST gateway', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  const { deploy, drain } = restCalls(s);

  t.test('agents: deploy, list, get, invoke counts, delete', async (t) => {
    const d = await deploy({ name: 'echo', module: b64(example('echo')) });
    t.equal(d.status, 201);
    t.match(d.headers.get('content-type'), /^application\/json/);
    t.match(d.body, { agent: { name: 'echo', state: 'running', capabilities: [], handled: 0, failed: 0 } });
    t.type(d.body.agent.slot, 'number');
    t.ok(d.body.agent.worker >= 1 && d.body.agent.worker <= 2, 'placed on one of the 2 workers');

    const list = await s.http('GET', '/v1/agents');
    t.equal(list.status, 200);
    t.ok(Array.isArray(list.body.agents));
    t.ok(list.body.agents.some((a: any) => a.name === 'echo' && a.state === 'running'), 'echo is listed');

    const before = await s.http('GET', '/v1/agents/echo');
    t.equal(before.status, 200);
    t.match(before.body, { name: 'echo', state: 'running', slot: d.body.agent.slot, mailboxDepth: 0 });
    const handled0 = before.body.handled as number;

    const inv = await s.http('POST', '/v1/agents/echo/invoke', { content: 'count me' });
    t.equal(inv.status, 200);
    await drain(t); // the handled counter moves before the message leaves the agent's ring
    const after = await s.http('GET', '/v1/agents/echo');
    t.equal(after.body.handled, handled0 + 1, 'handled grew by one');
    t.equal(after.body.failed, 0);

    const temp = await deploy({ name: 'temp-echo', module: b64(example('echo')), mailbox: 64, timeLimitMs: 2000, memoryLimitBytes: 2 * 1024 * 1024 });
    t.equal(temp.status, 201);
    t.match(temp.body.agent, { name: 'temp-echo', mailbox: 64, timeLimitMs: 2000, memoryLimitBytes: 2 * 1024 * 1024 }, 'limits from the body');
    const del = await s.http('DELETE', '/v1/agents/temp-echo');
    t.equal(del.status, 200);
    t.same(del.body, {});
    const gone = await s.http('GET', '/v1/agents/temp-echo');
    t.equal(gone.status, 404);
    t.equal(gone.body.error.code, 'AGENT_NOT_FOUND');
    t.equal(gone.body.error.details.agent, 'temp-echo');
    const list2 = await s.http('GET', '/v1/agents');
    t.notOk(list2.body.agents.some((a: any) => a.name === 'temp-echo'), 'no longer listed');
    const again = await s.http('DELETE', '/v1/agents/temp-echo');
    t.equal(again.status, 404, 'a second delete is AGENT_NOT_FOUND');
    t.equal(again.body.error.code, 'AGENT_NOT_FOUND');
  });

  t.test('invoke: echo answers inform with the same content', async (t) => {
    const content = { hello: 'world', n: [1, 2, 3], nested: { ok: true, x: null } };
    const r = await s.http('POST', '/v1/agents/echo/invoke', { content });
    t.equal(r.status, 200);
    t.same(r.body.reply.content, content, 'same JSON content back');
    t.equal(r.body.reply.performative, 'inform');
    t.equal(r.body.reply.sender, 'echo');
    t.equal(r.body.reply.receiver, '$api');
    t.match(r.body.reply.messageId, HEX16);
    t.match(r.body.reply.inReplyTo, HEX16, 'the reply names the request');
    t.match(r.body.reply.conversationId, HEX16, 'an invoke without conversation gets one');
    t.type(r.body.latencyUs, 'number');
    t.ok(r.body.latencyUs > 0);

    for (const c of ['a string', 42, -1.5, true, [1, 'two', { three: 3 }]]) {
      const e = await s.http('POST', '/v1/agents/echo/invoke', { content: c });
      t.same(e.body.reply.content, c, `round trip of ${JSON.stringify(c)}`);
    }

    const hex = await s.http('POST', '/v1/agents/echo/invoke', { content: 1, conversationId: 'ABC123' });
    t.equal(hex.status, 200);
    t.equal(hex.body.reply.conversationId, 'ABC123', 'a hex id comes back as given, not as its 16-digit key');

    const named = await s.http('POST', '/v1/agents/echo/invoke', { content: 2, conversationId: 'order-42' });
    t.equal(named.status, 200);
    t.equal(named.body.reply.conversationId, 'order-42', 'a non-hex id comes back as given, not as its hashed key');
    const key = await s.http('POST', '/v1/agents/echo/invoke', { content: 3, conversationId: conversationKey('order-42') });
    t.equal(key.body.reply.conversationId, conversationKey('order-42'), 'the 16-digit key, when that is what the caller gave, comes back as given');

    const perf = await s.http('POST', '/v1/agents/echo/invoke', { performative: 'query-ref', content: 'q' });
    t.equal(perf.status, 200);
    t.equal(perf.body.reply.performative, 'inform');
  });

  t.test('send: 202 with a message id', async (t) => {
    const r = await s.http('POST', '/v1/agents/echo/messages', { content: { fire: 'and forget' } });
    t.equal(r.status, 202);
    t.match(r.body.messageId, HEX16);
    t.equal(r.body.conversationId, '', 'no conversation given, none made');
    const c = await s.http('POST', '/v1/agents/echo/messages', { performative: 'request', content: 1, conversationId: 'send-conv' });
    t.equal(c.status, 202);
    t.match(c.body.messageId, HEX16);
    t.not(c.body.messageId, r.body.messageId, 'ids are unique');
    t.equal(c.body.conversationId, 'send-conv', 'the conversation as given');
    const reply = await s.http('POST', '/v1/agents/echo/messages', { performative: 'inform', content: 2, inReplyTo: c.body.messageId });
    t.equal(reply.status, 202, 'inReplyTo takes a message id');
    await drain(t);
  });


  t.test('contract net over REST with the example fleet', async (t) => {
    const fleetFile = fileURLToPath(new URL('../../examples/contract-net/fleet.yaml', import.meta.url));
    const fleet = parseYaml(readFileSync(fleetFile, 'utf8')) as { agents: ({ name: string; module: string } & Record<string, unknown>)[] };
    for (const { module, ...spec } of fleet.agents) {
      const body: Record<string, unknown> = { ...spec, module: b64(readFileSync(resolve(dirname(fleetFile), module))) };
      // the manager's own call for proposals ends when all answered; a roomy deadline keeps a loaded machine from cutting it short
      if (spec.name === 'manager') body.config = { ...(spec.config as object), deadlineMs: 10_000 };
      const r = await deploy(body);
      t.equal(r.status, 201, `deploy ${spec.name}`);
      t.same(r.body.agent.capabilities, spec.capabilities ?? [], `${spec.name} capabilities`);
    }
    const busy2 = await s.http('GET', '/v1/agents/busy-2');
    t.match(busy2.body, { memoryLimitBytes: 1048576, timeLimitMs: 500, capabilities: ['translate'] });

    const o = await s.http('POST', '/v1/tasks/contract-net', { capability: 'translate', task: { text: 'bonjour', to: 'en' }, deadlineMs: 10_000 });
    t.equal(o.status, 200);
    t.equal(o.body.status, 'failed', 'the cheapest contractor fails after acceptance');
    t.equal(o.body.winner, 'cheap-but-unreliable');
    t.equal(o.body.failure, 'could not complete the task');
    t.match(o.body.conversationId, HEX16);
    t.same(o.body.proposals.map((p: any) => p.agent).sort(), ['cheap-but-unreliable', 'premium', 'steady']);
    t.same(Object.fromEntries(o.body.proposals.map((p: any) => [p.agent, p.content.price])), { 'cheap-but-unreliable': 5, premium: 30, steady: 12 });
    t.same(o.body.refusals.map((r: any) => r.agent).sort(), ['busy-1', 'busy-2']);
    t.same(o.body.silent, []);
    t.ok(o.body.transcript.some((e: any) => e.performative === 'cfp' && e.content?.text === 'bonjour'), 'the task is the CFP content');

    const named = await s.http('POST', '/v1/tasks/contract-net', { contractors: ['steady', 'premium', 'busy-1'], task: 'x', deadlineMs: 10_000 });
    t.equal(named.status, 200);
    t.equal(named.body.status, 'completed');
    t.equal(named.body.winner, 'steady');
    t.same(named.body.result, { result: 'done', price: 12, by: 'steady' });

    const highest = await s.http('POST', '/v1/tasks/contract-net', { contractors: ['steady', 'premium'], task: 'x', deadlineMs: 10_000, select: 'highest:price' });
    t.equal(highest.body.status, 'completed');
    t.equal(highest.body.winner, 'premium');

    const nobody = await s.http('POST', '/v1/tasks/contract-net', { capability: 'nothing-offers-this', task: 'x', deadlineMs: 100 });
    t.equal(nobody.status, 200);
    t.equal(nobody.body.status, 'no-contractors');

    const bad = await s.http('POST', '/v1/tasks/contract-net', { capability: 'translate', task: 'x', deadlineMs: 0 });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.code, 'INVALID_ARGUMENT');
    t.equal(bad.body.error.details.argument, 'deadlineMs');

    const viaAgent = await s.http('POST', '/v1/agents/manager/invoke', { content: { text: 'hallo', to: 'en' }, timeoutMs: 30_000 });
    t.equal(viaAgent.status, 200);
    t.equal(viaAgent.body.reply.sender, 'manager');
    t.equal(viaAgent.body.reply.performative, 'inform');
    t.match(viaAgent.body.reply.content, { status: 'failed', winner: 'cheap-but-unreliable', failure: 'could not complete the task' });
    await drain(t);
  });

  t.test('management: server, stats, drain, dead letters', async (t) => {
    const info = await s.http('GET', '/v1/server');
    t.equal(info.status, 200);
    t.match(info.body, { version: pkg.version, workers: 2, abiVersion: 2, state: 'running', nodeVersion: process.version });
    t.type(info.body.uptimeSeconds, 'number');
    const list = await s.http('GET', '/v1/agents');
    t.equal(info.body.agents, list.body.agents.length, 'agents = the listed agents');

    const sent = await s.http('POST', '/v1/agents/echo/messages', { content: { deadLetterProbe: 7 } });
    t.equal(sent.status, 202);
    const d = await drain(t);
    t.equal(d.stats.inFlight, 0);
    t.equal(d.stats.accepted, d.stats.delivered + d.stats.deadLettered + d.stats.inFlight);

    const stats = await s.http('GET', '/v1/stats');
    t.equal(stats.status, 200);
    const st = stats.body;
    for (const k of ['accepted', 'delivered', 'deadLettered', 'inFlight', 'refused', 'traps', 'restarts', 'workerRestarts', 'agents', 'workers']) t.type(st[k], 'number', `stats.${k}`);
    t.equal(st.accepted, st.delivered + st.deadLettered + st.inFlight, 'accepted = delivered + deadLettered + inFlight');
    t.equal(st.workers, 2);
    t.ok(st.accepted > 0);

    const dl = await s.http('GET', '/v1/dead-letters');
    t.equal(dl.status, 200);
    const mine = dl.body.deadLetters.filter((x: any) => x.content?.deadLetterProbe === 7);
    t.equal(mine.length, 1, "echo's answer to the send is dead-lettered once");
    t.match(mine[0], { reason: 'NO_WAITER', agent: '$api', from: 'echo', performative: 'inform' });
    t.match(mine[0].hint, /Send/);
    t.match(mine[0].messageId, HEX16);
    t.ok(!Number.isNaN(Date.parse(mine[0].at)), 'at is a date');

    const one = await s.http('GET', '/v1/dead-letters?limit=1');
    t.equal(one.status, 200);
    t.equal(one.body.deadLetters.length, 1);
    t.same(one.body.deadLetters[0], dl.body.deadLetters.at(-1), 'limit keeps the most recent');
    const badLimit = await s.http('GET', '/v1/dead-letters?limit=many');
    t.equal(badLimit.status, 400);
    t.equal(badLimit.body.error.code, 'INVALID_ARGUMENT');
    t.equal(badLimit.body.error.details.argument, 'limit');

    const empty = await s.http('POST', '/v1/drain');
    t.equal(empty.status, 200, 'drain without a body');
    t.equal(empty.body.drained, true);
    const ready = await s.http('GET', '/readyz', undefined, null);
    t.equal(ready.status, 200, 'a drain without shutdown leaves the server ready');
  });

  t.test('openapi document', async (t) => {
    const r = await s.http('GET', '/v1/openapi.json', undefined, null);
    t.equal(r.status, 200, 'no token needed');
    const doc = r.body;
    t.equal(doc.openapi, '3.1.0');
    t.equal(doc.info.version, pkg.version);
    t.ok(doc.components.securitySchemes.bearer, 'the bearer scheme');
    t.ok(doc.components.schemas.Error, 'the error schema');
    t.same(new Set(TABLE.map((x) => `${x.method} ${x.path}`)), new Set([
      'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /v1/openapi.json',
      'POST /v1/agents', 'GET /v1/agents', 'GET /v1/agents/{name}', 'DELETE /v1/agents/{name}',
      'POST /v1/agents/{name}/messages', 'POST /v1/agents/{name}/invoke', 'GET /v1/conversations/{id}/stream',
      'POST /v1/tasks/contract-net', 'GET /v1/server', 'GET /v1/stats', 'GET /v1/dead-letters', 'POST /v1/drain',
      'GET /v1/logs', 'GET /v1/tools', 'POST /v1/tools', 'DELETE /v1/tools/{name}',
    ]), 'the route table has the documented operations');
    const documented = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    t.same(new Set(documented), new Set(TABLE.map((x) => `${x.method} ${x.path}`)), 'paths = the route table');
    for (const x of TABLE) {
      const op = doc.paths[x.path]?.[x.method.toLowerCase()];
      t.ok(op, `${x.method} ${x.path} is documented`);
      if (!op) continue;
      t.equal(op.operationId, x.operationId, `${x.method} ${x.path} operationId`);
      t.ok(op.responses[String(x.status)], `${x.operationId} documents ${x.status}`);
      if (x.public) t.same(op.security, [], `${x.operationId} is public`);
      for (const name of x.path.matchAll(/\{(\w+)\}/g)) t.ok(op.parameters.some((p: any) => p.name === name[1] && p.in === 'path'), `${x.operationId} documents {${name[1]}}`);
    }
    const ids = TABLE.map((x) => x.operationId);
    t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const id of ['AgentService.Deploy', 'AgentService.List', 'AgentService.Get', 'AgentService.Undeploy', 'MessageService.Send', 'MessageService.Invoke',
      'MessageService.StreamConversation', 'TaskService.StartContractNet', 'ManagementService.ServerInfo', 'ManagementService.Stats',
      'ManagementService.ListDeadLetters', 'ManagementService.Drain']) {
      t.ok(ids.includes(id), `operationId ${id}`);
    }
    t.equal(doc.paths['/v1/agents'].post.responses['201'] !== undefined, true, 'deploy documents 201');
    t.same(doc.paths['/v1/agents'].post.requestBody.content['application/json'].schema.required, ['name', 'module']);
  });

  t.test('health and metrics', async (t) => {
    const h = await s.http('GET', '/healthz', undefined, null);
    t.equal(h.status, 200);
    t.same(h.body, { status: 'ok' });
    const r = await s.http('GET', '/readyz', undefined, null);
    t.equal(r.status, 200);
    t.match(r.body, { ready: true });

    const noToken = await s.http('GET', '/metrics', undefined, null);
    t.equal(noToken.status, 401, '/metrics needs the token');
    t.equal(noToken.body.error.code, 'UNAUTHENTICATED');

    await drain(t);
    const stats = await s.http('GET', '/v1/stats');
    const m = await s.http('GET', '/metrics');
    t.equal(m.status, 200);
    t.match(m.headers.get('content-type'), /^text\/plain/);
    let exp: Exposition;
    try {
      exp = parseExposition(m.text);
    } catch (e) {
      t.fail(`the body is Prometheus text format: ${(e as Error).message}`);
      return;
    }
    t.pass('the body is Prometheus text format');
    t.ok(exp.samples.length > 10, `${exp.samples.length} samples`);
    for (const [name] of exp.types) t.ok(exp.helps.has(name), `${name} has HELP`);
    const one = (name: string) => {
      const xs = exp.samples.filter((x) => x.name === name);
      t.equal(xs.length, 1, `one ${name} sample`);
      return xs[0]?.value;
    };
    t.equal(exp.types.get('caxton_messages_accepted_total'), 'counter');
    t.equal(one('caxton_messages_accepted_total'), stats.body.accepted, 'accepted = /v1/stats after a drain');
    t.equal(one('caxton_messages_delivered_total'), stats.body.delivered);
    t.equal(one('caxton_messages_dead_lettered_total'), stats.body.deadLettered);
    t.equal(one('caxton_messages_in_flight'), 0);
    t.equal(one('caxton_workers'), 2);
    t.equal(one('caxton_agents'), stats.body.agents);
    t.equal(exp.types.get('caxton_api_calls_total'), 'counter');
    const calls = exp.samples.filter((x) => x.name === 'caxton_api_calls_total');
    t.ok(calls.some((c) => c.labels.gateway === 'http'), 'http gateway calls are counted');
    const deploys = calls.find((c) => c.labels.gateway === 'http' && c.labels.operation === 'AgentService.Deploy' && c.labels.status === '201');
    t.ok(deploys && deploys.value >= 8, 'deploys are counted with their 201');
    t.ok(calls.some((c) => c.labels.gateway === 'http' && c.labels.operation === 'Metrics' && c.labels.status === '401'), 'the refused scrape is counted with 401');
    t.ok(calls.every((c) => Number.isInteger(c.value) && c.value > 0));
  });
});
