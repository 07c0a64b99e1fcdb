// `caxton init` + `caxton build` + `caxton test` as a new user runs them, as
// subprocesses in a temporary directory outside the repository, for every
// language init offers. The project gets the Caxton package the way npm
// would give it (node_modules/caxton), here a link to this checkout.
import t from 'tap';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { loadManifest } from '../../dist/manifest/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'caxton-init-'));
const env = { ...process.env, CAXTON_SERVER: '127.0.0.1:1' };
const inDir = (dir: string) => ({ ...env, PWD: dir });

/** `caxton ARGS` run with `cwd` as its working directory. */
async function caxtonIn(cwd: string, ...args: string[]) {
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    return await runCli(args, inDir(cwd), 180_000);
  } finally {
    process.chdir(prev);
  }
}

for (const lang of ['as', 'c', 'go'] as const) {
  t.test(`--lang ${lang}: init, build, test, outside the repository`, async (t) => {
    const name = `first-${lang}`;
    const init = await caxtonIn(work, 'init', '--lang', lang, name);
    t.equal(init.code, 0, init.stderr);
    const dir = join(work, name);
    for (const f of ['caxton.agent.json', 'fleet.yaml', 'agent.test.mjs', 'package.json', 'README.md', `caxton-sdk/${{ as: 'index.ts', c: 'caxton.h', go: 'exports.go' }[lang]}`]) {
      t.ok(existsSync(join(dir, f)), `${f} is there`);
    }
    const build = await caxtonIn(dir, 'build');
    t.equal(build.code, 0, build.stderr);
    // the manifest deploy reads: valid, naming the module just built
    const fleet = loadManifest(join(dir, 'fleet.yaml'));
    t.same(fleet.agents.map((a) => a.name), [name]);
    t.match(build.stdout, new RegExp(`built build/${name}\\.wasm\\n${name}\\.wasm: ok`));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'caxton'));
    const test = await caxtonIn(dir, 'test');
    t.equal(test.code, 0, test.stdout + test.stderr);
    t.match(test.stdout, /# pass 1/);
  });
}

t.test('a wrong import fails the build with the SDK function to use', async (t) => {
  await caxtonIn(work, 'init', '--lang', 'as', 'dated');
  const dir = join(work, 'dated');
  const src = readFileSync(join(dir, 'agent.ts'), 'utf8');
  writeFileSync(join(dir, 'agent.ts'), src.replace('answered++;', 'answered++;\n  if (Date.now() < 0) return 1;'));
  const r = await caxtonIn(dir, 'build');
  t.equal(r.code, 4);
  t.match(r.stderr, /UNKNOWN_IMPORT: the module imports function "env\.Date\.now"/);
  t.match(r.stderr, /hint: .*call now\(\) from the SDK/);
});

t.test('what init and build refuse', async (t) => {
  const again = await caxtonIn(work, 'init', '--lang', 'c', 'first-c');
  t.equal(again.code, 7, 'an existing project is never overwritten');
  t.match(again.stderr, /CONFLICT: .*first-c exists and is not empty/);
  const badName = await caxtonIn(work, 'init', '--lang', 'c', '-bad');
  t.not(badName.code, 0);
  const notProject = await caxtonIn(work, 'build');
  t.equal(notProject.code, 3);
  t.match(notProject.stderr, /NOT_A_PROJECT: no caxton\.agent\.json/);
  await caxtonIn(work, 'init', '--lang', 'c', 'broken');
  writeFileSync(join(work, 'broken', 'agent.c'), 'int oops( {\n');
  const broken = await caxtonIn(join(work, 'broken'), 'build');
  t.equal(broken.code, 4);
  t.match(broken.stderr, /BUILD_FAILED: clang agent\.c failed:\n.*agent\.c:1/);
});
