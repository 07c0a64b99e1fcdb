// Property tests for the single-producer / single-consumer ring (bus/ring.ts),
// driven from one thread against an independent model of what the ring must do:
// frames come out in publish order, byte-identical, rolled-back frames never
// appear, reserve() refuses exactly when a record (plus wrap padding) does not
// fit, and nothing the consumer has not released is ever overwritten.
import t from 'tap';
import fc from 'fast-check';
import { Bus } from '../../dist/bus/shared.js';
import { RingProducer, RingConsumer } from '../../dist/bus/ring.js';
import {
  FRAME_HEADER_BYTES, RC_HEAD_I32, RC_TAIL_I32, RC_PUBLISHED_F64, RC_CONSUMED_F64, RECORD_ALIGN,
  RING_CONTROL_BYTES, RING_WRAP, ringIndex,
} from '../../dist/bus/layout.js';

const CAP = 4096;
const U32 = 2 ** 32;
const MIN_LEN = FRAME_HEADER_BYTES;
const MAX_LEN = 2048;
// ring under test: producer 1 -> consumer 0 of a 2-thread bus, so neither the
// ring index nor its data offset is zero
const PRODUCER = 1;
const CONSUMER = 0;

type Op =
  | { kind: 'push'; len: number; seed: number }
  | { kind: 'pop'; release: boolean }
  | { kind: 'release' }
  | { kind: 'publish' }
  | { kind: 'rollback' };

interface Rec {
  seq: number;
  len: number;
  start: number; // u32 position of the record (after any wrap padding)
  off: number; // byte offset in the bus
  bytes: Uint8Array; // what was written
}

interface Stats {
  wraps: number; // times the tail crossed the end of the data area
  markers: number; // wraps that needed a RING_WRAP marker (record > room)
  exactFits: number; // wraps where the record ended exactly at the end
  refused: number; // reserve() returned -1
  u32Wraps: number; // times the tail crossed 2^32
}

const sub = (a: number, b: number): number => (((a - b) % U32) + U32) % U32;
const add = (a: number, b: number): number => (a + b) % U32;
const align = (n: number): number => Math.ceil(n / RECORD_ALIGN) * RECORD_ALIGN;

function fail(msg: string): never {
  throw new Error(msg);
}
function check(cond: boolean, msg: () => string): void {
  if (!cond) fail(msg());
}

