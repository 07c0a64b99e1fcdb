// The tool host ($mcp, runtime/tools/) when tool servers misbehave (issue
// #17): a real Runtime, the tool-proxy example agent built from this repo,
// and the MCP fixture server (test/fixtures/mcp/tool-server.mjs) as real
// processes over stdio and over Streamable HTTP. Each fault is met through
// $mcp from an agent: a server that crashes at start, one that dies in the
// middle of a call, hangs, huge results, a flood of notifications, requests
// for sampling and elicitation, lines that are not JSON-RPC. Every request
// must get exactly one answer, the runtime must keep serving, and at the end
// nothing is counted lost (test/helpers/tool-host.ts checkNothingLost).
//
// No sleep synchronises anything: tests wait for states and answers. The
// calls that must end by time-out are ones that can never be answered.
import t, { type Test } from 'tap';
import { Runtime } from '../../dist/runtime/runtime.js';
import { example } from '../helpers/agents.js';
import { captureLog, checkNothingLost, httpFixture, Ledger, outcomeOf, server, serverWhen, stdioFixture } from '../helpers/tool-host.js';
import { waitUntil } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const log = captureLog('debug');
const agentLogs: { agent: string; level: number; msg: string }[] = [];
const rt = await Runtime.start({
  workers: 2, logger: log.logger, onLog: (r) => agentLogs.push(r),
  tools: { allowCommands: [process.execPath], allowUrls: ['http://127.0.0.1:'] },
});
t.teardown(() => rt.shutdown(5000));
const ledger = new Ledger(rt, 1);
const seen = Ledger.seen;
const PROXIES = ['caller', 'other-caller'];
await rt.deploy([
  { name: 'caller', module: example('tool-proxy'), tools: ['*'] },
  { name: 'other-caller', module: example('tool-proxy'), tools: ['*'] },
  { name: 'bystander', module: example('echo') },
]);
// The workhorse: the fixture over stdio, with the default time limit (30 s).
rt.tools.put(stdioFixture('fx'));
await serverWhen(rt, 'fx', (s) => s.state === 'ready', 'ready');

/** The echo agent answers: the runtime serves agents that have nothing to do with tools. */
async function bystanderAnswers(t: Test, what: string): Promise<void> {
  const r = await ledger.request('bystander', { still: what });
  t.same(seen(r), { performative: 'inform', content: { still: what } }, `another agent is still served (${what})`);
}

/** An echo call through fx answers, from a server that is up. */
async function echoWorks(t: Test, name: string, agent = 'caller'): Promise<void> {
  const r = await ledger.call(agent, `${name}/echo`, { text: `hello ${name}` });
  t.match(seen(r), { performative: 'inform', content: { isError: false, structuredContent: { text: `hello ${name}` } } }, `${name}/echo answers`);
}

t.test('a stdio server that crashes at start: down with its exit code and last stderr line, restarted with back-off', async (t) => {
  rt.tools.put(stdioFixture('boom', ['--crash-at-start', '--stderr-lines', '2']));
  t.teardown(() => rt.tools.remove('boom'));
  const down = await serverWhen(rt, 'boom', (s) => s.state === 'down' && s.lastError !== '', 'down with a last error');
  t.match(down.lastError, /exited with code 3/, 'the last error names the exit code');
  t.match(down.lastError, /--crash-at-start: exiting with code 3/, 'and the last line the process wrote to stderr');
  t.same(down.tools, [], 'it never listed tools');

  const r = await ledger.call('caller', 'boom/echo', { text: 'hi' });
  t.match(seen(r), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /tool server "boom" is (down|starting) \(.*exited with code 3/, hint: /restarts it with back-off/ } });

  await serverWhen(rt, 'boom', (s) => s.restarts >= 3, 'restarted three times');
  const waits = log.lines.filter((l) => l.toolServer === 'boom' && typeof l.retryInMs === 'number');
  t.same(waits.slice(0, 3).map((l) => l.retryInMs), [250, 500, 1000], 'the back-off doubles from 250 ms');
  t.ok(waits.every((l) => l.level === 40 && /is down: .*exited with code 3/.test(l.msg)), 'each loss is a warning naming the exit code');
  const again = await ledger.call('other-caller', 'boom/echo', { text: 'hi' });
  t.match(seen(again), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN' } }, 'still down, still one answer');
  await bystanderAnswers(t, 'while boom restarts');
  await echoWorks(t, 'fx', 'other-caller');
});

