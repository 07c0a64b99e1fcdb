// The REST gateway's NDJSON conversation streams end to end: a real server
// on loopback, the echo agent from examples/, fetch reading the lines as they
// come: a conversation's request and reply lines, by id and by key, and the
// bounded watch table (a refused stream, a slot freed when a client leaves).
import t from 'tap';
import { conversationKey } from '../../dist/runtime/fipa/acl/bridge.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { b64, restCalls } from '../helpers/rest.js';
import { example } from '../helpers/agents.js';
import { waitUntil, within } from '../helpers/wait.js';

// ---------------------------------------------------------------- NDJSON streams

/** A conversation stream opened with fetch; lines are read as they come. */
async function openStream(s: TestServer, id: string) {
  const ac = new AbortController();
  // fetch resolves once the status line and headers are in: the handler
  // registers its watch before it flushes them, so nothing is missed after this.
  const res = await fetch(`${s.base}/v1/conversations/${encodeURIComponent(id)}/stream`, {
    headers: { authorization: `Bearer ${s.token}` }, signal: ac.signal,
  });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  let buffered = '';
  const lines: any[] = [];
  return {
    res,
    lines,
    /** read until `done(lines)` holds; fails after 30 s with the lines read (close() ends the read left pending) */
    until(done: (lines: any[]) => boolean): Promise<any[]> {
      const r = (reader ??= res.body!.getReader());
      const read = async (): Promise<any[]> => {
        while (!done(lines)) {
          const { value, done: ended } = await r.read();
          if (ended) throw new Error(`the stream ended after ${lines.length} lines`);
          buffered += decoder.decode(value, { stream: true });
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            lines.push(JSON.parse(line));
          }
        }
        return lines;
      };
      return within(read(), `the lines awaited on the stream of ${id}`, { seen: () => lines });
    },
    close(): void {
      ac.abort();
      (reader ?? res.body)?.cancel().catch(() => {});
    },
  };
}

const isRequestTo = (agent: string) => (m: any) => m.receiver === agent && m.sender === '$api' && m.performative === 'request';
const isReplyFrom = (agent: string) => (m: any) => m.sender === agent && m.receiver === '$api' && m.performative === 'inform';

// ---------------------------------------------------------------- the tests

t.test('REST gateway: conversation streams', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  await restCalls(s).deploy({ name: 'echo', module: b64(example('echo')) }); // the agent the streams watch

  t.test('conversation stream: NDJSON lines of the request and the reply', async (t) => {
    const id = 'http-stream-1';
    const byName = await openStream(s, id);
    const byKey = await openStream(s, conversationKey(id));
    t.teardown(() => {
      byName.close();
      byKey.close();
    });
    for (const st of [byName, byKey]) {
      t.equal(st.res.status, 200);
      t.equal(st.res.headers.get('content-type'), 'application/x-ndjson');
      t.equal(st.res.headers.get('cache-control'), 'no-store');
    }

    const inv = await s.http('POST', '/v1/agents/echo/invoke', { content: { streamed: true }, conversationId: id });
    t.equal(inv.status, 200);
    const both = (ls: any[]) => ls.some(isRequestTo('echo')) && ls.some(isReplyFrom('echo'));
    for (const [label, st] of [['by id', byName], ['by key', byKey]] as const) {
      const lines = await st.until(both);
      const req = lines.find(isRequestTo('echo'));
      const rep = lines.find(isReplyFrom('echo'));
      t.same(req.content, { streamed: true }, `${label}: the request line`);
      t.same(rep.content, { streamed: true }, `${label}: the reply line`);
      t.equal(req.conversationId, id, `${label}: request in the conversation`);
      t.equal(rep.conversationId, id, `${label}: reply in the conversation`);
      t.equal(rep.messageId, inv.body.reply.messageId, `${label}: the reply is the one invoke returned`);
      t.equal(rep.inReplyTo, req.messageId, `${label}: the reply answers the streamed request`);
      t.ok(lines.every((m) => m.conversationId === id), `${label}: only this conversation`);
    }

    // a message of another conversation does not show up; a later one does
    await s.http('POST', '/v1/agents/echo/invoke', { content: 'elsewhere', conversationId: 'http-stream-other' });
    await s.http('POST', '/v1/agents/echo/invoke', { content: 'second', conversationId: id });
    const lines = await byName.until((ls) => ls.some((m) => isReplyFrom('echo')(m) && m.content === 'second'));
    t.notOk(lines.some((m) => m.content === 'elsewhere'), 'other conversations are not streamed');
  });

  t.test('stream slots: the watch table is bounded and aborting a stream frees its slot', async (t) => {
    const open: Awaited<ReturnType<typeof openStream>>[] = [];
    t.teardown(() => open.forEach((st) => st.close()));
    let refused: Awaited<ReturnType<TestServer['http']>> | undefined;
    for (let i = 0; i <= 64 && !refused; i++) {
      const id = `slot-${i}`;
      const probe = await openStream(s, id);
      if (probe.res.status === 200) open.push(probe);
      else {
        const text = await probe.res.text();
        refused = { status: probe.res.status, headers: probe.res.headers, body: JSON.parse(text), text };
      }
    }
    t.ok(refused, 'the 65th stream at the latest is refused');
    t.ok(open.length <= 64 && open.length > 0, `${open.length} streams were open at once`);
    t.equal(refused?.status, 429);
    t.equal(refused?.body.error.code, 'TOO_MANY_STREAMS');
    t.equal(refused?.body.error.details.limit, 64);
    for (const st of open.splice(0)) st.close();
    // the server releases a slot when it sees the connection close: wait on responses, not a timer
    // (waitUntil fails the test, naming the last status, if it never comes)
    await waitUntil(async () => {
      const again = await openStream(s, 'slot-after');
      if (again.res.status === 200) open.push(again);
      else await again.res.text();
      return again.res.status;
    }, (status) => status === 200, 'a stream opens again (HTTP 200) once the others are closed', { intervalMs: 0 });
  });
});
