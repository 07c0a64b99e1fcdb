// Agents call MCP tools through $mcp (docs/mcp.md): a real Runtime, a real
// tool server from npm (@modelcontextprotocol/server-everything over stdio),
// and the tool-proxy example agent built from this repo, which hands a request
// to $mcp and the answer back.
import t from 'tap';
import { createRequire } from 'node:module';
import { Runtime } from '../../dist/runtime/runtime.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example } from '../helpers/agents.js';

const require = createRequire(import.meta.url);
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

t.test('an allowed tool is called; the rest is refused with a coded failure', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger(), tools: { allowCommands: [process.execPath] } });
  t.teardown(() => rt.shutdown(1000));
  t.equal(rt.tools.put({ name: 'everything', stdio: { command: process.execPath, args: [everything, 'stdio'] } }), 'created');
  await rt.tools.settled();
  const [info] = rt.tools.list();
  t.equal(info!.state, 'ready', `ready (${info!.lastError})`);
  t.ok(info!.tools.some((x) => x.name === 'get-sum'), 'its tools are listed');
  await rt.deploy([
    { name: 'adder', module: example('tool-proxy'), tools: ['everything/get-sum'] },
    { name: 'nobody', module: example('tool-proxy') },
  ]);
  const ask = (agent: string, content: unknown, performative: 'request' | 'query-ref' = 'request') => rt.request({ to: agent, performative, content }, 20_000);

  const sum = await ask('adder', { tool: 'everything/get-sum', arguments: { a: 2, b: 3 } });
  t.equal(sum.performative, 'inform');
  t.match(sum.content, { isError: false, content: [{ type: 'text', text: /5/ }] });

  const refused = await ask('nobody', { tool: 'everything/get-sum', arguments: { a: 2, b: 3 } });
  t.equal(refused.performative, 'failure');
  t.match(refused.content, { code: 'TOOL_NOT_ALLOWED', message: /its tools: list is empty/, hint: /Nothing is allowed by default/ });

  const other = await ask('adder', { tool: 'everything/echo', arguments: { message: 'hi' } });
  t.match(other.content, { code: 'TOOL_NOT_ALLOWED' }, 'only the tools listed');

  const bad = await ask('adder', { tool: 'everything/get-sum', arguments: { a: 2 } });
  t.match(bad.content, { code: 'TOOL_ARGUMENTS_INVALID', message: /required property 'b'/ });
  const wrongType = await ask('adder', { tool: 'everything/get-sum', arguments: { a: 'two', b: 3 } });
  t.match(wrongType.content, { code: 'TOOL_ARGUMENTS_INVALID', message: /arguments\.a must be number/ });

  const noServer = await ask('adder', { tool: 'nowhere/x', arguments: {} });
  t.match(noServer.content, { code: 'TOOL_NOT_ALLOWED' }, 'the allow-list is checked before anything is revealed');

  const malformed = await ask('adder', 'get-sum please');
  t.match(malformed.content, { code: 'TOOL_REQUEST_INVALID' });

  const list = await ask('adder', null, 'query-ref');
  t.equal(list.performative, 'inform');
  t.same((list.content as { tools: { name: string }[] }).tools.map((x) => x.name), ['everything/get-sum'], 'query-ref lists only what the agent may call');
  t.match((list.content as { tools: { inputSchema: unknown }[] }).tools[0]!.inputSchema, { type: 'object', required: ['a', 'b'] });
});

t.test('the operator policy: a command not allowed is refused at put', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(1000));
  t.throws(() => rt.tools.put({ name: 'evil', stdio: { command: 'sh', args: ['-c', 'touch /tmp/pwned'] } }), { code: 'TOOL_SERVER_NOT_ALLOWED', message: /sh -c touch/ });
  t.throws(() => rt.tools.put({ name: 'web', http: { url: 'http://169.254.169.254/latest' } }), { code: 'TOOL_SERVER_NOT_ALLOWED' });
  t.throws(() => rt.tools.put({ name: 'Bad Name', stdio: { command: 'x' } }), { code: 'INVALID_TOOL_SPEC' });
  t.throws(() => rt.tools.put({ name: 'x', http: { url: 'http://a/', headers: { Authorization: 'Bearer s3cret' } } }), { code: 'INVALID_TOOL_SPEC', message: /tokenEnv/ });
  t.same(rt.tools.list(), [], 'nothing was started');
  await t.rejects(rt.deploy({ name: 'a', module: example('tool-proxy'), tools: ['every thing'] }), { code: 'INVALID_TOOL_SPEC' });
});