t.test('a stdio server that dies in the middle of calls: each call answered TOOL_SERVER_DOWN once; restarted; the next call succeeds', async (t) => {
  const before = server(rt, 'fx').restarts;
  const sleeping = ledger.call('other-caller', 'fx/sleep', { ms: 600_000 });
  await serverWhen(rt, 'fx', (s) => s.inFlight === 1, 'the sleep call in flight');
  const crash = await ledger.call('caller', 'fx/crash');
  t.match(seen(crash), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /tool server "fx" went away during the call.*exited with code 7/ } });
  t.match(seen(await sleeping), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /went away during the call/ } }, 'the other call in flight too');
  const up = await serverWhen(rt, 'fx', (s) => s.state === 'ready' && s.restarts === before + 1, 'ready again after one restart');
  t.equal(up.lastError, '', 'a server that is up again has no last error');
  const count = await ledger.call('caller', 'fx/count');
  t.match(seen(count), { performative: 'inform', content: { content: [{ type: 'text', text: '0' }] } }, 'a new process answers');
  await echoWorks(t, 'fx');
});

t.test('a call that hangs: TOOL_TIMEOUT once, at the server\'s timeoutMs or the request\'s reply-by; the other calls are answered', async (t) => {
  rt.tools.put(stdioFixture('short', [], { timeoutMs: 1000 }));
  t.teardown(() => rt.tools.remove('short'));
  await serverWhen(rt, 'short', (s) => s.state === 'ready', 'ready');
  const late = await ledger.call('caller', 'short/sleep', { ms: 600_000 });
  t.match(seen(late), { performative: 'failure', content: { code: 'TOOL_TIMEOUT', message: /tool server "short" did not answer within 1000 ms/, hint: /cancelled/ } }, 'the server\'s timeoutMs');

  // On fx (30 s): a call with a reply-by 4 s ahead, and one that ends by itself in 5 s.
  const hung = ledger.call('caller', 'fx/sleep', { ms: 600_000 }, { replyBy: Date.now() + 4000 });
  const slow = ledger.call('other-caller', 'fx/sleep', { ms: 5000 });
  await serverWhen(rt, 'fx', (s) => s.inFlight === 2, 'both calls in flight');
  const quick = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.call(i % 2 ? 'caller' : 'other-caller', 'fx/add', { a: i, b: 1 })));
  t.same(quick.map((r) => (r.content as { structuredContent: unknown }).structuredContent), quick.map((_, i) => ({ sum: i + 1 })), 'calls made while two hang are answered, each with its own result');
  t.match(seen(await hung), { performative: 'failure', content: { code: 'TOOL_TIMEOUT', message: /did not answer within \d+ ms/ } }, 'the reply-by');
  t.match(seen(await slow), { performative: 'inform', content: { content: [{ text: 'slept 5000' }] } }, 'the call still in flight when the other timed out is answered');
  t.match(server(rt, 'fx'), { state: 'ready', inFlight: 0 }, 'a time-out does not take the server down');
  await echoWorks(t, 'fx');
});

