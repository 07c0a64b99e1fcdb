// Interrupt checks (runtime/module/interrupts.ts): the rewritten module
// computes exactly what the original did (calls, tables, start function,
// element segments, ref.func, names: every function index moved by the added
// import), its loops and tail calls call the check, and a check that throws
// ends a call that would never return. Modules are written in WAT and
// compiled with wabt; the agents of this repository are rewritten too.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { addInterruptChecks, FUEL_PER_CHECK, INTERRUPT_MODULE, INTERRUPT_NAME } from '../../dist/runtime/module/interrupts.js';

const wabt = await wabtInit();

function wasm(text: string): Uint8Array<ArrayBuffer> {
  const m = wabt.parseWat('test.wat', text, { reference_types: true, bulk_memory: true, tail_call: true, simd: true, sign_extension: true });
  try {
    return new Uint8Array(m.toBinary({ write_debug_names: true }).buffer);
  } finally {
    m.destroy();
  }
}

/** Instantiate `bytes`; `checks` counts the calls to the interrupt check, which throws once `stopAfter` is reached. */
function instantiate(bytes: Uint8Array<ArrayBuffer>, imports: Record<string, Record<string, unknown>> = {}, stopAfter = Infinity) {
  const counter = { checks: 0 };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    ...imports,
    [INTERRUPT_MODULE]: {
      ...(imports[INTERRUPT_MODULE] ?? {}),
      [INTERRUPT_NAME]: () => {
        if (++counter.checks >= stopAfter) throw new Error('interrupted');
      },
    },
  });
  return { exports: instance.exports as Record<string, (...a: number[]) => number>, counter };
}

// Calls through every place a function index appears: call, call_indirect via
// an active and a passive element segment, ref.func in a global's init, the
// start function, exports; an imported function keeps its index.
const INDEXED = `(module
  (import "host" "twice" (func $twice (param i32) (result i32)))
  (type $unary (func (param i32) (result i32)))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 0) func $inc $dbl)
  (elem $later func $sq)
  (global $started (mut i32) (i32.const 0))
  (global $fref funcref (ref.func $sq))
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (param i32) (result i32) (call $twice (local.get 0)))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $init (global.set $started (i32.const 42)))
  (start $init)
  (func (export "direct") (param i32) (result i32) (call $inc (call $sq (local.get 0))))
  (func (export "indirect") (param $slot i32) (param $x i32) (result i32) (call_indirect $t (type $unary) (local.get $x) (local.get $slot)))
  (func (export "passive") (param i32) (result i32)
    (table.init $t $later (i32.const 2) (i32.const 0) (i32.const 1))
    (call_indirect $t (type $unary) (local.get 0) (i32.const 2)))
  (func (export "fromGlobal") (param i32) (result i32)
    (table.set $t (i32.const 3) (global.get $fref))
    (call_indirect $t (type $unary) (local.get 0) (i32.const 3)))
  (func (export "started") (result i32) (global.get $started))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func $countdown (export "countdown") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 7)) (else (return_call $countdown (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "spin") (loop $forever (br $forever)))
  (func (export "vector") (result i32) (i32x4.extract_lane 2 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))))`;

t.test('a rewritten module computes what the original did', async (t) => {
  const original = wasm(INDEXED);
  const rewritten = addInterruptChecks(original);
  t.ok(WebAssembly.validate(rewritten), 'valid');
  const host = { host: { twice: (x: number) => 2 * x } };
  const a = instantiate(original, host).exports;
  const b = instantiate(rewritten, host).exports;
  for (const [name, args] of [['direct', [5]], ['indirect', [0, 5]], ['indirect', [1, 5]], ['passive', [6]], ['fromGlobal', [7]], ['started', []], ['sum', [100]], ['countdown', [50]], ['vector', []]] as const) {
    t.equal(b[name]!(...args), a[name]!(...args), `${name}(${args.join(', ')})`);
  }
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(rewritten));
  t.same(imports.at(-1), { module: INTERRUPT_MODULE, name: INTERRUPT_NAME, kind: 'function' }, 'the check is the last import');
  t.same(WebAssembly.Module.exports(new WebAssembly.Module(rewritten)), WebAssembly.Module.exports(new WebAssembly.Module(original)), 'the same exports');
});

t.test('loops and tail calls spend fuel: the check is called every FUEL_PER_CHECK iterations', async (t) => {
  const { exports, counter } = instantiate(addInterruptChecks(wasm(INDEXED)), { host: { twice: (x: number) => 2 * x } });
  exports.sum!(FUEL_PER_CHECK * 3);
  t.equal(counter.checks, 3, 'a loop of 3 x FUEL iterations (plus its exit) checks 3 times');
  counter.checks = 0;
  exports.countdown!(FUEL_PER_CHECK * 2);
  t.equal(counter.checks, 2, 'tail calls spend fuel too');
  counter.checks = 0;
  exports.direct!(3);
  t.equal(counter.checks, 0, 'straight-line code never checks');
});

t.test('a throwing check ends a call that would never return, and the instance stays usable', async (t) => {
  const { exports, counter } = instantiate(addInterruptChecks(wasm(INDEXED)), { host: { twice: (x: number) => 2 * x } }, 5);
  t.throws(() => exports.spin!(), { message: 'interrupted' });
  t.equal(counter.checks, 5);
  t.equal(exports.direct!(4), 17);
});

t.test('the function names move with their functions (the name section is renumbered)', async (t) => {
  const { exports } = instantiate(addInterruptChecks(wasm(`(module
    (import "host" "f" (func $imported))
    (func $boom (export "blast") unreachable))`)), { host: { f: () => undefined } });
  const e = t.throws(() => exports.blast!()) as Error;
  // V8 names a wasm frame by the name section, else by the export: a name
  // section left unrenumbered would give $boom to the added import.
  t.match(e.stack?.split('\n')[1], /at boom \(/, 'the trap names the function that trapped');
});

t.test('a module without imports or globals gets both sections, in the right places', async (t) => {
  const bytes = addInterruptChecks(wasm('(module (func (export "spin") (loop $l (br $l))))'));
  t.ok(WebAssembly.validate(bytes));
  const { exports } = instantiate(bytes, {}, 2);
  t.throws(() => exports.spin!(), { message: 'interrupted' });
});

t.test('GC-proposal types are refused with a reason, not rewritten wrongly', async (t) => {
  // A type section with a struct type (form 0x5f): (module (type (struct)))
  const gc = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 1, 0x5f, 0);
  t.throws(() => addInterruptChecks(gc), { message: /GC proposal/ });
});

t.test('every agent and fixture of this repository rewrites to a valid module', async (t) => {
  for (const dir of ['agents', 'fixtures']) {
    const folder = new URL(`../../dist/${dir}/`, import.meta.url);
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.wasm'))) {
      const bytes = new Uint8Array(readFileSync(new URL(file, folder)));
      if (!WebAssembly.validate(bytes)) continue; // the not-wasm fixtures
      t.ok(WebAssembly.validate(addInterruptChecks(bytes)), `${dir}/${file}`);
    }
  }
});
