/** `caxton server stop` and `caxton server status`: a running server, through its ManagementService. */
import { Connection, dataDirOf, pidAlive, readServerFile } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { durationFlag } from '../usage.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';

export async function runStop(a: { timeout: string }): Promise<void> {
  await stopServer(a as never, durationFlag(a.timeout, '--timeout'));
}

export async function runStatus(a: { output?: Output }): Promise<void> {
  await status(a as never, a.output ?? defaultOutput());
}

async function stopServer(a: { server?: string; dataDir?: string; 'data-dir'?: string }, timeoutMs: number): Promise<void> {
  const opts = { server: a.server, dataDir: a['data-dir'] ?? a.dataDir };
  const dataDir = dataDirOf(opts);
  const info = readServerFile(dataDir);
  const conn = new Connection(opts);
  try {
    const r = await conn.call('management', 'Drain', { timeoutMs, shutdown: true }, timeoutMs + 10_000, { what: 'server stop (Drain)', flag: '--timeout' }).catch((e: unknown) => {
      // Nothing running is what stop wants: say so and succeed.
      if (e instanceof CliError && e.code === 'SERVER_UNREACHABLE') return undefined;
      throw e;
    });
    if (!r) {
      process.stdout.write(`no server running at ${conn.target} (data directory ${dataDir}): nothing to stop\n`);
      return;
    }
    const st = r.stats!; // always set by the server
    process.stdout.write(`${r.drained ? 'drained' : `not drained: ${st.inFlight} message(s) still in flight after ${timeoutMs} ms`}: accepted ${st.accepted}, delivered ${st.delivered}, dead-lettered ${st.deadLettered}\n`);
  } finally {
    conn.close();
  }
  // Wait for the process to exit when it is ours to watch.
  if (info && !a.server && !process.env.CAXTON_SERVER) {
    const deadline = Date.now() + timeoutMs + 15_000;
    while (pidAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(info.pid)) throw new CliError(`the server (pid ${info.pid}) is still running`, 'SERVER_STOP_FAILED', `Kill it with \`kill ${info.pid}\` (it drains on SIGTERM).`, EXIT.INTERNAL);
  }
  process.stdout.write('stopped\n');
}

async function status(a: { server?: string; 'data-dir'?: string }, output: Output): Promise<void> {
  const conn = new Connection({ server: a.server, dataDir: a['data-dir'] });
  try {
    const [info, stats] = await Promise.all([conn.call('management', 'ServerInfo', {}), conn.call('management', 'Stats', {})]);
    const view = { server: conn.target, ...info, stats };
    process.stdout.write(`${render(view, output, () => [
      `server    ${conn.target} (caxton ${info.version}, ${info.state}, up ${Math.round(info.uptimeSeconds)} s)`,
      `workers   ${info.workers}, agents ${info.agents}, agent ABI ${info.abiVersion}`,
      `messages  accepted ${stats.accepted}, delivered ${stats.delivered}, dead-lettered ${stats.deadLettered}, in flight ${stats.inFlight}`,
      ...(stats.lostInCrash || stats.redelivered ? [`last run  ${stats.lostInCrash} message(s) lost in its crash (dead letters LOST_IN_CRASH), ${stats.redelivered} durable one(s) sent again`] : []),
    ].join('\n'))}\n`);
  } finally {
    conn.close();
  }
}
