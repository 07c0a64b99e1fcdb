/**
 * `caxton init --lang as|c|go NAME`: a new agent project in its own directory,
 * buildable without the Caxton sources: the agent's source, a copy of the
 * SDK for its language (caxton-sdk/), a fleet manifest, a test with the test
 * kit, a package.json whose scripts are `caxton build` and `caxton test`,
 * and caxton.agent.json, which tells `caxton build` what to compile. The
 * templates are in sdk/templates/ of the Caxton package.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAXTON_VERSION } from '../../runtime/version.js';
import { CliError, EXIT } from '../errors.js';

/** The languages `caxton init` scaffolds, with what each needs. */
export const LANGUAGES = {
  as: { label: 'AssemblyScript', source: 'agent.ts', sdk: 'assemblyscript', sdkFiles: (f: string) => f.endsWith('.ts') },
  c: { label: 'C', source: 'agent.c', sdk: 'c', sdkFiles: (f: string) => f.endsWith('.h') },
  go: { label: 'Go', source: 'main.go', sdk: 'go', sdkFiles: (f: string) => (f.endsWith('.go') && !f.endsWith('_test.go')) || f.endsWith('go.mod') },
} as const;
export type Language = keyof typeof LANGUAGES;

/** What `caxton build` reads: caxton.agent.json. */
export interface AgentProject {
  name: string;
  lang: Language;
  /** the source file to compile, relative to the project */
  source: string;
  /** where the module goes, relative to the project */
  output: string;
}

export const PROJECT_FILE = 'caxton.agent.json';
/** the Caxton package's sdk/ folder (dist/cli/commands -> the package root) */
export const SDK_DIR = fileURLToPath(new URL('../../../sdk/', import.meta.url));

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function runInit(a: { name: string; lang: Language; dir?: string }): number {
  if (!AGENT_NAME.test(a.name)) {
    throw new CliError(`"${a.name}" is not an agent name`, 'INVALID_ARGUMENT', 'An agent name is 1-128 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit.', EXIT.USAGE);
  }
  const lang = LANGUAGES[a.lang];
  const dir = resolve(a.dir ?? a.name);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new CliError(`${dir} exists and is not empty`, 'CONFLICT', 'Choose another name or --dir, or empty the directory first: caxton init never overwrites files.', EXIT.CONFLICT);
  }
  mkdirSync(join(dir, 'caxton-sdk'), { recursive: true });
  const fill = (text: string): string => text.replaceAll('{{name}}', a.name).replaceAll('{{language}}', lang.label);
  const template = (from: string, to: string): void => writeFileSync(join(dir, to), fill(readFileSync(join(SDK_DIR, 'templates', from), 'utf8')));
  template(`${a.lang}/${lang.source}`, lang.source);
  if (a.lang === 'go') template('go/go.mod', 'go.mod');
  template('common/fleet.yaml', 'fleet.yaml');
  template('common/agent.test.mjs', 'agent.test.mjs');
  template('common/README.md', 'README.md');
  template('common/gitignore', '.gitignore');
  cpSync(join(SDK_DIR, lang.sdk), join(dir, 'caxton-sdk'), { recursive: true, filter: (f) => statSync(f).isDirectory() || lang.sdkFiles(f) || basename(f) === 'README.md' });
  const project: AgentProject = { name: a.name, lang: a.lang, source: lang.source, output: `build/${a.name}.wasm` };
  writeFileSync(join(dir, PROJECT_FILE), `${JSON.stringify(project, null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({
    name: a.name, version: '0.1.0', private: true, type: 'module',
    scripts: { build: 'caxton build', test: 'caxton test' },
    devDependencies: { caxton: `^${CAXTON_VERSION}` },
  }, null, 2)}\n`);
  const shown = relative(process.cwd(), dir) || '.';
  process.stdout.write([
    `created ${shown}/ (${lang.label} agent "${a.name}")`,
    '',
    `  cd ${shown}`,
    '  caxton build     # build/' + a.name + '.wasm, checked',
    '  caxton test      # its tests, with the test kit (npm install first, for caxton/testing)',
    '',
  ].join('\n'));
  return EXIT.OK;
}