t.test('huge results: TOOL_RESULT_TOO_LARGE above the frame limit, and above the SDK\'s default buffer of 10 MiB', async (t) => {
  const restarts = server(rt, 'fx').restarts;
  const big = await ledger.call('caller', 'fx/huge', { bytes: 100_000 });
  t.match(seen(big), { performative: 'failure', content: { code: 'TOOL_RESULT_TOO_LARGE', message: /fx\/huge returned more than an agent may be sent/ } });
  const bigger = await ledger.call('caller', 'fx/huge', { bytes: 11 * MiB });
  t.match(seen(bigger), { performative: 'failure', content: { code: 'TOOL_RESULT_TOO_LARGE' } }, '11 MiB: read whole (the host raises the SDK\'s 10 MiB), then refused');
  t.match(server(rt, 'fx'), { state: 'ready', restarts }, 'the server stayed up');
  const fits = await ledger.call('caller', 'fx/huge', { bytes: 30_000 });
  t.equal((fits.content as { content: { text: string }[] }).content[0]!.text.length, 30_000, 'a result under the frame limit arrives whole');
});

t.test('a result over the host\'s message limit: stdio closes the connection (TOOL_SERVER_DOWN, restarted), HTTP fails the call (TOOL_RESULT_TOO_LARGE)', async (t) => {
  // Its own runtime, with a 1 MiB limit (the default is 16 MiB).
  const logs: { agent: string; level: number; msg: string }[] = [];
  const small = await Runtime.start({ workers: 1, logger: captureLog('info').logger, onLog: (r) => logs.push(r), tools: { allowCommands: [process.execPath], allowUrls: ['http://127.0.0.1:'], maxMessageBytes: MiB } });
  t.teardown(() => small.shutdown(5000));
  const own = new Ledger(small, 2);
  await small.deploy({ name: 'caller', module: example('tool-proxy'), tools: ['*'] });
  small.tools.put(stdioFixture('fx'));
  await serverWhen(small, 'fx', (s) => s.state === 'ready', 'ready');
  const r = await own.call('caller', 'fx/huge', { bytes: 2 * MiB });
  t.match(seen(r), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /went away during the call.*larger than 1048576 bytes/ } });
  await serverWhen(small, 'fx', (s) => s.state === 'ready' && s.restarts === 1, 'ready again after one restart');
  const ok = await own.call('caller', 'fx/echo', { text: 'after' });
  t.match(seen(ok), { performative: 'inform', content: { structuredContent: { text: 'after' } } });

  // Over HTTP the limit caps the call's response: that call fails, the connection stays.
  const web = await httpFixture(t);
  small.tools.put({ name: 'web', http: { url: web.url } });
  await serverWhen(small, 'web', (s) => s.state === 'ready', 'the HTTP server ready');
  const overHttp = await own.call('caller', 'web/huge', { bytes: 2 * MiB });
  t.match(seen(overHttp), { performative: 'failure', content: { code: 'TOOL_RESULT_TOO_LARGE', message: /tool server "web" answered with more than 1048576 bytes/ } });
  t.match(server(small, 'web'), { state: 'ready', restarts: 0 }, 'the HTTP connection stayed up');
  const afterHttp = await own.call('caller', 'web/echo', { text: 'after http' });
  t.match(seen(afterHttp), { performative: 'inform', content: { structuredContent: { text: 'after http' } } });
  await checkNothingLost(t, small, own, { proxies: ['caller'], agentLogs: logs });
});

t.test('a flood of notifications during a call: the call is answered, the runtime serves on', async (t) => {
  const flood = ledger.call('caller', 'fx/flood', { count: 20_000 });
  await serverWhen(rt, 'fx', (s) => s.inFlight === 1, 'the flood call in flight');
  await bystanderAnswers(t, 'during a flood');
  await echoWorks(t, 'fx', 'other-caller');
  t.match(seen(await flood), { performative: 'inform', content: { isError: false, content: [{ text: 'flooded 20000' }] } });
  t.match(server(rt, 'fx'), { state: 'ready', inFlight: 0 });
});

