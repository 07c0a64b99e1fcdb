// Structure checks run by `npm test` (`npm run check:structure`), after the build:
//  1. no import cycle in the compiled JavaScript (dist/), found with madge;
//  2. no source file tracked by git (outside the generated proto types) longer
//     than MAX_LINES lines;
//  3. layers: no TypeScript source of a folder in LAYERS imports (even a type
//     only) from a folder it must not: api/ not from cli/ (the API thread is
//     not the command line), manifest/ from neither (both use it; decision 0019).
// Prints what it checked; on a failure, what is wrong and how to fix it, and exits 1.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import madge from 'madge';

const MAX_LINES = 600;
const SOURCE = /\.(ts|mts|mjs|js)$/;
const EXEMPT = /^proto\/generated\//; // written by scripts/gen-proto.mjs
const problems = [];

// 1. Import cycles. Package subpaths madge cannot resolve (yargs/helpers...)
// are skipped: they are outside dist/ and cannot close a cycle in it.
if (!existsSync('dist')) {
  problems.push('dist/ is missing: run `npm run build` first.');
} else {
  // Only the compiled form of a tracked source counts: dist/ is never cleared,
  // so a file renamed or deleted in the sources leaves its old output behind.
  const compiled = new Set(execFileSync('git', ['ls-files', '-z', '*.ts'], { encoding: 'utf8' }).split('\0')
    .filter((f) => f && !f.endsWith('.d.ts')).map((f) => f.replace(/\.ts$/, '.js')));
  const entries = [...compiled].map((f) => `dist/${f}`).filter((f) => existsSync(f));
  const graph = await madge(entries, { baseDir: 'dist', fileExtensions: ['js'] });
  const cycles = graph.circular();
  console.log(`import cycles: ${Object.keys(graph.obj()).length} modules in dist/, ${cycles.length} cycle(s)`);
  for (const cycle of cycles) {
    problems.push(`import cycle: ${[...cycle, cycle[0]].map((f) => `dist/${f}`).join(' -> ')}\n  Break it: move what both sides need into a module of its own, or import a type only (import type).`);
  }
}

// 2. File length.
const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0').filter((f) => SOURCE.test(f) && !EXEMPT.test(f) && existsSync(f));
let longest = { file: '', lines: 0 };
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > longest.lines) longest = { file, lines };
  if (lines > MAX_LINES) {
    problems.push(`${file}: ${lines} lines, more than ${MAX_LINES}\n  Split it into modules by concern (as runtime/supervisor/ and cli/commands/ are).`);
  }
}
console.log(`file length: ${files.length} tracked source files, at most ${MAX_LINES} lines each (longest: ${longest.file}, ${longest.lines})`);

// 3. Layers, from the sources (a type-only import leaves nothing in dist/).
const LAYERS = { 'api/': ['cli/'], 'manifest/': ['cli/', 'api/'] };
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
let layered = 0;
for (const file of files) {
  const layer = Object.keys(LAYERS).find((l) => file.startsWith(l));
  if (!layer || !file.endsWith('.ts')) continue;
  layered++;
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec));
    const banned = LAYERS[layer].find((b) => target.startsWith(b));
    if (banned) {
      problems.push(`${file} imports ${spec} (${target}): ${layer} must not import from ${banned}\n  Move what both need into a folder both may import (manifest/, runtime/), or pass it in from the caller.`);
    }
  }
}
console.log(`layers: ${layered} source files of ${Object.keys(LAYERS).join(', ')} checked (${Object.entries(LAYERS).map(([l, b]) => `${l} imports nothing from ${b.join(' or ')}`).join('; ')})`);

if (problems.length) {
  console.error(`\nstructure check failed:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('structure check passed');
