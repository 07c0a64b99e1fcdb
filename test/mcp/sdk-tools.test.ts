// The AssemblyScript SDK's tool helpers (sdk/assemblyscript/tools.ts) against a
// real Runtime and a real tool server from npm
// (@modelcontextprotocol/server-everything over stdio): the tool-user example
// (examples/tool-user: "forecaster" decides from a tool's structured result)
// and its probe (examples/tool-user/probe: reports what each reader helper
// makes of an answer), both built from this repo's sources.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Runtime } from '../../dist/runtime/runtime.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { checkAllowList, checkToolServerSpec, type ToolServerSpec } from '../../dist/runtime/tools/spec.js';
import { example } from '../helpers/agents.js';

const require = createRequire(import.meta.url);
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FLEET = join(ROOT, 'examples', 'tool-user', 'fleet.yaml');
const ASK_MS = 20_000;

interface Fleet {
  tools: ToolServerSpec[];
  agents: { name: string; module: string; tools: string[]; config: Record<string, unknown> }[];
}
const fleet = parse(readFileSync(FLEET, 'utf8')) as Fleet;

/** A runtime whose operator allows `allow`, with tool server `spec` up. */
async function start(t: Test, spec: ToolServerSpec, allow: string[]): Promise<Runtime> {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger(), tools: { allowCommands: allow } });
  t.teardown(() => rt.shutdown(1000));
  rt.tools.put(spec);
  await rt.tools.settled();
  const [info] = rt.tools.list();
  t.equal(info!.state, 'ready', `the tool server is ready (${info!.lastError})`);
  return rt;
}

/** server-everything run by this Node, as tool-calls.test.ts does. */
const byNode: ToolServerSpec = { name: 'everything', stdio: { command: process.execPath, args: [everything, 'stdio'] } };

function ask(rt: Runtime, agent: string, content: unknown, conversationId?: string) {
  return rt.request({ to: agent, performative: 'request', content, ...(conversationId ? { conversationId } : {}) }, ASK_MS);
}

t.test('the example fleet: forecaster asks the tool and decides from its structured result', async (t) => {
  // The fleet as written: the tool server's command is `mcp-server-everything`
  // from node_modules/.bin (npx puts it on PATH), allowed as
  // `caxton server start --tool-command mcp-server-everything` would.
  t.equal(fleet.tools.length, 1);
  const spec = checkToolServerSpec(fleet.tools[0]!);
  const bin = join(ROOT, 'node_modules', '.bin');
  if (!(process.env.PATH ?? '').split(delimiter).includes(bin)) process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  const rt = await start(t, spec, ['mcp-server-everything']);

  const [forecaster] = fleet.agents;
  t.equal(forecaster!.module, '../../dist/agents/tool-user.wasm', 'the module npm run build:agents makes');
  t.same(checkAllowList(forecaster!.tools), ['everything/get-structured-content']);
  await rt.deploy({ name: forecaster!.name, module: example('tool-user'), tools: forecaster!.tools, config: forecaster!.config });

  const la = await ask(rt, 'forecaster', 'Los Angeles', '00000000000a0001');
  t.equal(la.performative, 'inform');
  t.same(la.content, { location: 'Los Angeles', decision: 'go', reason: 'dry and warm enough', temperature: 73, conditions: 'Sunny / Clear' });
  t.equal(la.conversationId, '00000000000a0001', 'answered in the asker\'s conversation');

  const chicago = await ask(rt, 'forecaster', { location: 'Chicago' });
  t.same(chicago.content, { location: 'Chicago', decision: 'postpone', reason: 'rain', temperature: 36, conditions: 'Light rain / drizzle' }, 'a map {location} works too');
  const ny = await ask(rt, 'forecaster', 'New York');
  t.match(ny.content, { location: 'New York', decision: 'postpone', reason: 'too cold', temperature: 33 });

  const paris = await ask(rt, 'forecaster', 'Paris');
  t.equal(paris.performative, 'failure', 'a city the tool does not know');
  t.match(paris.content, { code: 'TOOL_ARGUMENTS_INVALID', location: 'Paris', message: /arguments\.location must be equal to one of the allowed values/ });

  const nonsense = await ask(rt, 'forecaster', 42);
  t.equal(nonsense.performative, 'not-understood');
  t.match(nonsense.content, /send a city/);
});

