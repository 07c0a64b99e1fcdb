#!/usr/bin/env node
/**
 * How fast `caxton` starts, and what it loads to start.
 *
 *   node scripts/cli-startup.mjs [--rounds N]    time `caxton --version`, `caxton --help`
 *                                                and `node -e 0`, alternating, N rounds
 *                                                (default 20); print the medians
 *   node scripts/cli-startup.mjs --modules [--json] [-- ARGS]
 *                                                the modules `caxton ARGS` (default
 *                                                --version) loads, in load order
 *
 * Alternating the three in each round keeps a busy machine's ups and downs
 * from favouring one of them. Modules are listed by an ESM load hook.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/caxton.js`;
const args = process.argv.slice(2);
const MARK = 'cli-startup-module ';

/** Every module URL `caxton cliArgs` loads, in order (an ESM load hook reports each on stderr). */
export function modulesLoaded(cliArgs) {
  const hooks = `import { writeSync } from 'node:fs';
export async function load(url, context, next) { writeSync(2, ${JSON.stringify(MARK)} + url + '\\n'); return next(url, context); }`;
  const registerHooks = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(registerHooks)}`, cli, ...cliArgs], { encoding: 'utf8' });
  return r.stderr.split('\n').filter((l) => l.startsWith(MARK)).map((l) => l.slice(MARK.length));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited with ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

if (args[0] === '--modules') {
  const dash = args.indexOf('--');
  const urls = modulesLoaded(dash >= 0 ? args.slice(dash + 1) : ['--version']);
  const rootUrl = new URL('..', import.meta.url).href;
  const names = urls.map((u) => (u.startsWith(rootUrl) ? u.slice(rootUrl.length) : u));
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(names)}\n`);
  else process.stdout.write(`${names.join('\n')}\n${names.length} modules\n`);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : 20;
  const runs = { 'node -e 0': ['-e', '0'], 'caxton --version': [cli, '--version'], 'caxton --help': [cli, '--help'] };
  const ms = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const argv of Object.values(runs)) time(argv); // warm the file cache
  for (let i = 0; i < rounds; i++) for (const [k, argv] of Object.entries(runs)) ms[k].push(time(argv));
  for (const [k, xs] of Object.entries(ms)) {
    process.stdout.write(`${k.padEnd(18)} median ${median(xs).toFixed(0).padStart(4)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}; ${rounds} runs)\n`);
  }
}
