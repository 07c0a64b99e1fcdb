/**
 * The gRPC gateway's defences before a handler runs:
 *
 * - Request messages are checked by size before they are decoded, per
 *   method: grpc-js has one server-wide receive limit, which must be the
 *   deploy's (a module), so every other method checks its own, smaller one
 *   here (RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE).
 * - Bytes that are not a valid message are the client's INVALID_ARGUMENT,
 *   not grpc-js's INTERNAL "Error deserializing request".
 * - Connections come through our own net.Server (a grpc-js connection
 *   injector), so that they can be counted and bounded (api/connection-guard.ts).
 *
 * A refused message is decoded as a marker object that the interceptor
 * answers with the error, so no handler sees it.
 */
import { createServer, type Server as NetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, RequestTooLargeError, type CaxtonError } from '../runtime/errors.js';
import { toServiceError } from './errors.js';
import type { ConnectionGuard } from './connection-guard.js';

const REFUSED = Symbol('refused request');
type Refused = { [REFUSED]: CaxtonError };

function isRefused(m: unknown): m is Refused {
  return typeof m === 'object' && m !== null && REFUSED in m;
}

/** `service` whose request decoding checks the size (`limitOf` the method's path) and never throws. */
export function guardService(service: grpc.ServiceDefinition, limitOf: (path: string) => number): grpc.ServiceDefinition {
  const guarded: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
    const limit = limitOf(method.path);
    const operation = method.path.slice(1).replace(/^caxton\.v1\./, '');
    const decode = method.requestDeserialize;
    guarded[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        if (bytes.length > limit) return { [REFUSED]: new RequestTooLargeError(bytes.length, limit, operation) };
        try {
          return decode(bytes);
        } catch (e) {
          return {
            [REFUSED]: new InvalidArgumentError('request', `is not a valid protobuf ${operation} request (${(e as Error).message})`,
              'Send the request message of proto/caxton/v1/*.proto, encoded by a protobuf library (a client generated from the .proto files or loaded with @grpc/proto-loader).'),
          };
        }
      },
    };
  }
  return guarded as grpc.ServiceDefinition;
}

/** Answers a refused message with its error; passes the others on. */
export function refusedRequestInterceptor(onRefused: (path: string, e: CaxtonError) => void): grpc.ServerInterceptor {
  return (method, call) => new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMessage(message, nextMessage) {
          if (!isRefused(message)) {
            nextMessage(message);
            return;
          }
          const err = message[REFUSED];
          onRefused(method.path, err);
          const e = toServiceError(err);
          call.sendStatus({ code: e.code!, details: e.details!, metadata: e.metadata! });
        },
      });
    },
  });
}

/** Serve `server` on host:port through a net.Server whose connections `guard` counts and bounds. */
export async function listenGuarded(server: grpc.Server, guard: ConnectionGuard, host: string, port: number): Promise<{ net: NetServer; port: number; close(): void }> {
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const net = createServer((socket) => {
    if (guard.accept(socket)) injector.injectConnection(socket);
  });
  const bound = await new Promise<number>((resolve, reject) => {
    net.once('error', reject);
    net.listen(port, host, () => {
      net.off('error', reject);
      resolve((net.address() as { port: number }).port);
    });
  });
  return {
    net, port: bound,
    close() {
      net.close();
      injector.destroy();
    },
  };
}
