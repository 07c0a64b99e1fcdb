// Issue #16 item 13: a REST body with a field the operation does not know is
// refused (INVALID_ARGUMENT naming the field, with a did-you-mean), as
// manifests refuse typos; before, {"contnet": 1} was a 200 and an empty
// message. Over real HTTP, for every operation that takes a body.
import t from 'tap';
import { startTestServer, stopTestServer } from '../helpers/server.js';
import { b64, restCalls } from '../helpers/rest.js';
import { example } from '../helpers/agents.js';

t.test('REST bodies refuse unknown fields, with a did-you-mean', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  const { deploy } = restCalls(s);
  t.equal((await deploy({ name: 'echo', module: b64(example('echo')) })).status, 201);

  t.test('a typo names the field and the field meant; nothing is sent', async (t) => {
    const before = (await s.http('GET', '/v1/stats')).body.accepted;
    const cases: [string, string, Record<string, unknown>, string, string][] = [
      ['POST', '/v1/agents/echo/messages', { contnet: 1 }, 'contnet', 'content'],
      ['POST', '/v1/agents/echo/invoke', { content: 1, timeout_ms: 500 }, 'timeout_ms', 'timeoutMs'],
      ['POST', '/v1/agents/echo/invoke', { content: 1, conversationID: 'c-1' }, 'conversationID', 'conversationId'],
      ['POST', '/v1/agents/echo/messages', { content: 1, inreplyto: '1' }, 'inreplyto', 'inReplyTo'],
      ['POST', '/v1/agents', { name: 'x', module: b64(example('echo')), timeLimit: 5 }, 'timeLimit', 'timeLimitMs'],
      ['POST', '/v1/tasks/contract-net', { task: 1, capabilty: 'x' }, 'capabilty', 'capability'],
      ['POST', '/v1/drain', { timeoutMs: 10, shutdwon: false }, 'shutdwon', 'shutdown'],
    ];
    for (const [method, path, body, field, meant] of cases) {
      const r = await s.http(method, path, body);
      t.equal(r.status, 400, `${path} ${field}: 400`);
      t.equal(r.body?.error?.code, 'INVALID_ARGUMENT');
      t.equal(r.body?.error?.details?.argument, field, 'the field is named');
      t.equal(r.body?.error?.message, `${field}: unknown field "${field}" — did you mean "${meant}"?`);
      t.match(r.body?.error?.hint, new RegExp(`^Rename "${field}" to "${meant}"; the .* body takes .*"${meant}"`));
    }
    t.equal((await s.http('GET', '/v1/stats')).body.accepted, before, 'no message was sent');
    t.equal((await s.http('GET', '/v1/agents/x')).status, 404, 'no agent was deployed');
  });

  t.test('a field like no known one is refused without a guess', async (t) => {
    const r = await s.http('POST', '/v1/agents/echo/messages', { content: 1, zzqqxx: true });
    t.equal(r.status, 400);
    t.equal(r.body.error.message, 'zzqqxx: unknown field "zzqqxx"');
    t.match(r.body.error.hint, /^Remove "zzqqxx" or correct its name; the MessageService.Send body takes "performative", "content", "conversationId", "inReplyTo"/);
  });

  t.test('every operation with a body: the OpenAPI document says additionalProperties false, and the gateway enforces it', async (t) => {
    const doc = (await s.http('GET', '/v1/openapi.json')).body;
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        t.equal(schema.additionalProperties, false, `${op.operationId}: documented`);
        // the required fields with values of their type, and one unknown field
        const body: Record<string, unknown> = { notAField: 1 };
        for (const k of schema.required ?? []) body[k] = k === 'module' ? b64(example('echo')) : schema.properties[k].type === 'string' ? 'x' : 1;
        const r = await s.http(method.toUpperCase(), path.replace('{name}', 'echo'), body);
        t.equal(r.status, 400, `${op.operationId}: 400`);
        t.equal(r.body?.error?.details?.argument, 'notAField', `${op.operationId}: names the field`);
        checked++;
      }
    }
    t.equal(checked, 6, 'Deploy, Send, Invoke, StartContractNet, Drain, ToolService.Put');
    const ok = await s.http('POST', '/v1/agents/echo/invoke', { content: 'known fields only', timeoutMs: 10_000 });
    t.equal(ok.status, 200, 'a body of known fields still passes');
    t.equal(ok.body.reply.content, 'known fields only');
  });
});
