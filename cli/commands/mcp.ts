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
import { JSONRPC, errorResponse } from '../../api/mcp/errors.js';
import { InvalidArgumentError } from '../../runtime/errors.js';
import { ToolSet } from '../../api/mcp/tools.js';

export async function runMcp(a: ConnectionOptions): Promise<void> {
  const conn = new Connection(a);
  const server = createMcpServer(grpcBackend(conn, process.cwd()), new ToolSet(routeDocs()));
  const transport = new GatedTransport(new StdioServerTransport());
  server.onerror = (e) => {
    process.stderr.write(`caxton mcp: ${e.message}\n`);
    // A line that is not JSON (or not JSON-RPC) has no id: answered with id null, as JSON-RPC 2.0 asks.
    const notJson = e instanceof SyntaxError;
    if (!notJson && e.name !== 'ZodError') return;
    const why = new InvalidArgumentError('line', notJson ? `is not valid JSON (${e.message})` : 'is not a JSON-RPC 2.0 message', 'Write one JSON-RPC 2.0 message per line, e.g. {"jsonrpc": "2.0", "id": 1, "method": "tools/list"} (docs/mcp.md).');
    transport.send(errorResponse(null, why, notJson ? JSONRPC.PARSE_ERROR : JSONRPC.INVALID_REQUEST)).catch(() => undefined);
  };
  const closed = new Promise<void>((resolve) => { server.onclose = resolve; });
  await server.connect(transport);
  process.stderr.write(`caxton mcp: serving MCP on stdio for the Caxton server at ${conn.target}\n`);
  // The client closing our stdin ends the session once the calls it made are
  // answered (`... | caxton mcp` gets its answers); a signal ends it at once.
  const stop = (): void => { void server.close(); };
  process.stdin.once('end', () => { void transport.whenIdle().then(stop); });
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
