/**
 * Shell completion (`caxton completion` prints the script; the shell then runs
 * `caxton --get-yargs-completions WORDS`). yargs offers the commands, the
 * options and the choices of `-o`; this adds agent names where an agent is
 * named (asked of the server, quietly none when it does not answer) and
 * removes what does not apply: `--version` after a command, `--server` and
 * `--data-dir` for commands that need no server.
 */
import { commandWords, LOCAL_COMMANDS } from './commands-tree.js';

/** How long completion waits for the server's agent names: a shell waits for it. */
const NAMES_TIMEOUT_MS = 1500;

/** Where the command line names an agent: options, and positionals by command. */
const AGENT_OPTIONS: Readonly<Record<string, readonly string[]>> = { logs: ['--agent'], 'dead-letters': ['--agent', '--from'] };
const AGENT_POSITIONAL: Readonly<Record<string, number>> = { 'agents get': 2, 'agents remove': 2, send: 1, invoke: 1 };

function optionValue(words: readonly string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if (words[i] === name) return words[i + 1];
    if (words[i]!.startsWith(`${name}=`)) return words[i]!.slice(name.length + 1);
  }
  return undefined;
}

async function agentNames(words: readonly string[]): Promise<string[]> {
  try {
    const { Connection } = await import('./client.js');
    const conn = new Connection({ server: optionValue(words, '--server'), dataDir: optionValue(words, '--data-dir') });
    try {
      return (await conn.call('agents', 'List', {}, NAMES_TIMEOUT_MS)).agents.map((a) => a.name);
    } finally {
      conn.close();
    }
  } catch {
    return []; // no server, no token: no names, and nothing printed into the shell
  }
}

/**
 * The agent names to offer when `words` (the command line after `caxton`, the
 * last one being completed) is at a place that names an agent, else undefined.
 * Answered before yargs runs: a completion function that waits would let
 * yargs go on to check the line and run the command (`agents remove ord`).
 */
export async function completeAgent(words: readonly string[]): Promise<string[] | undefined> {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const positionals = commandWords(before);
  const [command, sub] = positionals;
  if (command === undefined || current.startsWith('-')) return undefined;
  const prev = before[before.length - 1];
  const positional = AGENT_POSITIONAL[`${command} ${sub}`] ?? AGENT_POSITIONAL[command];
  if (!((prev !== undefined && AGENT_OPTIONS[command]?.includes(prev)) || positionals.length === positional)) return undefined;
  return (await agentNames(before)).filter((n) => n.startsWith(current));
}

/** yargs' completions (`defaults`) for `words` without the options that do not apply there. */
export function filterCompletions(words: readonly string[], defaults: readonly string[]): string[] {
  const [command, sub] = commandWords(words.slice(0, -1));
  if (command === undefined) return [...defaults];
  if (command === 'completion') return [];
  const local = LOCAL_COMMANDS.has(command);
  return defaults.filter((c) => {
    const flag = c.split(':')[0]; // zsh completions carry ":description"
    if (flag === '--version') return false;
    if (flag === '--data-dir') return !local;
    if (flag === '--server') return !local && !(command === 'server' && sub === 'start');
    return true;
  });
}
