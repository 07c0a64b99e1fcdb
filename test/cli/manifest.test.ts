// Fleet manifests (cli/manifest.ts): the example fleet loads, instances
// expand, sizes and durations parse, and every kind of mistake is reported
// at its line:column in a sentence for people. A property: any manifest
// built from valid random fields loads and gives back the values.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isScalar, visit } from 'yaml';
import {
  loadManifest, parseSize, parseDuration, suggestField, FLEET_SCHEMA_FILE, MANIFEST_API_VERSION, MANIFEST_KIND,
  type ManifestProblem,
} from '../../dist/manifest/index.js';
import { ManifestError, ModuleFileNotFoundError, ModuleFileUnreadableError, CaxtonError } from '../../dist/runtime/errors.js';
import { httpStatusOf, grpcStatusOf } from '../../dist/api/errors.js';
import { status } from '@grpc/grpc-js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'caxton-manifest-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
writeFileSync(join(dir, 'echo.wasm'), WASM);
mkdirSync(join(dir, 'agents'));
writeFileSync(join(dir, 'agents', 'other.wasm'), new Uint8Array([...WASM, 0x00]));

let n = 0;
/** Write a manifest into the temp dir; returns its path. */
function manifest(text: string, name = `m${n++}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const HEAD = `apiVersion: caxton.dev/v1\nkind: Fleet\n`;

/** The ManifestError loading `text` throws (fails the test if it loads). */
function problemsOf(t: Test, text: string): { err: InstanceType<typeof ManifestError>; problems: readonly ManifestProblem[]; file: string } {
  const file = manifest(text);
  try {
    loadManifest(file);
  } catch (err) {
    if (err instanceof ManifestError) return { err, problems: err.problems, file };
    throw err;
  }
  t.fail('expected INVALID_MANIFEST');
  throw new Error('loaded');
}

/** "line:column message" of each problem, for compact assertions. */
const at = (p: ManifestProblem) => `${p.line}:${p.column} ${p.message}`;

t.test('the contract-net example loads: 6 agents with their modules, capabilities and limits', async (t) => {
  const fleet = loadManifest(join(root, 'examples/contract-net/fleet.yaml'));
  t.equal(fleet.name, 'contract-net-demo');
  t.ok(isAbsolute(fleet.file));
  t.same(fleet.agents.map((a) => a.name), ['manager', 'cheap-but-unreliable', 'steady', 'premium', 'busy-1', 'busy-2']);
  for (const a of fleet.agents) {
    t.ok(a.moduleBytes.length > 8, `${a.name} has module bytes`);
    t.same([...a.moduleBytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], `${a.name} is wasm`);
    t.ok(isAbsolute(a.modulePath), `${a.name} module path is absolute`);
    t.equal(a.instances, 1);
  }
  t.equal(fleet.agents[0]!.modulePath, join(root, 'dist/agents/contract-net-manager.wasm'), 'resolved from the manifest directory');
  t.same(fleet.agents[0]!.capabilities, []);
  t.same(fleet.agents[0]!.config, { capability: 'translate', deadlineMs: 500, select: 'lowest:price' });
  for (const a of fleet.agents.slice(1)) t.same(a.capabilities, ['translate']);
  t.equal(fleet.agents[1]!.moduleBytes, fleet.agents[2]!.moduleBytes, 'one buffer per module file');
  const busy2 = fleet.agents[5]!;
  t.equal(busy2.memoryLimitBytes, 1048576);
  t.equal(busy2.timeLimitMs, 500);
  t.notOk('memoryLimitBytes' in fleet.agents[4]!, 'fields not given stay absent (server defaults)');
  t.notOk('worker' in fleet.agents[4]!);
  t.same(fleet.agents[5]!.source, { entry: 5, line: 29, column: 5 });
});

t.test('instances expand to <name>-0 … <name>-<N-1>, each with its own config', async (t) => {
  const fleet = loadManifest(manifest(`${HEAD}agents:
  - name: solo
    module: echo.wasm
    instances: 1
  - name: worker
    module: agents/other.wasm
    instances: 3
    capabilities: [work]
    config: { shared: [1, 2] }
    worker: 2
  - name: last
    module: ./echo.wasm
`));
  t.same(fleet.agents.map((a) => a.name), ['solo', 'worker-0', 'worker-1', 'worker-2', 'last']);
  t.notOk('name' in fleet, 'no metadata, no name');
  const workers = fleet.agents.filter((a) => a.name.startsWith('worker-'));
  for (const w of workers) {
    t.equal(w.instances, 3);
    t.same(w.capabilities, ['work']);
    t.same(w.config, { shared: [1, 2] });
    t.equal(w.worker, 2);
    t.equal(w.modulePath, join(dir, 'agents', 'other.wasm'));
    t.equal(w.moduleBytes.length, 9);
    t.same(w.source, { entry: 1, line: 7, column: 5 });
  }
  t.not(workers[0]!.config, workers[1]!.config, 'each instance has its own copy of config');
  t.equal(fleet.agents[0]!.instances, 1);
  t.notOk('config' in fleet.agents[0]!, 'no config given, none passed');
  t.equal(fleet.agents[4]!.moduleBytes, fleet.agents[0]!.moduleBytes, 'echo.wasm and ./echo.wasm are the same file');
});

t.test('config: any YAML value, null included', async (t) => {
  const fleet = loadManifest(manifest(`${HEAD}agents:
  - { name: a, module: echo.wasm, config: null }
  - { name: b, module: echo.wasm, config: "text" }
  - { name: c, module: echo.wasm, config: [1, two, { three: 3.5 }] }
  - name: d
    module: echo.wasm
    config:
      nested: { deep: [true, false, ~] }
`));
  t.same(fleet.agents.map((a) => a.config), [null, 'text', [1, 'two', { three: 3.5 }], { nested: { deep: [true, false, null] } }]);
  t.ok('config' in fleet.agents[0]!, 'an explicit null is passed');
});

t.test('sizes and durations', async (t) => {
  t.equal(parseSize(65536), 65536);
  t.equal(parseSize('512KiB'), 512 * 1024);
  t.equal(parseSize('16MiB'), 16 * 1024 ** 2);
  t.equal(parseSize('16 MiB'), 16 * 1024 ** 2, 'one space before the unit');
  t.equal(parseSize('1GiB'), 1024 ** 3);
  t.equal(parseSize('4GiB'), 4 * 1024 ** 3);
  t.equal(parseSize('1.5MiB'), 1572864);
  t.equal(parseSize('100B'), 100);
  t.equal(parseSize('0.5B'), undefined, 'not a whole number of bytes');
  for (const bad of ['16MB', '16mib', '16M', 'MiB', '16', '-1MiB', '16  MiB', ' 16MiB', '1e3KiB', '']) t.equal(parseSize(bad), undefined, `"${bad}"`);
  t.equal(parseSize(1.5), undefined);

  t.equal(parseDuration(500), 500);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('2s'), 2000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('0.001s'), 1);
  t.equal(parseDuration('250 ms'), 250);
  t.equal(parseDuration('0.5ms'), undefined, 'not a whole number of milliseconds');
  for (const bad of ['2 sec', '2S', '1m', 'ms', '2', '1h']) t.equal(parseDuration(bad), undefined, `"${bad}"`);

  const fleet = loadManifest(manifest(`${HEAD}agents:
  - { name: a, module: echo.wasm, memoryLimitBytes: 64KiB, timeLimitMs: 2s }
  - { name: b, module: echo.wasm, memoryLimitBytes: "1.5 MiB", timeLimitMs: 250ms }
  - { name: c, module: echo.wasm, memoryLimitBytes: 4294967296, timeLimitMs: 1 }
`));
  t.same(fleet.agents.map((a) => [a.memoryLimitBytes, a.timeLimitMs]), [[65536, 2000], [1572864, 250], [4294967296, 1]]);
});

t.test('bad YAML syntax is INVALID_MANIFEST at the parser\'s line:column', async (t) => {
  const indent = problemsOf(t, `${HEAD}agents:\n  - name: a\n     module: echo.wasm\n`);
  t.same(indent.problems.map(at), ['4:11 YAML syntax: bad indentation after this value: the next line is indented further than it should be, so YAML reads it as part of this value (keys of the same mapping must start in the same column)']);
  t.equal(indent.err.code, 'INVALID_MANIFEST');
  t.match(indent.err.message, new RegExp(`^${indent.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:11: YAML syntax`));

  const tab = problemsOf(t, `${HEAD}agents:\n\t- name: a\n`);
  t.match(tab.problems.map(at), ['4:1 YAML syntax: a tab is used for indentation; YAML allows spaces only']);

  const dup = problemsOf(t, `${HEAD}kind: Fleet\nagents: []\n`);
  t.same(dup.problems.map(at), ['3:1 YAML syntax: the key "kind" appears twice in the same mapping']);

  const quote = problemsOf(t, `${HEAD}agents:\n  - name: "a\n    module: echo.wasm\n`);
  t.equal(quote.problems[0]!.line, 6);
  t.match(quote.problems[0]!.message, /^YAML syntax: Missing closing "quote/);

  const two = problemsOf(t, `${HEAD}agents: []\n---\n${HEAD}`);
  t.match(two.problems.map(at), [/^4:1 YAML syntax: the file holds more than one YAML document/]);

  const alias = problemsOf(t, `${HEAD}agents:\n  - name: a\n    module: *nowhere\n`);
  t.same(alias.problems.map((p) => `${p.line}:${p.column}`), ['5:13']);
  t.match(alias.problems[0]!.message, /Unresolved alias/);
});

t.test('a plain << key is a merge key: a non-mapping value is reported at it; quoted, "<<" is an ordinary key', async (t) => {
  const agent = `agents:\n  - name: a\n    module: echo.wasm\n    config:\n`;
  const scalar = problemsOf(t, `${HEAD}${agent}      x: 1\n      <<: 0\n`);
  t.same(scalar.problems.map((p) => `${p.line}:${p.column}`), ['8:7']);
  t.match(scalar.problems[0]!.message, /merge key.*not a mapping.*quote it: "<<":/);

  const list = problemsOf(t, `${HEAD}base: &b { y: 2 }\n${agent}      <<: [*b, 3]\n`);
  t.same(list.problems.map((p) => `${p.line}:${p.column}`), ['8:7']);

  const quoted = loadManifest(manifest(`${HEAD}${agent}      "<<": 0\n      nested: { '<<': { x: 1 } }\n`));
  t.same(quoted.agents[0]!.config, { '<<': 0, nested: { '<<': { x: 1 } } });

  const merged = loadManifest(manifest(`${HEAD}${agent}      <<: { x: 1 }\n      y: 2\n`));
  t.same(merged.agents[0]!.config, { x: 1, y: 2 });
});

t.test('an unknown field is reported at its key, with the closest field name', async (t) => {
  const { problems, err, file } = problemsOf(t, `${HEAD}metadata:
  name: demo
agents:
  - name: a
    module: echo.wasm
    memroy: 16MiB
    capabilites: [x]
    Instances: 2
    time_limit_ms: 2s
    replicas: 3
    wibble: 1
`);
  t.same(problems.map(at), [
    '8:5 agents[0] has an unknown field "memroy" (did you mean "memoryLimitBytes"?)',
    '9:5 agents[0] has an unknown field "capabilites" (did you mean "capabilities"?)',
    '10:5 agents[0] has an unknown field "Instances" (did you mean "instances"?)',
    '11:5 agents[0] has an unknown field "time_limit_ms" (did you mean "timeLimitMs"?)',
    '12:5 agents[0] has an unknown field "replicas" (did you mean "instances"?)',
    '13:5 agents[0] has an unknown field "wibble"; an agent\'s fields are name, module, instances, capabilities, memoryLimitBytes, mailbox, timeLimitMs, config, worker, maxSendsPerSecond and tools',
  ]);
  t.same(problems.map((p) => p.path), ['agents[0].memroy', 'agents[0].capabilites', 'agents[0].Instances', 'agents[0].time_limit_ms', 'agents[0].replicas', 'agents[0].wibble']);
  t.equal(err.message.split('\n')[0], `${file}:8:5: agents[0] has an unknown field "memroy" (did you mean "memoryLimitBytes"?)`, 'the message starts with the first problem');
  t.equal(err.message.split('\n').length, 6, 'and lists them all');

  // the brief's example, as written
  const brief = problemsOf(t, `${HEAD}agents:\n  - name: a\n    module: echo.wasm\n  - name: b\n    memroy: 1\n    module: echo.wasm\n`);
  t.same(brief.problems.map(at), ['7:5 agents[1] has an unknown field "memroy" (did you mean "memoryLimitBytes"?)']);

  const top = problemsOf(t, `${HEAD}name: demo\nmetdata: {}\nmodule: x.wasm\nspec: {}\nagents:\n  - { name: a, module: echo.wasm }\n`);
  t.same(top.problems.map(at), [
    '3:1 the manifest has an unknown top-level field "name" (did you mean metadata.name? The fleet\'s name goes under metadata:)',
    '4:1 the manifest has an unknown top-level field "metdata" (did you mean "metadata"?)',
    '5:1 the manifest has an unknown top-level field "module" (an agent\'s fields go in an entry under agents:)',
    '6:1 the manifest has an unknown top-level field "spec"; the top-level fields are apiVersion, kind, metadata, agents and tools',
  ]);

  const meta = problemsOf(t, `${HEAD}metadata:\n  nmae: demo\n  labels: {}\nagents:\n  - { name: a, module: echo.wasm }\n`);
  t.same(meta.problems.map(at), [
    '4:3 metadata has an unknown field "nmae" (did you mean "name"?)',
    '5:3 metadata has an unknown field "labels"; metadata has "name" only',
  ]);
});

t.test('suggestions: typos, casing, snake_case and common synonyms; nothing far-fetched', async (t) => {
  const agent = ['name', 'module', 'instances', 'capabilities', 'memoryLimitBytes', 'mailbox', 'timeLimitMs', 'config', 'worker'];
  const cases: [string, string | undefined][] = [
    ['memroy', 'memoryLimitBytes'], ['memory', 'memoryLimitBytes'], ['memoryLimit', 'memoryLimitBytes'], ['memory_limit_bytes', 'memoryLimitBytes'],
    ['timeLimit', 'timeLimitMs'], ['timeout', 'timeLimitMs'], ['modul', 'module'], ['modulePath', 'module'], ['wasm', 'module'],
    ['nmae', 'name'], ['capability', 'capabilities'], ['mailboxSize', 'mailbox'], ['workers', 'worker'], ['cofig', 'config'],
    ['settings', 'config'], ['count', 'instances'], ['zzz', undefined], ['color', undefined], ['x', undefined], ['', undefined],
  ];
  for (const [given, want] of cases) t.equal(suggestField(given, agent), want, `${given} → ${want}`);
});

t.test('a wrong type or form is reported at the value, saying what is expected', async (t) => {
  const { problems } = problemsOf(t, `${HEAD}agents:
  - name: 123
    module: echo.wasm
    instances: two
    capabilities: translate
    memoryLimitBytes: 16MB
    timeLimitMs: 2 sec
    mailbox: 1.5
    worker: 0
  - name: "bad name"
    module: echo.wasm
    capabilities: [ok, "not ok", true]
    memoryLimitBytes: true
    timeLimitMs: 0
    instances: 0
`);
  t.same(problems.map(at), [
    '4:11 agents[0].name must be a string, got 123 (write it in quotes, "123", to make it a string)',
    '6:16 agents[0].instances must be a whole number, got the string "two"',
    '7:19 agents[0].capabilities must be a list of names, such as [translate], got the string "translate"',
    '8:23 agents[0].memoryLimitBytes "16MB" is not a size: write a whole number of bytes, or a number and a unit B, KiB, MiB or GiB such as "16MiB" (did you mean "16MiB"? Sizes are binary: 1 MiB = 1048576 bytes)',
    '9:18 agents[0].timeLimitMs "2 sec" is not a duration: write a whole number of milliseconds, or a number and a unit ms or s such as "500ms" or "2s" (did you mean "2s"?)',
    '10:14 agents[0].mailbox must be a whole number, got 1.5',
    '11:13 agents[0].worker must be at least 1, got 0',
    '12:11 agents[1].name "bad name" is not a valid agent name: it contains a space; use 1-128 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit',
    '14:24 agents[1].capabilities[1] "not ok" is not a valid capability name: it contains a space; use 1-128 letters, digits, \'.\', \'_\', \':\', \'/\' or \'-\', starting with a letter or digit',
    '14:34 agents[1].capabilities[2] must be a string, got true (write it in quotes, "true", to make it a string)',
    '15:23 agents[1].memoryLimitBytes must be a whole number of bytes, or a number and a unit B, KiB, MiB or GiB such as "16MiB", got true',
    '16:18 agents[1].timeLimitMs must be at least 1 ms, got 0',
    '17:16 agents[1].instances must be at least 1, got 0',
  ]);
});

t.test('sizes and durations out of range, as numbers and as strings', async (t) => {
  const { problems } = problemsOf(t, `${HEAD}agents:
  - { name: a, module: echo.wasm, memoryLimitBytes: 1000 }
  - { name: b, module: echo.wasm, memoryLimitBytes: 5GiB }
  - { name: c, module: echo.wasm, memoryLimitBytes: 32KiB }
  - { name: d, module: echo.wasm, memoryLimitBytes: 0.3B }
  - { name: e, module: echo.wasm, timeLimitMs: 0ms }
  - { name: f, module: echo.wasm, timeLimitMs: 0.0001s }
  - { name: g, module: echo.wasm, memoryLimitBytes: 4294967297 }
`);
  t.same(problems.map(at), [
    '4:53 agents[0].memoryLimitBytes must be at least 65536 bytes (64 KiB), got 1000',
    '5:53 agents[1].memoryLimitBytes "5GiB" is 5368709120 bytes, more than the 4 GiB (4294967296 bytes) a WebAssembly memory can have',
    '6:53 agents[2].memoryLimitBytes "32KiB" is 32768 bytes, less than the 64 KiB (65536 bytes) an agent needs at least',
    '7:53 agents[3].memoryLimitBytes "0.3B" is not a whole number of bytes',
    '8:48 agents[4].timeLimitMs "0ms" must be at least 1 ms',
    '9:48 agents[5].timeLimitMs "0.0001s" is not a whole number of milliseconds',
    '10:53 agents[6].memoryLimitBytes must be at most 4294967296 bytes (4 GiB), got 4294967297',
  ]);
});

t.test('a missing required field is reported at the mapping that lacks it', async (t) => {
  const { problems } = problemsOf(t, `${HEAD}agents:
  - name: a
    capabilities: [x]
  - module: echo.wasm
  - name: c
    modul: echo.wasm
`);
  t.same(problems.map(at), [
    '4:5 agents[0] is missing the required field "module" (the path of the agent\'s .wasm file, relative to the manifest)',
    '6:5 agents[1] is missing the required field "name" (the agent\'s name, unique in the fleet)',
    '8:5 agents[2] has an unknown field "modul" (did you mean "module"?)',
  ], 'a misspelt field is not also reported as missing');
  t.same(problems.map((p) => p.path), ['agents[0].module', 'agents[1].name', 'agents[2].modul']);

  const empty = problemsOf(t, `${HEAD}agents:\n  - name: a\n    module:\n`);
  t.same(empty.problems.map(at), ['5:5 agents[0].module must be a path (a string) to the agent\'s .wasm file, got nothing (an empty value)']);
  const blank = problemsOf(t, `${HEAD}agents:\n  - name: a\n    module: ""\n`);
  t.same(blank.problems.map(at), ['5:13 agents[0].module is empty: give the path of the agent\'s .wasm file, relative to the manifest']);

  const top = problemsOf(t, `metadata: { name: x }\n`);
  t.same(top.problems.map(at), [
    '1:1 the manifest is missing the required field "apiVersion" (add `apiVersion: caxton.dev/v1`)',
    '1:1 the manifest is missing the required field "kind" (add `kind: Fleet`)',
    '1:1 the manifest is missing the required field "agents" (add `agents:` with one `- name: ...` entry per agent)',
  ]);
  const none = problemsOf(t, `${HEAD}agents: []\n`);
  t.same(none.problems.map(at), ['3:9 agents must list at least one agent']);
  const notList = problemsOf(t, `${HEAD}agents:\n  name: a\n  module: echo.wasm\n`);
  t.same(notList.problems.map(at), ['4:3 agents must be a list with one `- name: ...` entry per agent, got a mapping']);
});

t.test('bad apiVersion or kind', async (t) => {
  const { problems } = problemsOf(t, `apiVersion: caxton.dev/v2\nkind: Deployment\nagents:\n  - { name: a, module: echo.wasm }\n`);
  t.same(problems.map(at), [
    '1:13 apiVersion must be "caxton.dev/v1", got the string "caxton.dev/v2" (this version of Caxton reads caxton.dev/v1 manifests)',
    '2:7 kind must be "Fleet", got the string "Deployment" (the only kind of manifest is Fleet)',
  ]);
  const cased = problemsOf(t, `apiVersion: caxton.dev/v1\nkind: fleet\nagents:\n  - { name: a, module: echo.wasm }\n`);
  t.same(cased.problems.map(at), ['2:7 kind must be "Fleet", got the string "fleet" (it is case-sensitive)']);
  t.equal(MANIFEST_API_VERSION, 'caxton.dev/v1');
  t.equal(MANIFEST_KIND, 'Fleet');
});

t.test('duplicate names, after instances are expanded, name both entries and their lines', async (t) => {
  const { problems } = problemsOf(t, `${HEAD}agents:
  - name: steady
    module: echo.wasm
  - name: w
    module: echo.wasm
    instances: 3
  - name: steady
    module: echo.wasm
  - name: w-2
    module: echo.wasm
`);
  t.same(problems.map(at), [
    '9:11 the agent name "steady" is used twice: by agents[0] (line 4, column 11) and by agents[2] (line 9, column 11); agent names must be unique in the fleet, after instances are expanded',
    '11:11 the agent name "w-2" is used twice: by agents[1] (instance 2 of "w", instances: 3; line 6, column 11) and by agents[3] (line 11, column 11); agent names must be unique in the fleet, after instances are expanded',
  ]);
  t.same(problems.map((p) => p.path), ['agents[2].name', 'agents[3].name']);

  const long = 'a'.repeat(127);
  const tooLong = problemsOf(t, `${HEAD}agents:\n  - name: ${long}\n    module: echo.wasm\n    instances: 2\n`);
  t.same(tooLong.problems.map((p) => `${p.line}:${p.column}`), ['4:11']);
  t.match(tooLong.problems[0]!.message, /is too long for 2 instances: the instance name "aaaaaaaa…-1" would be 129 characters, more than 128/);
  t.equal(loadManifest(manifest(`${HEAD}agents:\n  - name: ${long}\n    module: echo.wasm\n`)).agents[0]!.name, long, '127 characters alone are fine');
});

t.test('a missing module file is MODULE_FILE_NOT_FOUND at the module: key', async (t) => {
  const file = manifest(`${HEAD}agents:
  - name: a
    module: echo.wasm
  - name: b
    capabilities: [x]
    module: ../missing/agent.wasm
`);
  const err = t.throws(() => loadManifest(file)) as InstanceType<typeof ModuleFileNotFoundError>;
  t.ok(err instanceof ModuleFileNotFoundError);
  t.equal(err.code, 'MODULE_FILE_NOT_FOUND');
  t.same(err.details, { file, line: 8, column: 5, modulePath: join(dirname(dir), 'missing', 'agent.wasm') });
  t.equal(err.message, `${file}:8:5: the module file "../missing/agent.wasm" (${join(dirname(dir), 'missing', 'agent.wasm')}) does not exist`);
  t.match(err.hint, /npm run build:agents/);
  t.match(err.hint, /relative to|directory of the manifest/);
  t.equal(grpcStatusOf(err), status.INVALID_ARGUMENT);

  const dirFile = manifest(`${HEAD}agents:\n  - name: a\n    module: agents\n`);
  const asDir = t.throws(() => loadManifest(dirFile)) as InstanceType<typeof ModuleFileUnreadableError>;
  t.ok(asDir instanceof ModuleFileUnreadableError);
  t.equal(asDir.message, `${dirFile}:5:5: the module file "agents" (${join(dir, 'agents')}) is a directory, not a regular file`);
});

t.test('ManifestError: code, message, hint, details; INVALID_ARGUMENT / 400', async (t) => {
  const { err, file, problems } = problemsOf(t, `${HEAD}agents:\n  - name: a\n    module: echo.wasm\n    memroy: 1\n    mailbox: 0\n`);
  t.ok(err instanceof CaxtonError);
  t.equal(err.code, 'INVALID_MANIFEST');
  t.equal(err.message, `${file}:6:5: agents[0] has an unknown field "memroy" (did you mean "memoryLimitBytes"?)\n${file}:7:14: agents[0].mailbox must be at least 1, got 0`);
  t.match(err.hint, /docs\/manifest\.md/);
  t.same(err.toJSON().details, { file, problems });
  t.equal(problems.length, 2);
  t.equal(httpStatusOf(err), 400);

  const many = problemsOf(t, `${HEAD}agents:\n${Array.from({ length: 25 }, (_, i) => `  - { name: a${i}, module: echo.wasm, bad: 1 }\n`).join('')}`);
  t.equal(many.problems.length, 25, 'every problem in details');
  const lines = many.err.message.split('\n');
  t.equal(lines.length, 21, '20 listed in the message, then a count');
  t.match(lines[20], /and 5 more problems/);

  const missing = join(dir, 'no-such.yaml');
  const e = t.throws(() => loadManifest(missing)) as InstanceType<typeof ManifestError>;
  t.equal(e.code, 'INVALID_MANIFEST');
  t.equal(e.message, `${missing}: cannot read the manifest: there is no such file`);
  t.same(e.problems, [{ line: 0, column: 0, path: '', message: 'cannot read the manifest: there is no such file' }]);

  const emptyFile = problemsOf(t, '');
  t.match(emptyFile.problems.map(at), [/^1:1 the manifest is empty/]);
  const list = problemsOf(t, '- a\n- b\n');
  t.same(list.problems.map(at), ['1:1 the manifest must be a YAML mapping of apiVersion, kind, metadata and agents, got a list']);
});

t.test('the file name in messages is the one given; Fleet.file is absolute', async (t) => {
  manifest(`${HEAD}agents:\n  - { name: a, module: echo.wasm, x: 1 }\n`, 'rel.yaml');
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const e = t.throws(() => loadManifest('rel.yaml')) as InstanceType<typeof ManifestError>;
    t.match(e.message, /^rel\.yaml:4:35: agents\[0\] has an unknown field "x"/);
    manifest(`${HEAD}agents:\n  - { name: a, module: echo.wasm }\n`, 'ok.yaml');
    t.equal(loadManifest('ok.yaml').file, join(dir, 'ok.yaml'));
  } finally {
    process.chdir(cwd);
  }
});

