// What the agent build scripts (build-agents.mjs, build-c-agents.mjs,
// build-go-agents.mjs) share: finding their inputs and deciding whether an
// artifact is older than one of them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` (recursively) that `pred` accepts; [] when `dir` does not exist. */
export function filesUnder(dir, pred = () => true) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** Whether `output` exists and is newer than every one of `inputs` (never when `force`). */
export function upToDate(output, inputs, force) {
  if (force || !existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((p) => statSync(p).mtimeMs < built);
}

export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
