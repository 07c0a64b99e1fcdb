// The real `caxton` CLI (dist/cli/caxton.js) as a subprocess, for tests.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
