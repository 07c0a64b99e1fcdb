// `caxton server start` in the foreground as a real subprocess, with only the
// OTEL_* variables a test gives (the rest of OTEL_* removed), and grpc-js
// clients for it. Ready once server.json names the process; stop() sends
// SIGTERM, so the server drains and flushes what it exports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadCaxtonGrpc } from '../../dist/api/grpc.js';

import { cli } from './cli.js';

export { cli };

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export interface Sub {
  child: ChildProcess;
  dataDir: string;
  token: string;
  agents: Client;
  messages: Client;
  stderr: () => string;
  /** SIGTERM (the server drains, flushes its spans and exits); resolves with the exit code */
  stop(): Promise<number | null>;
  call<T = any>(client: Client, method: string, req: unknown, md?: Record<string, string>): Promise<T>;
}

/** `caxton server start` in the foreground, with `otel` added to a clean environment. */
export async function startServer(otel: Record<string, string>): Promise<Sub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-otel-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '', CAXTON_LOG_PRETTY: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
  Object.assign(env, otel);
  const child = spawn(process.execPath, [cli, 'server', 'start', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--workers', '3', '--log-level', 'info'], {
    env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Never leave a server behind, whatever ends this process.
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-20_000); });
  // 'close', not 'exit': by then all of stderr has been read.
  let how = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code, signal) => {
    process.off('exit', kill);
    how = signal ? `signal ${signal}` : `code ${code}`;
    resolve(code);
  }));

  // Ready once server.json names this process (written after both gateways listen).
  let info: { pid: number; grpcPort: number } | undefined;
  let gone = false;
  void exited.then(() => { gone = true; });
  const deadline = Date.now() + 60_000;
  while (!info) {
    if (gone) throw new Error(`the server exited (${how}) while starting:\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not write server.json within 60 s:\n${err}`);
    }
    try {
      const f = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
      if (f.pid === child.pid) info = f;
    } catch {
      // not written yet
    }
    if (!info) await new Promise((r) => setTimeout(r, 50));
  }
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const target = `127.0.0.1:${info.grpcPort}`;
  const v1 = loadCaxtonGrpc().caxton.v1;
  const creds = grpc.credentials.createInsecure();
  const agents = new v1.AgentService(target, creds) as unknown as Client;
  const messages = new v1.MessageService(target, creds) as unknown as Client;
  return {
    child, dataDir, token, agents, messages, stderr: () => err,
    async stop() {
      agents.close();
      messages.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    call(client, method, req, extra = {}) {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      for (const [k, v] of Object.entries(extra)) md.set(k, v);
      return new Promise((resolve, reject) => {
        (client[method] as Function).call(client, req, md, { deadline: Date.now() + 10_000 }, (e: unknown, v: unknown) => (e ? reject(e) : resolve(v as never)));
      });
    },
  };
}

