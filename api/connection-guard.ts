/**
 * Connections of one gateway (gRPC or HTTP), counted and bounded: past
 * maxConnections a new one is closed at once, and one that has not made an
 * authenticated call within authTimeoutMs of opening is closed, so that
 * half-open or idle connections without a token cannot use up the
 * process's file descriptors and lock out the clients that have one.
 * (Idle authenticated connections are the gateways' own: HTTP keep-alive,
 * grpc-js max_connection_idle_ms.)
 */
import type { Server, Socket } from 'node:net';

export class ConnectionGuard {
  private readonly open = new Map<string, { socket: Socket; timer: NodeJS.Timeout | undefined }>();
  /** connections closed at once because maxConnections were open */
  refused = 0;
  /** connections closed because they did not authenticate in time */
  timedOut = 0;

  constructor(private readonly maxConnections: number, private readonly authTimeoutMs: number) {}

  /** Watch every connection `server` accepts (before its protocol sees it). */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
  }

  /** Count a new connection; false when it was closed (too many). */
  accept(socket: Socket): boolean {
    if (this.open.size >= this.maxConnections) {
      this.refused++;
      socket.destroy();
      return false;
    }
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    const timer = setTimeout(() => {
      this.timedOut++;
      socket.destroy();
    }, this.authTimeoutMs);
    timer.unref();
    this.open.set(key, { socket, timer });
    socket.once('close', () => {
      const entry = this.open.get(key);
      if (entry?.socket === socket) {
        clearTimeout(entry.timer);
        this.open.delete(key);
      }
    });
    return true;
  }

  /** The connection made an authenticated (or public) call: it may stay. */
  authenticated(socket: Socket): void {
    this.authenticatedPeer(keyOf(socket.remoteAddress, socket.remotePort));
  }

  /** The same, by grpc-js's peer string ("127.0.0.1:5000", "[::1]:5000"). */
  authenticatedPeer(peer: string): void {
    const entry = this.open.get(peer.replace(/^\[(.*)\](:\d+)$/, '$1$2'));
    if (entry?.timer !== undefined) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  get count(): number {
    return this.open.size;
  }
}

function keyOf(address: string | undefined, port: number | undefined): string {
  return `${address ?? ''}:${port ?? 0}`;
}
