/** MessageService over REST: send, invoke, a conversation's stream (tag Messages). */
import { CALL_LIMITS, rangeSchema } from '../../../runtime/limits.js';
import { StreamTooSlowError } from '../../../runtime/errors.js';
import { STREAM_BUFFER_LIMIT } from '../../grpc.js';
import { httpErrorBody } from '../../errors.js';
import { jsonReplacer, type Operations } from '../../operations.js';
import { num, str } from '../body.js';
import type { Route } from '../route.js';

export function messageRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'POST', path: '/v1/agents/{name}/messages', operationId: 'MessageService.Send', tag: 'Messages',
      summary: 'Fire and forget: put a message in the agent\'s mailbox (performative defaults to inform).',
      body: { properties: { performative: { type: 'string' }, content: {}, conversationId: { type: 'string' }, inReplyTo: { type: 'string' }, durable: { type: 'boolean' } } },
      status: 202,
      handle({ params, body, res, raw }) {
        const r = ops.send({ agent: params.name!, performative: str(body, 'performative'), content: body.content, conversationId: str(body, 'conversationId'), inReplyTo: str(body, 'inReplyTo'), durable: body.durable === true, headers: () => raw.headers });
        res.statusCode = 202;
        return r;
      },
    },
    {
      method: 'POST', path: '/v1/agents/{name}/invoke', operationId: 'MessageService.Invoke', tag: 'Messages',
      summary: 'Request-reply: send (performative defaults to request) and wait for the reply in the same conversation, up to timeoutMs (default 30000).',
      body: { properties: { performative: { type: 'string' }, content: {}, conversationId: { type: 'string' }, timeoutMs: rangeSchema(CALL_LIMITS.invokeTimeoutMs), durable: { type: 'boolean' } } },
      beforeBody(params) {
        ops.prewake(params.name);
      },
      async handle({ params, body, res, raw }) {
        const timeout = num(body, 'timeoutMs');
        // 'close' also comes after the reply was written: the bus client
        // ignores a cancel for a call that is no longer waiting.
        return ops.invoke({ agent: params.name!, performative: str(body, 'performative'), content: body.content, conversationId: str(body, 'conversationId'), durable: body.durable === true, headers: () => raw.headers }, timeout, (cancel) => { res.once('close', cancel); });
      },
    },
    {
      method: 'GET', path: '/v1/conversations/{id}/stream', operationId: 'MessageService.StreamConversation', tag: 'Messages', produces: 'application/x-ndjson',
      summary: 'Every message of the conversation as it is delivered, one JSON object per line, until the client disconnects.',
      handle({ params, res, raw }) {
        const stop = ops.watch(params.id!, (m) => {
          // A client that stops reading must not make this thread buffer without limit.
          if (res.writableLength > STREAM_BUFFER_LIMIT) {
            stop();
            res.end(`${JSON.stringify(httpErrorBody(new StreamTooSlowError(res.writableLength, STREAM_BUFFER_LIMIT)), jsonReplacer)}\n`);
            return;
          }
          res.write(`${JSON.stringify(m, jsonReplacer)}\n`);
        });
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.flushHeaders();
        raw.on('close', stop);
        return undefined;
      },
    },
  ];
}
