// What an agent module may allocate besides its linear memory (issue #16,
// item 2): tables must declare a maximum and, at their maximum, take at most
// the agent's memory limit again; a module is at most MAX_MODULE_BYTES (which
// bounds its globals, data and element segments). Checked at deploy; a
// table.grow past a declared maximum fails in the agent at run time.
import t from 'tap';
import wabtInit from 'wabt';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { MAX_MODULE_BYTES, TABLE_ENTRY_BYTES } from '../../dist/runtime/limits.js';

const wabt = await wabtInit();

/**
 * A minimal agent with `tables` (WAT table declarations); it answers each
 * message with the result of `grow` as content. ABI 1, or with `abi2` an
 * ABI 2 module as a WASI toolchain makes one (it imports a WASI function).
 */
function agent(tables: string, grow = '(i32.const 0)', abi2 = false): Uint8Array {
  const m = wabt.parseWat('agent.wat', `(module
    ${abi2 ? '(import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))' : ''}
    (import "env" "memory" (memory 1))
    (import "caxton" "send" (func $send (param i32 i32) (result i32)))
    ${tables}
    (func (export "caxton_abi_version") (result i32) (i32.const ${abi2 ? 2 : 1}))
    (func (export "caxton_alloc") (param i32) (result i32) (i32.const 1024))
    (func (export "caxton_init") (param i32 i32) (result i32) (i32.const 0))
    (func (export "caxton_handle") (param $p i32) (param $n i32) (result i32)
      ;; answer the sender: destination = source, performative INFORM, content = a msgpack int32 (0xd2 + big-endian)
      (i32.store offset=8 (local.get $p) (i32.load offset=16 (local.get $p)))
      (i32.store8 offset=5 (local.get $p) (i32.const 7))
      (i32.store offset=40 (local.get $p) (i32.load offset=24 (local.get $p)))
      (i32.store offset=44 (local.get $p) (i32.load offset=28 (local.get $p)))
      (i32.store offset=72 (local.get $p) (i32.const 0))
      (i32.store8 offset=80 (local.get $p) (i32.const 0xd2))
      (i32.store offset=81 (local.get $p) (call $bswap ${grow}))
      (i32.store (local.get $p) (i32.const 85))
      (drop (call $send (local.get $p) (i32.const 85)))
      (i32.const 0))
    (func $bswap (param $x i32) (result i32)
      (i32.or (i32.or (i32.shl (local.get $x) (i32.const 24)) (i32.and (i32.shl (local.get $x) (i32.const 8)) (i32.const 0xff0000)))
              (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00)) (i32.shr_u (local.get $x) (i32.const 24))))))`,
  { reference_types: true, bulk_memory: true });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

t.test('tables are checked against the agent\'s memory limit at deploy', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  // The attack the issue measured: 64 KiB of memory, four tables of 10 M entries each.
  await t.rejects(rt.deploy({
    name: 'hog', memoryLimitBytes: 64 * 1024,
    module: agent('(table 10000000 10000000 funcref) (table 10000000 10000000 funcref) (table 10000000 10000000 funcref) (table 10000000 10000000 funcref)'),
  }), { code: 'TABLES_TOO_LARGE', message: /40000000 entries/, hint: /maximum/ });
  await t.rejects(rt.deploy({ name: 'grower', module: agent('(table 1 funcref)') }), { code: 'TABLES_TOO_LARGE', message: /table 0 declares no maximum/ });
  // Exactly at the limit is fine; one entry more is not.
  const limit = 64 * 1024;
  const most = limit / TABLE_ENTRY_BYTES;
  await t.resolves(rt.deploy({ name: 'fits', memoryLimitBytes: limit, module: agent(`(table 1 ${most} funcref)`) }));
  await t.rejects(rt.deploy({ name: 'over', memoryLimitBytes: limit, module: agent(`(table 1 ${most + 1} funcref)`) }), { code: 'TABLES_TOO_LARGE' });
  t.same(rt.list().map((a) => a.name), ['fits']);
});

t.test('a table cannot grow past its declared maximum at run time', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy({ name: 'g', module: agent('(table $t 1 8 funcref)', '(table.grow $t (ref.null func) (i32.const 100))') });
  t.equal((await rt.request({ to: 'g', performative: 'request', content: null })).content, -1, 'table.grow past the maximum returns -1');
});

t.test('a module larger than MAX_MODULE_BYTES is refused by its size, before it is compiled', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  const huge = new Uint8Array(MAX_MODULE_BYTES + 1);
  huge.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  await t.rejects(rt.deploy({ name: 'huge', module: huge }), { code: 'MODULE_TOO_LARGE', message: new RegExp(`${MAX_MODULE_BYTES + 1} bytes`) });
});

t.test('ABI 2: a table without a maximum is capped at its minimum, so it cannot grow', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  // As Go's wasip1 port declares its function table: no maximum, never grown.
  await rt.deploy({ name: 'wasi-table', module: agent('(table $t 3 funcref)', '(table.grow $t (ref.null func) (i32.const 1))', true) });
  t.equal((await rt.request({ to: 'wasi-table', performative: 'request', content: 0 })).content, -1, 'table.grow past the cap fails');
  // ABI 1 still refuses it (the module must say how far its table may grow)
  await t.rejects(rt.deploy({ name: 'v1-table', module: agent('(table 1 funcref)') }), { code: 'TABLES_TOO_LARGE', message: /declares no maximum/ });
});
