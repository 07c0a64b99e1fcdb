// Router table (bus/router.ts) and bus layout (bus/layout.ts, bus/shared.ts).
import t from 'tap';
import fc from 'fast-check';
import { strictEqual, ok } from 'node:assert';
import { Bus } from '../../dist/bus/shared.js';
import { RouterTable, routeThread, routeGeneration, routeStopped } from '../../dist/bus/router.js';
import {
  computeLayout, ringIndex, CACHE_LINE, GLOBAL_BYTES, THREAD_BLOCK_BYTES, RING_CONTROL_BYTES, RC_HEAD_I32, RC_TAIL_I32,
  RC_CONSUMED_F64, RC_PUBLISHED_F64, MAX_THREADS, ROUTE_MAX_GENERATION, BUS_MAGIC, BUS_VERSION, G_MAGIC, G_VERSION, WATCH_SLOTS, WATCH_ENTRY_I32, NAME_WRITERS, NAME_SLOTS, NAME_ENTRY_BYTES, AGENT_COUNTER_BYTES, THREAD_METRICS_BYTES,
  G_THREADS, G_RING_CAPACITY, G_MAX_AGENTS, T_DOORBELL, T_WD_CURRENT, T_WD_PROGRESS, T_WD_RING, T_OWNER_EPOCH,
  T_STAT_DELIVERED, T_STAT_AGENTS,
} from '../../dist/bus/layout.js';

const MAX_AGENTS = 1000; // not a multiple of 16: the router region is followed by padding

t.test('RouterTable: set / read / clear and entry decoding', async (t) => {
  const bus = Bus.create(4, 4096, MAX_AGENTS);
  const table = new RouterTable(bus);
  t.equal(table.size, MAX_AGENTS);
  for (let s = 0; s < MAX_AGENTS; s++) if (table.read(s) !== 0) t.fail(`slot ${s} not free on a new bus`);
  const outside = () => {
    const u8 = bus.u8.slice();
    u8.fill(0, bus.layout.routerOffset, bus.layout.routerOffset + MAX_AGENTS * 4);
    return u8;
  };
  const before = outside();
  const model = new Map<number, number>();
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            slot: fc.integer({ min: 0, max: MAX_AGENTS - 1 }),
            thread: fc.integer({ min: 0, max: MAX_THREADS }),
            generation: fc.oneof(fc.integer({ min: 1, max: ROUTE_MAX_GENERATION }), fc.constantFrom(1, ROUTE_MAX_GENERATION)),
            stopped: fc.boolean(),
          }),
          fc.integer({ min: 0, max: MAX_AGENTS - 1 }), // clear
        ),
        { maxLength: 50 },
      ),
      (ops) => {
        for (const op of ops) {
          if (typeof op === 'number') {
            table.clear(op);
            model.delete(op);
            strictEqual(table.read(op), 0);
            continue;
          }
          table.set(op.slot, op.thread, op.generation, op.stopped);
          const e = table.read(op.slot);
          ok(e !== 0, 'a set entry is never 0 (free)');
          strictEqual(routeThread(e), op.thread);
          strictEqual(routeGeneration(e), op.generation);
          strictEqual(routeStopped(e), op.stopped);
          model.set(op.slot, e);
        }
        for (let s = 0; s < MAX_AGENTS; s++) strictEqual(table.read(s), model.get(s) ?? 0, `slot ${s}`);
      },
    ),
    { numRuns: 200 },
  );
  t.same(outside(), before, 'no byte outside the router region changed');
  // another table over the same buffer, attached as another thread would, sees the entries
  const other = new RouterTable(new Bus(structuredClone(bus.init)));
  table.set(7, 3, 12345, true);
  t.equal(other.read(7), table.read(7));
  t.equal(routeGeneration(other.read(7)), 12345);
});

t.test('entry encoding at the extremes', async (t) => {
  const table = new RouterTable(Bus.create(1, 4096, 4));
  table.set(0, 255, ROUTE_MAX_GENERATION, true);
  const e = table.read(0);
  t.ok(e < 0, 'the largest generation sets the sign bit of the i32 entry');
  t.equal(routeThread(e), 255);
  t.equal(routeGeneration(e), ROUTE_MAX_GENERATION);
  t.equal(routeStopped(e), true);
  table.set(3, 0, 1, false);
  t.equal(table.read(3), 1 << 9, 'thread 0, generation 1, running');
  t.equal(routeStopped(table.read(3)), false);
  t.equal(routeThread(0), 0);
  t.equal(routeGeneration(0), 0, 'a free entry has generation 0, which no agent has');
  t.equal(table.read(1), 0);
  table.clear(0);
  t.equal(table.read(0), 0);
});

t.test('generation out of range throws RangeError and writes nothing', async (t) => {
  const table = new RouterTable(Bus.create(2, 4096, 8));
  table.set(2, 1, 5, false);
  const entry = table.read(2);
  for (const g of [0, -1, ROUTE_MAX_GENERATION + 1, 2 ** 31, 2 ** 32 + 1]) {
    t.throws(() => table.set(2, 1, g, false), { name: 'RangeError', message: new RegExp(`generation ${g} out of range`) }, `generation ${g}`);
    t.equal(table.read(2), entry, `entry unchanged after generation ${g}`);
  }
});

