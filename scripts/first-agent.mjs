#!/usr/bin/env node
// Time to a first agent, as a new user runs it from the README (issue #18):
// caxton init, build, server start, deploy, invoke, and the agent's log line
// in `caxton logs`, each a `caxton` subprocess in a new temporary directory
// outside the repository. Prints each step's time and the total (machine
// time: wall clock of the commands, nothing typed).
//
// Usage: node scripts/first-agent.mjs [--lang as|c|go] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/caxton.js', import.meta.url));
const args = process.argv.slice(2);
const lang = args.includes('--lang') ? args[args.indexOf('--lang') + 1] : 'as';
const json = args.includes('--json');
const work = mkdtempSync(join(tmpdir(), 'caxton-first-'));
const dataDir = join(work, 'data');
const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
const steps = [];

function step(name, argv, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...argv], { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  steps.push({ step: name, ms: Math.round(ms) });
  if (r.status !== 0) throw new Error(`caxton ${argv.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

let started = false;
try {
  const dir = join(work, 'hello');
  step('init', ['init', '--lang', lang, 'hello'], work);
  step('build', ['build'], dir);
  step('server start', ['server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '1'], dir);
  started = true;
  step('deploy', ['deploy', '-f', 'fleet.yaml'], dir);
  const reply = step('invoke', ['invoke', 'hello', '-c', '"world"'], dir);
  if (!reply.includes('hello, world')) throw new Error(`unexpected reply: ${reply}`);
  // The log line is written by another thread a moment later: ask again until it is there.
  const t0 = performance.now();
  let seen = false;
  while (!seen && performance.now() - t0 < 10_000) {
    seen = execFileSync(process.execPath, [CLI, 'logs', '--agent', 'hello'], { cwd: dir, env, encoding: 'utf8' }).includes('hello: answered 1');
  }
  steps.push({ step: 'log line', ms: Math.round(performance.now() - t0) });
  if (!seen) throw new Error('the agent\'s log line did not appear in caxton logs');
} finally {
  if (started) spawnSync(process.execPath, [CLI, 'server', 'stop'], { env });
  rmSync(work, { recursive: true, force: true });
}
const totalMs = steps.reduce((s, x) => s + x.ms, 0);
if (json) console.log(JSON.stringify({ lang, totalMs, steps }));
else {
  for (const s of steps) console.log(`${s.step.padEnd(14)} ${String(s.ms).padStart(6)} ms`);
  console.log(`${'total'.padEnd(14)} ${String(totalMs).padStart(6)} ms (${lang})`);
}
