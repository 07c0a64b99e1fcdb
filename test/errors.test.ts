// Keeps docs/errors.md in step with runtime/errors.ts: every code raised by the
// code is documented, every documented code exists, and each error carries a
// message and a hint.
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as errors from '../dist/runtime/errors.js';
import * as layout from '../dist/bus/layout.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

function documentedCodes(section: string): Set<string> {
  const start = doc.indexOf(`## ${section}`);
  const end = doc.indexOf('\n## ', start + 1);
  const body = doc.slice(start, end === -1 ? undefined : end);
  return new Set([...body.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));
}

function errorClasses(): (new (...args: unknown[]) => errors.CaxtonError)[] {
  return (Object.values(errors) as unknown[]).filter(
    (v): v is new (...args: unknown[]) => errors.CaxtonError =>
      typeof v === 'function' && v.prototype instanceof errors.CaxtonError,
  );
}

t.test('every error class has a documented, unique code, a message and a hint', async (t) => {
  const documented = documentedCodes('Errors returned to callers');
  const seen = new Set<string>();
  const classes = errorClasses();
  t.ok(classes.length >= 15, `found ${classes.length} error classes`);
  for (const Cls of classes) {
    const e = new Cls('argument-or-agent', 'a problem described here', 'a hint that says how to fix it', 4);
    t.match(e.code, /^[A-Z][A-Z_]+$/, `${Cls.name} code format`);
    t.notOk(seen.has(e.code), `${e.code} is used by one class only`);
    seen.add(e.code);
    t.ok(documented.has(e.code), `${e.code} (${Cls.name}) is in docs/errors.md`);
    t.ok(e.message.length > 10, `${e.code} has a message`);
    t.ok(e.hint.length > 10, `${e.code} has a hint`);
    t.same(Object.keys(e.toJSON()).sort(), ['code', 'details', 'hint', 'message'], `${e.code} serialises`);
  }
  for (const code of documented) t.ok(seen.has(code), `documented ${code} exists in runtime/errors.ts`);
});

t.test('dead-letter reasons match the docs and each has a hint', async (t) => {
  const documented = documentedCodes('Dead-letter reasons');
  const reasons = Object.values(errors.DeadLetterReason) as string[];
  t.same(new Set(reasons), documented, 'the same set of reasons');
  for (const r of reasons) t.ok((errors.DEAD_LETTER_HINTS as Record<string, string>)[r]!.length > 10, `${r} has a hint`);
});

t.test('tool call failure codes match the docs and each has a hint', async (t) => {
  const documented = documentedCodes('Tool call failures');
  const codes = Object.values(errors.ToolFailure) as string[];
  t.same(new Set(codes), documented, 'the same set of codes');
  for (const c of codes) t.ok((errors.TOOL_FAILURE_HINTS as Record<string, string>)[c]!.length > 10, `${c} has a hint`);
});

t.test('agent ABI return codes are documented with their numbers', async (t) => {
  const pairs: [string, number][] = [
    ['BAD_FRAME', layout.SEND_BAD_FRAME], ['UNKNOWN_DESTINATION', layout.SEND_UNKNOWN_DESTINATION],
    ['MAILBOX_FULL', layout.SEND_MAILBOX_FULL], ['TOO_MANY_TIMERS', layout.SEND_TOO_MANY_TIMERS],
    ['TOO_LARGE', layout.SEND_TOO_LARGE], ['AGENT_STOPPED', layout.SEND_AGENT_STOPPED], ['PROTOCOL_VIOLATION', layout.SEND_PROTOCOL_VIOLATION],
  ];
  for (const [name, value] of pairs) t.ok(doc.includes(`\`${value}\` \`${name}\``), `${name} = ${value} documented`);
  const abi = readFileSync(new URL('../docs/agent-abi.md', import.meta.url), 'utf8');
  for (const [name, value] of pairs) {
    if (name === 'TOO_MANY_TIMERS') continue;
    t.ok(abi.includes(`\`${value}\` | \`${name}\``), `${name} = ${value} in docs/agent-abi.md`);
  }
});
