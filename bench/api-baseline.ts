/**
 * The baseline of `caxton bench --scenario api`: a bare grpc-js server on its
 * own thread (like Caxton's API thread) implementing MessageService.Invoke
 * from the same proto, answering each call at once with the request's
 * content. No auth, no bus, no agent: what gRPC itself costs.
 */
import { parentPort } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { loadCaxtonGrpc } from '../api/grpc.js';
import type { InvokeRequest__Output } from '../proto/generated/caxton/v1/InvokeRequest.js';
import type { InvokeResponse } from '../proto/generated/caxton/v1/InvokeResponse.js';

const pkg = loadCaxtonGrpc();
const server = new grpc.Server();
let n = 0;
server.addService(pkg.caxton.v1.MessageService.service, {
  Invoke(call: grpc.ServerUnaryCall<InvokeRequest__Output, InvokeResponse>, callback: grpc.sendUnaryData<InvokeResponse>) {
    const r = call.request;
    n++;
    callback(null, {
      reply: {
        messageId: n.toString(16).padStart(16, '0'), conversationId: r.conversationId, performative: 'inform', sender: r.agent,
        receiver: '$api', inReplyTo: '', contentJson: r.contentJson, protocol: '', paramsJson: '', observedAtUnixMs: Date.now(),
      },
      latencyUs: 0,
    });
  },
  Send(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
    callback({ code: grpc.status.UNIMPLEMENTED });
  },
  StreamConversation(call: grpc.ServerWritableStream<unknown, unknown>) {
    call.end();
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  parentPort!.postMessage({ port });
});
parentPort!.on('message', (m: string) => {
  if (m === 'close') server.tryShutdown(() => process.exit(0));
});
