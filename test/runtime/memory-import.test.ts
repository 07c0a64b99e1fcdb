// A memory the module defines is made an import at deploy (agent ABI 2,
// runtime/module/memory-import.ts), so that the host sets its maximum; what
// it cannot cap is refused with MEMORY_NOT_IMPORTED. Modules built byte by
// byte here, so that each case is exactly what it says.
import t from 'tap';
import { importDefinedMemory } from '../../dist/runtime/module/memory-import.js';
import { validateAgentModule } from '../../dist/runtime/module/abi.js';

const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
const name = (s: string): number[] => [s.length, ...Buffer.from(s)];

/** A module with memory section `memory` (its vector), a data segment "hi" at 16, and `memory` exported. */
function module(memory: number[], extra: number[] = []): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([
    ...PREAMBLE,
    ...extra,
    ...section(5, memory),
    ...section(7, [1, ...name('memory'), 0x02, 0]),
    ...section(11, [1, 0x00, 0x41, 16, 0x0b, 2, ...Buffer.from('hi')]),
  ]);
}

t.test('a defined memory becomes env.memory with the same limits; data and export follow it', async (t) => {
  const bytes = importDefinedMemory(module([1, 0x01, 1, 4]));
  t.ok(WebAssembly.validate(bytes));
  const m = new WebAssembly.Module(bytes);
  t.same(WebAssembly.Module.imports(m), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  t.same(WebAssembly.Module.exports(m), [{ name: 'memory', kind: 'memory' }]);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const inst = new WebAssembly.Instance(m, { env: { memory } });
  t.equal(inst.exports.memory, memory, 'the export is the host\'s memory');
  t.equal(Buffer.from(memory.buffer, 16, 2).toString(), 'hi', 'the data segment was written into it');
  t.throws(() => memory.grow(1 + 1), RangeError, 'and the host\'s maximum holds');
  t.throws(() => new WebAssembly.Instance(m, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 8 }) } }), 'a maximum above the module\'s own is refused by WebAssembly itself');
});

t.test('what cannot be capped is refused, saying why', async (t) => {
  const cases: [string, number[], RegExp][] = [
    ['shared', [1, 0x03, 1, 2], /shared/],
    ['two memories', [2, 0x00, 1, 0x00, 1], /2 memories/],
  ];
  for (const [what, mem, why] of cases) {
    const bytes = module(mem);
    t.throws(() => importDefinedMemory(bytes), { message: why }, what);
    if (WebAssembly.validate(bytes)) {
      t.throws(() => validateAgentModule('x', bytes), { code: 'MEMORY_NOT_IMPORTED', message: why }, `${what}: MEMORY_NOT_IMPORTED at deploy`);
    }
  }
  // importing one memory and defining another
  const both = module([1, 0x00, 1], section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]));
  t.throws(() => importDefinedMemory(both), { message: /both imports and defines/ });
});
