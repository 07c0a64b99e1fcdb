/**
 * The tool server of `caxton bench --scenario mcp`: one `echo` tool that
 * answers at once, built with the MCP SDK. Over stdio by default; with
 * `--http` it serves Streamable HTTP on 127.0.0.1 (a free port, printed as
 * `listening <port>`), stateless: a server and transport per request, the
 * SDK's pattern for servers that keep no session.
 */
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function server(): McpServer {
  const s = new McpServer({ name: 'caxton-bench', version: '1.0.0' });
  s.registerTool('echo', { description: 'Returns its text', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  return s;
}

if (process.argv.includes('--http')) {
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown : undefined;
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      const s = server();
      res.on('close', () => {
        void transport.close();
        void s.close();
      });
      void s.connect(transport).then(() => transport.handleRequest(req, res, body));
    });
  });
  http.listen(0, '127.0.0.1', () => {
    const a = http.address();
    process.stdout.write(`listening ${typeof a === 'object' && a ? a.port : 0}\n`);
  });
} else {
  await server().connect(new StdioServerTransport());
}