t.test('YAML anchors and merge keys work, and errors inside them point at the source', async (t) => {
  const fleet = loadManifest(manifest(`${HEAD}agents:
  - &contractor
    name: steady
    module: echo.wasm
    capabilities: [translate]
    config: { price: 12 }
  - <<: *contractor
    name: premium
    config: { price: 30 }
`));
  t.same(fleet.agents.map((a) => [a.name, a.capabilities, a.config]), [['steady', ['translate'], { price: 12 }], ['premium', ['translate'], { price: 30 }]]);

  const { problems } = problemsOf(t, `${HEAD}agents:
  - &base
    name: a
    module: echo.wasm
    mailbox: 0
  - <<: *base
    name: b
`);
  t.same(problems.map(at), ['7:14 agents[0].mailbox must be at least 1, got 0', '7:14 agents[1].mailbox must be at least 1, got 0']);
});

t.test('docs/fleet.schema.json is the schema enforced, with titles and descriptions', async (t) => {
  t.equal(FLEET_SCHEMA_FILE, join(root, 'docs', 'fleet.schema.json'));
  const schema = JSON.parse(readFileSync(FLEET_SCHEMA_FILE, 'utf8'));
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.match(schema.$id, /^https:\/\/caxton\.dev\//);
  for (const [k, v] of Object.entries<{ title?: string; description?: string }>({ ...schema.properties, ...schema.properties.metadata.properties, ...schema.$defs.agent.properties })) {
    t.ok(v.title, `${k} has a title`);
    t.ok((v.description ?? '').length > 10, `${k} has a description`);
  }
  const doc = readFileSync(join(root, 'docs', 'manifest.md'), 'utf8');
  for (const k of Object.keys(schema.$defs.agent.properties)) t.match(doc, `| \`${k}\` |`, `docs/manifest.md documents ${k}`);
});

t.test('the full example of docs/manifest.md is valid', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'manifest.md'), 'utf8');
  const example = /```yaml\n(# fleet\.yaml\n[\s\S]*?)```/.exec(doc)![1]!;
  const base = join(dir, 'docs-example');
  mkdirSync(join(base, 'dist', 'agents'), { recursive: true });
  mkdirSync(join(base, 'fleet'));
  for (const m of ['contract-net-manager', 'contract-net-contractor']) writeFileSync(join(base, 'dist', 'agents', `${m}.wasm`), WASM);
  const file = join(base, 'fleet', 'fleet.yaml');
  writeFileSync(file, example.replace('/opt/agents/archive.wasm', join(base, 'dist', 'agents', 'contract-net-manager.wasm')));
  const fleet = loadManifest(file);
  t.same(fleet.agents.map((a) => a.name), ['manager', 'translator-0', 'translator-1', 'translator-2', 'archive']);
  t.equal(fleet.agents[1]!.memoryLimitBytes, 4 * 1024 ** 2);
  t.equal(fleet.agents[1]!.timeLimitMs, 2000);
});

