/** `caxton agents list|get|remove`. */
import type { Argv } from 'yargs';
import { Connection } from '../client.js';
import { OUTPUTS, defaultOutput, render, table, type Output } from '../output.js';

const COLUMNS = ['name', 'state', 'worker', 'handled', 'failed', 'restarts', 'capabilities'];

function agentView(a: any): Record<string, unknown> {
  return {
    name: a.name, state: a.state, worker: a.worker, kind: a.kind, handled: a.handled, failed: a.failed, restarts: a.restarts,
    mailboxDepth: a.mailboxDepth, memoryLimitBytes: a.memoryLimitBytes, timeLimitMs: a.timeLimitMs, mailbox: a.mailbox,
    capabilities: a.capabilities, config: JSON.parse(a.configJson || 'null'), ...(a.lastError ? { lastError: a.lastError } : {}),
  };
}

export function agentsCommand(y: Argv): Argv {
  return y
    .command('list', 'list the deployed agents', (c) => c.option('output', { alias: 'o', choices: OUTPUTS, describe: 'table (default on a terminal), json or yaml' }), async (a) => {
      const conn = new Connection(a as never);
      try {
        const { agents } = await conn.call('agents', 'List', {});
        const rows = agents.map(agentView);
        process.stdout.write(`${render(rows, (a.output as Output) ?? defaultOutput(), () => (rows.length ? table(rows, COLUMNS) : 'no agents deployed'))}\n`);
      } finally {
        conn.close();
      }
    })
    .command('get <name>', 'one agent: state, worker, limits, mailbox depth, counts', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .option('output', { alias: 'o', choices: OUTPUTS }), async (a) => {
      const conn = new Connection(a as never);
      try {
        const view = agentView(await conn.call('agents', 'Get', { name: a.name }));
        process.stdout.write(`${render(view, (a.output as Output) ?? defaultOutput(), () => Object.entries(view).map(([k, v]) => `${k.padEnd(17)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n'))}\n`);
      } finally {
        conn.close();
      }
    })
    .command('remove <name>', 'remove an agent (messages still queued for it are dead-lettered)', (c) => c.positional('name', { type: 'string', demandOption: true }), async (a) => {
      const conn = new Connection(a as never);
      try {
        await conn.call('agents', 'Undeploy', { name: a.name });
        process.stdout.write(`removed ${a.name}\n`);
      } finally {
        conn.close();
      }
    })
    .demandCommand(1, 'name a subcommand: list, get or remove');
}
