// The real `caxton` CLI (dist/cli/caxton.js) as a subprocess, for tests.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

export const cli = fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url));
export const agentsDir = fileURLToPath(new URL('../../dist/agents/', import.meta.url));

export interface CliRun {
  /** the exit code; -1 when it was killed (time-out) or did not start */
  code: number;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/** Run `caxton ...args` with `env`; resolves (never rejects) once it has exited. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeout = 120_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr, killed: !!e?.killed });
    });
  });
}

/** Is `pid` alive and a server of `dataDir` (its command line names the directory)? */
export function serverRunning(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Empty for a zombie; another process that got the pid does not name this directory.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a !== '' && resolve(a) === resolve(dataDir));
  } catch {
    return true; // no /proc: trust the pid file
  }
}

/**
 * The teardown of a test that ran `caxton server start --detach` with the
 * data directory `dataDir`: `caxton server stop`, and if the server is
 * still running after that (the stop failed), SIGKILL and an error saying
 * so. No server is left behind either way. Nothing running is fine.
 */
export async function stopDetachedServer(dataDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const stop = await runCli(['server', 'stop'], env);
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'server.pid'), 'utf8'));
  } catch {
    return; // removed by a server that stopped, or never written
  }
  if (!Number.isInteger(pid) || pid <= 0 || !serverRunning(pid, dataDir)) return;
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => serverRunning(pid, dataDir), (running) => !running, `the server (pid ${pid}) gone after SIGKILL`, { intervalMs: 50 });
  throw new Error(`caxton server stop left the server (pid ${pid}) running; it was killed. The stop exited ${stop.code}: ${stop.stderr || stop.stdout}`);
}
