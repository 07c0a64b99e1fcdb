/** `caxton health`: the gRPC health check (no token needed). */
import { dataDirOf, healthCheck, targetOf, unreachableError, type ConnectionOptions } from '../client.js';
import { EXIT } from '../errors.js';
import type { ServiceError } from '@grpc/grpc-js';

/** Prints the status; returns the exit code (UNREACHABLE unless SERVING). */
export async function runHealth(a: ConnectionOptions): Promise<number> {
  const target = targetOf(a);
  const st = await healthCheck(target).catch((e: ServiceError) => {
    throw unreachableError(target, e.details ?? e.message, dataDirOf(a));
  });
  process.stdout.write(`${st}\n`);
  return st === 'SERVING' ? EXIT.OK : EXIT.UNREACHABLE;
}
