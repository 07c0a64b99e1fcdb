#!/usr/bin/env node
// Deploys examples/contract-net/fleet.yaml in-process, then delegates two tasks:
// one from this script (the runtime as manager) and one through the manager
// agent (an agent starting Contract Net). Prints both outcomes.
//   node examples/contract-net/run.mjs
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Runtime } from '../../dist/runtime/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fleet = parse(readFileSync(resolve(here, 'fleet.yaml'), 'utf8'));
const rt = await Runtime.start({ workers: 2 });
try {
  await rt.deploy(fleet.agents.map(({ module, ...spec }) => ({ ...spec, module: readFileSync(resolve(here, module)) })));
  const direct = await rt.contractNet({ capability: 'translate', task: { text: 'bonjour', to: 'en' }, deadlineMs: 500 });
  console.log('runtime as manager:', direct.status, 'winner', direct.winner, 'failure', direct.failure ?? '-');
  // Listed by name: answers arrive in whatever order the workers produce them.
  const byName = (a, b) => a.agent.localeCompare(b.agent);
  console.log('  proposals', [...direct.proposals].sort(byName).map((p) => `${p.agent}=${p.content.price}`).join(', '), '| refusals', [...direct.refusals].sort(byName).map((r) => r.agent).join(', '));
  const viaAgent = await rt.request({ to: 'manager', performative: 'request', content: { text: 'hallo', to: 'en' } }, 10_000);
  console.log('manager agent:', viaAgent.performative, JSON.stringify({ status: viaAgent.content.status, winner: viaAgent.content.winner, result: viaAgent.content.result, failure: viaAgent.content.failure }));
} finally {
  await rt.shutdown();
}
