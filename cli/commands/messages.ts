/** `caxton send` and `caxton invoke`. */
import { Connection, type ConnectionOptions } from '../client.js';
import { durationFlag } from '../usage.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';
import type { Message__Output } from '../../proto/generated/caxton/v1/Message.js';

/** What `caxton send` and `caxton invoke` take (cli/options/messages.ts). */
export interface MessageArgs extends ConnectionOptions {
  agent: string;
  content?: string;
  conversation?: string;
  performative?: string;
  durable?: boolean;
  output?: Output;
}

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

export async function runSend(a: MessageArgs): Promise<void> {
  const conn = new Connection(a);
  try {
    const r = await conn.call('messages', 'Send', { agent: a.agent, performative: a.performative ?? 'inform', contentJson: contentJson(a.content), conversationId: a.conversation ?? '', durable: a.durable === true });
    const out = a.output ?? defaultOutput();
    process.stdout.write(`${out === 'table' ? `sent ${r.messageId}${r.conversationId ? ` (conversation ${r.conversationId})` : ''}` : render(r, out, () => '')}\n`);
  } finally {
    conn.close();
  }
}

export async function runInvoke(a: MessageArgs & { timeout: string }): Promise<void> {
  const timeoutMs = durationFlag(a.timeout, '--timeout');
  const conn = new Connection(a);
  try {
    const r = await conn.call('messages', 'Invoke', { agent: a.agent, performative: a.performative ?? 'request', contentJson: contentJson(a.content), conversationId: a.conversation ?? '', durable: a.durable === true }, timeoutMs, {
      what: `invoke ${a.agent}`, flag: '--timeout', advice: `check that the agent answers (caxton agents get ${a.agent}, caxton dead-letters --agent ${a.agent})`,
    });
    // The reply's fields but the JSON texts, its content parsed, and the round trip.
    const reply: Partial<Message__Output> & { content: unknown; latencyUs: number } = { ...r.reply, content: JSON.parse(r.reply!.contentJson || 'null'), latencyUs: Math.round(r.latencyUs * 10) / 10 };
    delete reply.contentJson;
    delete reply.paramsJson;
    const out = a.output ?? defaultOutput();
    // The table names the conversation (the user's id, or the one the server made) so that logs --conversation can follow it.
    process.stdout.write(`${render(reply, out, () => `${reply.performative} from ${reply.sender}: ${JSON.stringify(reply.content)} (conversation ${reply.conversationId})`)}\n`);
  } finally {
    conn.close();
  }
}
