/** `caxton acl parse|format` and their options; the conversions are in ../commands/acl.ts, loaded when one runs. */
import type { Argv } from 'yargs';

export function aclCommand(y: Argv): Argv {
  return y
    .command(
      'parse',
      'read one ACL message in FIPA string form (SC00070) from stdin, print it as JSON',
      (a) => a.option('compact', { type: 'boolean', default: false, describe: 'one line of JSON' }),
      async (a) => (await import('../commands/acl.js')).runParse(a),
    )
    .command(
      'format',
      'read one ACL message as JSON from stdin, print its FIPA string form',
      (a) => a.option('pretty', { type: 'boolean', default: true, describe: 'one parameter per line' }),
      async (a) => (await import('../commands/acl.js')).runFormat(a),
    )
    .demandCommand(1, 'name a subcommand: `caxton acl parse` or `caxton acl format`');
}