t.test('RouterTable.set rejects slots and threads it cannot encode', async (t) => {
  // Regression: set() once checked only the generation; a slot outside
  // 0..maxAgents-1 wrote into the ring control blocks, and a thread above 255
  // spilled into the STOPPED bit / generation.
  const bus = Bus.create(2, 4096, 16); // router region ends exactly where ring controls begin
  const table = new RouterTable(bus);
  t.equal(bus.layout.routerOffset + 16 * 4, bus.layout.ringControlsOffset);
  t.throws(() => table.set(16, 1, 1, false), RangeError, 'slot == maxAgents');
  t.throws(() => table.set(-1, 1, 1, false), RangeError, 'negative slot');
  t.throws(() => table.set(0, 256, 1, false), RangeError, 'thread 256');
  t.throws(() => table.set(0, 1, 1.5, false), RangeError, 'fractional generation');
});

t.test('computeLayout rejects bad arguments with RangeError', async (t) => {
  for (const threads of [0, -1, 1.5, MAX_THREADS + 1, NaN, Infinity]) {
    t.throws(() => computeLayout(threads, 4096, 16), { name: 'RangeError', message: new RegExp(`^threads must be an integer in 1\\.\\.${MAX_THREADS}, got ${threads}$`) }, `threads ${threads}`);
  }
  for (const cap of [0, 1, 2048, 4095, 4097, 4096 + 8, 6144, 3 * 4096, 1000000, 2 ** 31, 2 ** 30 + 4096, 4096.5, NaN, Infinity, -4096]) {
    t.throws(() => computeLayout(2, cap, 16), { name: 'RangeError', message: new RegExp(`^ringCapacity must be a power of two in 4 KiB\\.\\.1 GiB, got ${cap}$`) }, `ringCapacity ${cap}`);
  }
  for (const agents of [0, -1, 1.5, 2 ** 24 + 1, NaN]) {
    t.throws(() => computeLayout(2, 4096, agents), { name: 'RangeError', message: /^maxAgents must be an integer in 1\.\.16777216/ }, `maxAgents ${agents}`);
  }
  // every integer in range that is not a power of two is refused, every power of two accepted
  fc.assert(
    fc.property(fc.integer({ min: 4096, max: 2 ** 30 }), (cap) => {
      const pow2 = (cap & (cap - 1)) === 0;
      let threw = false;
      try {
        computeLayout(1, cap, 1);
      } catch (e) {
        threw = e instanceof RangeError;
      }
      strictEqual(threw, !pow2, `capacity ${cap}`);
    }),
    { numRuns: 2000 },
  );
  for (let k = 12; k <= 30; k++) t.doesNotThrow(() => computeLayout(1, 2 ** k, 1), `capacity 2^${k}`);
  t.doesNotThrow(() => computeLayout(MAX_THREADS, 4096, 2 ** 24), 'largest thread count and agent table');
  t.throws(() => computeLayout(3, 2 ** 28, 16), { name: 'RangeError', message: /below 2 GiB/ }, '9 rings of 256 MiB do not fit');
});

