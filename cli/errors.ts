/**
 * How the CLI fails: its exit codes and the error that carries one. Apart
 * from the gRPC client (cli/client.ts), so that the entry point can report
 * errors without loading grpc-js.
 *
 * Exit codes (docs/cli.md): 0 ok, 1 usage or validation, 2 server
 * unreachable, 3 not found, 4 a check failed, 5 not authenticated (or not
 * allowed: PERMISSION_DENIED), 6 timed out, 7 conflict (already exists,
 * wrong state), 8 busy (retry later), 70 internal error; 130/143 when
 * `server start --detach` is interrupted by SIGINT/SIGTERM while it waits
 * for the server.
 */

export const EXIT = Object.freeze({
  OK: 0, USAGE: 1, UNREACHABLE: 2, NOT_FOUND: 3, CHECK_FAILED: 4, UNAUTHENTICATED: 5, TIMEOUT: 6, CONFLICT: 7, BUSY: 8, INTERNAL: 70,
});

/** An error the CLI reports on stderr with its code and hint, and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly code: string, readonly hint: string, readonly exitCode: number) {
    super(message);
  }
}
