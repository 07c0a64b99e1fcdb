/**
 * The `caxton` command line (cli/caxton.ts is the entry). Exit codes (docs/cli.md, cli/errors.ts EXIT):
 *   0 success, 1 usage or validation error, 2 server unreachable, 3 not found,
 *   4 a check failed, 5 not authenticated or not allowed, 6 timed out, 7 conflict, 8 busy,
 *   70 internal error; 130/143 `server start --detach` interrupted by
 *   SIGINT/SIGTERM while waiting.
 *
 * Every start parses the whole command line, so only what yargs needs is
 * loaded here: each command's options (cli/options/). A command's work, with
 * its gRPC client, server or runtime, is imported when that command runs.
 */
import yargs from 'yargs';
import { isCaxtonError } from '../runtime/errors.js';
import { UsageError } from './usage.js';
import { CliError, EXIT } from './errors.js';
import { benchOptions } from './options/bench.js';
import { aclCommand } from './options/acl.js';
import { serverCommand } from './options/server.js';
import { deployCommand } from './options/deploy.js';
import { taskCommand } from './options/task.js';
import { agentsCommand } from './options/agents.js';
import { invokeCommand, sendCommand } from './options/messages.js';
import { logsCommand } from './options/logs.js';
import { deadLettersCommand } from './options/dead-letters.js';
import { mcpCommand } from './options/mcp.js';
import { toolsCommand } from './options/tools.js';

