#!/usr/bin/env node
/**
 * Count TESTS, not assertions, in a raw TAP file written by the tap runner
 * (`tap --output-file FILE`), and print the skipped and failed ones, then
 * the closing line ".ci/run" ends with:
 *
 *   N passed, N failed, N skipped
 *
 * tap's own summary counts test points: every assertion, so one file with
 * 1,000 t.ok in a loop weighed as much as 1,000 tests. Here a test is a
 * subtest that holds no subtest of its own (a `t.test` with assertions, or a
 * file with assertions and no `t.test`). A test point marked SKIP or TODO is
 * a skipped test (TAP does not tell a skipped `t.test` from a `t.skip()`
 * assertion; both are shown). A suite that failed while none of its tests did
 * (a failing hook or top-level assertion, a crashed file) counts as one
 * failed test, so a red run never reads "0 failed".
 *
 * Parsed with tap-parser, the parser tap itself uses (installed with tap).
 *
 *   node .ci/count-tests.mjs FILE
 */
import { readFileSync } from 'node:fs';
import { Parser } from 'tap-parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node .ci/count-tests.mjs RAW_TAP_FILE');
  process.exit(2);
}

/** A subtest as parsed: its own test points, its subtests, and (once its parent read it) its result line. */
function track(parser) {
  const node = { name: parser.name, points: [], children: [], result: undefined };
  let pending;
  parser.on('child', (child) => {
    pending = track(child);
  });
  parser.on('assert', (res) => {
    // A subtest's result line comes right after its body, under its name.
    if (pending && pending.name === res.name) {
      pending.result = res;
      node.children.push(pending);
      pending = undefined;
    } else {
      node.points.push(res);
    }
  });
  return node;
}

const counts = { passed: 0, failed: 0, skipped: 0 };
const skipped = [];
const failed = [];

const reason = (r) => (r.skip !== false ? r.skip : r.todo);
const directive = (r) => r.skip !== false || r.todo !== false;

function count(node, path) {
  const skips = node.points.filter(directive);
  for (const r of skips) {
    counts.skipped++;
    const why = reason(r);
    skipped.push(`${[...path, r.name].join(' > ')}${why === true ? '' : ` (${why})`}`);
  }
  const ok = node.result ? node.result.ok : true;
  if (node.children.length === 0) {
    // A test, unless all it holds are skipped test points (a file whose every t.test was skipped).
    if (skips.length > 0 && skips.length === node.points.length && ok) return;
    if (ok) counts.passed++;
    else {
      counts.failed++;
      failed.push(path.join(' > '));
    }
    return;
  }
  const failedBefore = counts.failed;
  for (const c of node.children) count(c, [...path, c.name]);
  const ownFailure = node.points.some((r) => !r.ok && !directive(r));
  if ((!ok || ownFailure) && counts.failed === failedBefore) {
    counts.failed++;
    failed.push(`${path.join(' > ') || 'the run'} (outside any test)`);
  }
}

const parser = new Parser();
const root = track(parser);
parser.end(readFileSync(file, 'utf8'));
// The root is the run; its subtests are the test files.
for (const c of root.children) count(c, [c.name]);
if (root.points.some((r) => !r.ok && !directive(r)) && counts.failed === 0) {
  counts.failed++;
  failed.push('the run (outside any test file)');
}

for (const s of skipped) console.log(`skipped: ${s}`);
for (const f of failed) console.log(`failed:  ${f}`);
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