t.test('a stdio server that never answers initialize: down at its start time limit, restarted, calls refused meanwhile', async (t) => {
  rt.tools.put(stdioFixture('mute', ['--hang-at-start'], { startTimeoutMs: 200 }));
  t.teardown(() => rt.tools.remove('mute'));
  const down = await serverWhen(rt, 'mute', (s) => s.state === 'down', 'down after its start time limit');
  t.match(down.lastError, /could not start: .*timed out/i, 'the last error says it timed out starting');
  const r = await ledger.call('caller', 'mute/echo', { text: 'hi' });
  t.match(seen(r), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /tool server "mute" is (down|starting)/ } });
  await serverWhen(rt, 'mute', (s) => s.restarts >= 1, 'restarted');
  await bystanderAnswers(t, 'while a tool server hangs at start');
});

t.test('a server asks for sampling and elicitation: refused (the host offers neither), the call answered once', async (t) => {
  const restarts = server(rt, 'fx').restarts;
  const sample = await ledger.call('caller', 'fx/sample');
  t.match(seen(sample), { performative: 'inform', content: { isError: true, content: [{ text: /^sampling refused: MCP error -32601: Method not found/ }] } });
  const elicit = await ledger.call('other-caller', 'fx/elicit');
  t.match(seen(elicit), { performative: 'inform', content: { isError: true, content: [{ text: /^elicitation refused: MCP error -32601: Method not found/ }] } });
  t.match(server(rt, 'fx'), { state: 'ready', restarts });
});

t.test('output that is not JSON-RPC: logged, the connection stays up, a call whose answer was broken times out once', async (t) => {
  rt.tools.put(stdioFixture('garbage', ['--garbage']));
  t.teardown(() => rt.tools.remove('garbage'));
  await serverWhen(rt, 'garbage', (s) => s.state === 'ready', 'ready despite a first line that is not JSON');
  await waitUntil(() => log.lines.find((l) => l.toolServer === 'garbage' && l.level === 40 && /tool server error/.test(l.msg)), (l) => l !== undefined, 'a warning about the line');
  await echoWorks(t, 'garbage');
  const restarts = server(rt, 'fx').restarts;
  const broken = await ledger.call('caller', 'fx/malformed', {}, { replyBy: Date.now() + 1000 });
  t.match(seen(broken), { performative: 'failure', content: { code: 'TOOL_TIMEOUT' } }, 'the broken line answered nothing: the call ends at its reply-by');
  t.match(server(rt, 'fx'), { state: 'ready', restarts }, 'the server stayed up');
  await echoWorks(t, 'fx');
});

