// A ring's settled mark (bus/layout.ts RC_SETTLED_F64), which the API
// journal reads to know which accepted messages are finished: it follows the
// consumer, but never passes a frame a worker holds back for an agent in
// back-off or throttled (runtime/host/recovery.ts park). Driven through the
// real Recovery and real ring ends on a real bus, against a model: the mark
// is (oldest ordinal still parked by any agent) - 1, or every frame consumed.
import t from 'tap';
import fc from 'fast-check';
import { Bus } from '../../dist/bus/shared.js';
import { RingConsumer, RingProducer } from '../../dist/bus/ring.js';
import { encodeFrame } from '../../dist/bus/frame.js';
import { Recovery } from '../../dist/runtime/host/recovery.js';
import { realClock } from '../../dist/runtime/host/agent-clock.js';

const RUNNING = 0;
const BACKOFF = 1;

type Op = { kind: 'take'; park: number } | { kind: 'release'; agent: number } | { kind: 'drop'; agent: number };

interface FakeAgent {
  name: string;
  mailbox: number;
  state: number;
  parked: Int32Array[];
  parkedRing: unknown[];
  parkedOrdinal: number[];
}

function world() {
  // thread 2 (the API thread in a server) produces, thread 1 (a worker) consumes
  const bus = Bus.create(3, 1 << 16, 16);
  const producer = new RingProducer(bus, 2, 1);
  const consumer = new RingConsumer(bus, 2, 1);
  const delivered: Int32Array[] = [];
  const deadLettered: Int32Array[] = [];
  const recovery = new Recovery({ bus, thread: 1 } as never, {
    clock: realClock,
    call: { seq: 0 },
    hosts: () => true,
    rollbackSends: () => undefined,
    instantiate: () => undefined,
    deliverParked: (_a: unknown, f: Int32Array) => { delivered.push(f); },
    deadLetterCopy: (f: Int32Array) => { deadLettered.push(f); },
    warn: () => undefined,
    post: () => undefined,
    flush: () => undefined,
  });
  const agents: FakeAgent[] = [0, 1, 2].map((i) => ({ name: `a${i}`, mailbox: 1000, state: BACKOFF, parked: [], parkedRing: [], parkedOrdinal: [] }));
  return { bus, producer, consumer, recovery, agents, delivered, deadLettered };
}

t.test('parked frames hold the settled mark below them until delivered or dropped', async (t) => {
  const frame = encodeFrame({ performative: 1, destinationSlot: 0, destinationGeneration: 1, sourceSlot: 1, sourceGeneration: 1, messageIdLo: 1, messageIdHi: 0, conversationLo: 0, conversationHi: 0, inReplyToLo: 0, inReplyToHi: 0 }, 'x');
  const ops = fc.array(fc.oneof(
    fc.record({ kind: fc.constant('take' as const), park: fc.integer({ min: -1, max: 2 }) }),
    fc.record({ kind: fc.constant('release' as const), agent: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('drop' as const), agent: fc.integer({ min: 0, max: 2 }) }),
  ), { maxLength: 60 });
  let runs = 0;
  fc.assert(fc.property(ops, (list: Op[]) => {
    const { bus, producer, consumer, recovery, agents } = world();
    // the model: ordinals parked by each agent
    const held: number[][] = [[], [], []];
    let consumed = 0;
    for (const op of list) {
      if (op.kind === 'take') {
        const at = producer.reserve(frame.byteLength);
        bus.u8.set(frame, at);
        producer.publish();
        const off = consumer.peek();
        const ordinal = consumer.ordinal;
        if (op.park >= 0) {
          const a = agents[op.park]!;
          a.state = BACKOFF;
          recovery.park(a as never, new Int32Array(4), consumer);
          held[op.park]!.push(ordinal);
        }
        consumer.advance(bus.i32[off >> 2]!);
        consumer.release();
        consumed++;
      } else if (op.kind === 'release') {
        agents[op.agent]!.state = RUNNING;
        recovery.releaseParked(agents[op.agent] as never);
        held[op.agent] = [];
      } else {
        recovery.dropParked(agents[op.agent] as never, 'AGENT_GONE');
        held[op.agent] = [];
      }
      const oldest = Math.min(...held.flat());
      const expected = Number.isFinite(oldest) ? oldest - 1 : consumed;
      if (producer.settledFrames() !== expected) {
        throw new Error(`after ${JSON.stringify(op)}: settled ${producer.settledFrames()}, expected ${expected} (held ${JSON.stringify(held)}, consumed ${consumed})`);
      }
    }
    runs++;
  }), { numRuns: 300 });
  t.equal(runs, 300, 'every sequence checked');
});

t.test('a new consumer (a replacement worker) starts settled at what was consumed', async (t) => {
  const w = world();
  const frame = encodeFrame({ performative: 1, destinationSlot: 0, destinationGeneration: 1, sourceSlot: 1, sourceGeneration: 1, messageIdLo: 1, messageIdHi: 0, conversationLo: 0, conversationHi: 0, inReplyToLo: 0, inReplyToHi: 0 }, 'x');
  for (let i = 0; i < 3; i++) {
    const at = w.producer.reserve(frame.byteLength);
    w.bus.u8.set(frame, at);
  }
  w.producer.publish();
  for (let i = 0; i < 3; i++) {
    const off = w.consumer.peek();
    if (i === 1) w.recovery.park(w.agents[0] as never, new Int32Array(4), w.consumer);
    w.consumer.advance(w.bus.i32[off >> 2]!);
    w.consumer.release();
  }
  t.equal(w.producer.settledFrames(), 1, 'held below the parked second frame');
  // The worker dies with its park (the supervisor dead-letters it WORKER_LOST); its successor holds nothing.
  new RingConsumer(w.bus, 2, 1);
  t.equal(w.producer.settledFrames(), 3, 'everything consumed is settled');
});
