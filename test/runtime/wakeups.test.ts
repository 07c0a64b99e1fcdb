// No lost wake-ups: a producer that publishes to a ring whose consumer sleeps
// must wake it (bus/ring.ts wakeConsumer: doorbell SLEEPING -> AWAKE, then
// Atomics.notify). Every thread's sleep is bounded by maxSleepMs so that a
// lost wake-up can never hang it; with the default (1 s) a lost notify only
// made the suite slower, and no test failed.
//
// Here maxSleepMs is ten minutes and nobody spins: a sleeping thread wakes
// only when notified. Before each message the test waits until all three
// threads it crosses (supervisor -> worker 1 -> worker 2 -> supervisor) sleep,
// so each hop needs its producer's wake-up; a lost one leaves the message
// waiting ten minutes, and the test fails at its backstop instead.
// Nothing is timed: the backstop is only reached when a wake-up was lost.
import t from 'tap';
import { Runtime, silentLogger } from '../../dist/runtime/index.js';
import { decodeFrame } from '../../dist/bus/frame.js';
import { DOORBELL_SLEEPING, T_DOORBELL } from '../../dist/bus/layout.js';
import { example, Inbox } from '../helpers/agents.js';
import { waitUntil, within } from '../helpers/wait.js';

/** far beyond any backstop below: only a notify ends a sleep */
const SLEEP_MS = 600_000;
/** a message's trip across three threads: milliseconds when woken, SLEEP_MS when a wake-up is lost */
const TRIP_MS = 10_000;
const ROUNDS = 20;

t.test('a message crossing three sleeping threads wakes each of them', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), spinMicros: 0, supervisorSpinMicros: 0, maxSleepMs: SLEEP_MS });
  t.teardown(() => within(rt.shutdown(5000), 'shutdown()', { timeoutMs: TRIP_MS }));
  const inbox = new Inbox<unknown>();
  rt.openEndpoint('inbox', (frame) => inbox.push(decodeFrame(frame).content));
  // fan-out forwards what it gets to its targets: worker 1 -> worker 2 -> the supervisor's inbox.
  await rt.deploy([
    { name: 'second', module: example('fan-out'), worker: 2, config: { targets: ['inbox'] } },
    { name: 'first', module: example('fan-out'), worker: 1, config: { targets: ['second'] } },
  ]);

  const i32 = rt.bus.i32;
  const doorbells = [0, 1, 2].map((thread) => rt.bus.threadI32(thread) + T_DOORBELL);
  const asleep = (): boolean[] => doorbells.map((d) => Atomics.load(i32, d) === DOORBELL_SLEEPING);
  const received: unknown[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await waitUntil(asleep, (s) => s.every(Boolean), 'the supervisor and both workers asleep', { intervalMs: 0, timeoutMs: TRIP_MS });
    rt.send({ to: 'first', performative: 'inform', content: round });
    const got = await inbox.next(TRIP_MS).catch((e: Error) => {
      throw new Error(`round ${round}: the message did not cross the sleeping threads (a lost wake-up?): ${e.message}; doorbells asleep: ${String(asleep())}`, { cause: e });
    });
    received.push(got);
  }
  t.same(received, Array.from({ length: ROUNDS }, (_, i) => i), `${ROUNDS} messages each woke the supervisor, worker 1 and worker 2 from their sleep`);
  const s = await rt.waitIdle(TRIP_MS);
  t.equal(s.delivered, ROUNDS * 3, 'three deliveries per message');
  t.equal(s.deadLettered, 0);
});
