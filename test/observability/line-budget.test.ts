// LineBudget (runtime/observability/line-budget.ts): at most N lines a
// window, the rest counted and reported once. A fake clock makes the windows
// exact; the timer that reports a count no later line flushes is waited for.
import t from 'tap';
import { LineBudget } from '../../dist/runtime/observability/line-budget.js';

t.test('N lines a window; the rest counted and reported when the next window starts', async (t) => {
  let now = 1_000;
  const reports: number[] = [];
  const budget = new LineBudget(3, (n) => reports.push(n), { now: () => now });
  const first = Array.from({ length: 10 }, () => budget.take());
  t.same(first, [true, true, true, false, false, false, false, false, false, false], 'three written, seven counted');
  t.same(reports, [], 'nothing reported inside the window');
  now += 999;
  t.equal(budget.take(), false, 'still the same window');
  now += 1;
  t.equal(budget.take(), true, 'a new window writes again');
  t.same(reports, [8], 'and reports the eight counted in the last one, once');
  budget.flush();
  t.same(reports, [8], 'a flush with nothing counted reports nothing');
  for (let i = 0; i < 2; i++) budget.take();
  t.equal(budget.take(5), false, 'a line that stands for five events, over the budget');
  budget.flush();
  t.same(reports, [8, 5], 'is counted as five');
});

t.test('a count no line follows is reported by the timer', async (t) => {
  let resolve!: (n: number) => void;
  const reported = new Promise<number>((r) => { resolve = r; });
  // The budget's timer is unref'd (it never keeps a process alive): this one keeps the test's alive meanwhile.
  const alive = setTimeout(() => undefined, 60_000);
  t.teardown(() => clearTimeout(alive));
  const budget = new LineBudget(1, resolve, { windowMs: 50 });
  t.equal(budget.take(), true);
  t.equal(budget.take(), false);
  t.equal(budget.take(), false);
  t.equal(await reported, 2, 'the two counted lines are reported without another take()');
});
