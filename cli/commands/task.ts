/** `caxton task contract-net`: delegate a task with the Contract Net Protocol (docs/fipa.md). */
import { Connection, type ConnectionOptions } from '../client.js';
import { UsageError, durationFlag } from '../usage.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';

/** `caxton task contract-net`'s options (cli/options/task.ts). */
export interface ContractNetArgs extends ConnectionOptions {
  capability?: string;
  contractors?: string;
  content: string;
  deadline: string;
  select?: string;
  'result-timeout'?: string;
  output?: Output;
}

export async function runContractNet(a: ContractNetArgs): Promise<void> {
  if (!a.capability && !a.contractors) throw new UsageError('give --capability NAME or --contractors A,B,C');
  try {
    JSON.parse(a.content);
  } catch (e) {
    throw new UsageError(`--content must be JSON (${(e as Error).message}), e.g. --content '{"job":"translate"}'`);
  }
  const deadlineMs = durationFlag(a.deadline, '--deadline');
  const resultTimeoutMs = a['result-timeout'] ? durationFlag(a['result-timeout'], '--result-timeout') : 0;
  const conn = new Connection(a);
  try {
    const o = await conn.call('tasks', 'StartContractNet', {
      capability: a.capability ?? '', contractors: a.contractors ? String(a.contractors).split(',').map((s) => s.trim()).filter(Boolean) : [],
      taskJson: a.content, deadlineMs, select: a.select ?? '', resultTimeoutMs,
    }, deadlineMs + (resultTimeoutMs || 10_000) + 30_000, { what: 'task contract-net' });
    const parse = (s: string): unknown => JSON.parse(s || 'null');
    const view = {
      status: o.status, winner: o.winner || null, conversationId: o.conversationId,
      proposals: o.proposals.map((p) => ({ agent: p.agent, content: parse(p.contentJson) })),
      refusals: o.refusals.map((p) => ({ agent: p.agent, content: parse(p.contentJson) })),
      silent: o.silent, result: parse(o.resultJson), failure: parse(o.failureJson), durationMs: o.durationMs,
      transcript: o.transcript.map((t) => ({ at: t.at, from: t.from, to: t.to, performative: t.performative, content: parse(t.contentJson), ...(t.note ? { note: t.note } : {}) })),
    };
    const out: Output = a.output ?? defaultOutput();
    process.stdout.write(`${render(view, out, () => [
      `status     ${view.status}`,
      `winner     ${view.winner ?? '-'}`,
      `proposals  ${view.proposals.map((p) => `${p.agent} ${JSON.stringify(p.content)}`).join('; ') || '-'}`,
      `refusals   ${view.refusals.map((p) => p.agent).join(', ') || '-'}`,
      `result     ${JSON.stringify(view.result)}${view.failure !== null ? `  (failure: ${JSON.stringify(view.failure)})` : ''}`,
    ].join('\n'))}\n`);
  } finally {
    conn.close();
  }
}
