// Progress lines off a terminal: each run numbered within its phase, and the
// time left estimated from the plan, scaled by how fast the runs so far went.
import t from 'tap';
import { formatTimeLeft, makeContext } from '../../dist/bench/progress.js';

function capture(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s.trimEnd()) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

t.test('counter per phase, and an estimate that follows the machine\'s pace', async (t) => {
  const { stream, lines } = capture();
  let now = 0;
  const ctx = makeContext(stream, false, () => now);
  ctx.expect([{ phase: 'a', seconds: 10 }, { phase: 'b', seconds: 20 }, { phase: 'a', seconds: 10 }, { phase: 'c', seconds: 60 }]);
  ctx.progress('a', 1).stop();
  now = 20_000; // the first run took twice its plan
  ctx.progress('b', 1).stop();
  now = 60_000;
  ctx.progress('a', 1).stop();
  now = 80_000;
  ctx.progress('c', 1).stop();
  ctx.progress('unplanned', 1).stop();
  t.same(lines, [
    'caxton bench: a 1/2, about 1 min 40 s left', // 100 s planned, no pace known yet
    'caxton bench: b 1/1, about 3 min left', // 90 s planned left, at twice the planned time
    'caxton bench: a 2/2, about 2 min 20 s left', // 70 s at 60 s per 30 s planned
    'caxton bench: c 1/1, about 2 min left', // 60 s at 80 s per 40 s planned
    'caxton bench: unplanned',
  ]);
});

t.test('time left in words', async (t) => {
  t.equal(formatTimeLeft(3), 'a few seconds');
  t.equal(formatTimeLeft(41), 'about 40 s');
  t.equal(formatTimeLeft(57), 'about 55 s');
  t.equal(formatTimeLeft(58), 'about 1 min');
  t.equal(formatTimeLeft(131), 'about 2 min 10 s');
  t.equal(formatTimeLeft(600), 'about 10 min');
});
