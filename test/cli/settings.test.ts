// `caxton server start` settings: flags > CAXTON_* environment > --config file > defaults
// (the tool server policy's flags reaching a --detach'ed server: test/cli/deploy-tools.test.ts).
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveSettings } from '../../dist/cli/commands/server.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-settings-'));
const file = join(dir, 'caxton.yaml');
writeFileSync(file, 'grpcPort: 7001\nhttpPort: 7002\nworkers: 3\nhost: 0.0.0.0\n');

t.test('defaults', async (t) => {
  const s = resolveSettings({}, {}, undefined);
  t.same(s, { dataDir: resolve('.caxton'), host: '127.0.0.1', grpcPort: 50051, httpPort: 8080, workers: undefined, logLevel: 'info', logMaxSize: '10m', journal: true, toolCommands: [], toolUrls: [] });
});

t.test('the journal: on by default, off by flag, environment (off/false) or file', async (t) => {
  t.equal(resolveSettings({ journal: false }, {}, undefined).journal, false);
  t.equal(resolveSettings({}, { CAXTON_JOURNAL: 'off' }, undefined).journal, false);
  t.equal(resolveSettings({}, { CAXTON_JOURNAL: 'false' }, undefined).journal, false);
  const off = join(dir, 'no-journal.yaml');
  writeFileSync(off, 'journal: false\n');
  t.equal(resolveSettings({}, {}, off).journal, false);
  t.equal(resolveSettings({ journal: true }, { CAXTON_JOURNAL: 'off' }, off).journal, true, 'the flag wins');
  t.throws(() => resolveSettings({}, { CAXTON_JOURNAL: 'maybe' }, undefined), /\$CAXTON_JOURNAL: journal must be true or false/);
});

t.test('file over defaults, env over file, flags over env', async (t) => {
  t.match(resolveSettings({}, {}, file), { grpcPort: 7001, httpPort: 7002, workers: 3, host: '0.0.0.0' });
  t.match(resolveSettings({}, { CAXTON_GRPC_PORT: '7101', CAXTON_WORKERS: '2' }, file), { grpcPort: 7101, httpPort: 7002, workers: 2 });
  t.match(resolveSettings({ grpcPort: 7201 }, { CAXTON_GRPC_PORT: '7101' }, file), { grpcPort: 7201, httpPort: 7002 });
  t.equal(resolveSettings({ dataDir: 'x/y' }, { CAXTON_DATA_DIR: '/elsewhere' }, undefined).dataDir, resolve('x/y'));
  t.equal(resolveSettings({}, { CAXTON_DATA_DIR: '/elsewhere' }, undefined).dataDir, '/elsewhere');
});

t.test('bad values say where they came from', async (t) => {
  t.throws(() => resolveSettings({}, { CAXTON_GRPC_PORT: 'http' }, undefined), /\$CAXTON_GRPC_PORT: grpcPort must be a port number/);
  t.throws(() => resolveSettings({ workers: 0 }, {}, undefined), /--workers: workers must be a whole number/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'grpcPrt: 1\n');
  t.throws(() => resolveSettings({}, {}, bad), /unknown setting "grpcPrt"/);
  t.throws(() => resolveSettings({}, {}, join(dir, 'missing.yaml')), /cannot read it/);
  t.throws(() => resolveSettings({ logLevel: 'bogus' }, {}, undefined), /logLevel must be one of trace, debug, info/);
});

t.test('the tool server policy: --tool-command/--tool-url, CAXTON_TOOL_COMMANDS/CAXTON_TOOL_URLS (comma-separated), toolCommands/toolUrls in the file', async (t) => {
  const tools = join(dir, 'tools.yaml');
  writeFileSync(tools, 'toolCommands: [node, "mcp-server-everything stdio"]\ntoolUrls: [https://tools.example.com/]\n');
  t.match(resolveSettings({}, {}, tools), { toolCommands: ['node', 'mcp-server-everything stdio'], toolUrls: ['https://tools.example.com/'] }, 'from the file');
  const fromEnv = resolveSettings({}, { CAXTON_TOOL_COMMANDS: 'python3, uvx mcp-server-time ,', CAXTON_TOOL_URLS: 'http://127.0.0.1:9000/mcp,https://b.example/' }, tools);
  t.same(fromEnv.toolCommands, ['python3', 'uvx mcp-server-time'], 'the environment beats the file; entries trimmed, empty ones left out');
  t.same(fromEnv.toolUrls, ['http://127.0.0.1:9000/mcp', 'https://b.example/']);
  const fromFlags = resolveSettings({ toolCommands: ['deno', 'deno'] }, { CAXTON_TOOL_COMMANDS: 'python3' }, tools);
  t.same(fromFlags.toolCommands, ['deno'], 'the flags beat both, whole (no merging), once each');
  t.same(fromFlags.toolUrls, ['https://tools.example.com/'], 'each setting on its own');
  t.same(resolveSettings({}, { CAXTON_TOOL_COMMANDS: '' }, tools).toolCommands, ['node', 'mcp-server-everything stdio'], 'an empty variable counts as unset');

  t.throws(() => resolveSettings({ toolUrls: ['https://tools.example.com'] }, {}, undefined),
    /--tool-url: toolUrls entry "https:\/\/tools\.example\.com" must be an http:\/\/ or https:\/\/ URL prefix with its host and the "\/" after it/, 'a prefix that would allow tools.example.com.evil.example');
  t.throws(() => resolveSettings({}, { CAXTON_TOOL_URLS: 'ftp://x/' }, undefined), /^\$CAXTON_TOOL_URLS: toolUrls entry "ftp:\/\/x\/"/);
  t.throws(() => resolveSettings({ toolCommands: [' '] }, {}, undefined), /^--tool-command: toolCommands has an empty entry/);
  const notList = join(dir, 'not-list.yaml');
  writeFileSync(notList, 'toolCommands: node\n');
  t.throws(() => resolveSettings({}, {}, notList), /not-list\.yaml: toolCommands must be a list of command lines, got "node"/);
});

t.test('caxton server start refuses a bad policy before it starts anything', async (t) => {
  const dataDir = join(dir, 'never');
  const r = await runCli(['server', 'start', '--data-dir', dataDir, '--tool-url', 'https://tools.example.com'], { ...process.env, CAXTON_TOOL_URLS: '' });
  t.equal(r.code, 1);
  t.match(r.stderr, /^caxton: --tool-url: toolUrls entry "https:\/\/tools\.example\.com" must be/);
  t.notOk(existsSync(dataDir), 'no data directory made');
});
