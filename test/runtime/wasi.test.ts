// The capability-free WASI preview 1 of agent ABI 2 (runtime/host/wasi.ts),
// function by function, on a real WebAssembly memory: what an agent can
// read (clocks, random, empty args and environment), where its output goes
// (its log, line by line), and that everything else (files, sockets,
// descriptors never opened) is refused with an errno, never a host
// exception, whatever the pointers. End to end in a runtime: abi2.test.ts.
import t from 'tap';
import fc from 'fast-check';
import { WasiImports, ProcExit } from '../../dist/runtime/host/wasi.js';
import { WASI_IMPORTS } from '../../dist/runtime/module/wasi-imports.js';
import { realClock } from '../../dist/runtime/host/agent-clock.js';

const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOTSUP = 58;
const ESPIPE = 70;

type Fn = (...args: (number | bigint)[]) => number | undefined;

function setup(pages = 1): { wasi: Record<string, Fn>; dv: () => DataView; u8: () => Uint8Array; logs: { level: number; text: string }[] } {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages + 1 });
  const agent = { memory, stdoutTail: '', stderrTail: '' };
  const logs: { level: number; text: string }[] = [];
  const w = new WasiImports({ agent } as never, realClock, (_a, level, text) => logs.push({ level, text }));
  return { wasi: w.object as unknown as Record<string, Fn>, dv: () => new DataView(memory.buffer), u8: () => new Uint8Array(memory.buffer), logs };
}

/** Write `text` at `at` and one iovec {at, length} at `iov`. */
function iovec(u8: Uint8Array, dv: DataView, iov: number, at: number, text: string): void {
  const b = Buffer.from(text);
  u8.set(b, at);
  dv.setUint32(iov, at, true);
  dv.setUint32(iov + 4, b.length, true);
}

t.test('the import object offers exactly the preview 1 functions the ABI check accepts', async (t) => {
  const { wasi } = setup();
  t.same(Object.keys(wasi).sort(), Object.keys(WASI_IMPORTS).sort());
  for (const [name, sig] of Object.entries(WASI_IMPORTS)) t.equal(wasi[name]!.length <= sig.params.length, true, `${name}: no more parameters than its signature`);
});

t.test('no arguments, no environment', async (t) => {
  const { wasi, dv } = setup();
  dv().setUint32(0, 7, true);
  dv().setUint32(4, 7, true);
  t.equal(wasi.args_sizes_get!(0, 4), 0);
  t.same([dv().getUint32(0, true), dv().getUint32(4, true)], [0, 0]);
  dv().setUint32(8, 7, true);
  t.equal(wasi.environ_sizes_get!(8, 12), 0);
  t.equal(dv().getUint32(8, true), 0);
  t.equal(wasi.args_get!(0, 0), 0);
  t.equal(wasi.environ_get!(0, 0), 0);
});

t.test('clocks: realtime and monotonic; the CPU clocks are not offered', async (t) => {
  const { wasi, dv } = setup();
  t.equal(wasi.clock_time_get!(0, 0n, 16), 0);
  const ms = Number(dv().getBigUint64(16, true) / 1_000_000n);
  t.ok(Math.abs(ms - Date.now()) < 1000, 'realtime is the wall clock');
  t.equal(wasi.clock_time_get!(1, 0n, 16), 0);
  const m1 = dv().getBigUint64(16, true);
  t.equal(wasi.clock_time_get!(1, 0n, 16), 0);
  t.ok(dv().getBigUint64(16, true) >= m1, 'monotonic does not go back');
  t.equal(wasi.clock_time_get!(2, 0n, 16), ENOTSUP);
  t.equal(wasi.clock_time_get!(3, 0n, 16), ENOTSUP);
  t.equal(wasi.clock_time_get!(9, 0n, 16), EINVAL);
  t.equal(wasi.clock_res_get!(0, 16), 0);
  t.equal(dv().getBigUint64(16, true), 1000n);
  t.equal(wasi.clock_res_get!(2, 16), ENOTSUP);
});