// ------------------------------------------------------------------ property

const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._]{0,40}$/); // no '-': instance names cannot collide
const capabilityArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/);
const sizeArb: fc.Arbitrary<[number | string, number]> = fc.oneof(
  fc.integer({ min: 65536, max: 4 * 1024 ** 3 }).map((b): [number, number] => [b, b]),
  fc.tuple(fc.constantFrom(['KiB', 1024], ['MiB', 1024 ** 2], ['GiB', 1024 ** 3], ['B', 1]) as fc.Arbitrary<[string, number]>, fc.boolean(), fc.nat())
    .map(([[unit, mult], space, r]): [string, number] => {
      const lo = Math.ceil(65536 / mult);
      const hi = Math.floor(4 * 1024 ** 3 / mult);
      const count = lo + (r % (hi - lo + 1));
      return [`${count}${space ? ' ' : ''}${unit}`, count * mult];
    }),
  fc.integer({ min: 64, max: 4 * 1024 ** 2 - 1 }).map((kib): [string, number] => [`${kib}.5KiB`, kib * 1024 + 512]),
);
const durationArb: fc.Arbitrary<[number | string, number]> = fc.oneof(
  // the range of runtime/limits.ts: 1 ms to 10 minutes
  fc.integer({ min: 1, max: 600_000 }).map((ms): [number, number] => [ms, ms]),
  fc.integer({ min: 1, max: 600_000 }).map((ms): [string, number] => [`${ms}ms`, ms]),
  fc.tuple(fc.integer({ min: 0, max: 599 }), fc.integer({ min: 0, max: 999 })).filter(([s, ms]) => s + ms > 0)
    .map(([s, ms]): [string, number] => [ms === 0 ? `${s}s` : `${s}.${String(ms).padStart(3, '0')}s`, s * 1000 + ms]),
);
/**
 * YAML text of a value. yaml's writer leaves a "<<" key plain, which a
 * manifest reads as a merge key: a user writing config by hand quotes it,
 * and so does this.
 */
