/** `caxton server start|stop|status` and their options; the work is in ../commands/server.ts (start) and server-management.ts, loaded when one runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

function startOptions(c: Argv) {
  return c
    .option('data-dir', { type: 'string', describe: 'where the token, the fleet and logs live (default .caxton)' })
    .option('grpc-port', { type: 'number', describe: 'gRPC port (default 50051; 0 = any free port)' })
    .option('http-port', { type: 'number', describe: 'REST/metrics port (default 8080; 0 = any free port)' })
    .option('host', { type: 'string', describe: 'listen address (default 127.0.0.1, loopback only)' })
    .option('workers', { type: 'number', describe: 'worker threads (default one per core)' })
    .option('log-level', { type: 'string', describe: 'trace, debug, info, warn, error (default info)' })
    .option('log-max-size', { type: 'string', describe: 'rotate <data-dir>/logs/caxton.N.log at this size (default 10m; k, m, g)' })
    .option('journal', { type: 'boolean', describe: 'journal accepted messages so that a crash loses none silently (default true; --no-journal turns it off)' })
    .option('tool-command', { type: 'string', array: true, nargs: 1, describe: 'a command line stdio tool servers may start with (repeatable), e.g. node or "mcp-server-everything stdio" (default: none)' })
    .option('tool-url', { type: 'string', array: true, nargs: 1, describe: 'a URL prefix HTTP tool servers may have (repeatable), e.g. https://tools.example.com/ (default: none)' })
    .option('config', { type: 'string', describe: 'a YAML file of settings (lower precedence than flags and CAXTON_*)' })
    .option('detach', { type: 'boolean', default: false, describe: 'run in the background; logs go to <data-dir>/logs/ (start-up failures to <data-dir>/server.log)' })
    .option('ready-timeout', { type: 'string', describe: 'with --detach: how long to wait for the server to become ready before stopping it and failing (default 60s)' });
}

export type StartArgs = Awaited<ReturnType<typeof startOptions>['argv']>;

export function serverCommand(y: Argv): Argv {
  return y
    .command('start', 'start a server (foreground; --detach for the background)', startOptions, async (a) => (await import('../commands/server.js')).runStart(a))
    .command('stop', 'drain in-flight messages and stop the server', (c) => c
      .option('timeout', { type: 'string', default: '10s', describe: 'how long to wait for in-flight messages (e.g. 500ms, 10s)' }),
    async (a) => (await import('../commands/server-management.js')).runStop(a))
    .command('status', 'is a server running here, and how is it doing', (c) => c.option('output', { alias: 'o', choices: OUTPUTS }),
      async (a) => (await import('../commands/server-management.js')).runStatus(a))
    .demandCommand(1, 'name a subcommand: start, stop or status');
}
