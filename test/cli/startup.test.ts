// The CLI starts light: `caxton --version`, `--help` and a command's --help
// load yargs and the commands' options (cli/options/), never a command's
// implementation, the gRPC client, the server or the runtime; those load when
// a command runs. scripts/cli-startup.mjs lists what a start loads.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const script = fileURLToPath(new URL('../../scripts/cli-startup.mjs', import.meta.url));
const loaded = (args: string[]): string[] =>
  JSON.parse(execFileSync(process.execPath, [script, '--modules', '--json', '--', ...args], { encoding: 'utf8', timeout: 60_000 })) as string[];

/** What a start may load of this package: the entry, the options, and the little they need (pure constants such as the log levels). */
const STARTUP = /^dist\/(cli\/(caxton|program|errors|usage)\.js|cli\/options\/[^/]+\.js|manifest\/units\.js|bench\/options\.js|runtime\/errors\.js|runtime\/tool-failures\.js|runtime\/did-you-mean\.js|runtime\/module\/import-hints\.js|runtime\/observability\/log-levels\.js|runtime\/version\.js)$/;
/** Packages that cost tens of milliseconds each to load. */
const HEAVY = /node_modules\/(@grpc|@opentelemetry|protobufjs|yaml|ajv|pino|piscina|msgpackr|cli-progress|prom-client|hdr-histogram-js)\//;

for (const args of [['--version'], ['--help'], ['deploy', '--help'], ['server', 'start', '--help']]) {
  t.test(`caxton ${args.join(' ')} loads only what parsing needs`, async (t) => {
    const modules = loaded(args);
    t.ok(modules.includes('dist/cli/caxton.js'), 'the load hook saw the CLI');
    t.same(modules.filter((m) => m.startsWith('dist/') && !STARTUP.test(m)), [], 'no command implementation, client, server or runtime');
    t.same(modules.filter((m) => HEAVY.test(m)), [], 'none of the heavy packages');
  });
}


t.test('caxton --version answers without loading the command-line parser', async (t) => {
  const modules = loaded(['--version']);
  t.same(modules.filter((m) => /node_modules\/yargs\/(index|build)/.test(m)), [], 'yargs itself is not loaded');
  const version = execFileSync(process.execPath, [fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url)), '--version'], { encoding: 'utf8' });
  t.equal(version, `${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`);
});
