/**
 * Answering a request whose body was not read (refused by its size, or
 * before it was read): the answer goes out, then the connection closes
 * without a reset, so a client still sending its body reads the answer.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a connection whose request body was refused may go on sending before it is closed, ms. */
const LINGER_MS = 2000;

/** Is part of `req`'s body still unread? */
export function bodyUnread(req: IncomingMessage): boolean {
  return !req.complete && (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined);
}

/**
 * Close a connection whose request body was not read: our side first (the
 * client reads the answer, then the end), dropping what it still sends for
 * a moment, then the socket. Closing at once with unread data would send a
 * reset, and a client still writing would lose the answer.
 */
export function lingerClose(socket: Socket): void {
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
}
