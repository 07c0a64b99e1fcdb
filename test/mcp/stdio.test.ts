// `caxton mcp` as a plain stdio process, without an MCP client library:
// stdout carries JSON-RPC lines only; a line that is not JSON or not
// JSON-RPC is answered with id null and our code; an unknown method gets
// UNKNOWN_MCP_METHOD; closing stdin ends it, exit 0, once the calls already
// made are answered; a server that is not there is SERVER_UNREACHABLE per
// call, not a crash. The real CLI against a real server.
import t from 'tap';
import { execFile } from 'node:child_process';
import { cli } from '../helpers/cli.js';
import { example } from '../helpers/agents.js';
import { startTestServer, stopTestServer } from '../helpers/server.js';

const s = await startTestServer();
await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
t.teardown(() => stopTestServer(s));

/** `caxton mcp --server target` fed `lines` then end of input; its exit code, stdout lines parsed, and stderr. */
function session(target: string, lines: string[]): Promise<{ code: number | null; out: any[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CAXTON_TOKEN: s.token, CAXTON_SERVER: '', CAXTON_DATA_DIR: '' };
    const child = execFile(process.execPath, [cli, 'mcp', '--server', target], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      try {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)), stderr });
      } catch (e) {
        reject(new Error(`stdout is not JSON lines: ${stdout}`, { cause: e }));
      }
    });
    child.stdin!.end(lines.map((l) => `${l}\n`).join(''));
  });
}

t.test('lines in, JSON-RPC lines out; stdin closed: the answers, then exit 0', async (t) => {
  const r = await session(s.target, [
    'this is not json',
    '{"hello": "world"}',
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prompts/list' }),
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'invoke_agent', arguments: { agent: 'echo', content: 'last words' } } }),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `caxton mcp: serving MCP on stdio for the Caxton server at ${s.target}`);
  const byId = (id: unknown) => r.out.filter((m) => m.id === id);
  t.match(byId(null), [
    { error: { code: -32700, message: /^line: is not valid JSON/, data: { code: 'INVALID_ARGUMENT', hint: /one JSON-RPC 2\.0 message per line/ } } },
    { error: { code: -32600, message: 'line: is not a JSON-RPC 2.0 message' } },
  ]);
  t.match(byId(1), [{ error: { code: -32601, data: { code: 'UNKNOWN_MCP_METHOD' } } }]);
  t.match(byId(2), [{ result: { structuredContent: { reply: { content: 'last words', sender: 'echo' } } } }], 'the call made before stdin closed is answered');
});

t.test('no server at the address: each call says so, the process does not fail', async (t) => {
  const r = await session('127.0.0.1:1', [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_agents', arguments: {} } })]);
  t.equal(r.code, 0);
  t.match(r.out, [{ id: 1, result: { isError: true, structuredContent: { error: { code: 'SERVER_UNREACHABLE', hint: /caxton server start/ } } } }]);
});
