/** `caxton mcp`'s options (the global --server and --data-dir only); the server is in ../commands/mcp.ts, loaded when it runs. */
import type { Argv } from 'yargs';

export function mcpCommand(y: Argv): Argv {
  return y.example('caxton mcp', 'serve MCP on stdin/stdout for the server found as other commands find it (--server, $CAXTON_SERVER, the data directory)');
}