t.test('an HTTP server: down when it cannot be reached, a crash in the middle of a call is TOOL_SERVER_DOWN at once; back when it is', async (t) => {
  const first = await httpFixture(t);
  rt.tools.put({ name: 'web', http: { url: first.url }, timeoutMs: 20_000 });
  t.teardown(() => rt.tools.remove('web'));
  await serverWhen(rt, 'web', (s) => s.state === 'ready', 'ready');
  await echoWorks(t, 'web');
  const flood = await ledger.call('other-caller', 'web/flood', { count: 5000 });
  t.match(seen(flood), { performative: 'inform', content: { content: [{ text: 'flooded 5000' }] } }, 'a flood over HTTP');
  const big = await ledger.call('caller', 'web/huge', { bytes: 100_000 });
  t.match(seen(big), { performative: 'failure', content: { code: 'TOOL_RESULT_TOO_LARGE' } });
  // The server's time limit is 20 s: a TOOL_TIMEOUT here would mean the clean end went unnoticed.
  const hungUp = await ledger.call('caller', 'web/hangup');
  t.match(seen(hungUp), { performative: 'failure', content: { code: 'TOOL_ERROR', message: /tool server "web" ended the call's HTTP response stream without an answer/ } });
  t.match(server(rt, 'web'), { state: 'ready', inFlight: 0 }, 'the server is still up');

  const crash = await ledger.call('caller', 'web/crash');
  t.match(seen(crash), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /tool server "web" went away during the call/ } }, 'not a time-out 20 s later');
  t.equal(await first.exited, 7);
  const down = await serverWhen(rt, 'web', (s) => s.state !== 'ready' && /ECONNREFUSED/.test(s.lastError), 'shown down, its address refusing connections');
  t.match(down.lastError, new RegExp(`127\\.0\\.0\\.1:${first.port}`), 'the last error names the address');
  const refused = await ledger.call('caller', 'web/echo', { text: 'anyone?' });
  t.match(seen(refused), { performative: 'failure', content: { code: 'TOOL_SERVER_DOWN', message: /ECONNREFUSED/ } }, 'a call while it is down');
  await serverWhen(rt, 'web', (s) => s.restarts >= 1, 'retried');

  await httpFixture(t, first.port);
  await serverWhen(rt, 'web', (s) => s.state === 'ready', 'ready again once the server is back');
  await echoWorks(t, 'web');
});

t.test('the tool calls are logged with their conversation id, agent and tool', async (t) => {
  const ok = await ledger.call('caller', 'fx/echo', { text: 'logged' });
  const failed = await ledger.call('other-caller', 'fx/throw');
  t.match(seen(failed), { performative: 'failure', content: { code: 'TOOL_ERROR' } });
  const okLine = log.lines.find((l) => l.conversationId === ok.conversationId && l.tool === 'fx/echo');
  t.match(okLine, { level: 20, endpoint: '$mcp', agent: 'caller', tool: 'fx/echo', outcome: 'ok', msg: /tool call fx\/echo: ok/ }, 'a debug line per call');
  t.type(okLine?.ms, 'number', 'with its duration');
  const failLine = log.lines.find((l) => l.conversationId === failed.conversationId && l.tool === 'fx/throw');
  t.match(failLine, { level: 40, agent: 'other-caller', tool: 'fx/throw', outcome: 'TOOL_ERROR', msg: /tool call fx\/throw failed: TOOL_ERROR: .*it threw/ }, 'a warning per failure');
  t.notOk(JSON.stringify(okLine).includes('"logged"'), 'the arguments are not logged');
});

// After the test of the log lines above: the flood spends this second's budget of warnings.
t.test('a flood of refused calls: warnings bounded, every failure in a line or a count', async (t) => {
  const before = log.lines.length;
  const N = 300;
  const answers = await Promise.all(Array.from({ length: N }, () => ledger.call('caller', 'fx/no-such-tool', {})));
  t.ok(answers.every((r) => outcomeOf(r) === 'TOOL_NOT_FOUND'), 'every call answered TOOL_NOT_FOUND');
  const written = () => log.lines.slice(before).filter((l) => l.level === 40 && /tool call fx\/no-such-tool failed: TOOL_NOT_FOUND/.test(l.msg));
  const tally = (): { lines: number; counted: number } => ({
    lines: written().length,
    counted: log.lines.slice(before).filter((l) => /more failed tool call\(s\) not logged/.test(l.msg)).reduce((n, l) => n + (l.skipped as number), 0),
  });
  // The count of what was not written comes when its window ends (a timer), not with the answers.
  const final = await waitUntil(tally, (x) => x.lines + x.counted === N, `${N} failures in lines and counts`);
  // At most 50 a second (the budget's windows start anywhere, so any 1 s span holds at most two windows' worth).
  const times = written().map((l) => l.time as number);
  const busiest = Math.max(...times.map((t0) => times.filter((x) => x >= t0 && x < t0 + 1000).length));
  t.ok(busiest <= 100, `at most two windows' lines in any second (busiest second: ${busiest}; ${final.lines} written, ${final.counted} counted)`);
  await bystanderAnswers(t, 'after the flood of refused calls');
});

t.test('nothing counted lost: every request got exactly one answer', async (t) => {
  await checkNothingLost(t, rt, ledger, { proxies: PROXIES, agentLogs });
});
