#!/usr/bin/env node
/**
 * The `caxton` command's entry point. The program itself is cli/program.ts;
 * this file only answers `caxton --version` without it: scripts call that
 * often, and loading yargs alone takes about 0.12 s on the CI machine, as
 * long as starting Node.js (decision 0013).
 */
// `caxton … | head`: once the reader has gone, nothing written can be read;
// stop quietly, as a command killed by SIGPIPE would, but without a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
// process.argv after node and this script (yargs' hideBin would load its parser).
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  const { CAXTON_VERSION } = await import('../runtime/version.js');
  process.stdout.write(`${CAXTON_VERSION}\n`);
} else {
  await (await import('./program.js')).run(args);
}