function frameBytes(len: number, seq: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint32(4, seq, true);
  let x = seed | 1;
  for (let i = 8; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

class Harness {
  readonly bus = Bus.create(2, CAP, 8);
  readonly ring = ringIndex(this.bus.layout, PRODUCER, CONSUMER);
  readonly dataByte = this.bus.layout.ringDataOffset + this.ring * CAP;
  readonly control = this.bus.layout.ringControlsOffset + this.ring * RING_CONTROL_BYTES;
  readonly headIdx = (this.control >> 2) + RC_HEAD_I32;
  readonly tailIdx = (this.control >> 2) + RC_TAIL_I32;
  readonly producer: RingProducer;
  readonly consumer: RingConsumer;
  readonly snapshot: Uint8Array;
  // model
  tail: number; // producer's private tail
  committed: number; // published tail
  released: number; // head the consumer has released
  chead: number; // consumer's private head
  seq = 0;
  publishedCount = 0;
  poppedCount = 0;
  releasedCount = 0;
  pending: Rec[] = [];
  published: Rec[] = [];
  unreleased: Rec[] = [];
  readonly stats: Stats = { wraps: 0, markers: 0, exactFits: 0, refused: 0, u32Wraps: 0 };

  constructor(start: number) {
    const u8 = this.bus.u8;
    // garbage everywhere a ring could write by mistake: every data area
    for (let i = this.bus.layout.ringDataOffset; i < u8.length; i++) u8[i] = (i * 131) & 0xff;
    Atomics.store(this.bus.i32, this.headIdx, start | 0);
    Atomics.store(this.bus.i32, this.tailIdx, start | 0);
    this.snapshot = u8.slice();
    this.producer = new RingProducer(this.bus, PRODUCER, CONSUMER);
    this.consumer = new RingConsumer(this.bus, PRODUCER, CONSUMER);
    this.tail = this.committed = this.released = this.chead = start >>> 0;
  }

  /** Would a frame of `len` bytes fit, by the model? */
  fits(len: number): boolean {
    const rec = align(len);
    const room = CAP - (this.tail % CAP);
    const need = rec <= room ? rec : room + rec;
    return sub(this.tail, this.released) + need <= CAP;
  }

  push(len: number, seed: number): boolean {
    const rec = align(len);
    const pos = this.tail % CAP;
    const room = CAP - pos;
    const need = rec <= room ? rec : room + rec;
    const inUse = sub(this.tail, this.released);
    const expectFit = inUse + need <= CAP;
    const off = this.producer.reserve(len);
    if (!expectFit) {
      check(off === -1, () => `reserve(${len}) returned ${off} with ${inUse} bytes in use, needing ${need} of ${CAP}`);
      this.stats.refused++;
      return false;
    }
    check(off !== -1, () => `reserve(${len}) refused with ${inUse} bytes in use, needing only ${need} of ${CAP}`);
    const start = rec <= room ? this.tail : add(this.tail, room);
    const expectedOff = this.dataByte + (start % CAP);
    check(off === expectedOff, () => `reserve(${len}) at tail ${this.tail} gave offset ${off}, expected ${expectedOff}`);
    check(off >= this.dataByte && off + len <= this.dataByte + CAP, () => `record [${off}, ${off + len}) leaves the ring`);
    if (rec > room) {
      this.stats.markers++;
      check(this.bus.i32[(this.dataByte + pos) >> 2] === RING_WRAP, () => `no RING_WRAP marker at ring offset ${pos}`);
    }
    const newTail = add(start, rec);
    if (rec >= room) {
      this.stats.wraps++;
      if (rec === room) this.stats.exactFits++;
    }
    if (newTail < this.tail) this.stats.u32Wraps++;
    const bytes = frameBytes(len, this.seq, seed);
    this.bus.u8.set(bytes, off);
    this.pending.push({ seq: this.seq++, len, start, off, bytes });
    this.tail = newTail;
    return true;
  }

  publish(): void {
    this.producer.publish();
    this.publishedCount += this.pending.length;
    this.published.push(...this.pending);
    this.pending = [];
    this.committed = this.tail;
  }

  rollback(): void {
    this.producer.rollback();
    this.pending = [];
    this.tail = this.committed;
  }

  pop(): boolean {
    const off = this.consumer.peek();
    const r = this.published.shift();
    if (!r) {
      check(off === -1, () => `peek() returned ${off} but nothing unconsumed was published (pending: ${this.pending.length})`);
      return false;
    }
    check(off !== -1, () => `peek() returned -1 with ${this.published.length + 1} published frames unconsumed`);
    const len = this.bus.u8[off]! | (this.bus.u8[off + 1]! << 8) | (this.bus.u8[off + 2]! << 16) | (this.bus.u8[off + 3]! * 2 ** 24);
    const seq = new DataView(this.bus.buffer, off + 4, 4).getUint32(0, true);
    check(seq === r.seq, () => `consumer got frame seq ${seq} (len ${len}), expected seq ${r.seq}`);
    check(off === r.off && len === r.len, () => `frame ${r.seq} read at ${off} len ${len}, written at ${r.off} len ${r.len}`);
    check(Buffer.from(this.bus.buffer, off, len).equals(r.bytes), () => `frame ${r.seq} bytes differ`);
    this.consumer.advance(len);
    this.poppedCount++;
    this.chead = add(r.start, align(len));
    this.unreleased.push(r);
    return true;
  }

  release(): void {
    this.consumer.release();
    this.released = this.chead;
    this.releasedCount = this.poppedCount;
    this.unreleased = [];
  }

  /** Invariants that hold between any two operations. */
  verify(): void {
    const i32 = this.bus.i32;
    check((Atomics.load(i32, this.tailIdx) >>> 0) === this.committed, () => `shared tail ${Atomics.load(i32, this.tailIdx) >>> 0}, model ${this.committed}`);
    check((Atomics.load(i32, this.headIdx) >>> 0) === this.released, () => `shared head ${Atomics.load(i32, this.headIdx) >>> 0}, model ${this.released}`);
    check(this.producer.usedBytes() === sub(this.committed, this.released), () => `usedBytes ${this.producer.usedBytes()}`);
    check(this.producer.usedBytes() <= CAP, () => `usedBytes ${this.producer.usedBytes()} > capacity`);
    check(this.consumer.hasData() === (this.committed !== this.chead), () => `hasData() ${this.consumer.hasData()}`);
    check(this.producer.dirty === (this.pending.length > 0), () => `dirty ${this.producer.dirty}`);
    check(this.producer.publishedFrames() === this.publishedCount, () => `publishedFrames ${this.producer.publishedFrames()} != ${this.publishedCount}`);
    check(this.consumer.consumedFrames() === this.releasedCount, () => `consumedFrames ${this.consumer.consumedFrames()} != ${this.releasedCount}`);
    check(this.bus.f64[(this.control >> 3) + RC_PUBLISHED_F64] === this.publishedCount, () => 'published counter in control block');
    check(this.bus.f64[(this.control >> 3) + RC_CONSUMED_F64] === this.releasedCount, () => 'consumed counter in control block');
    // nothing the consumer has not released (read or not) may have been overwritten
    for (const r of [...this.unreleased, ...this.published, ...this.pending]) {
      check(Buffer.from(this.bus.buffer, r.off, r.len).equals(r.bytes), () => `frame ${r.seq} (unreleased) was overwritten`);
    }
  }

  /** Everything outside this ring's data area and control block is as it was. */
  verifyOutside(): void {
    const u8 = this.bus.u8;
    const inRing = (i: number) => (i >= this.dataByte && i < this.dataByte + CAP) || (i >= this.control && i < this.control + RING_CONTROL_BYTES);
    for (let i = 0; i < u8.length; i++) {
      if (!inRing(i) && u8[i] !== this.snapshot[i]) fail(`byte ${i} outside the ring changed`);
    }
  }

  drainAll(): void {
    while (this.pop());
    this.release();
  }

  run(ops: Op[]): void {
    for (const op of ops) {
      switch (op.kind) {
        case 'push': this.push(op.len, op.seed); break;
        case 'pop': this.pop(); if (op.release) this.release(); break;
        case 'release': this.release(); break;
        case 'publish': this.publish(); break;
        case 'rollback': this.rollback(); break;
      }
      this.verify();
    }
  }

  /**
   * Stream the given lengths (cycling) through the ring, publishing and
   * draining whenever the next frame does not fit, until the tail has crossed
   * the end of the data area `wraps` more times (and, if asked, 2^32 once).
   */
  stream(lens: number[], wraps: number, untilU32Wrap = false): void {
    const target = this.stats.wraps + wraps;
    let i = 0;
    while (this.stats.wraps < target || (untilU32Wrap && this.stats.u32Wraps === 0)) {
      const len = lens[i++ % lens.length]!;
      if (!this.push(len, i)) {
        this.publish();
        this.drainAll();
        check(this.push(len, i), () => `reserve(${len}) refused on an empty ring at tail ${this.tail}`);
      }
      if (i % 5 === 0) this.publish();
      if (i % 7 === 0) { this.pop(); this.release(); }
      this.verify();
      if (i > 100_000) fail('stream did not wrap');
    }
    this.publish();
    this.drainAll();
    this.verify();
    check(!this.consumer.hasData() && this.consumer.peek() === -1, () => 'ring not empty after draining');
  }
}

const lenArb = fc.integer({ min: MIN_LEN, max: MAX_LEN });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), len: lenArb, seed: fc.integer() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('pop' as const), release: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'publish' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollback' as const }) },
);
const opsArb = fc.array(opArb, { minLength: 1, maxLength: 400, size: 'max' });
const streamLensArb = fc.array(lenArb, { minLength: 1, maxLength: 20, size: 'max' });