t.test('stdout and stderr become log lines; stdin is empty; nothing else is open', async (t) => {
  const { wasi, dv, u8, logs } = setup();
  iovec(u8(), dv(), 0, 100, 'one ');
  iovec(u8(), dv(), 8, 120, 'line\nsecond line\r\nthird, ');
  t.equal(wasi.fd_write!(1, 0, 2, 64), 0);
  t.equal(dv().getUint32(64, true), 4 + 25, 'nwritten counts every byte');
  t.same(logs, [{ level: 30, text: 'one line' }, { level: 30, text: 'second line' }], 'complete lines only, CR LF trimmed');
  iovec(u8(), dv(), 0, 100, 'unfinished\n');
  t.equal(wasi.fd_write!(1, 0, 1, 64), 0);
  t.same(logs[2], { level: 30, text: 'third, unfinished' }, 'a line written in pieces is one line');
  iovec(u8(), dv(), 0, 100, 'oops\n');
  t.equal(wasi.fd_write!(2, 0, 1, 64), 0);
  t.same(logs[3], { level: 40, text: 'oops' }, 'stderr at warn');
  // A line without end is logged in 8 KiB pieces, not kept without bound.
  u8().fill(0x61, 1000, 1000 + 20000);
  dv().setUint32(0, 1000, true);
  dv().setUint32(4, 20000, true);
  t.equal(wasi.fd_write!(1, 0, 1, 64), 0);
  t.same(logs.slice(4).map((l) => l.text.length), [8192, 8192], 'two full pieces logged, the rest kept');
  t.equal(wasi.fd_write!(0, 0, 1, 64), EBADF, 'stdin is not writable');
  t.equal(wasi.fd_write!(3, 0, 1, 64), EBADF);
  dv().setUint32(64, 9, true);
  t.equal(wasi.fd_read!(0, 0, 1, 64), 0);
  t.equal(dv().getUint32(64, true), 0, 'stdin reads as end of file');
  t.equal(wasi.fd_read!(3, 0, 1, 64), EBADF);
  t.equal(wasi.fd_fdstat_get!(1, 200), 0);
  t.equal(dv().getUint8(200), 2, 'stdout is a character device');
  t.equal(dv().getBigUint64(208, true), 1n << 6n, 'which may only be written');
  t.equal(wasi.fd_fdstat_get!(3, 200), EBADF);
  t.equal(wasi.fd_seek!(1, 0n, 0, 200), ESPIPE);
  t.equal(wasi.fd_prestat_get!(3, 200), EBADF, 'no preopened directory');
  t.equal(wasi.path_open!(3, 0, 100, 4, 0, -1n, -1n, 0, 200), EBADF, 'so no file');
  t.equal(wasi.path_open!(1, 0, 100, 4, 0, -1n, -1n, 0, 200), EBADF);
  t.equal(wasi.sock_accept!(3, 0, 200), EBADF, 'no sockets');
  t.equal(wasi.sock_send!(1, 0, 1, 0, 200), EBADF);
});

t.test('poll_oneoff: a clock wait is over at once, a descriptor wait fails', async (t) => {
  const { wasi, dv } = setup();
  const d = dv();
  // two subscriptions of 48 bytes at 0: a clock (tag 0), an fd_read (tag 1)
  d.setBigUint64(0, 0x1111n, true);
  d.setUint8(8, 0);
  d.setBigUint64(24, 10_000_000_000n, true); // ten seconds
  d.setBigUint64(48, 0x2222n, true);
  d.setUint8(56, 1);
  const t0 = performance.now();
  t.equal(wasi.poll_oneoff!(0, 200, 2, 300), 0);
  t.ok(performance.now() - t0 < 1000, 'did not sleep');
  t.equal(d.getUint32(300, true), 2);
  t.same([d.getBigUint64(200, true), d.getUint16(208, true), d.getUint8(210)], [0x1111n, 0, 0]);
  t.same([d.getBigUint64(232, true), d.getUint16(240, true), d.getUint8(242)], [0x2222n, EBADF, 1]);
  t.equal(wasi.poll_oneoff!(0, 200, 0, 300), EINVAL);
});

t.test('random_get, proc_exit, the rest', async (t) => {
  const { wasi, u8 } = setup();
  t.equal(wasi.random_get!(100, 64), 0);
  t.ok(u8().subarray(100, 164).some((b) => b !== 0));
  t.throws(() => wasi.proc_exit!(7), new ProcExit(7), 'proc_exit ends the call');
  t.equal(wasi.sched_yield!(), 0);
  t.equal(wasi.proc_raise!(9), ENOTSUP);
});

t.test('hostile pointers get EFAULT or EBADF, never a host exception', async (t) => {
  const { wasi } = setup();
  const end = 65536;
  t.equal(wasi.clock_time_get!(0, 0n, end - 4), EFAULT);
  t.equal(wasi.args_sizes_get!(end, 0), EFAULT);
  t.equal(wasi.random_get!(end - 8, 16), EFAULT);
  t.equal(wasi.random_get!(-1, 16), EFAULT, 'a negative i32 is a pointer near 4 GiB');
  t.equal(wasi.fd_write!(1, end - 4, 1, 0), EFAULT);
  t.equal(wasi.poll_oneoff!(0, end - 8, 1, 0), EFAULT);
  t.equal(wasi.fd_write!(1, 0, 0x20000000, 0), EFAULT, 'an iovec count past the memory');
  // Any arguments to any function but proc_exit: an errno back, nothing thrown.
  const names = Object.keys(WASI_IMPORTS).filter((n) => n !== 'proc_exit');
  const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  fc.assert(fc.property(fc.constantFrom(...names), fc.array(i32, { minLength: 9, maxLength: 9 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (name, ints, big) => {
    const args = WASI_IMPORTS[name]!.params.map((p, i) => (p === 'i64' ? big : ints[i]!));
    const rc = wasi[name]!(...args);
    return Number.isInteger(rc) && rc! >= 0 && rc! < 77;
  }), { numRuns: 3000 });
});
