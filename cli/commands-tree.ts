/**
 * The CLI's commands and subcommands as data, for what yargs does not do:
 * "did you mean `caxton agents list`?" for a mistyped command (yargs'
 * recommendCommands looks at one level only) and shell completion. Loaded
 * only on a usage error or for completion. test/cli/ux.test.ts checks it
 * against `--help`.
 */
import { closestNames } from '../runtime/did-you-mean.js';

/** Each command, with its subcommands (empty: none). */
export const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  bench: [], acl: ['parse', 'format'], server: ['start', 'stop', 'status'], deploy: [], agents: ['list', 'get', 'remove'], tools: ['list', 'get'],
  task: ['contract-net'], send: [], invoke: [], logs: [], 'dead-letters': [], mcp: [], init: [], build: [], test: [], check: [], health: [], completion: [],
};

/** Commands that run here, without a server: `--server` means nothing to them. */
export const LOCAL_COMMANDS: ReadonlySet<string> = new Set(['bench', 'acl', 'init', 'build', 'test', 'check', 'completion']);

/** Global options that take a value in the next word (`--server HOST:PORT`). */
const VALUE_OPTIONS = new Set(['--server', '--data-dir']);

/** The words of `args` that are not options: the command, subcommand and positionals. */
export function commandWords(args: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  return words;
}

/** Singular and other common words for a command, too far from its name for the edit distance. */
const ALIASES: Readonly<Record<string, string>> = { agent: 'agents', ls: 'list', rm: 'remove', delete: 'remove', log: 'logs', deadletters: 'dead-letters', apply: 'deploy', status: 'server status' };

function closest(word: string, known: readonly string[]): string | undefined {
  if (known.includes(word)) return word;
  const alias = ALIASES[word.toLowerCase()];
  if (alias && known.includes(alias.split(' ')[0]!)) return alias;
  return closestNames(word, known, 1)[0];
}

/**
 * The command the user probably meant when `args` names none that exists
 * (`agent list` → `agents list`, `agents lst` → `agents list`), or undefined
 * when the command words are right or nothing is close.
 */
export function suggestCommand(args: readonly string[]): string | undefined {
  const [first, second] = commandWords(args);
  if (first === undefined) return undefined;
  const command = closest(first, Object.keys(COMMANDS));
  if (command === undefined) return undefined;
  if (command.includes(' ')) return command === first ? undefined : command;
  const subs = COMMANDS[command]!;
  let sub: string | undefined;
  if (subs.length > 0 && second !== undefined) sub = closest(second, subs);
  const suggestion = sub ? `${command} ${sub}` : command;
  const typed = sub ? `${first} ${second}` : first;
  return suggestion === typed ? undefined : suggestion;
}