function totals(): Stats {
  return { wraps: 0, markers: 0, exactFits: 0, refused: 0, u32Wraps: 0 };
}
function accumulate(into: Stats, s: Stats): void {
  for (const k of Object.keys(into) as (keyof Stats)[]) into[k] += s[k];
}

t.test('arbitrary push/pop/publish/rollback sequences match the model', async (t) => {
  const sum = totals();
  let runsThatWrapped = 0;
  let runs = 0;
  fc.assert(
    fc.property(opsArb, streamLensArb, (ops, lens) => {
      const h = new Harness(0);
      h.run(ops);
      runs++;
      if (h.stats.wraps > 0) runsThatWrapped++;
      // then force several wraps from whatever state the ops left behind
      h.stream(lens, 3);
      h.verifyOutside();
      check(h.stats.wraps >= 3, () => `only ${h.stats.wraps} wraps`);
      check(h.tail >= 3 * CAP, () => `tail ${h.tail} did not pass 3x capacity`);
      accumulate(sum, h.stats);
    }),
    { numRuns: 300 },
  );
  t.ok(runsThatWrapped > runs / 4, `random phase wrapped in ${runsThatWrapped}/${runs} runs`);
  t.ok(sum.markers > 0, `${sum.markers} wraps used a RING_WRAP marker`);
  t.ok(sum.refused > 0, `${sum.refused} reserves were refused (ring full)`);
  t.ok(sum.wraps >= 3 * runs, `${sum.wraps} wraps in total`);
});

