// Worker for ring.threads.test.ts: thread `self` of a T-thread bus. It
// produces into the T rings self -> j and consumes the T rings j -> self,
// interleaving both so a full ring never blocks it, until it has sent N frames
// to every consumer and received N frames from every producer.
//
// Frame (all words little-endian i32, the record starts 8-byte aligned):
//   w0 length (80..400, derived from producer, consumer, seq)
//   w1 producer   w2 consumer (JUNK for frames that are then rolled back)
//   w3 seq        w4 checksum of everything after w4 up to the length
//   w5.. payload (pseudo-random words, then 0..3 trailing bytes)
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Bus } from '../../dist/bus/shared.js';
import { RingProducer, RingConsumer } from '../../dist/bus/ring.js';
import { T_DOORBELL, DOORBELL_AWAKE, DOORBELL_SLEEPING, FRAME_HEADER_BYTES } from '../../dist/bus/layout.js';

if (isMainThread) {
  // run directly (e.g. `npx tap test/bus/`): not a test by itself
  console.log('1..0 # worker script for ring.threads.test.ts');
  process.exit(0);
}
const { init, self, frames: N, seed, progress: progressBuffer } = workerData;
const MIN_LEN = FRAME_HEADER_BYTES;
const MAX_LEN = 400;
const JUNK = 0x7eadbeef;
const DRAIN_BUDGET = 256;
const MAX_ERRORS = 10;

const bus = new Bus(init);
const T = bus.layout.threads;
const i32 = bus.i32;
const u8 = bus.u8;
const progress = new Int32Array(progressBuffer); // [sent p->c at p*T+c] then [received p->c at T*T + p*T+c]
const producers = [];
const consumers = [];
for (let j = 0; j < T; j++) {
  producers.push(new RingProducer(bus, self, j));
  consumers.push(new RingConsumer(bus, j, self));
}
const sent = new Array(T).fill(0); // next seq to send to consumer j
const received = new Array(T).fill(0); // next seq expected from producer j
const lastOffset = new Array(T).fill(-1);
const stats = { wraps: new Array(T).fill(0), batches: 0, rollbacks: 0, rolledBackFrames: 0, refused: 0, waits: 0, maxBatch: 0 };
const errors = [];
let errorCount = 0;

function mix(p, c, seq) {
  let h = (seed ^ Math.imul(p + 1, 0x9e3779b1) ^ Math.imul(c + 1, 0x85ebca6b) ^ Math.imul(seq, 0xc2b2ae35)) | 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h | 1; // never 0: it seeds a xorshift
}
function lengthOf(h) {
  return MIN_LEN + ((h >>> 0) % (MAX_LEN - MIN_LEN + 1));
}

let rng = mix(self, 77, 0);
function random() {
  rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5;
  return rng >>> 0;
}

/** Write frame (p=self, c, seq) at byte offset `off`; `tag` is c, or JUNK. */
function writeFrame(off, c, seq, tag) {
  const h = mix(self, c, seq);
  const len = lengthOf(h);
  const w = off >> 2;
  const words = len >> 2;
  let x = h;
  let sum = 0x811c9dc5;
  for (let k = 5; k < words; k++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    i32[w + k] = x;
    sum = Math.imul(sum ^ x, 0x01000193);
  }
  for (let b = words << 2; b < len; b++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    u8[off + b] = x & 0xff;
    sum = Math.imul(sum ^ (x & 0xff), 0x01000193);
  }
  i32[w] = len;
  i32[w + 1] = self;
  i32[w + 2] = tag;
  i32[w + 3] = seq;
  i32[w + 4] = sum;
}

function error(msg) {
  errorCount++;
  if (errors.length < MAX_ERRORS) errors.push(`thread ${self}: ${msg}`);
}

