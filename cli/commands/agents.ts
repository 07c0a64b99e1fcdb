/** `caxton agents list|get|remove`. */
import { Connection } from '../client.js';
import { defaultOutput, render, table } from '../output.js';
import type { Output } from '../options/output.js';
import type { Agent__Output } from '../../proto/generated/caxton/v1/Agent.js';

const COLUMNS = ['name', 'state', 'worker', 'handled', 'failed', 'restarts', 'capabilities'];

function agentView(a: Agent__Output): Record<string, unknown> {
  return {
    name: a.name, state: a.state, worker: a.worker, kind: a.kind, handled: a.handled, failed: a.failed, restarts: a.restarts,
    mailboxDepth: a.mailboxDepth, memoryLimitBytes: a.memoryLimitBytes, timeLimitMs: a.timeLimitMs, mailbox: a.mailbox,
    maxSendsPerSecond: a.maxSendsPerSecond, throttled: a.throttled,
    capabilities: a.capabilities, tools: a.tools, config: JSON.parse(a.configJson || 'null'), ...(a.lastError ? { lastError: a.lastError } : {}),
  };
}

export async function runList(a: { output?: Output }): Promise<void> {
  const conn = new Connection(a as never);
  try {
    const { agents } = await conn.call('agents', 'List', {});
    const rows = agents.map(agentView);
    process.stdout.write(`${render(rows, a.output ?? defaultOutput(), () => (rows.length ? table(rows, COLUMNS) : 'no agents deployed'))}\n`);
  } finally {
    conn.close();
  }
}

export async function runGet(a: { name: string; output?: Output }): Promise<void> {
  const conn = new Connection(a as never);
  try {
    const view = agentView(await conn.call('agents', 'Get', { name: a.name }));
    process.stdout.write(`${render(view, a.output ?? defaultOutput(), () => Object.entries(view).map(([k, v]) => `${k.padEnd(17)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n'))}\n`);
  } finally {
    conn.close();
  }
}

export async function runRemove(a: { name: string }): Promise<void> {
  const conn = new Connection(a as never);
  try {
    await conn.call('agents', 'Undeploy', { name: a.name });
    process.stdout.write(`removed ${a.name}\n`);
  } finally {
    conn.close();
  }
}