/** The words of a completion request (`caxton --get-yargs-completions caxton WORDS...`) after the program's name. */
const completionWords = (argv: string[]): string[] => argv.slice(argv.indexOf('--get-yargs-completions') + 2);
/** cli/completion.ts, loaded for completion requests only. */
let filterCompletions: ((words: readonly string[], defaults: readonly string[]) => string[]) | undefined;

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  if (argv.includes('--get-yargs-completions')) {
    const completion = await import('./completion.js');
    // Agent names come from the server: answered here, before yargs (cli/completion.ts).
    const agents = await completion.completeAgent(completionWords(argv));
    if (agents) {
      process.stdout.write(agents.map((n) => `${n}\n`).join(''));
      return code;
    }
    filterCompletions = completion.filterCompletions;
  }
  await yargs(argv)
    .scriptName('caxton')
    .usage('$0 <command> [options]')
    .command('bench', 'measure throughput, latency, density and Contract Net on this machine', benchOptions, async (a) => {
      code = await (await import('./commands/bench.js')).runBenchCommand(a);
    })
    .command('acl', 'read and write FIPA ACL messages in string form (SC00070)', aclCommand)
    .command('server', 'start, stop or inspect a Caxton server', serverCommand)
    .command('deploy', 'apply a fleet manifest: create, update (and with --prune remove) agents and tool servers', deployCommand,
      async (a) => (await import('./commands/deploy.js')).runDeploy(a))
    .command('agents', 'list, inspect and remove agents', agentsCommand)
    .command('tools', 'list the MCP tool servers agents may call, their state and their tools', toolsCommand)
    .command('task', 'delegate a task to agents (Contract Net)', taskCommand)
    .command('send <agent>', 'send a message to an agent (fire and forget)', sendCommand, async (a) => (await import('./commands/messages.js')).runSend(a))
    .command('invoke <agent>', 'send a request and print the reply', invokeCommand, async (a) => (await import('./commands/messages.js')).runInvoke(a))
    .command('logs', 'show the server\'s log, filtered by conversation, agent, level or time; --follow for new lines', logsCommand,
      async (a) => (await import('./commands/logs.js')).runLogs(a))
    .command('dead-letters', 'show the most recent dead letters (messages that could not be delivered), filtered by agent, reason or conversation', deadLettersCommand,
      async (a) => (await import('./commands/dead-letters.js')).runDeadLetters(a))
    .command('mcp', 'serve the Model Context Protocol on stdin/stdout for desktop MCP clients, over a running server', mcpCommand,
      async (a) => (await import('./commands/mcp.js')).runMcp(a as { server?: string; dataDir?: string }))
    .command('init <name>', 'make a new agent project in its own directory (source, a copy of the SDK, a manifest, a test)', (c) => c
      .positional('name', { type: 'string', demandOption: true, describe: 'the agent\'s name (and the directory\'s, unless --dir)' })
      .option('lang', { choices: ['as', 'c', 'go'] as const, demandOption: true, describe: 'as: AssemblyScript; c: C (clang); go: Go >= 1.24' })
      .option('dir', { type: 'string', describe: 'where (default ./NAME); must be empty or new' }), async (a) => {
      code = (await import('./commands/init.js')).runInit(a as never);
    })
    .command('build [dir]', 'compile the agent project here (or in DIR) and check the module', (c) => c
      .positional('dir', { type: 'string', describe: 'the project (default: the current directory)' }), async (a) => {
      code = await (await import('./commands/build.js')).runBuild(a as never);
    })
    .command('test [dir]', 'run the agent project\'s tests (*.test.mjs, node:test with caxton/testing)', (c) => c
      .positional('dir', { type: 'string', describe: 'the project (default: the current directory)' }), async (a) => {
      code = (await import('./commands/build.js')).runTest(a as never);
    })
    .command('check <file>', 'would this agent module deploy? run deploy\'s checks and start it once, here, without a server', (c) => c
      .positional('file', { type: 'string', demandOption: true, describe: 'the .wasm file' })
      .option('memory-limit', { type: 'number', describe: 'the agent\'s memoryLimitBytes (default: the server default, 16 MiB)' })
      .option('config', { type: 'string', describe: 'the agent\'s config as JSON, for caxton_init' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text, or one JSON object' }), async (a) => {
      code = await (await import('./commands/check.js')).runCheck(a as never);
    })
    .command('health', 'is the server serving (gRPC health check, no token needed)', (c) => c, async (a) => {
      code = await (await import('./commands/health.js')).runHealth(a as never);
    })
    .option('server', { type: 'string', global: true, describe: 'HOST:PORT of the server (default: $CAXTON_SERVER, the local server, 127.0.0.1:50051)' })
    .option('data-dir', { type: 'string', global: true, describe: 'the server\'s data directory, for the token and the local server (default .caxton)' })
    .completion('completion', 'print a shell completion script (bash/zsh): caxton completion >> ~/.bashrc', (_current: string, _argv: unknown, defaults: (cb: (err: Error | null, found: string[] | undefined) => void) => void, done: (completions: string[]) => void) => {
      // Synchronous, so that yargs prints and exits before it checks the line or runs a command.
      defaults((err, found) => done(err || !filterCompletions ? [] : filterCompletions(completionWords(argv), found ?? [])));
    })
    .demandCommand(1, 'name a command, e.g. `caxton bench`')
    .strict()
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      // Throwing stops yargs from running the command after a failed check.
      throw new UsageError(msg ?? err?.message ?? 'invalid usage');
    })
    .help()
    .version()
    .parseAsync();
  return code;
}

/** Run the command line `argv` (without node and the script), setting process.exitCode. */
export function run(argv: string[]): Promise<void> {
  // Plain `caxton` asks what it can do: the help, exit 0 (docs/cli.md).
  return main(argv.length === 0 ? ['--help'] : argv).then(
    (code) => { process.exitCode = code; },
    async (err: unknown) => {
      if (err instanceof UsageError) {
        // A mistyped command: the one probably meant (loaded only on a usage error).
        const meant = (await import('./commands-tree.js')).suggestCommand(argv);
        process.stderr.write(`caxton: ${err.message}\n${meant ? `Did you mean \`caxton ${meant}\`?\n` : ''}Run \`caxton --help\` for usage.\n`);
        process.exitCode = EXIT.USAGE;
      } else if (err instanceof CliError) {
        process.stderr.write(`caxton: ${err.code}: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
        process.exitCode = err.exitCode;
      } else if (isCaxtonError(err)) {
        process.stderr.write(`caxton: ${err.code}: ${err.message}\n  hint: ${err.hint}\n`);
        process.exitCode = EXIT.USAGE;
      } else {
        process.stderr.write(`caxton: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exitCode = EXIT.INTERNAL;
      }
    },
  );
}
