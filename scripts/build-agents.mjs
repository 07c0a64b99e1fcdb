#!/usr/bin/env node
// Builds the WebAssembly artifacts the server and its tests use:
//   examples/<name>/agent.ts    -> dist/agents/<name>.wasm    (AssemblyScript, agent ABI v1)
//   examples/<group>/<name>/agent.ts -> dist/agents/<group>-<name>.wasm (several agents of one example)
//   test/fixtures/wat/<name>.wat -> dist/fixtures/<name>.wasm (wabt)
// An artifact is rebuilt only when it is older than one of its inputs (its own
// sources, the SDK in sdk/assemblyscript/, this script, the compiler version).
// Any compile error makes the script exit non-zero, naming the file.
//
// Usage: node scripts/build-agents.mjs [--force] [name ...]   (names filter both kinds)

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync, rmSync } from "node:fs";
import { filesUnder, kib, upToDate } from "./build-common.mjs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLES = join(ROOT, "examples");
const SDK = join(ROOT, "sdk", "assemblyscript");
const WAT_DIR = join(ROOT, "test", "fixtures", "wat");
const OUT_AGENTS = join(ROOT, "dist", "agents");
const OUT_FIXTURES = join(ROOT, "dist", "fixtures");

// Compiler flags for every agent (sdk/toolchains.json, shared with `caxton build`). See docs/sdk.md ("How agents are compiled").
export const ASC_FLAGS = JSON.parse(readFileSync(join(ROOT, "sdk", "toolchains.json"), "utf8")).assemblyscript;

const args = process.argv.slice(2);
const force = args.includes("--force");
const only = args.filter((a) => !a.startsWith("--"));
const wanted = (name) => only.length === 0 || only.includes(name);

const rel = (p) => relative(ROOT, p);

const SELF = fileURLToPath(import.meta.url);
const ASC_PACKAGE = join(ROOT, "node_modules", "assemblyscript", "package.json");
const WABT_PACKAGE = join(ROOT, "node_modules", "wabt", "package.json");
const commonAgentInputs = [SELF, join(ROOT, "sdk", "toolchains.json"), ...filesUnder(SDK, (p) => p.endsWith(".ts")), ...[ASC_PACKAGE].filter(existsSync)];

const failures = [];
let built = 0;
let fresh = 0;

function report(output, state) {
  console.log(`${state.padEnd(10)} ${rel(output).padEnd(34)} ${kib(statSync(output).size)}`);
}

// ---------------------------------------------------------------------------
// AssemblyScript agents

async function buildAgents() {
  if (!existsSync(EXAMPLES)) return;
  // name -> folder (relative to examples/): one level, or two for grouped examples
  const folders = new Map();
  for (const d of readdirSync(EXAMPLES, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    if (existsSync(join(EXAMPLES, d.name, "agent.ts"))) folders.set(d.name, d.name);
    for (const sub of readdirSync(join(EXAMPLES, d.name), { withFileTypes: true })) {
      if (sub.isDirectory() && existsSync(join(EXAMPLES, d.name, sub.name, "agent.ts"))) folders.set(`${d.name}-${sub.name}`, join(d.name, sub.name));
    }
  }
  const agents = [...folders.keys()].filter(wanted).sort();
  if (agents.length === 0) return;
  mkdirSync(OUT_AGENTS, { recursive: true });
  let asc = null;
  for (const name of agents) {
    const folder = join(EXAMPLES, folders.get(name));
    const entry = join(folder, "agent.ts");
    const output = join(OUT_AGENTS, `${name}.wasm`);
    const inputs = [...filesUnder(folder, (p) => p.endsWith(".ts")), ...commonAgentInputs];
    if (upToDate(output, inputs, force)) {
      fresh++;
      report(output, "fresh");
      continue;
    }
    asc ??= (await import("assemblyscript/asc")).default;
    const tmp = `${output}.tmp`;
    let errText = "";
    const sink = { write(chunk) { errText += String(chunk); return true; } };
    const { error } = await asc.main(
      [rel(entry), "--outFile", rel(tmp), "--baseDir", ROOT, ...ASC_FLAGS],
      { stdout: sink, stderr: sink },
    ).catch((e) => ({ error: e }));
    if (error || !existsSync(tmp)) {
      failures.push(`${rel(entry)}: AssemblyScript compilation failed\n${errText.trim() || String(error)}`);
      if (existsSync(tmp)) rmSync(tmp);
      continue;
    }
    renameSync(tmp, output);
    built++;
    report(output, "built");
  }
}

// ---------------------------------------------------------------------------
// WAT fixtures

async function buildFixtures() {
  if (!existsSync(WAT_DIR)) return;
  const sources = readdirSync(WAT_DIR)
    .filter((f) => f.endsWith(".wat"))
    .filter((f) => wanted(basename(f, ".wat")))
    .sort();
  if (sources.length === 0) return;
  mkdirSync(OUT_FIXTURES, { recursive: true });
  let wabt = null;
  for (const file of sources) {
    const source = join(WAT_DIR, file);
    const output = join(OUT_FIXTURES, `${basename(file, ".wat")}.wasm`);
    if (upToDate(output, [source, SELF, ...[WABT_PACKAGE].filter(existsSync)], force)) {
      fresh++;
      report(output, "fresh");
      continue;
    }
    wabt ??= await (await import("wabt")).default();
    let module = null;
    try {
      module = wabt.parseWat(file, readFileSync(source, "utf8"), { bulk_memory: true });
      module.resolveNames();
      module.validate();
      const { buffer } = module.toBinary({});
      writeFileSync(output, buffer);
    } catch (e) {
      failures.push(`${rel(source)}: WAT compilation failed\n${String(e && e.message ? e.message : e).trim()}`);
      continue;
    } finally {
      module?.destroy();
    }
    built++;
    report(output, "built");
  }
}

await buildAgents();
await buildFixtures();

if (failures.length > 0) {
  for (const f of failures) console.error(`\nERROR ${f}`);
  console.error(`\nbuild-agents: ${failures.length} artifact(s) failed to compile`);
  process.exit(1);
}
console.log(`build-agents: ${built} built, ${fresh} up to date`);
