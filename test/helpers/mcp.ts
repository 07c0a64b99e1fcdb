// MCP clients for the tests: the SDK's own Client, over Streamable HTTP to
// a server's /mcp, or over stdio to `caxton mcp` as a subprocess (the real
// CLI, dist/cli/caxton.js). Every request the SDK makes has its own
// time-out (60 s by default), so no wait here is unbounded.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, runCli, stopDetachedServer } from './cli.js';

export type Via = 'http' | 'stdio';

export interface McpSession {
  client: Client;
  via: Via;
  /** what `caxton mcp` wrote to stderr (stdio only) */
  stderr(): string;
  /** a tool call's result, structuredContent and the error fields picked out */
  call(name: string, args?: Record<string, unknown>, options?: { signal?: AbortSignal; timeout?: number }): Promise<ToolAnswer>;
  close(): Promise<void>;
}

export interface ToolAnswer {
  result: CallToolResult;
  isError: boolean;
  /** structuredContent */
  value: any;
  /** the text of the first content block */
  text: string;
}

const clientInfo = { name: 'caxton-tests', version: '1.0.0' };

function session(client: Client, via: Via, stderr: () => string): McpSession {
  return {
    client, via, stderr,
    async call(name, args = {}, options = {}) {
      const result = await client.callTool({ name, arguments: args }, undefined, options) as CallToolResult;
      const first = result.content[0];
      return { result, isError: result.isError === true, value: result.structuredContent, text: first?.type === 'text' ? first.text : '' };
    },
    close: () => client.close(),
  };
}

/** A client of `base`/mcp (`base`: http://host:port) with `authorization: Bearer token` (none when null). */
export async function httpSession(base: string, token: string | null): Promise<McpSession> {
  const client = new Client(clientInfo);
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
  return session(client, 'http', () => '');
}

/** `caxton mcp --server target` as a subprocess in `cwd`, the token in $CAXTON_TOKEN. */
export async function stdioSession(target: string, token: string, cwd: string): Promise<McpSession> {
  const client = new Client(clientInfo);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CAXTON_')) env[k] = v;
  env.CAXTON_TOKEN = token;
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--server', target], env, cwd, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-20_000); });
  await client.connect(transport);
  return session(client, 'stdio', () => err);
}

/** A JSON-RPC error a client call rejected with: its code, message and data. */
export async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string; data: any }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown; data?: unknown };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, message: String(err.message), data: err.data };
  }
  throw new Error('expected a JSON-RPC error, the call succeeded');
}

/** A server started with `caxton server start --detach` (log level debug: one line per Send and Invoke), for the tools that read its log. */
export interface DetachedServer {
  dataDir: string;
  /** the CLI's environment for it */
  env: NodeJS.ProcessEnv;
  /** http://127.0.0.1:PORT */
  base: string;
  /** 127.0.0.1:PORT, gRPC */
  target: string;
  token: string;
  /** `caxton server stop`; kills it if that fails */
  stop(): Promise<void>;
}

export async function startDetachedServer(dir: string): Promise<DetachedServer> {
  const dataDir = join(dir, 'data');
  const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
  const r = await runCli(['server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2', '--log-level', 'debug'], env);
  if (r.code !== 0) throw new Error(`caxton server start exited ${r.code}: ${r.stderr}`);
  const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { grpcPort: number; httpPort: number };
  return {
    dataDir, env, base: `http://127.0.0.1:${info.httpPort}`, target: `127.0.0.1:${info.grpcPort}`,
    token: readFileSync(join(dataDir, 'token'), 'utf8').trim(),
    stop: () => stopDetachedServer(dataDir, env),
  };
}