t.test('u32 position wrap: head/tail starting just below 2^32', async (t) => {
  const sum = totals();
  const startArb = fc.oneof(
    fc.constant((0xfffff000 | 0) >>> 0),
    fc.integer({ min: 1, max: 1024 }).map((k) => U32 - k * RECORD_ALIGN),
  );
  fc.assert(
    fc.property(startArb, opsArb, streamLensArb, (start, ops, lens) => {
      const h = new Harness(start);
      h.verify();
      h.run(ops);
      h.stream(lens, 3, true);
      h.verifyOutside();
      check(h.stats.u32Wraps >= 1, () => 'positions never crossed 2^32');
      check(h.tail < start, () => `tail ${h.tail} did not wrap past 2^32 (start ${start})`);
      accumulate(sum, h.stats);
    }),
    { numRuns: 300 },
  );
  t.ok(sum.u32Wraps >= 300, `${sum.u32Wraps} u32 wraps`);
  t.ok(sum.markers > 0, `${sum.markers} RING_WRAP markers`);
});

t.test('a record ending exactly at the end of the data area needs no marker', async (t) => {
  for (const start of [0, U32 - CAP]) {
    const h = new Harness(start);
    // 3 x 1024 then 1024 again: the 4th ends exactly at the end
    for (let i = 0; i < 3; i++) t.ok(h.push(1024, i));
    h.publish();
    h.drainAll();
    t.ok(h.push(1024, 9), 'fits exactly');
    t.equal(h.stats.markers, 0, 'no marker');
    t.equal(h.stats.exactFits, 1);
    t.ok(h.push(MIN_LEN, 10), 'next record');
    t.equal(h.pending[1]!.off, h.dataByte, 'next record starts at ring offset 0');
    h.publish();
    h.verify();
    h.drainAll();
    h.verify();
    h.verifyOutside();
  }
});

t.test('a full ring refuses until the consumer releases, then wraps with a marker', async (t) => {
  const h = new Harness(0);
  let n = 0;
  while (h.push(1000, n)) n++; // 1000-byte records: 4 fit in 4096
  t.equal(n, 4);
  t.ok(h.push(MIN_LEN, 4), '96 bytes left at the end: an 80-byte record still fits');
  t.equal(h.producer.reserve(MIN_LEN), -1, '16 bytes left: refused, wrap padding counts');
  h.publish();
  t.ok(h.pop(), 'consumer reads one frame');
  h.verify();
  t.equal(h.producer.reserve(MIN_LEN), -1, 'still refused: the consumer has not released');
  h.release();
  t.ok(h.push(MIN_LEN, 5), 'accepted after release');
  t.equal(h.stats.markers, 1, 'with a RING_WRAP marker');
  t.equal(h.pending.at(-1)!.off, h.dataByte, 'at ring offset 0');
  h.publish();
  h.verify();
  h.drainAll();
  h.verify();
  t.equal(h.poppedCount, 6);
  h.verifyOutside();
});

t.test('frames up to half the capacity always fit in an empty ring, whatever the position', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: CAP / RECORD_ALIGN - 1 }), fc.integer({ min: MIN_LEN, max: CAP / 2 }), (k, len) => {
      const h = new Harness(k * RECORD_ALIGN);
      check(h.producer.maxFrame === CAP / 2, () => `maxFrame ${h.producer.maxFrame}`);
      check(h.push(len, k), () => `reserve(${len}) refused on an empty ring at offset ${k * RECORD_ALIGN}`);
      h.publish();
      h.verify();
      check(h.pop(), () => 'frame not received');
      h.release();
      h.verify();
    }),
    { numRuns: 500 },
  );
  t.pass('ok');
});
