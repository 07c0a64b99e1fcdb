#!/usr/bin/env node
// Builds the C agents with clang (Debian: clang, lld, wasi-libc, libclang-rt-dev-wasm32):
//   examples/c-<name>/*.c   -> dist/agents/c-<name>.wasm   (all .c files of the folder, one agent)
//   test/fixtures/c/<name>.c -> dist/fixtures/c-<name>.wasm (one file, one test agent)
// Each is built in one of two modes (docs/sdk-c.md):
//   freestanding (default): no libc, memory imported, agent ABI 1;
//   wasi: against wasi-libc as a reactor, ABI 2; chosen by a line containing
//   "caxton-build: wasi" in one of the agent's .c files.
// An artifact is rebuilt only when it is older than one of its inputs (its
// sources, sdk/c/, this script, the clang binary). Without clang (or wasm-ld)
// the script prints one line saying so and exits 0, so that a clone without
// the C toolchain still installs; the C tests then fail, naming the missing file.
// Any compile error makes it exit non-zero, naming the file.
//
// Usage: node scripts/build-c-agents.mjs [--force] [name ...]   (e.g. c-echo)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
const SDK = join(ROOT, 'sdk', 'c');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'c');
const OUT_AGENTS = join(ROOT, 'dist', 'agents');
const OUT_FIXTURES = join(ROOT, 'dist', 'fixtures');
const CLANG = process.env.CLANG || 'clang';
const APT = 'apt-get install clang lld wasi-libc libclang-rt-dev-wasm32';

// The two modes' flags (sdk/toolchains.json, shared with `caxton build`); docs/sdk-c.md explains each.
const TOOLCHAINS = JSON.parse(readFileSync(join(ROOT, 'sdk', 'toolchains.json'), 'utf8'));
const COMMON = [...TOOLCHAINS.c.common, `-I${join(ROOT, 'sdk', 'c')}`];
export const FREESTANDING_FLAGS = [...TOOLCHAINS.c.freestanding, ...COMMON];
export const WASI_FLAGS = [...TOOLCHAINS.c.wasi, ...COMMON];
const WASI_MARK = /caxton-build:\s*wasi\b/;

const args = process.argv.slice(2);
const force = args.includes('--force');
const only = args.filter((a) => !a.startsWith('--'));
const wanted = (name) => only.length === 0 || only.includes(name);
const rel = (p) => relative(ROOT, p);
const mtime = (p) => statSync(p).mtimeMs;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function tool(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : r.stdout;
}

const version = tool(CLANG, ['--version']);
if (!version) {
  console.log(`build-c-agents: ${CLANG} not found, C agents not built (Debian: ${APT})`);
  process.exit(0);
}
const wasmLd = tool(CLANG, ['--target=wasm32', '-print-prog-name=wasm-ld'])?.trim();
if (!wasmLd || !tool(wasmLd, ['--version'])) {
  console.log(`build-c-agents: wasm-ld not found (package lld), C agents not built (Debian: ${APT})`);
  process.exit(0);
}

function filesIn(dir, pred) {
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)).filter((p) => statSync(p).isFile() && pred(p)) : [];
}

const SELF = fileURLToPath(import.meta.url);
const clangBinary = (() => {
  const which = tool('sh', ['-c', `command -v ${CLANG}`])?.trim();
  try { return which ? realpathSync(which) : null; } catch { return null; }
})();
const common = [SELF, join(ROOT, 'sdk', 'toolchains.json'), ...filesIn(SDK, (p) => p.endsWith('.h')), ...(clangBinary ? [clangBinary] : [])];

// name, sources, inputs, output
const jobs = [];
if (existsSync(EXAMPLES)) {
  for (const d of readdirSync(EXAMPLES, { withFileTypes: true })) {
    if (!d.isDirectory() || !d.name.startsWith('c-') || !wanted(d.name)) continue;
    const folder = join(EXAMPLES, d.name);
    const sources = filesIn(folder, (p) => p.endsWith('.c')).sort();
    if (sources.length === 0) continue;
    jobs.push({ name: d.name, sources, inputs: [...filesIn(folder, (p) => /\.[ch]$/.test(p)), ...common], output: join(OUT_AGENTS, `${d.name}.wasm`) });
  }
}
for (const file of filesIn(FIXTURES, (p) => p.endsWith('.c')).sort()) {
  const name = `c-${basename(file, '.c')}`;
  if (!wanted(name)) continue;
  jobs.push({ name, sources: [file], inputs: [file, ...common], output: join(OUT_FIXTURES, `${name}.wasm`) });
}

const failures = [];
let built = 0;
let fresh = 0;
let skipped = 0;
let wasiMissing = false;
const report = (output, state, mode) => console.log(`${state.padEnd(10)} ${rel(output).padEnd(34)} ${kib(statSync(output).size).padStart(9)}  ${mode}`);

for (const job of jobs) {
  const wasi = job.sources.some((p) => WASI_MARK.test(readFileSync(p, 'utf8')));
  const mode = wasi ? 'wasi-libc, ABI 2' : 'freestanding, ABI 1';
  if (!force && existsSync(job.output) && job.inputs.every((p) => mtime(p) < mtime(job.output))) {
    fresh++;
    report(job.output, 'fresh', mode);
    continue;
  }
  mkdirSync(dirname(job.output), { recursive: true });
  const tmp = `${job.output}.tmp`;
  const r = spawnSync(CLANG, [...(wasi ? WASI_FLAGS : FREESTANDING_FLAGS), ...job.sources.map(rel), '-o', rel(tmp)], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0 || !existsSync(tmp)) {
    if (existsSync(tmp)) rmSync(tmp);
    if (wasi && /stdio\.h' file not found|cannot open crt1-reactor|unable to find library -lc\b/.test(out)) {
      // clang is there but not wasi-libc: like a missing clang, not an error of the agent.
      wasiMissing = true;
      skipped++;
      continue;
    }
    failures.push(`${job.sources.map(rel).join(' ')}: clang failed (${mode})\n${out || r.error?.message || `exit ${r.status}`}`);
    continue;
  }
  if (out) console.log(out); // warnings
  renameSync(tmp, job.output);
  built++;
  report(job.output, 'built', mode);
}

if (wasiMissing) console.log(`build-c-agents: wasi-libc not found, ${skipped} wasi agent(s) not built (Debian: ${APT})`);
if (failures.length > 0) {
  for (const f of failures) console.error(`\nERROR ${f}`);
  console.error(`\nbuild-c-agents: ${failures.length} artifact(s) failed to compile`);
  process.exit(1);
}
console.log(`build-c-agents: ${built} built, ${fresh} up to date${skipped ? `, ${skipped} skipped` : ''} (${version.split('\n')[0]})`);