t.test('several calls in flight at once: every answer goes to its own asker', async (t) => {
  const rt = await start(t, byNode, [process.execPath]);
  await rt.deploy({ name: 'forecaster', module: example('tool-user'), tools: ['everything/get-structured-content'] });
  const cities = ['Los Angeles', 'Chicago', 'New York', 'Paris'];
  const expected: Record<string, unknown> = {
    'Los Angeles': { performative: 'inform', content: { location: 'Los Angeles', decision: 'go' } },
    Chicago: { performative: 'inform', content: { location: 'Chicago', decision: 'postpone', reason: 'rain' } },
    'New York': { performative: 'inform', content: { location: 'New York', decision: 'postpone', reason: 'too cold' } },
    Paris: { performative: 'failure', content: { code: 'TOOL_ARGUMENTS_INVALID', location: 'Paris' } },
  };
  // Sent together, before any answer: the agent handles them in one batch, so
  // its 40 calls are in flight at once and their answers come in any order.
  // The tool host's count of calls waiting is sampled on every turn of the event loop.
  let peak = 0;
  let sampling = true;
  const sample = (): void => {
    if (!sampling) return;
    peak = Math.max(peak, rt.tools.list()[0]?.inFlight ?? 0);
    setImmediate(sample);
  };
  sample();
  const asks = Array.from({ length: 40 }, (_, i) => {
    const city = cities[i % cities.length]!;
    const conversationId = (0xc0000 + i).toString(16).padStart(16, '0');
    return ask(rt, 'forecaster', city, conversationId).then((r) => ({ city, conversationId, r }));
  });
  const answers = await Promise.all(asks);
  sampling = false;
  t.ok(peak > 1, `several calls waited for the tool server at once (at most ${peak})`);
  t.match(answers.map((a) => a.r), answers.map((a) => expected[a.city]), 'each asker got the answer about its own city');
  t.same(answers.map((a) => a.r.conversationId), answers.map((a) => a.conversationId), 'each in its own conversation');
  const calls = (outcome: string): number | undefined => rt.tools.metrics().calls.find((c) => c.tool === 'everything/get-structured-content' && c.outcome === outcome)?.count;
  t.equal(calls('ok'), 30, 'one call per request of a known city');
  t.equal(calls('TOOL_ARGUMENTS_INVALID'), 10);
});

t.test('a tool missing from the allow-list: the asker gets the failure code', async (t) => {
  const rt = await start(t, byNode, [process.execPath]);
  await rt.deploy([
    { name: 'no-tools', module: example('tool-user') },
    { name: 'other-tool', module: example('tool-user'), tools: ['everything/get-sum'] },
  ]);
  const none = await ask(rt, 'no-tools', 'Chicago');
  t.equal(none.performative, 'failure');
  t.match(none.content, { code: 'TOOL_NOT_ALLOWED', location: 'Chicago', message: /may not call everything\/get-structured-content: its tools: list is empty/ });
  const other = await ask(rt, 'other-tool', 'Chicago');
  t.match(other.content, { code: 'TOOL_NOT_ALLOWED', message: /its tools: list is everything\/get-sum/ });
});

t.test('the reader helpers, one scenario each (probe)', async (t) => {
  const rt = await start(t, byNode, [process.execPath]);
  const allowed = ['everything/get-resource-reference', 'everything/get-structured-content', 'everything/get-sum', 'everything/get-tiny-image', 'everything/trigger-long-running-operation'];
  await rt.deploy({ name: 'probe', module: example('tool-user-probe'), tools: allowed });
  const probe = async (scenario: string) => {
    const r = await ask(rt, 'probe', scenario);
    t.equal(r.performative, 'inform', `${scenario}: reported`);
    return r.content as Record<string, unknown>;
  };
  const ok = { failed: false, code: '', codeIs: false, message: '', sameConversation: true, tools: [], listsSum: false, listsEcho: false };

  const sum = await probe('sum');
  t.match(sum, { ...ok, scenario: 'sum', isError: false, text: 'The sum of 2 and 3.5 is 5.5.', textAlloc: 'The sum of 2 and 3.5 is 5.5.', temperature: null, structuredKeys: -1 }, 'get-sum {a: 2, b: 3.5}');

  const image = await probe('image');
  const joined = "Here's the image you requested:\nThe image above is the MCP logo.";
  t.match(image, { ...ok, isError: false, text: joined, textAlloc: joined }, 'no arguments; text blocks joined, the image block skipped');

  const error = await probe('error');
  t.match(error, { ...ok, failed: false, isError: true, text: /Invalid resourceId: 0/ }, 'the tool ran and reported an error');

  const weather = await probe('weather');
  t.match(weather, { ...ok, isError: false, temperature: 73, conditions: 'Sunny / Clear', structuredKeys: 3, text: /"conditions":"Sunny \/ Clear"/ }, 'structuredContent fields');

  const denied = await probe('echo');
  t.match(denied, { failed: true, code: 'TOOL_NOT_ALLOWED', codeIs: true, message: /may not call everything\/echo/, isError: false, text: '', textAlloc: '', structuredKeys: -1 }, 'a refused call');

  const list = await probe('list');
  t.same([...(list.tools as string[])].sort(), allowed, 'listTools: what the allow-list lets it call');
  t.match(list, { failed: false, listsSum: true, listsEcho: false, sameConversation: true });

  const slow = await probe('slow');
  t.match(slow, { failed: true, code: 'TOOL_TIMEOUT', codeIs: true, message: /did not answer within/ }, 'the reply-by is the call\'s time limit');

  const unsent = await ask(rt, 'probe', 'unsent');
  t.same(unsent.content, -1, 'sendToolCall without callTool: not sent, toolCallError() is BAD_FRAME');
});

t.test('a quick call is answered while a slow one is still in flight', async (t) => {
  const rt = await start(t, byNode, [process.execPath]);
  await rt.deploy({ name: 'probe', module: example('tool-user-probe'), tools: ['everything/get-sum', 'everything/trigger-long-running-operation'] });
  const order: string[] = [];
  const slow = ask(rt, 'probe', 'slow').then((r) => { order.push('slow'); return r; });
  const sum = ask(rt, 'probe', 'sum').then((r) => { order.push('sum'); return r; });
  const [s, q] = await Promise.all([slow, sum]);
  t.match(s.content, { scenario: 'slow', code: 'TOOL_TIMEOUT' });
  t.match(q.content, { scenario: 'sum', text: /is 5\.5/ });
  t.same(order, ['sum', 'slow'], 'each answer matched to its own call by message id');
});