/** Check the frame at `off` from producer p; returns its length, or -1 when the stream cannot be followed. */
function checkFrame(off, p) {
  const w = off >> 2;
  const len = i32[w];
  const expectedSeq = received[p];
  if (len < MIN_LEN || len > MAX_LEN) {
    error(`ring ${p}->${self}: length ${len} out of range at seq ${expectedSeq}`);
    return -1;
  }
  const from = i32[w + 1];
  const to = i32[w + 2];
  const seq = i32[w + 3];
  if (to === JUNK) error(`ring ${p}->${self}: received a rolled-back frame (seq ${seq})`);
  else if (from !== p || to !== self) error(`ring ${p}->${self}: frame says ${from}->${to}`);
  if (seq !== expectedSeq) error(`ring ${p}->${self}: seq ${seq}, expected ${expectedSeq}`);
  const h = mix(p, self, seq);
  if (len !== lengthOf(h)) error(`ring ${p}->${self}: seq ${seq} has length ${len}, expected ${lengthOf(h)}`);
  const words = len >> 2;
  let sum = 0x811c9dc5;
  for (let k = 5; k < words; k++) sum = Math.imul(sum ^ i32[w + k], 0x01000193);
  for (let b = words << 2; b < len; b++) sum = Math.imul(sum ^ u8[off + b], 0x01000193);
  if (sum !== i32[w + 4]) error(`ring ${p}->${self}: checksum mismatch at seq ${seq}`);
  received[p] = seq + 1;
  return len;
}

function drain() {
  let total = 0;
  for (let p = 0; p < T; p++) {
    const c = consumers[p];
    let n = 0;
    let off;
    while (n < DRAIN_BUDGET && (off = c.peek()) >= 0) {
      if (off < lastOffset[p]) stats.wraps[p]++;
      lastOffset[p] = off;
      const len = checkFrame(off, p);
      if (len < 0) return -1;
      c.advance(len);
      n++;
    }
    if (n > 0) {
      c.release();
      Atomics.store(progress, T * T + p * T + self, received[p]);
      total += n;
    }
  }
  return total;
}

/** Send one batch of 1..64 frames to consumer j; returns frames made visible. */
function sendBatch(j) {
  const p = producers[j];
  const batch = 1 + (random() & 63);
  const first = sent[j];
  // one batch in 16 is written, then rolled back instead of published, and sent again later
  const rollback = (random() & 15) === 0;
  let n = 0;
  while (n < batch && sent[j] < N) {
    const seq = sent[j];
    const off = p.reserve(lengthOf(mix(self, j, seq)));
    if (off < 0) {
      stats.refused++;
      break;
    }
    writeFrame(off, j, seq, rollback ? JUNK : j);
    sent[j]++;
    n++;
  }
  if (rollback) {
    p.rollback();
    if (p.dirty) error(`ring ${self}->${j}: still dirty after rollback`);
    sent[j] = first;
    stats.rollbacks++;
    stats.rolledBackFrames += n;
    return 0;
  }
  p.publish();
  if (n > 0) {
    stats.batches++;
    if (n > stats.maxBatch) stats.maxBatch = n;
    Atomics.store(progress, self * T + j, sent[j]);
  }
  return n;
}

function expectedTotal(counts) {
  return counts.every((n) => n === N);
}

const doorbell = bus.threadI32(self) + T_DOORBELL;
const started = performance.now();
// Back-pressure, deterministically: fill our own ring (only we consume it)
// until reserve() refuses, before draining anything.
while (stats.refused === 0 && sent[self] < N) sendBatch(self);
const refusedAtStart = stats.refused;
let next = self;
let idle = 0;
let stopped = false;
while (!stopped && !(expectedTotal(sent) && expectedTotal(received))) {
  let moved = 0;
  for (let k = 0; k < T; k++) {
    const j = (next + k) % T;
    if (sent[j] < N) {
      moved += sendBatch(j);
      next = (j + 1) % T;
      break;
    }
  }
  const got = drain();
  if (got < 0) stopped = true;
  else moved += got;
  if (errorCount > 0) stopped = true;
  if (moved > 0) {
    idle = 0;
    continue;
  }
  // Nothing moved: our outbound ring is full or we wait for frames. Spin a
  // little, then sleep on the doorbell for at most 1 ms. Producers wake us on
  // publish; a consumer that frees room does not, hence the short timeout.
  // Progress never depends on the wake-up, only on the loop running again.
  if (++idle < 64) continue;
  Atomics.store(i32, doorbell, DOORBELL_SLEEPING);
  if (!consumers.some((c) => c.hasData())) {
    stats.waits++;
    Atomics.wait(i32, doorbell, DOORBELL_SLEEPING, 1);
  }
  Atomics.store(i32, doorbell, DOORBELL_AWAKE);
  idle = 0;
}

parentPort.postMessage({
  self, sent, received, errors, errorCount, ms: performance.now() - started, stats, refusedAtStart,
});
