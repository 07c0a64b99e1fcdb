// A worker's span recorder (runtime/observability/span-recorder.ts) reuses its two typed
// arrays for every batch and hands batches on by structured clone, never by
// transfer (a transfer detaches an ArrayBuffer, and V8 then slows every
// typed-array access on the thread: see flush). These tests send batches over
// a real MessageChannel, as a worker does, and check that what arrives is
// intact even though the recorder has already written the next batch over
// the same arrays, and that no buffer was detached on the way.
import t from 'tap';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { BATCH_RECORDS, REC_WORDS, R_CONV_HI, R_CONV_LO, R_PARENT, R_SPAN, R_STATUS, R_TRACE, SpanRecorder, recordText, R_AGENT, R_SENDER, R_ERROR, type SpanBatch } from '../../dist/runtime/observability/span-recorder.js';
import { within } from '../helpers/wait.js';

/** Record `n` messages; message i has conversation id (i, thread) and agent `a<i mod 7>`. */
function recordMany(rec: SpanRecorder, thread: number, from: number, n: number): void {
  const src = new Int32Array([1, 2, 3, 4, 5, 6]);
  const out = new Int32Array(6);
  for (let i = from; i < from + n; i++) {
    rec.begin(src, 0, out, i, thread, 3, `a${i % 7}`, 'sender');
    rec.end(i % 5 === 0 ? 1 : 0, i % 5 === 0 ? `failed ${i}` : '');
  }
}

function receive(port: MessagePort, batches: number): Promise<SpanBatch[]> {
  const got: SpanBatch[] = [];
  return new Promise((resolve) => {
    port.on('message', (b: SpanBatch) => {
      got.push(b);
      if (got.length === batches) resolve(got);
    });
  });
}

t.test('batches posted over a MessageChannel arrive whole while the recorder reuses its arrays', async (t) => {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => { port1.close(); port2.close(); });
  const posted: SpanBatch[] = [];
  const rec = new SpanRecorder(2, (b) => { port1.postMessage(b); posted.push(b); });
  const arrived = receive(port2, 3);
  // Two full batches (each flushed by the record that fills it) and a partial one.
  const total = 2 * BATCH_RECORDS + 37;
  recordMany(rec, 2, 0, total);
  rec.flush();
  const batches = await within(arrived, 'three batches over the MessageChannel');

  t.same(batches.map((b) => b.count), [BATCH_RECORDS, BATCH_RECORDS, 37]);
  t.equal(rec.recorded, total);
  let i = 0;
  let wrong = 0;
  for (const b of batches) {
    t.equal(b.thread, 2);
    t.equal(b.words.length, b.count * REC_WORDS, 'the batch carries its records only');
    t.equal(b.times.length, b.count * 2);
    for (let r = 0; r < b.count; r++, i++) {
      const w = r * REC_WORDS;
      const ok = b.words[w + R_CONV_LO] === i && b.words[w + R_CONV_HI] === 2
        && b.words[w + R_TRACE] === 1 && b.words[w + R_PARENT] === 5
        && (b.words[w + R_SPAN]! | b.words[w + R_SPAN + 1]!) !== 0
        && b.words[w + R_STATUS] === (i % 5 === 0 ? 1 : 0)
        && recordText(b, r, R_AGENT) === `a${i % 7}` && recordText(b, r, R_SENDER) === 'sender'
        && recordText(b, r, R_ERROR) === (i % 5 === 0 ? `failed ${i}` : '')
        && b.times[r * 2 + 1]! >= b.times[r * 2]!;
      if (!ok) wrong++;
    }
  }
  t.equal(i, total);
  t.equal(wrong, 0, 'every record arrived as it was recorded, none overwritten by the next batch');
  // Each batch names its strings once: 7 agents, 1 sender, its own error messages.
  t.ok(batches[0]!.names.length < 7 + 1 + BATCH_RECORDS / 5 + 2);
  // Nothing was transferred: the arrays handed to postMessage still hold their data.
  t.ok(posted.every((b) => b.words.buffer.byteLength > 0 && b.times.buffer.byteLength > 0), 'no ArrayBuffer was detached');
});

t.test('an empty recorder sends nothing; flushIfOld sends only a batch old enough', async (t) => {
  const sent: SpanBatch[] = [];
  const rec = new SpanRecorder(1, (b) => { sent.push(structuredClone(b)); });
  rec.flush();
  t.equal(sent.length, 0);
  recordMany(rec, 1, 0, 3);
  rec.flushIfOld(performance.now(), 60_000);
  t.equal(sent.length, 0, 'a fresh batch waits');
  rec.flushIfOld(performance.now() + 60_000, 60_000);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.count, 3);
});
