/**
 * Reads JSON-RPC messages, one per line, off a stdio tool server's stdout:
 * a drop-in for the SDK's ReadBuffer (append, readMessage, clear) that costs
 * time linear in the bytes read. The SDK's joins its whole buffer again with
 * Buffer.concat for every chunk and searches it for a newline from its start
 * each time, so one large message costs quadratic time on the supervisor
 * thread (measured: 16 MiB 1.8 s, 32 MiB 5.7 s, test/fixtures/mcp/README.md),
 * during which no agent is served. Here chunks are kept as they come, each
 * is searched once, and a line is joined once, when its newline arrives.
 *
 * Over `maxBytes` unread bytes it throws the SDK's own message ("ReadBuffer
 * exceeded maximum size of N bytes"), which the transport reports to
 * onerror and then closes (tool-server.ts names the reason from it).
 */
import { deserializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const NEWLINE = 0x0a;

export class LineBuffer {
  private readonly maxBytes: number;
  /** unread chunks, oldest first */
  private parts: Buffer[] = [];
  /** parts[0 .. scanned) were searched and hold no newline */
  private scanned = 0;
  private bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  append(chunk: Buffer): void {
    if (this.bytes + chunk.length > this.maxBytes) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${this.maxBytes} bytes`);
    }
    this.parts.push(chunk);
    this.bytes += chunk.length;
  }

  /** The next whole message, or null until its newline has come. A line that is not JSON-RPC throws (and is gone). */
  readMessage(): JSONRPCMessage | null {
    for (; this.scanned < this.parts.length; this.scanned++) {
      const part = this.parts[this.scanned]!;
      const nl = part.indexOf(NEWLINE);
      if (nl === -1) continue;
      const head = part.subarray(0, nl);
      const line = this.scanned === 0 ? head : Buffer.concat([...this.parts.slice(0, this.scanned), head]);
      const rest = part.subarray(nl + 1);
      this.parts = rest.length > 0 ? [rest] : [];
      this.bytes = rest.length;
      this.scanned = 0;
      const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      return deserializeMessage(line.toString('utf8', 0, end));
    }
    return null;
  }

  clear(): void {
    this.parts = [];
    this.scanned = 0;
    this.bytes = 0;
  }
}
