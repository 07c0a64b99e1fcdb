// The conversation-names table (bus/conversation-names.ts): what a reader
// gets back is the string recorded for that key or nothing, never another
// key's string or a torn one, while a writer on another thread rewrites the
// entries as fast as it can (the seqlock).
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { Bus } from '../../dist/bus/shared.js';
import { ConversationNames } from '../../dist/bus/conversation-names.js';
import { NAME_MAX_BYTES, NAME_SLOTS, NAME_WRITER_API, NAME_WRITER_SUPERVISOR } from '../../dist/bus/layout.js';
import { conversationKey } from '../../dist/runtime/fipa/acl/bridge.js';

const bus = Bus.create(3, 4096, 64);

t.test('names are kept per key, hex ids need none, long ones are not kept', async (t) => {
  const names = new ConversationNames(bus);
  names.remember(NAME_WRITER_API, conversationKey('order-10'), 'order-10');
  names.remember(NAME_WRITER_SUPERVISOR, conversationKey('réunion ✓'), 'réunion ✓');
  t.equal(names.lookup(conversationKey('order-10')), 'order-10');
  t.equal(names.lookup(conversationKey('réunion ✓')), 'réunion ✓', 'UTF-8 both ways, from the other writer\'s part');
  t.equal(names.show(conversationKey('order-11')), conversationKey('order-11'), 'an unknown key is shown as itself');
  names.remember(NAME_WRITER_API, conversationKey('c0ffee000000000a'), 'c0ffee000000000a');
  t.equal(names.lookup(conversationKey('c0ffee000000000a')), undefined, 'a 16-hex-digit id is its own key: nothing recorded');
  names.remember(NAME_WRITER_API, conversationKey('C0FFEE'), 'C0FFEE');
  t.equal(names.lookup(conversationKey('C0FFEE')), 'C0FFEE', 'a shorter or upper-case hex id is shown as given');
  const long = 'é'.repeat(NAME_MAX_BYTES / 2 + 1);
  names.remember(NAME_WRITER_API, conversationKey(long), long);
  t.equal(names.lookup(conversationKey(long)), undefined, `over ${NAME_MAX_BYTES} UTF-8 bytes: not kept`);
  t.equal(names.lookup('not a key'), undefined);
  t.equal(names.show('0000000000000000'), '0000000000000000', 'no conversation');
});

t.test('a direct-mapped cache: a newer name replaces an older one of the same entry, never mixes them', async (t) => {
  const names = new ConversationNames(bus);
  const all = Array.from({ length: NAME_SLOTS * 4 }, (_, i) => `conv-${i}`);
  for (const n of all) names.remember(NAME_WRITER_API, conversationKey(n), n);
  let kept = 0;
  for (const n of all) {
    const got = names.lookup(conversationKey(n));
    if (got !== undefined) {
      kept++;
      if (got !== n) t.fail(`${n} came back as ${got}`);
    }
  }
  t.ok(kept > NAME_SLOTS / 2 && kept <= NAME_SLOTS, `about one entry per slot kept (${kept} of ${all.length})`);
});

t.test('a reader racing a writer thread gets the right string or none', async (t) => {
  const rounds = 200;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { Bus } = await import(workerData.shared);
      const { ConversationNames } = await import(workerData.names);
      const { conversationKey } = await import(workerData.bridge);
      const names = new ConversationNames(new Bus(workerData.init));
      // Names of different lengths for the same entries, over and over.
      const keys = workerData.ids.map((n) => conversationKey(n));
      for (let r = 0; r < workerData.rounds; r++) {
        for (let i = 0; i < keys.length; i++) names.remember(workerData.writer, keys[i], workerData.ids[i]);
        // A second set evicts the first, so the next round writes them again.
        for (let i = 0; i < keys.length; i++) names.remember(workerData.writer, workerData.evictKeys[i], workerData.evict[i]);
      }
      parentPort.postMessage('done');
    })();`;
  const ids = Array.from({ length: 64 }, (_, i) => `${'x'.repeat(i * 3)}-${i}`);
  const names = new ConversationNames(bus);
  // Names that land on the same entries as `ids` (found by trying), so the writer keeps rewriting them.
  const evict: string[] = [];
  const probe = new ConversationNames(Bus.create(3, 4096, 64));
  for (const id of ids) {
    probe.remember(NAME_WRITER_API, conversationKey(id), id);
    for (let j = 0; ; j++) {
      const c = `evict-${id.length}-${j}`;
      probe.remember(NAME_WRITER_API, conversationKey(c), c);
      if (probe.lookup(conversationKey(id)) === undefined) { evict.push(c); break; }
    }
  }
  const w = new Worker(code, {
    eval: true,
    workerData: {
      init: bus.init, rounds, ids, evict, evictKeys: evict.map((e) => conversationKey(e)), writer: NAME_WRITER_API,
      shared: new URL('../../dist/bus/shared.js', import.meta.url).href,
      names: new URL('../../dist/bus/conversation-names.js', import.meta.url).href,
      bridge: new URL('../../dist/runtime/fipa/acl/bridge.js', import.meta.url).href,
    },
  });
  const done = new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  let finished = false;
  void done.then(() => { finished = true; });
  const expected = new Map([...ids, ...evict].map((n) => [conversationKey(n), n]));
  let found = 0;
  let wrong = 0;
  let reads = 0;
  while (!finished) {
    for (const [key, name] of expected) {
      const got = names.lookup(key);
      reads++;
      if (got === undefined) continue;
      found++;
      if (got !== name) wrong++;
    }
    await new Promise((r) => setImmediate(r));
  }
  await done;
  await w.terminate();
  t.equal(wrong, 0, `no wrong or torn string in ${reads} reads (${found} found)`);
  t.ok(found > 0, 'the reader did see names while the writer ran');
});
