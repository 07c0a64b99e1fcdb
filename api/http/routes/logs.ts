/** LogService over REST: the server log's lines as NDJSON, optionally followed (tag Logs). */
import { once } from 'node:events';
import { httpErrorBody, toCaxtonError } from '../../errors.js';
import { jsonReplacer, type Operations } from '../../operations.js';
import type { Route } from '../route.js';

export function logRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'GET', path: '/v1/logs', operationId: 'LogService.Tail', tag: 'Logs', produces: 'application/x-ndjson',
      summary: 'The server log\'s lines that pass the filters (conversationId, agent, level, sinceUnixMs), as written (NDJSON); with follow=true, then new lines until the client disconnects.',
      query: { conversationId: { type: 'string' }, agent: { type: 'string' }, level: { type: 'string' }, sinceUnixMs: { type: 'integer' }, follow: { type: 'boolean' } },
      async handle({ query, res, raw }) {
        const since = query.get('sinceUnixMs');
        const stop = new AbortController();
        const lines = ops.tailLogs({
          conversationId: query.get('conversationId') ?? undefined, agent: query.get('agent') ?? undefined, level: query.get('level') ?? undefined,
          sinceUnixMs: since === null ? undefined : Number(since), follow: query.get('follow') === 'true',
        }, stop.signal);
        raw.on('close', () => stop.abort());
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.flushHeaders();
        void (async () => {
          try {
            for await (const line of lines) {
              // Back-pressure: a slow reader pauses the file reading. A client
              // gone while the response is full never drains: the abort ends the wait.
              if (!res.write(`${line.text}\n`)) await once(res, 'drain', { signal: stop.signal });
            }
          } catch (e) {
            if (!stop.signal.aborted && !res.writableEnded) res.write(`${JSON.stringify(httpErrorBody(toCaxtonError(e)), jsonReplacer)}\n`);
          }
          if (!res.writableEnded) res.end();
        })();
        return undefined;
      },
    },
  ];
}
