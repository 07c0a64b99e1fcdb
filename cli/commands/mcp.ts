/**
 * `caxton mcp`: an MCP server on stdin/stdout, for desktop MCP clients
 * (Claude Desktop, IDEs) that start a local command. It talks to a running
 * Caxton server over gRPC as every other command does (cli/client.ts: the
 * server and token from --server, $CAXTON_SERVER, $CAXTON_TOKEN or the data
 * directory), with the tools and resources of the /mcp endpoint
 * (api/mcp/). stdout carries the protocol only; anything for people goes
 * to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Connection, type ConnectionOptions } from '../client.js';
import { grpcBackend } from './mcp-backend.js';
import { routeDocs } from '../../api/http/route-table.js';
import { createMcpServer } from '../../api/mcp/server.js';
import { GatedTransport } from '../../api/mcp/gate.js';
import { ToolSet } from '../../api/mcp/tools.js';

export async function runMcp(a: ConnectionOptions): Promise<void> {
  const conn = new Connection(a);
  const server = createMcpServer(grpcBackend(conn, process.cwd()), new ToolSet(routeDocs()));
  // A line that is not JSON-RPC has no id to answer: say it where a person looks.
  server.onerror = (e) => process.stderr.write(`caxton mcp: ${e.message}\n`);
  const closed = new Promise<void>((resolve) => { server.onclose = resolve; });
  await server.connect(new GatedTransport(new StdioServerTransport()));
  process.stderr.write(`caxton mcp: serving MCP on stdio for the Caxton server at ${conn.target}\n`);
  // The client closing our stdin (or a signal) ends the session.
  const stop = (): void => { void server.close(); };
  process.stdin.once('end', stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await closed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    conn.close();
  }
}
