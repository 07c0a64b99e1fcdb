/**
 * `caxton build [DIR]` and `caxton test [DIR]` for a project made by
 * `caxton init` (caxton.agent.json). Build runs the language's toolchain
 * with the flags Caxton's own agents are built with (sdk/toolchains.json),
 * then the checks of `caxton check`, so a wrong import (AssemblyScript's
 * Date.now()) fails here, with the SDK function to use. Test runs the
 * project's *.test.mjs with node:test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from '../errors.js';
import { LANGUAGES, PROJECT_FILE, SDK_DIR, type AgentProject } from './init.js';
import { runCheck } from './check.js';

interface Toolchains { assemblyscript: string[]; c: { common: string[]; freestanding: string[]; wasi: string[] } }

function readProject(dir: string): AgentProject {
  const file = join(dir, PROJECT_FILE);
  if (!existsSync(file)) {
    throw new CliError(`no ${PROJECT_FILE} in ${dir}`, 'NOT_A_PROJECT', 'Run it in a project made by `caxton init --lang as|c NAME`, or give its directory: `caxton build DIR`. To check a module built another way: `caxton check FILE.wasm`.', EXIT.NOT_FOUND);
  }
  let p: AgentProject;
  try {
    p = JSON.parse(readFileSync(file, 'utf8')) as AgentProject;
  } catch (e) {
    throw new CliError(`${file} is not valid JSON (${(e as Error).message})`, 'INVALID_PROJECT', `Fix it, or make the project again with caxton init: it holds {name, lang, source, output}.`, EXIT.USAGE);
  }
  if (!(p.lang in LANGUAGES) || typeof p.source !== 'string' || typeof p.output !== 'string' || typeof p.name !== 'string') {
    throw new CliError(`${file} must hold {name, lang: ${Object.keys(LANGUAGES).join('|')}, source, output}`, 'INVALID_PROJECT', 'Make the project again with caxton init, or correct the file.', EXIT.USAGE);
  }
  return p;
}

function run(command: string, args: string[], cwd: string, what: string, hint: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new CliError(`${what}: ${command} could not be run (${r.error.message})`, 'TOOLCHAIN_MISSING', hint, EXIT.CHECK_FAILED);
  if (r.status !== 0) throw new CliError(`${what} failed:\n${(r.stderr || r.stdout).trim()}`, 'BUILD_FAILED', 'Fix the error above in the agent\'s source.', EXIT.CHECK_FAILED);
}

export async function runBuild(a: { dir?: string }): Promise<number> {
  const dir = resolve(a.dir ?? '.');
  const p = readProject(dir);
  const toolchains = JSON.parse(readFileSync(join(SDK_DIR, 'toolchains.json'), 'utf8')) as Toolchains;
  const out = join(dir, p.output);
  mkdirSync(dirname(out), { recursive: true });
  if (p.lang === 'as') {
    // asc from the Caxton package's own dependencies: the project needs no toolchain of its own.
    const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
    run(process.execPath, [asc, p.source, '--outFile', p.output, ...toolchains.assemblyscript], dir, `asc ${p.source}`, 'Reinstall caxton (npm install caxton): it brings the AssemblyScript compiler.');
  } else if (p.lang === 'go') {
    // As scripts/build-go-agents.mjs builds Caxton's own Go agents (docs/sdk-go.md); the host caps Go's table (ABI 2).
    const r = spawnSync('go', ['build', '-buildmode=c-shared', '-o', p.output, '.'], {
      cwd: dir, encoding: 'utf8',
      env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', GOTOOLCHAIN: 'local', GOFLAGS: '-trimpath -buildvcs=false' },
    });
    if (r.error) throw new CliError(`go build: go could not be run (${r.error.message})`, 'TOOLCHAIN_MISSING', 'Install Go 1.24 or newer (GOOS=wasip1 with //go:wasmexport), then build again.', EXIT.CHECK_FAILED);
    if (r.status !== 0) throw new CliError(`go build failed:\n${(r.stderr || r.stdout).trim()}`, 'BUILD_FAILED', 'Fix the error above in the agent\'s source.', EXIT.CHECK_FAILED);
  } else {
    const wasi = /caxton-build:\s*wasi\b/.test(readFileSync(join(dir, p.source), 'utf8'));
    const flags = [...(wasi ? toolchains.c.wasi : toolchains.c.freestanding), ...toolchains.c.common];
    run(process.env.CLANG || 'clang', [...flags, p.source, '-o', p.output], dir, `clang ${p.source}`,
      'Install clang for WebAssembly: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 (Debian), then build again.');
  }
  process.stdout.write(`built ${p.output}\n`);
  return runCheck({ file: out });
}

export function runTest(a: { dir?: string }): number {
  const dir = resolve(a.dir ?? '.');
  readProject(dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs') || f.endsWith('.test.js'));
  if (files.length === 0) throw new CliError(`no *.test.mjs in ${dir}`, 'NO_TESTS', 'Write tests as *.test.mjs with node:test and caxton/testing (docs/testing.md); caxton init makes one.', EXIT.NOT_FOUND);
  const r = spawnSync(process.execPath, ['--test', ...files], { cwd: dir, stdio: 'inherit' });
  return r.status === 0 ? EXIT.OK : EXIT.CHECK_FAILED;
}
