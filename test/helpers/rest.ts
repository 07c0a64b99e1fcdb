// Calls of the REST gateway that its test files (test/api/http*.test.ts) repeat.
import type { Test } from 'tap';
import type { TestServer } from './server.js';

/** A .wasm module as the deploy body's "module" field. */
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function restCalls(s: TestServer) {
  return {
    deploy: (body: Record<string, unknown>) => s.http('POST', '/v1/agents', body),
    /** POST /v1/drain, which must answer that nothing is left in flight */
    drain: async (t: Test) => {
      const d = await s.http('POST', '/v1/drain', { timeoutMs: 20_000 });
      t.equal(d.status, 200, 'drain answers 200');
      t.equal(d.body?.drained, true, 'nothing left in flight');
      return d.body;
    },
  };
}
