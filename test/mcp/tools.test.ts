// The MCP tools and resources end to end, over both transports against one
// real server (`caxton server start --detach`, log level debug, real agents
// from examples/): the SDK's Client over Streamable HTTP to /mcp, and over
// stdio to `caxton mcp` (the real CLI as a subprocess, calling the server
// over gRPC). Each tool with a real agent, the failures of a tool that ran
// (tool results with isError, code and hint), the calls that cannot be made
// (JSON-RPC errors with the code and hint in data), a call cancelled by the
// client, and the same answers from both transports. Deploy is in
// deploy.test.ts, the attacks on /mcp in attacks.test.ts.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, runCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
import { httpSession, rpcError, startDetachedServer, stdioSession, type DetachedServer, type McpSession, type Via } from '../helpers/mcp.js';

const HEX16 = /^[0-9a-f]{16}$/;
const dir = mkdtempSync(join(tmpdir(), 'caxton-mcp-tools-'));
let srv: DetachedServer;

t.before(async () => {
  srv = await startDetachedServer(dir);
  const mod = (n: string): string => join(agentsDir, `${n}.wasm`);
  writeFileSync(join(dir, 'fleet.yaml'), `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - { name: echo, module: ${mod('echo')} }
  - { name: counter, module: ${mod('counter')} }
  - { name: slow, module: ${mod('slow')}, timeLimitMs: 20s }
  - { name: steady, module: ${mod('contract-net-contractor')}, capabilities: [translate], config: { name: steady, price: 12 } }
  - { name: premium, module: ${mod('contract-net-contractor')}, capabilities: [translate], config: { name: premium, price: 30 } }
`);
  const r = await runCli(['deploy', '-f', join(dir, 'fleet.yaml')], srv.env);
  if (r.code !== 0) throw new Error(`deploy failed: ${r.stderr}`);
});
t.teardown(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** GET `path` of the REST gateway, JSON. */
async function rest(path: string): Promise<any> {
  const r = await fetch(srv.base + path, { headers: { authorization: `Bearer ${srv.token}` }, signal: AbortSignal.timeout(30_000) });
  return r.json();
}

const open = (via: Via): Promise<McpSession> => (via === 'http' ? httpSession(srv.base, srv.token) : stdioSession(srv.target, srv.token, dir));

/** The fields of an agent that do not change as it works. */
const fixed = (a: any) => ({ name: a.name, kind: a.kind, state: a.state, worker: a.worker, slot: a.slot, generation: a.generation, config: a.config, requested: a.requested, capabilities: a.capabilities, memoryLimitBytes: a.memoryLimitBytes, timeLimitMs: a.timeLimitMs, mailbox: a.mailbox, maxSendsPerSecond: a.maxSendsPerSecond });

/** list_dead_letters until one in `conversation` with `reason` is there. */
const deadLetterIn = (mcp: McpSession, conversation: string, reason: string) => waitUntil(
  async () => (await mcp.call('list_dead_letters', { limit: 1000 })).value.deadLetters as any[],
  (ds) => ds.some((d) => d.conversationId === conversation && d.reason === reason), `a ${reason} dead letter in ${conversation}`, { intervalMs: 50 });

for (const via of ['http', 'stdio'] as const) {
  t.test(`over ${via}`, async (t) => {
    const mcp = await open(via);
    t.teardown(() => mcp.close());

    t.test('list_agents and get_agent answer as GET /v1/agents does', async (t) => {
      const { value, isError } = await mcp.call('list_agents');
      t.notOk(isError);
      const names = (value.agents as any[]).map((a) => a.name).sort();
      t.same(names, ['counter', 'echo', 'premium', 'slow', 'steady']);
      const viaRest = (await rest('/v1/agents')).agents as any[];
      for (const a of value.agents as any[]) {
        const r = viaRest.find((x) => x.name === a.name);
        t.same(Object.keys(a).sort(), Object.keys({ ...r, config: null }).sort(), `${a.name}: the REST fields`);
        t.same(fixed(a), fixed({ ...r, config: r.config ?? null }), `${a.name}: the same agent`);
      }
      const echo = await mcp.call('get_agent', { name: 'echo' });
      t.match(echo.value, { name: 'echo', state: 'running', config: null, mailboxDepth: Number, handled: Number });
      const steady = await mcp.call('get_agent', { name: 'steady' });
      t.same(steady.value.config, { name: 'steady', price: 12 });
      t.same(steady.value.requested.capabilities, ['translate']);
    });

    t.test('a tool that fails returns isError with the code, message and hint', async (t) => {
      const r = await mcp.call('get_agent', { name: 'ecko' });
      t.ok(r.isError, 'isError');
      t.match(r.value.error, { code: 'AGENT_NOT_FOUND', message: 'no agent named "ecko" is deployed', hint: /Did you mean "echo"\?/ });
      t.match(r.text, /^AGENT_NOT_FOUND: no agent named "ecko" is deployed\nhint: Did you mean "echo"\?/, 'the text says it too');
      const perf = await mcp.call('invoke_agent', { agent: 'echo', performative: 'shout', content: 1 });
      t.match(perf.value.error, { code: 'UNKNOWN_PERFORMATIVE', hint: /FIPA acts/ });
    });

    t.test('invoke_agent: the reply, in a conversation of ours; REPLY_TIMEOUT past timeoutMs', async (t) => {
      const r = await mcp.call('invoke_agent', { agent: 'echo', content: { hello: via, n: [1, 2] }, conversationId: `mcp-${via}-invoke` });
      t.notOk(r.isError, r.text);
      t.match(r.value, { reply: { performative: 'inform', sender: 'echo', receiver: '$api', conversationId: `mcp-${via}-invoke`, messageId: HEX16 }, latencyUs: Number });
      t.same(r.value.reply.content, { hello: via, n: [1, 2] }, 'content is JSON, not JSON text');
      const before = (await mcp.call('invoke_agent', { agent: 'counter', performative: 'query-ref' })).value.reply.content as number;
      t.equal((await mcp.call('invoke_agent', { agent: 'counter', content: 'inc' })).value.reply.content, before + 1);
      t.equal((await mcp.call('invoke_agent', { agent: 'counter', content: 5 })).value.reply.content, before + 6);
      const late = await mcp.call('invoke_agent', { agent: 'slow', content: 300, timeoutMs: 50 });
      t.ok(late.isError);
      t.match(late.value.error, { code: 'REPLY_TIMEOUT', message: /agent "slow" did not reply within/ });
    });

    t.test('send_message, then its dead letter (echo\'s answer nobody waits for) and its log lines', async (t) => {
      const conversation = `mcp-${via}-send`;
      const r = await mcp.call('send_message', { agent: 'echo', content: 'hi', conversationId: conversation });
      t.notOk(r.isError, r.text);
      t.match(r.value, { messageId: HEX16, conversationId: conversation });
      const letters = await deadLetterIn(mcp, conversation, 'NO_WAITER');
      t.match(letters.find((d) => d.conversationId === conversation), { reason: 'NO_WAITER', from: 'echo', agent: '$api', content: 'hi', hint: /no call was waiting/ });
      // The API thread's line and the worker's, written by the logging thread a moment later.
      const log = await waitUntil(async () => (await mcp.call('read_conversation_log', { conversationId: conversation })).value,
        (v: any) => v.lines.length >= 2, `log lines of ${conversation}`, { intervalMs: 50 });
      t.equal(log.conversationId, conversation);
      t.equal(log.truncated, false);
      for (const l of log.lines) t.equal(l.conversationId, conversation, `"${l.msg}" is about the conversation`);
      t.ok(log.lines.some((l: any) => l.msg === 'sent inform to echo'), 'the Send\'s own line');
      t.same((await mcp.call('read_conversation_log', { conversationId: conversation, level: 'error' })).value.lines, [], 'level filters');
      const bad = await mcp.call('read_conversation_log', { conversationId: conversation, level: 'loud' });
      t.match(bad.value.error, { code: 'INVALID_ARGUMENT', message: /^level: must be one of/ });
    });

    t.test('start_contract_net: the cheapest of the agents offering the capability wins', async (t) => {
      const r = await mcp.call('start_contract_net', { capability: 'translate', task: { job: 'translate', words: 10 }, deadlineMs: 2000 });
      t.notOk(r.isError, r.text);
      t.match(r.value, { status: 'completed', winner: 'steady', conversationId: String, durationMs: Number });
      t.same(r.value.proposals.map((p: any) => p.agent).sort(), ['premium', 'steady']);
      t.ok(r.value.transcript.length >= 5, 'the transcript: cfp x2, propose x2, accept, reject, inform');
    });

    t.test('a call whose client goes away stops the server\'s wait: the late reply is dead-lettered', async (t) => {
      const conversation = `mcp-${via}-cancel`;
      const args = { agent: 'slow', content: 1500, conversationId: conversation };
      const stop = new AbortController();
      // stdio: the SDK client sends notifications/cancelled. HTTP is stateless, so a
      // cancellation sent as another request names no call this server knows: what
      // ends the call there is the client closing the request's connection.
      const call = via === 'stdio'
        ? mcp.call('invoke_agent', args, { signal: stop.signal })
        : fetch(`${srv.base}/mcp`, {
          method: 'POST', signal: stop.signal,
          headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'invoke_agent', arguments: args } }),
        });
      const outcome = call.then(() => 'answered', () => 'gave up');
      // The Invoke is on the server once its line is in the log.
      await waitUntil(async () => (await mcp.call('read_conversation_log', { conversationId: conversation })).value.lines as any[],
        (ls) => ls.some((l) => /^invoke: sent request to slow/.test(String(l.msg))), 'the Invoke logged', { intervalMs: 20 });
      stop.abort();
      t.equal(await outcome, 'gave up', 'the client gave up');
      await deadLetterIn(mcp, conversation, 'NO_WAITER');
      t.pass('the server stopped waiting: the reply found no waiter');
      t.match((await mcp.call('invoke_agent', { agent: 'echo', content: 1 })).value, { reply: { content: 1 } }, 'and serves on');
    });

    t.test('calls that cannot be made are JSON-RPC errors with the code and hint in data', async (t) => {
      const unknown = await rpcError(mcp.client.callTool({ name: 'invoke', arguments: {} }));
      t.equal(unknown.code, -32602);
      t.match(unknown.data, { code: 'UNKNOWN_TOOL', hint: /Did you mean "invoke_agent"\?.*tools\/list/, details: { tool: 'invoke' } });
      const typo = await rpcError(mcp.client.callTool({ name: 'invoke_agent', arguments: { agent: 'echo', contnet: 1 } }));
      t.equal(typo.code, -32602);
      t.match(typo.message, 'contnet: unknown field "contnet" — did you mean "content"?');
      t.match(typo.data, { code: 'INVALID_ARGUMENT', details: { argument: 'contnet' }, hint: /the arguments of invoke_agent take "agent", "performative", "content"/ });
      const range = await rpcError(mcp.client.callTool({ name: 'invoke_agent', arguments: { agent: 'echo', timeoutMs: 0 } }));
      t.match(range, { code: -32602, message: 'timeoutMs: must be an integer from 1 to 3600000, got 0', data: { code: 'INVALID_ARGUMENT', details: { argument: 'timeoutMs' } } });
      const missing = await rpcError(mcp.client.callTool({ name: 'send_message', arguments: { content: 1 } }));
      t.match(missing, { code: -32602, message: 'agent: is required', data: { hint: /Add "agent" to the arguments/ } });
      const type = await rpcError(mcp.client.callTool({ name: 'list_dead_letters', arguments: { limit: 'ten' } }));
      t.match(type, { message: /limit: must be integer/, data: { code: 'INVALID_ARGUMENT' } });
      const lone = await rpcError(mcp.client.callTool({ name: 'send_message', arguments: { agent: 'echo', conversationId: 'a\ud800' } }));
      t.match(lone, { code: -32602, data: { code: 'INVALID_ARGUMENT', details: { argument: 'conversationId' } } });
      t.match((await mcp.call('list_agents')).value, { agents: Array }, 'the server serves on');
    });

    t.test('resources: the agents, one agent, a conversation', async (t) => {
      const { resources } = await mcp.client.listResources();
      const uris = resources.map((r) => r.uri);
      t.ok(uris.includes('caxton://agents') && uris.includes('caxton://agents/echo') && uris.includes('caxton://agents/steady'), uris.join(' '));
      t.ok(resources.every((r) => r.mimeType === 'application/json'));
      const { resourceTemplates } = await mcp.client.listResourceTemplates();
      t.same(resourceTemplates.map((r) => r.uriTemplate), ['caxton://agents/{name}', 'caxton://conversations/{id}']);
      const read = async (uri: string): Promise<any> => JSON.parse(((await mcp.client.readResource({ uri })).contents[0] as { text: string }).text);
      t.same((await read('caxton://agents')).agents.map((a: any) => a.name).sort(), ['counter', 'echo', 'premium', 'slow', 'steady']);
      t.match(await read('caxton://agents/echo'), { name: 'echo', state: 'running' });
      const conversation = `mcp-${via}-send`; // written by the send_message test
      const c = await read(`caxton://conversations/${encodeURIComponent(conversation)}`);
      t.equal(c.conversationId, conversation);
      t.ok(c.logLines.length >= 2 && c.logLines.every((l: any) => l.conversationId === conversation), 'its log lines');
      t.match(c.deadLetters, [{ reason: 'NO_WAITER', from: 'echo', content: 'hi' }], 'its dead letters, with their content');
      const ghost = await rpcError(mcp.client.readResource({ uri: 'caxton://agents/ghost' }));
      t.match(ghost, { code: -32002, data: { code: 'AGENT_NOT_FOUND' } });
      const nowhere = await rpcError(mcp.client.readResource({ uri: 'caxton://fleet' }));
      t.match(nowhere, { code: -32002, message: 'no MCP resource at "caxton://fleet"', data: { code: 'UNKNOWN_RESOURCE', hint: /caxton:\/\/agents/ } });
    });
  });
}

t.test('both transports give the same tools and the same answers', async (t) => {
  const [http, stdio] = [await open('http'), await open('stdio')];
  t.teardown(async () => {
    await http.close();
    await stdio.close();
  });
  t.same((await stdio.client.listTools()).tools, (await http.client.listTools()).tools, 'tools/list');
  t.same((await stdio.client.listResourceTemplates()).resourceTemplates, (await http.client.listResourceTemplates()).resourceTemplates);
  t.same(fixed((await stdio.call('get_agent', { name: 'steady' })).value), fixed((await http.call('get_agent', { name: 'steady' })).value), 'get_agent');
  const [a, b] = [await stdio.call('get_agent', { name: 'nope' }), await http.call('get_agent', { name: 'nope' })];
  t.same({ ...a.value.error, details: undefined }, { ...b.value.error, details: undefined }, 'the same error, code, message and hint');
});
