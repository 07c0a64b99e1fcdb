// Issue #16 item 18, drift between what the API does and what it says: the
// services docs/api.md names, the field names REST errors use, and how
// precisely latencyUs is shown (REST, gRPC and `caxton invoke -o json`).
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { SERVICE_NAMES } from '../../dist/api/grpc.js';
import { example } from '../helpers/agents.js';
import { runCli } from '../helpers/cli.js';
import { b64 } from '../helpers/rest.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';

const protoDir = new URL('../../proto/caxton/v1/', import.meta.url);
const apiDoc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/** latencyUs as the JSON text shows it: whole µs or one decimal (the clock resolves about 0.05 µs; more digits are float noise) */
const ROUNDED = /^\d+(\.\d)?$/;

t.test('docs/api.md names every caxton.v1 service: overview, health names, reflection', async (t) => {
  const services = readdirSync(protoDir).filter((f) => f.endsWith('.proto'))
    .flatMap((f) => [...readFileSync(new URL(f, protoDir), 'utf8').matchAll(/^service (\w+)/gm)].map((m) => `caxton.v1.${m[1]}`));
  t.equal(services.length, 6, 'six services in proto/caxton/v1');
  t.same(new Set(SERVICE_NAMES), new Set(services), 'the health service knows each of them');
  // up to the next heading of level 2 or 3 (the code blocks hold "# ..." comment lines)
  const section = (title: string): string => apiDoc.slice(apiDoc.indexOf(title), apiDoc.slice(apiDoc.indexOf(title) + 1).search(/\n#{2,3} /) + apiDoc.indexOf(title) + 1);
  const overview = apiDoc.slice(0, apiDoc.indexOf('## Overview'));
  const health = section('### grpc.health.v1.Health');
  const reflection = section('### Server reflection');
  t.match(overview, /the six `caxton\.v1` services/);
  t.match(reflection, /the six `caxton\.v1` services/);
  for (const name of services) {
    t.ok(overview.includes(name.slice('caxton.v1.'.length)), `the overview names ${name}`);
    t.ok(health.includes(`\`${name}\``), `the health names include ${name}`);
    t.ok(reflection.includes(`# ${name}\n`), `the reflection listing shows ${name}`);
  }
});

t.test('over a real server', async (t) => {
  const s: TestServer = await startTestServer();
  t.teardown(() => stopTestServer(s));
  t.equal((await s.http('POST', '/v1/agents', { name: 'echo', module: b64(example('echo')) })).status, 201);

  t.test('REST errors name the JSON field the client sent, not the proto field', async (t) => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/agents/echo/invoke', { content: 1, timeoutMs: -5 }, 'timeoutMs'],
      ['POST', '/v1/agents', { name: 'x', module: b64(example('echo')), timeLimitMs: -1 }, 'timeLimitMs'],
      ['POST', '/v1/agents', { name: 'x', module: b64(example('echo')), memoryLimitBytes: -1 }, 'memoryLimitBytes'],
      ['POST', '/v1/agents/echo/messages', { content: 1, inReplyTo: 'not-hex' }, 'inReplyTo'],
      ['POST', '/v1/agents/echo/invoke', { content: 1, conversationId: '0' }, 'conversationId'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await s.http(method, path, body);
      t.equal(r.status, 400, `${path} ${field}: 400`);
      // INVALID_ARGUMENT names it in details.argument; a deploy limit out of
      // range is INVALID_AGENT_SPEC (as over gRPC), which names it in details.field.
      const named = r.body?.error?.code === 'INVALID_AGENT_SPEC' ? r.body?.error?.details?.field : r.body?.error?.details?.argument;
      t.equal(named, field, `the details name ${field}`);
      t.match(r.body?.error?.message, new RegExp(`(^|: )${field}[: ]`), `the message names ${field}`);
      t.notMatch(`${r.body?.error?.message} ${r.body?.error?.hint}`, /\b[a-z]+_[a-z_]+\b/, 'no snake_case proto name anywhere');
    }
    // gRPC keeps the proto names (google.rpc.BadRequest field paths are proto paths)
    const e = await s.call(s.messages, 'Send', { agent: 'echo', contentJson: '1', inReplyTo: 'not-hex' }).catch((x) => x);
    t.match(e.details, /^in_reply_to: /, 'gRPC names the proto field');
  });

  t.test('latencyUs is rounded to 0.1 µs on REST, gRPC and in the CLI', async (t) => {
    for (let i = 0; i < 20; i++) {
      const rest = await s.http('POST', '/v1/agents/echo/invoke', { content: i });
      t.equal(rest.status, 200);
      const text = /"latencyUs":([^,}]+)/.exec(rest.text)?.[1] ?? '';
      if (!ROUNDED.test(text)) t.fail(`REST latencyUs ${text}`);
      const grpc = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: String(i) });
      if (!ROUNDED.test(String(grpc.latencyUs))) t.fail(`gRPC latencyUs ${grpc.latencyUs}`);
    }
    t.pass('40 calls, every latencyUs to 0.1 µs at most');
    const run = await runCli(['invoke', 'echo', '--content', '"hi"', '-o', 'json'], { ...process.env, CAXTON_SERVER: s.target, CAXTON_TOKEN: s.token, CAXTON_DATA_DIR: '' });
    t.equal(run.code, 0, run.stderr);
    t.match(/"latencyUs": ?([^,}\n]+)/.exec(run.stdout)?.[1], ROUNDED, 'the CLI shows it rounded too');
  });
});
