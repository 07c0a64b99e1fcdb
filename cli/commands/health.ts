/** `caxton health`: the gRPC health check (no token needed). */
import { healthCheck, targetOf, type ConnectionOptions } from '../client.js';
import { CliError, EXIT } from '../errors.js';

/** Prints the status; returns the exit code (UNREACHABLE unless SERVING). */
export async function runHealth(a: ConnectionOptions): Promise<number> {
  const target = targetOf(a);
  const st = await healthCheck(target).catch((e: Error) => {
    throw new CliError(`cannot reach a Caxton server at ${target}: ${e.message}`, 'SERVER_UNREACHABLE', 'Start one with `caxton server start`, or point at yours with --server HOST:PORT.', EXIT.UNREACHABLE);
  });
  process.stdout.write(`${st}\n`);
  return st === 'SERVING' ? EXIT.OK : EXIT.UNREACHABLE;
}
