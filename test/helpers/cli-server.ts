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
import type { UnaryFn } from './server.js';

import { cli } from './cli.js';
import { otelEnv } from './otel-env.js';
import { waitUntil, within } from './wait.js';

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

interface Sub {
  child: ChildProcess;
  dataDir: string;
  token: string;
  agents: Client;
  messages: Client;
  management: Client;
  stderr: () => string;
  /** SIGKILL, as a crash would: nothing is drained or flushed. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the server drains, flushes its spans and exits); resolves with the exit code. After 60 s: SIGKILL and an error. */
  stop(): Promise<number | null>;
  call<T = any>(client: Client, method: string, req: unknown, md?: Record<string, string>): Promise<T>;
}

export interface StartOptions {
  /** reuse a data directory (a restart); default a new one */
  dataDir?: string;
  workers?: number;
}

/** `caxton server start` in the foreground, with `otel` added to a clean environment. */
export async function startServer(otel: Record<string, string>, options: StartOptions = {}): Promise<Sub> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'caxton-otel-'));
  const env = otelEnv(otel, { ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '', CAXTON_LOG_PRETTY: '0' });
  const child = spawn(process.execPath, [cli, 'server', 'start', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--workers', String(options.workers ?? 3), '--log-level', 'info'], {
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
  let gone = false;
  void exited.then(() => { gone = true; });
  type ServerFile = { pid: number; grpcPort: number };
  let info: ServerFile;
  try {
    info = await waitUntil((): ServerFile | string => {
      if (gone) throw new Error(`the server exited (${how}) while starting`);
      try {
        return JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as ServerFile;
      } catch {
        return 'not written yet';
      }
    }, (f): f is ServerFile => typeof f === 'object' && f.pid === child.pid, `server.json naming the server (pid ${child.pid})`, { timeoutMs: 60_000, intervalMs: 50 });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}:\n${err}`, { cause: e });
  }
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const target = `127.0.0.1:${info.grpcPort}`;
  const v1 = loadCaxtonGrpc().caxton.v1;
  const creds = grpc.credentials.createInsecure();
  const agents = new v1.AgentService(target, creds) as unknown as Client;
  const messages = new v1.MessageService(target, creds) as unknown as Client;
  const management = new v1.ManagementService(target, creds) as unknown as Client;
  const closeClients = (): void => {
    agents.close();
    messages.close();
    management.close();
  };
  return {
    child, dataDir, token, agents, messages, management, stderr: () => err,
    async kill() {
      closeClients();
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      closeClients();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      try {
        return await within(exited, 'the server exiting on SIGTERM', { timeoutMs: 60_000, seen: () => err.slice(-4000) });
      } catch (e) {
        child.kill('SIGKILL');
        await exited;
        throw e;
      }
    },
    call(client, method, req, extra = {}) {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      for (const [k, v] of Object.entries(extra)) md.set(k, v);
      return new Promise((resolve, reject) => {
        (client[method] as UnaryFn).call(client, req, md, { deadline: Date.now() + 10_000 }, (e: unknown, v: unknown) => (e ? reject(e) : resolve(v as never)));
      });
    },
  };
}