t.test('layout regions do not overlap and are cache-line aligned', async (t) => {
  const layoutArb = fc.tuple(
    fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: MAX_THREADS })),
    fc.integer({ min: 12, max: 30 }).map((k) => 2 ** k),
    fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 ** 24 })),
  );
  fc.assert(
    fc.property(layoutArb, ([threads, cap, agents]) => {
      // layouts of 2 GiB or more are refused (hot-path indices use 32-bit shifts)
      // Every region's size, without and with the alignment padding (under one cache line per region).
      const exact = GLOBAL_BYTES + threads * (THREAD_BLOCK_BYTES + THREAD_METRICS_BYTES) + WATCH_SLOTS * WATCH_ENTRY_I32 * 4 + NAME_WRITERS * NAME_SLOTS * NAME_ENTRY_BYTES + agents * (AGENT_COUNTER_BYTES + 4) + threads * threads * (RING_CONTROL_BYTES + cap);
      const rough = exact + 6 * CACHE_LINE;
      if (exact < 2 ** 31 && rough >= 2 ** 31) return; // padding decides: either answer is right
      if (exact >= 2 ** 31) {
        let threw = false;
        try {
          computeLayout(threads, cap, agents);
        } catch (e) {
          threw = e instanceof RangeError && /below 2 GiB/.test((e as Error).message);
        }
        ok(threw, `a ${rough}-byte layout is refused`);
        return;
      }
      const l = computeLayout(threads, cap, agents);
      ok(l.totalBytes < 2 ** 31, 'below 2 GiB');
      strictEqual(l.threads, threads);
      strictEqual(l.ringCapacity, cap);
      strictEqual(l.maxAgents, agents);
      const rings = threads * threads;
      const regions: [string, number, number][] = [
        ['global', 0, GLOBAL_BYTES],
        ['threads', l.threadBlocksOffset, threads * THREAD_BLOCK_BYTES],
        ['watch', l.watchOffset, WATCH_SLOTS * WATCH_ENTRY_I32 * 4],
        ['conversation names', l.namesOffset, NAME_WRITERS * NAME_SLOTS * NAME_ENTRY_BYTES],
        ['thread metrics', l.metricsOffset, threads * THREAD_METRICS_BYTES],
        ['agent counters', l.agentCountersOffset, agents * AGENT_COUNTER_BYTES],
        ['router', l.routerOffset, agents * 4],
        ['controls', l.ringControlsOffset, rings * RING_CONTROL_BYTES],
        ['data', l.ringDataOffset, rings * cap],
      ];
      for (let i = 1; i < regions.length; i++) {
        const [pn, ps, plen] = regions[i - 1]!;
        const [n, s] = regions[i]!;
        ok(s >= ps + plen, `${n} at ${s} overlaps ${pn} [${ps}, ${ps + plen})`);
        ok(s - (ps + plen) < CACHE_LINE, `${n}: more padding than one cache line`);
      }
      strictEqual(l.totalBytes, l.ringDataOffset + rings * cap, 'data is last and ends the buffer');
      for (const [n, s] of regions) strictEqual(s % CACHE_LINE, 0, `${n} at ${s} not 64-byte aligned`);
      // every block inside the regions is aligned too; head and tail are on different lines
      strictEqual(THREAD_BLOCK_BYTES % CACHE_LINE, 0);
      strictEqual(RING_CONTROL_BYTES % CACHE_LINE, 0);
      strictEqual(cap % CACHE_LINE, 0);
      ok(Math.floor((RC_TAIL_I32 * 4) / CACHE_LINE) !== Math.floor((RC_HEAD_I32 * 4) / CACHE_LINE), 'head and tail share a line');
      ok(Math.floor((RC_PUBLISHED_F64 * 8) / CACHE_LINE) === Math.floor((RC_TAIL_I32 * 4) / CACHE_LINE), 'published counter on the producer line');
      ok(Math.floor((RC_CONSUMED_F64 * 8) / CACHE_LINE) === Math.floor((RC_HEAD_I32 * 4) / CACHE_LINE), 'consumed counter on the consumer line');
      // ring r = producer * threads + consumer covers 0..threads^2-1 exactly once
      const p = threads - 1;
      strictEqual(ringIndex(l, p, p), rings - 1);
      strictEqual(ringIndex(l, 0, 0), 0);
    }),
    { numRuns: 1000 },
  );
  const l = computeLayout(5, 4096, 3);
  const seen = new Set<number>();
  for (let p = 0; p < 5; p++) for (let c = 0; c < 5; c++) seen.add(ringIndex(l, p, c));
  t.same([...seen].sort((a, b) => a - b), [...Array(25).keys()], 'ringIndex is a bijection onto 0..24');
  // the thread-block fields fit in their block, i32 fields before the f64 lines
  for (const f of [T_DOORBELL, T_WD_CURRENT, T_WD_PROGRESS, T_WD_RING, T_OWNER_EPOCH]) t.ok(f * 4 < 128, `i32 field ${f}`);
  for (const f of [T_STAT_DELIVERED, T_STAT_AGENTS]) t.ok(f * 8 >= 128 && f * 8 + 8 <= THREAD_BLOCK_BYTES, `f64 field ${f}`);
  t.ok(T_DOORBELL * 4 < CACHE_LINE && T_WD_CURRENT * 4 >= CACHE_LINE, 'doorbell alone on line 0');
});

t.test('Bus.create stamps the global block; new Bus(init) attaches to the same memory', async (t) => {
  const bus = Bus.create(3, 8192, 100);
  t.equal(bus.buffer.byteLength, bus.layout.totalBytes);
  t.equal(bus.i32[G_MAGIC], BUS_MAGIC);
  t.equal(bus.i32[G_VERSION], BUS_VERSION);
  t.equal(bus.i32[G_THREADS], 3);
  t.equal(bus.i32[G_RING_CAPACITY], 8192);
  t.equal(bus.i32[G_MAX_AGENTS], 100);
  const init = structuredClone(bus.init);
  t.ok(init.buffer instanceof SharedArrayBuffer, 'init carries the SharedArrayBuffer');
  const other = new Bus(init);
  t.same(other.layout, bus.layout);
  other.u8[bus.layout.totalBytes - 1] = 42;
  t.equal(bus.u8[bus.layout.totalBytes - 1], 42, 'a write through the clone is seen by the original');
  for (let i = 0; i < 3; i++) {
    t.equal(bus.threadI32(i) * 4, bus.layout.threadBlocksOffset + i * THREAD_BLOCK_BYTES);
    t.equal(bus.threadF64(i) * 8, bus.layout.threadBlocksOffset + i * THREAD_BLOCK_BYTES);
  }
  t.throws(() => new Bus({ ...bus.init, threads: 4 }), { name: 'RangeError', message: new RegExp(`bus buffer is ${bus.buffer.byteLength} bytes, layout needs \\d+`) }, 'buffer too small for the layout');
});
