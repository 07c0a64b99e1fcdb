/** `caxton send` and `caxton invoke`. */
import type { Argv } from 'yargs';
import { Connection } from '../client.js';
import { durationFlag } from '../usage.js';
import { OUTPUTS, defaultOutput, render, type Output } from '../output.js';

function contentJson(content: string | undefined): string {
  if (content === undefined) return '';
  try {
    JSON.parse(content);
    return content;
  } catch {
    // Not JSON: send it as a string, which is what a person typing `--content hello` means.
    return JSON.stringify(content);
  }
}

const common = (c: Argv) => c
  .positional('agent', { type: 'string', demandOption: true, describe: 'the agent to address' })
  .option('content', { alias: 'c', type: 'string', describe: 'content as JSON (text that is not JSON is sent as a string)' })
  .option('conversation', { type: 'string', describe: 'conversation id (16 hex digits, or any string)' })
  .option('performative', { alias: 'p', type: 'string', describe: 'FIPA act' });

export function sendCommand(y: Argv): Argv {
  return common(y).option('output', { alias: 'o', choices: OUTPUTS });
}

export async function runSend(a: any): Promise<void> {
  const conn = new Connection(a);
  try {
    const r = await conn.call('messages', 'Send', { agent: a.agent, performative: a.performative ?? 'inform', contentJson: contentJson(a.content), conversationId: a.conversation ?? '' });
    const out = (a.output as Output) ?? defaultOutput();
    process.stdout.write(`${out === 'table' ? `sent ${r.messageId}${r.conversationId ? ` (conversation ${r.conversationId})` : ''}` : render(r, out, () => '')}\n`);
  } finally {
    conn.close();
  }
}

export function invokeCommand(y: Argv): Argv {
  return common(y)
    .option('timeout', { alias: 't', type: 'string', default: '30s', describe: 'how long to wait for the reply (e.g. 500ms, 5s)' })
    .option('output', { alias: 'o', choices: OUTPUTS });
}

export async function runInvoke(a: any): Promise<void> {
  const timeoutMs = durationFlag(a.timeout, '--timeout');
  const conn = new Connection(a);
  try {
    const r = await conn.call('messages', 'Invoke', { agent: a.agent, performative: a.performative ?? 'request', contentJson: contentJson(a.content), conversationId: a.conversation ?? '' }, timeoutMs);
    const reply = { ...r.reply, content: JSON.parse(r.reply.contentJson || 'null'), latencyUs: Math.round(r.latencyUs) };
    delete reply.contentJson;
    delete reply.paramsJson;
    const out = (a.output as Output) ?? defaultOutput();
    process.stdout.write(`${render(reply, out, () => `${reply.performative} from ${reply.sender}: ${JSON.stringify(reply.content)}`)}\n`);
  } finally {
    conn.close();
  }
}
