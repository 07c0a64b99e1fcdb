// A fleet manifest's tools: section (MCP tool servers) and the agents'
// tools: allow-lists (cli/manifest/tools.ts, tool-problems.ts): what loads
// and what is sent to ToolService.Put, and every mistake reported at its
// line:column in a sentence for people. The specs the loader accepts are
// ones the runtime accepts too (runtime/tools/spec.ts).
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest, FLEET_SCHEMA_FILE, type ManifestProblem } from '../../dist/manifest/index.js';
import { checkAllowList, checkToolServerSpec } from '../../dist/runtime/tools/spec.js';
import { ManifestError } from '../../dist/runtime/errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'caxton-manifest-tools-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'echo.wasm'), new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

let n = 0;
function manifest(text: string): string {
  const file = join(dir, `m${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}
const HEAD = 'apiVersion: caxton.dev/v1\nkind: Fleet\n';
const AGENT = 'agents:\n  - { name: a, module: echo.wasm }\n';
const at = (p: ManifestProblem) => `${p.line}:${p.column} ${p.message}`;

function problemsOf(t: Test, text: string): readonly ManifestProblem[] {
  try {
    loadManifest(manifest(text));
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  t.fail('expected INVALID_MANIFEST');
  return [];
}

t.test('a tools: section loads: the specs ToolService.Put is sent, cwd resolved from the manifest, durations in ms', async (t) => {
  const fleet = loadManifest(manifest(`${HEAD}tools:
  - name: everything
    stdio:
      command: mcp-server-everything
      args: [stdio, "--flag=1"]
      env: { LOG_LEVEL: warn, EMPTY: "" }
      cwd: tools/everything
    timeoutMs: 2.5s
  - name: fixed
    stdio: { command: /usr/bin/node, cwd: /srv/tools }
    timeoutMs: 500
    startTimeoutMs: 60s
  - name: weather_2
    http:
      url: https://tools.example.com/mcp
      headers: { X-Tenant: acme }
      tokenEnv: WEATHER_TOKEN
agents:
  - name: a
    module: echo.wasm
    tools: [everything/get-sum, weather_2/*, "fixed/a.b:c/d"]
  - name: b
    module: echo.wasm
    instances: 2
    tools: ["*"]
  - name: c
    module: echo.wasm
`));
  t.equal(fleet.toolsDeclared, true);
  t.same(fleet.tools.map((x) => x.spec), [
    { name: 'everything', stdio: { command: 'mcp-server-everything', args: ['stdio', '--flag=1'], env: { LOG_LEVEL: 'warn', EMPTY: '' }, cwd: join(dir, 'tools/everything') }, timeoutMs: 2500 },
    { name: 'fixed', stdio: { command: '/usr/bin/node', cwd: '/srv/tools' }, timeoutMs: 500, startTimeoutMs: 60_000 },
    { name: 'weather_2', http: { url: 'https://tools.example.com/mcp', headers: { 'X-Tenant': 'acme' }, tokenEnv: 'WEATHER_TOKEN' } },
  ]);
  t.same(fleet.tools.map((x) => [x.name, x.source]), [['everything', { entry: 0, line: 4, column: 5 }], ['fixed', { entry: 1, line: 11, column: 5 }], ['weather_2', { entry: 2, line: 15, column: 5 }]]);
  t.same(fleet.agents.map((a) => [a.name, a.tools]), [['a', ['everything/get-sum', 'weather_2/*', 'fixed/a.b:c/d']], ['b-0', ['*']], ['b-1', ['*']], ['c', []]]);
  for (const x of fleet.tools) t.doesNotThrow(() => checkToolServerSpec(x.spec), `${x.name}: the runtime accepts the spec`);
  for (const a of fleet.agents) t.doesNotThrow(() => checkAllowList(a.tools), `${a.name}: the runtime accepts the allow-list`);

  const none = loadManifest(manifest(`${HEAD}${AGENT}`));
  t.same([none.tools, none.toolsDeclared], [[], false], 'no tools: section');
  const empty = loadManifest(manifest(`${HEAD}tools: []\n${AGENT}`));
  t.same([empty.tools, empty.toolsDeclared], [[], true], 'tools: [] declares none (and --prune removes every tool server)');
});

t.test('without a tools: section, an allow-list may name any server (put by other means)', async (t) => {
  const fleet = loadManifest(manifest(`${HEAD}agents:\n  - { name: a, module: echo.wasm, tools: [elsewhere/x, "other/*"] }\n`));
  t.same(fleet.agents[0]!.tools, ['elsewhere/x', 'other/*']);
});

t.test('with a tools: section, an allow-list naming a server it does not declare is refused, with the closest name', async (t) => {
  const problems = problemsOf(t, `${HEAD}tools:
  - { name: everything, stdio: { command: x } }
  - { name: weather, http: { url: "http://127.0.0.1:9/mcp" } }
agents:
  - name: a
    module: echo.wasm
    tools: [everthing/get-sum, "*", weather/*, files/read]
`);
  t.same(problems.map(at), [
    '9:13 agents[0].tools[0] "everthing/get-sum" names the tool server "everthing", which this manifest\'s tools: section does not declare (it declares "everything", "weather"); did you mean "everything/get-sum"?',
    '9:48 agents[0].tools[3] "files/read" names the tool server "files", which this manifest\'s tools: section does not declare (it declares "everything", "weather"); declare it under tools:, or leave the tools: section out of this manifest to use tool servers put by other means',
  ]);
  const emptySection = problemsOf(t, `${HEAD}tools: []\nagents:\n  - { name: a, module: echo.wasm, tools: [x/y] }\n`);
  t.match(emptySection.map(at), [/^5:43 agents\[0\]\.tools\[0\] "x\/y" names the tool server "x", which this manifest's tools: section does not declare \(it declares none\)/]);
});

t.test('tool server mistakes, each at its line:column', async (t) => {
  const problems = problemsOf(t, `${HEAD}tools:
  - name: Everything
    stdio:
      command: node
      url: http://x/
    http:
      url: http://x/
  - name: b
  - name: c
    stdoi: { command: x }
  - name: d
    http:
      url: ftp://x
      headers: { authorization: Bearer s3cret, "bad name": y }
      tokenEnv: MY-TOKEN
    timeoutMs: 2 sec
  - name: d
    stdio: { command: " ", env: { 1X: y, OK: 3 }, cwd: "", args: stdio }
    command: x
    timeout: 1s
  - name: e
    stdio: { command: x }
    timeoutMs: 700s
  - { name: f, stdio: { command: x }, timeoutMs: 0, startTimeoutMs: 900s }
  - just-a-name
stdio: 1
${AGENT}`);
  t.same(problems.map(at), [
    '4:11 tools[0].name "Everything" is not a valid tool server name: it has capital letters; use 1-63 lowercase letters, digits, \'-\' or \'_\', starting with a letter or digit',
    '7:7 tools[0].stdio has an unknown field "url" (url belongs to http:, not stdio:)',
    '8:5 tools[0] has both stdio and http: a tool server has exactly one transport, keep one of them',
    '10:5 tools[1] has no transport: add stdio: (command, args, env, cwd) to run a command, or http: (url, headers, tokenEnv) to call an endpoint',
    '12:5 tools[2] has an unknown field "stdoi" (did you mean "stdio"?)',
    '15:12 tools[3].http.url "ftp://x" is not an http:// or https:// URL',
    '16:18 tools[3].http.headers must not hold an Authorization header: a manifest is no place for a secret. Put the token in an environment variable of the Caxton server and name that variable in tokenEnv (it is sent as Authorization: Bearer <token>)',
    '16:48 tools[3].http.headers has the key "bad name", not an HTTP header name: use letters, digits and -',
    '17:17 tools[3].http.tokenEnv "MY-TOKEN" is not an environment variable name: use letters, digits and \'_\', not starting with a digit (it names the variable holding the token, not the token)',
    '18:16 tools[3].timeoutMs "2 sec" is not a duration: write a whole number of milliseconds, or a number and a unit ms or s such as "500ms" or "2s" (did you mean "2s"?)',
    '19:11 the tool server name "d" is used twice: by tools[3] (line 13, column 11) and by tools[4]; tool server names must be unique in the fleet',
    '20:23 tools[4].stdio.command is blank: give the program to run (its arguments go in args)',
    '20:35 tools[4].stdio.env has the key "1X", not an environment variable name: use letters, digits and \'_\', not starting with a digit',
    '20:46 tools[4].stdio.env.OK must be a string, got 3 (write it in quotes, "3", to make it a string)',
    '20:56 tools[4].stdio.cwd is empty: give a directory, absolute or relative to the manifest, or leave cwd out',
    '20:66 tools[4].stdio.args must be a list of strings, such as [stdio], got the string "stdio"',
    '21:5 tools[4] has an unknown field "command" (it goes under stdio:)',
    '22:5 tools[4] has an unknown field "timeout" (did you mean "timeoutMs"?)',
    '25:16 tools[5].timeoutMs "700s" is 700000 ms, more than the 600000 ms (10 minutes) a tool call may take',
    '26:50 tools[6].timeoutMs must be at least 1 ms, got 0',
    '26:69 tools[6].startTimeoutMs "900s" is 900000 ms, more than the 600000 ms (10 minutes) a tool server may take to start',
    '27:5 tools[7] must be a mapping of the tool server\'s fields (name, stdio or http, timeoutMs, startTimeoutMs), got the string "just-a-name"',
    '28:1 the manifest has an unknown top-level field "stdio" (a tool server\'s fields go in an entry under tools:)',
  ]);
  t.same(problems.slice(0, 3).map((p) => p.path), ['tools[0].name', 'tools[0].stdio.url', 'tools[0].http']);
});

t.test('allow-list mistakes, each at its line:column', async (t) => {
  const problems = problemsOf(t, `${HEAD}agents:
  - name: a
    module: echo.wasm
    tools: ["every thing", get-sum, "d/", "d/get*", "Files/x", "*"]
  - name: b
    module: echo.wasm
    tools: everything
    tool: [x]
`);
  const rule = 'Write server/tool (one tool), server/* (every tool of that server) or * (every tool of every server)';
  t.same(problems.map(at), [
    `6:13 agents[0].tools[0] "every thing" is not a tool: it has no "/". ${rule}`,
    `6:28 agents[0].tools[1] "get-sum" is not a tool: it has no "/" (a tool is named with its server: "<server>/get-sum"; or "get-sum/*" for every tool of a server named "get-sum"). ${rule}`,
    `6:37 agents[0].tools[2] "d/" is not a tool: no tool after the "/"; write "d/*" for all of them. ${rule}`,
    `6:43 agents[0].tools[3] "d/get*" is not a tool: a "*" stands alone, for every tool of the server: there are no partial wildcards. ${rule}`,
    `6:53 agents[0].tools[4] "Files/x" is not a tool: the server name "Files" is not one: it has capital letters (a tool server's name is 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit). ${rule}`,
    '9:12 agents[1].tools must be a list of tools such as [everything/get-sum, "weather/*"], got the string "everything"',
    '10:5 agents[1] has an unknown field "tool" (did you mean "tools"?)',
  ]);
});

t.test('docs/fleet.schema.json: every tool field has a title and a description; docs/manifest.md documents them', async (t) => {
  const schema = JSON.parse(readFileSync(FLEET_SCHEMA_FILE, 'utf8'));
  const defs = schema.$defs;
  const fields = { tools: schema.properties.tools, 'agent.tools': defs.agent.properties.tools, ...defs.toolServer.properties, ...defs.stdioTransport.properties, ...defs.httpTransport.properties };
  t.same(Object.keys(fields).sort(), ['agent.tools', 'args', 'command', 'cwd', 'env', 'headers', 'http', 'name', 'startTimeoutMs', 'stdio', 'timeoutMs', 'tokenEnv', 'tools', 'url']);
  for (const [k, v] of Object.entries<{ title?: string; description?: string }>(fields)) {
    t.ok(v.title, `${k} has a title`);
    t.ok((v.description ?? '').length > 10, `${k} has a description`);
  }
  const doc = readFileSync(join(root, 'docs', 'manifest.md'), 'utf8');
  for (const k of Object.keys(fields)) t.match(doc, `| \`${k.replace('agent.', '')}\` |`, `docs/manifest.md documents ${k}`);
});

t.test('the full example of docs/manifest.md declares tool servers its agents use', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'manifest.md'), 'utf8');
  const example = /```yaml\n(# fleet\.yaml\n[\s\S]*?)```/.exec(doc)![1]!;
  const base = mkdtempSync(join(dir, 'docs-'));
  for (const m of ['contract-net-manager', 'contract-net-contractor']) {
    writeFileSync(join(base, `${m}.wasm`), new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  }
  const file = manifest(example.replace(/\.\.\/dist\/agents\//g, `${base}/`).replace('/opt/agents/archive.wasm', join(base, 'contract-net-manager.wasm')));
  const fleet = loadManifest(file);
  t.same(fleet.tools.map((x) => x.name), ['dictionary', 'glossary']);
  t.equal(fleet.tools[0]!.spec.stdio!.cwd, join(dir, '..', 'tools').replace(/\/$/, ''), 'cwd: ../tools from the manifest\'s directory');
  t.equal(fleet.tools[0]!.spec.timeoutMs, 10_000);
  t.same(fleet.agents.find((a) => a.name === 'translator-0')!.tools, ['dictionary/lookup', 'glossary/*']);
});
