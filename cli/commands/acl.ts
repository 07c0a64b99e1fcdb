/**
 * `caxton acl parse` (FIPA ACL string form on stdin -> JSON on stdout) and
 * `caxton acl format` (JSON on stdin -> string form). Malformed input exits 1
 * with the position of the fault.
 */
import { parseAcl, formatAcl } from '../../runtime/fipa/acl/string-codec.js';
import { validateMessage } from '../../runtime/fipa/acl/message.js';
import { InvalidArgumentError } from '../../runtime/errors.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    process.stderr.write('caxton acl: reading the message from standard input (end with Ctrl-D)\n');
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runParse(a: { compact: boolean }): Promise<void> {
  const message = parseAcl(await readStdin());
  process.stdout.write(`${JSON.stringify(message, null, a.compact ? undefined : 2)}\n`);
}

export async function runFormat(a: { pretty: boolean }): Promise<void> {
  const text = await readStdin();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError('stdin', `is not valid JSON (${(e as Error).message})`, 'Give one JSON object such as {"performative":"inform","receiver":[{"name":"b"}],"content":"hello"}; `caxton acl parse` prints this form.');
  }
  // Formatting is not sending: a reply-by in the past is still a message.
  const message = validateMessage(json, { requireReceiver: false, now: 0 });
  process.stdout.write(`${formatAcl(message, { pretty: a.pretty })}\n`);
}