function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, { Pair(_key, pair) { if (isScalar(pair.key) && pair.key.value === '<<') pair.key.type = 'QUOTE_DOUBLE'; } });
  return doc.toString();
}
const configArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const entryArb = fc.record({
  name: nameArb,
  module: fc.constantFrom('echo.wasm', './agents/other.wasm', join(dir, 'echo.wasm')),
  instances: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  capabilities: fc.option(fc.array(capabilityArb, { maxLength: 4 }), { nil: undefined }),
  memory: fc.option(sizeArb, { nil: undefined }),
  mailbox: fc.option(fc.integer({ min: 1, max: 65_536 }), { nil: undefined }),
  time: fc.option(durationArb, { nil: undefined }),
  config: fc.option(configArb, { nil: undefined }),
  worker: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  // no tools: section, so any server may be named
  tools: fc.option(fc.array(fc.oneof(fc.constant('*'), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}\/(\*|[A-Za-z0-9_.:-][A-Za-z0-9_.:/-]{0,20})$/)), { maxLength: 3 }), { nil: undefined }),
});

t.test('property: any manifest of valid fields loads and gives the values back', async (t) => {
  let runs = 0;
  fc.assert(fc.property(
    fc.uniqueArray(entryArb, { minLength: 1, maxLength: 6, selector: (e) => e.name }),
    fc.option(nameArb, { nil: undefined }),
    (entries, fleetName) => {
      const yamlAgents = entries.map((e) => {
        const a: Record<string, unknown> = { name: e.name, module: e.module };
        if (e.instances !== undefined) a.instances = e.instances;
        if (e.capabilities !== undefined) a.capabilities = e.capabilities;
        if (e.memory !== undefined) a.memoryLimitBytes = e.memory[0];
        if (e.mailbox !== undefined) a.mailbox = e.mailbox;
        if (e.time !== undefined) a.timeLimitMs = e.time[0];
        if (e.config !== undefined) a.config = e.config;
        if (e.worker !== undefined) a.worker = e.worker;
        if (e.tools !== undefined) a.tools = e.tools;
        return a;
      });
      const doc = { apiVersion: 'caxton.dev/v1', kind: 'Fleet', ...(fleetName !== undefined ? { metadata: { name: fleetName } } : {}), agents: yamlAgents };
      const fleet = loadManifest(manifest(toYaml(doc), `prop-${runs++ % 8}.yaml`));
      if (fleet.name !== fleetName) throw new Error(`fleet name ${fleet.name}`);
      const expected = entries.flatMap((e, entry) => {
        const count = e.instances ?? 1;
        return Array.from({ length: count }, (_, i) => ({
          name: count > 1 ? `${e.name}-${i}` : e.name,
          modulePath: e.module.startsWith('/') ? e.module : join(dir, e.module),
          instances: count,
          capabilities: e.capabilities ?? [],
          tools: e.tools ?? [],
          ...(e.memory !== undefined ? { memoryLimitBytes: e.memory[1] } : {}),
          ...(e.mailbox !== undefined ? { mailbox: e.mailbox } : {}),
          ...(e.time !== undefined ? { timeLimitMs: e.time[1] } : {}),
          ...(e.config !== undefined ? { config: e.config } : {}),
          ...(e.worker !== undefined ? { worker: e.worker } : {}),
          entry,
        }));
      });
      const got = fleet.agents.map(({ moduleBytes, source, ...rest }) => {
        if (moduleBytes.length < 8) throw new Error('no module bytes');
        return { ...rest, entry: source.entry };
      });
      deepStrictEqual(got, expected);
      return true;
    },
  ), { numRuns: 150 });
  t.ok(runs >= 150, `${runs} manifests loaded`);
});
