// Every stable error code has a gRPC status (and so an HTTP status), the table
// in docs/errors.md says the same as api/errors.ts, and the rich details
// encode and decode (ErrorInfo, BadRequest, RetryInfo, ResourceInfo).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { status, Metadata } from '@grpc/grpc-js';
import * as errors from '../../dist/runtime/errors.js';
import { STATUS_OF_CODE, HTTP_OF_STATUS, HTTP_STATUS_OF_CODE, toServiceError, decodeStatusDetails, ERROR_DOMAIN, httpErrorBody, httpStatusOf } from '../../dist/api/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

function codes(): string[] {
  return (Object.values(errors) as unknown[])
    .filter((v): v is new (...a: unknown[]) => errors.CaxtonError => typeof v === 'function' && v.prototype instanceof errors.CaxtonError)
    .map((C) => new C('a', 'b', 'c', 1).code);
}

t.test('every error code maps to a gRPC status and an HTTP status', async (t) => {
  const all = codes();
  t.ok(all.length >= 28, `${all.length} codes`);
  for (const code of all) {
    t.ok(code in STATUS_OF_CODE, `${code} has a gRPC status`);
    t.ok(HTTP_OF_STATUS[STATUS_OF_CODE[code]!] !== undefined, `${code} has an HTTP status`);
  }
  t.same(new Set(Object.keys(STATUS_OF_CODE)), new Set(all), 'no mapping for a code that does not exist');
});

t.test('docs/errors.md lists the same statuses', async (t) => {
  const section = doc.slice(doc.indexOf('## gRPC and HTTP status of each error'));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| ([A-Z_]+) \| (\d+) \|$/gm)];
  t.equal(rows.length, Object.keys(STATUS_OF_CODE).length, 'one row per code');
  for (const [, code, grpcName, http] of rows) {
    t.equal(status[STATUS_OF_CODE[code!]!], grpcName, `${code} gRPC status`);
    t.equal(String(HTTP_STATUS_OF_CODE[code!] ?? HTTP_OF_STATUS[STATUS_OF_CODE[code!]!]), http, `${code} HTTP status`);
  }
});

t.test('rich details round trip', async (t) => {
  const full = new errors.MailboxFullError('worker-7', 25);
  const se = toServiceError(full);
  t.equal(se.code, status.RESOURCE_EXHAUSTED);
  const r = decodeStatusDetails(se.metadata as Metadata)!;
  t.equal(r.reason, 'MAILBOX_FULL');
  t.equal(r.domain, ERROR_DOMAIN);
  t.equal(r.hint, full.hint);
  t.equal(r.retryDelayMs, 25);
  t.equal(r.metadata.agent, 'worker-7');
  t.equal((se.metadata as Metadata).get('caxton-error-code')[0], 'MAILBOX_FULL');

  const bad = toServiceError(new errors.InvalidArgumentError('contentJson', 'is not valid JSON', 'send JSON'));
  const rb = decodeStatusDetails(bad.metadata as Metadata)!;
  t.same(rb.fieldViolations, [{ field: 'content_json', description: 'contentJson: is not valid JSON' }], 'BadRequest names the proto field');

  const nf = decodeStatusDetails(toServiceError(new errors.AgentNotFoundError('ghost')).metadata as Metadata)!;
  t.same(nf.resource, { resourceType: 'caxton.dev/Agent', resourceName: 'ghost' });

  const bug = toServiceError(new TypeError('x is undefined'));
  t.equal(bug.code, status.INTERNAL, 'anything else is INTERNAL');
  t.equal(decodeStatusDetails(bug.metadata as Metadata)!.reason, 'INTERNAL');

  const body = httpErrorBody(new errors.AgentNotFoundError('ghost'));
  t.same(Object.keys(body.error).sort(), ['code', 'details', 'hint', 'message', 'status']);
  t.equal(httpStatusOf(new errors.UnauthenticatedError('no token')), 401);
});
