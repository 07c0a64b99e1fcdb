// Real multi-thread test of the SPSC rings: T = 3 worker threads over one bus,
// every thread producing into and consuming from all 3 rings it owns an end of
// (including its own i -> i ring). Frames carry producer, consumer, a
// per-ring sequence number and a checksum; see ring-worker.mjs.
//
// Frames per ring pair: env CAXTON_RING_TEST_FRAMES (default below).
// Finishing is decided by counts only; the only timer is a stall detector that
// fails the test when no frame moved anywhere for STALL_MS (a deadlock).
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { Bus } from '../../dist/bus/shared.js';
import { RingProducer, RingConsumer } from '../../dist/bus/ring.js';

const T = 3;
const RING_CAPACITY = 64 * 1024;
const DEFAULT_FRAMES = 1_000_000;
const N = Number(process.env.CAXTON_RING_TEST_FRAMES ?? DEFAULT_FRAMES);
const STALL_MS = 20_000;

interface Report {
  self: number;
  sent: number[];
  received: number[];
  errors: string[];
  errorCount: number;
  ms: number;
  refusedAtStart: number;
  stats: { wraps: number[]; batches: number; rollbacks: number; rolledBackFrames: number; refused: number; waits: number; maxBatch: number };
}

t.test(`${T} threads x ${T} rings, ${N} frames per ring pair`, async (t) => {
  t.ok(Number.isInteger(N) && N > 0, `CAXTON_RING_TEST_FRAMES=${N}`);
  const bus = Bus.create(T, RING_CAPACITY, 16);
  const progress = new Int32Array(new SharedArrayBuffer(2 * T * T * 4));
  const seed = (Date.now() ^ (process.pid << 8)) | 0;
  t.comment(`seed ${seed}`);
  const started = performance.now();
  const workers: Worker[] = [];
  const reports: Report[] = [];
  let failure: string | undefined;

  await new Promise<void>((resolve) => {
    let last = -1;
    let lastChange = performance.now();
    let settled = false;
    const finish = (why?: string) => {
      if (settled) return;
      settled = true;
      if (why) failure = why;
      clearInterval(watch);
      resolve();
    };
    const watch = setInterval(() => {
      let sum = 0;
      for (let i = 0; i < progress.length; i++) sum += Atomics.load(progress, i);
      if (sum !== last) {
        last = sum;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > STALL_MS) {
        finish(`no frame moved for ${STALL_MS} ms: sent/received ${JSON.stringify([...progress])}`);
      }
    }, 500);
    for (let self = 0; self < T; self++) {
      const w = new Worker(new URL('./ring-worker.mjs', import.meta.url), {
        // plain JS worker: no need for the test runner's loaders
        execArgv: [],
        workerData: { init: bus.init, self, frames: N, seed, progress: progress.buffer },
      });
      w.on('message', (r: Report) => {
        reports.push(r);
        if (r.errorCount > 0) finish(`thread ${r.self} reported ${r.errorCount} errors`);
        else if (reports.length === T) finish();
      });
      w.on('error', (e) => finish(`worker ${self} crashed: ${e.stack ?? e}`));
      w.on('exit', (code) => {
        if (code !== 0) finish(`worker ${self} exited with code ${code}`);
      });
      workers.push(w);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));

  t.equal(failure, undefined, failure ?? 'all workers finished');
  for (const r of reports) if (r.errors.length) t.fail(r.errors.join('\n'));
  t.equal(reports.length, T, 'every worker reported');
  t.equal(reports.reduce((s, r) => s + r.errorCount, 0), 0, 'no errors');
  for (const r of reports.sort((a, b) => a.self - b.self)) {
    t.same(r.sent, Array(T).fill(N), `thread ${r.self} sent ${N} to each consumer`);
    t.same(r.received, Array(T).fill(N), `thread ${r.self} received ${N} from each producer`);
  }
  const total = reports.reduce((s, r) => s + r.received.reduce((a, b) => a + b, 0), 0);
  t.equal(total, T * T * N, `${total} frames delivered in total`);
  // the shared counters agree, and every ring is empty
  for (let p = 0; p < T; p++) {
    for (let c = 0; c < T; c++) {
      const prod = new RingProducer(bus, p, c);
      const cons = new RingConsumer(bus, p, c);
      if (prod.publishedFrames() !== N || cons.consumedFrames() !== N || prod.usedBytes() !== 0 || cons.hasData()) {
        t.fail(`ring ${p}->${c}: published ${prod.publishedFrames()}, consumed ${cons.consumedFrames()}, ${prod.usedBytes()} bytes left`);
      }
    }
  }
  // the run really exercised wrap-around, batching, rollback and back-pressure
  // each ring carries >= N * 80 bytes, so its consumer must have seen the
  // offset go back to the start of the data area at least this often
  const minWraps = Math.max(0, Math.floor((N * 80) / RING_CAPACITY) - 1);
  const wraps = reports.flatMap((r) => r.stats.wraps);
  t.ok(wraps.every((w) => w >= minWraps), `wraps per consumed ring (>= ${minWraps} each): ${wraps.join(' ')}`);
  const s = (k: 'batches' | 'rollbacks' | 'rolledBackFrames' | 'refused' | 'waits') => reports.reduce((a, r) => a + r.stats[k], 0);
  if (N >= 10_000) {
    // with thousands of batches these cannot all be missing (one batch in 16 is rolled back)
    t.ok(s('rollbacks') > 0 && s('rolledBackFrames') > 0, `${s('rollbacks')} rolled-back batches (${s('rolledBackFrames')} frames)`);
  }
  if (N * 80 > RING_CAPACITY) {
    // each worker first fills its own i -> i ring until reserve() refuses
    t.same(reports.map((r) => r.refusedAtStart), Array(T).fill(1), 'every own ring filled up before any drain');
  }
  t.comment(`${s('refused')} reserves refused on a full ring`);
  t.comment(`${s('batches')} batches, max batch ${Math.max(...reports.map((r) => r.stats.maxBatch))}, ${s('waits')} doorbell waits`);
  t.comment(`${total} frames in ${seconds.toFixed(2)} s (${(total / seconds / 1e6).toFixed(2)} M frames/s); worker times ${reports.map((r) => (r.ms / 1000).toFixed(2)).join(' ')} s`);
});
