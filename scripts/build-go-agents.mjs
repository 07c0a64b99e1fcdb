#!/usr/bin/env node
// Builds the Go agents (Go SDK in sdk/go/, docs/sdk-go.md):
//   examples/go-<name>/          -> dist/agents/go-<name>.wasm
//   test/fixtures/go/<name>/     -> dist/fixtures/go-<name>.wasm
// with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (Go >= 1.24).
// An artifact is rebuilt only when it is older than one of its inputs (its
// folder's .go/go.mod/go.sum files, the SDK's, this script, the Go toolchain's
// VERSION file). Without `go` on PATH it prints one line and exits 0, so a
// clone without Go still installs; a compile error exits non-zero, naming the folder.
//
// Usage: node scripts/build-go-agents.mjs [--force] [name ...]   (e.g. go-echo)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { filesUnder, kib, upToDate } from './build-common.mjs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SDK = join(ROOT, 'sdk', 'go');
const SELF = fileURLToPath(import.meta.url);
const MIN_MINOR = 24; // go:wasmexport and -buildmode=c-shared on wasip1 came in Go 1.24

const args = process.argv.slice(2);
const force = args.includes('--force');
const only = args.filter((a) => !a.startsWith('--'));
const wanted = (name) => only.length === 0 || only.includes(name);
const rel = (p) => relative(ROOT, p);

// ---------------------------------------------------------------------------
// The toolchain

const go = spawnSync('go', ['env', 'GOVERSION', 'GOROOT'], { encoding: 'utf8' });
if (go.error || go.status !== 0) {
  console.log('build-go-agents: `go` not found on PATH: Go agents (dist/agents/go-*.wasm) not built; install Go >= 1.24 to build them');
  process.exit(0);
}
const [goVersion, goRoot] = go.stdout.trim().split('\n');
const minor = /^go1\.(\d+)/.exec(goVersion ?? '');
if (!minor || Number(minor[1]) < MIN_MINOR) {
  console.log(`build-go-agents: ${goVersion} is older than Go 1.${MIN_MINOR}: Go agents (dist/agents/go-*.wasm) not built`);
  process.exit(0);
}

// A root CI user may have no HOME (then Go has no default cache): fall back to
// folders under dist/. Caller-set GOCACHE/GOPATH/GOMODCACHE win.
const home = process.env.HOME || (() => { try { return homedir(); } catch { return ''; } })();
const goDir = join(ROOT, 'dist', '.go');
const env = {
  ...process.env,
  GOOS: 'wasip1',
  GOARCH: 'wasm',
  GOTOOLCHAIN: 'local',                 // never download another toolchain
  GOFLAGS: `-trimpath -buildvcs=false ${process.env.GOFLAGS ?? ''}`.trim(), // no local paths or VCS stamps in the module
  GOCACHE: process.env.GOCACHE || (home ? join(home, '.cache', 'go-build') : join(goDir, 'cache')),
  GOPATH: process.env.GOPATH || (home ? join(home, 'go') : join(goDir, 'path')),
};

// ---------------------------------------------------------------------------
// Inputs and outputs

const isGoInput = (p) => /\.go$|\/go\.(mod|sum)$/.test(p);
const versionFile = join(goRoot ?? '', 'VERSION');
const common = [SELF, ...filesUnder(SDK, (p) => isGoInput(p) && !p.endsWith('_test.go')), ...[versionFile].filter(existsSync)];

/** [name, folder, output] for every Go agent and fixture. */
function targets() {
  const list = [];
  const examples = join(ROOT, 'examples');
  for (const d of existsSync(examples) ? readdirSync(examples, { withFileTypes: true }) : []) {
    if (d.isDirectory() && d.name.startsWith('go-') && existsSync(join(examples, d.name, 'go.mod'))) {
      list.push([d.name, join(examples, d.name), join(ROOT, 'dist', 'agents', `${d.name}.wasm`)]);
    }
  }
  const fixtures = join(ROOT, 'test', 'fixtures', 'go');
  for (const d of existsSync(fixtures) ? readdirSync(fixtures, { withFileTypes: true }) : []) {
    if (d.isDirectory() && existsSync(join(fixtures, d.name, 'go.mod'))) {
      list.push([`go-${d.name}`, join(fixtures, d.name), join(ROOT, 'dist', 'fixtures', `go-${d.name}.wasm`)]);
    }
  }
  return list.filter(([name]) => wanted(name)).sort((a, b) => a[0].localeCompare(b[0]));
}

// ---------------------------------------------------------------------------

const failures = [];
let built = 0;
let fresh = 0;
const report = (output, state) => console.log(`${state.padEnd(10)} ${rel(output).padEnd(34)} ${kib(statSync(output).size)}`);

for (const [name, folder, output] of targets()) {
  const inputs = [...filesUnder(folder, isGoInput), ...common];
  if (upToDate(output, inputs, force)) {
    fresh++;
    report(output, 'fresh');
    continue;
  }
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.tmp`;
  const r = spawnSync('go', ['build', '-buildmode=c-shared', '-o', tmp, '.'], { cwd: folder, env, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(tmp)) {
    failures.push(`${rel(folder)} (${name}): go build failed\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
    if (existsSync(tmp)) rmSync(tmp);
    continue;
  }
  renameSync(tmp, output);
  built++;
  report(output, 'built');
}

if (failures.length > 0) {
  for (const f of failures) console.error(`\nERROR ${f}`);
  console.error(`\nbuild-go-agents: ${failures.length} Go agent(s) failed to compile`);
  process.exit(1);
}
console.log(`build-go-agents: ${built} built, ${fresh} up to date (${goVersion})`);
