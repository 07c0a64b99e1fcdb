// LineBuffer (runtime/tools/line-buffer.ts), the tool host's reader of a
// stdio tool server's messages: the same answers as the SDK's ReadBuffer
// for any way the bytes are cut into chunks, and the same limit.
import t from 'tap';
import fc from 'fast-check';
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { LineBuffer } from '../../dist/runtime/tools/line-buffer.js';

const msg = (id: number, text: string) => ({ jsonrpc: '2.0' as const, id, result: { content: [{ type: 'text', text }] } });

/** Feed `bytes` cut at `cuts` into a reader; every message read after each chunk, and what each throw said. */
function drain(reader: { append(b: Buffer): void; readMessage(): unknown }, bytes: Buffer, cuts: number[]): unknown[] {
  const out: unknown[] = [];
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to <= from) continue;
    reader.append(bytes.subarray(from, to));
    from = to;
    for (;;) {
      try {
        const m = reader.readMessage();
        if (m === null) break;
        out.push(m);
      } catch (e) {
        out.push({ threw: (e as Error).name });
      }
    }
  }
  return out;
}

t.test('the same messages as the SDK\'s ReadBuffer, however the stream is cut (CRLF, lines that are not JSON, non-ASCII text)', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.oneof(
      fc.record({ id: fc.nat(), text: fc.string({ unit: 'grapheme', maxLength: 40 }) }).map(({ id, text }) => JSON.stringify(msg(id, text))),
      fc.constant('not json'),
    ), { maxLength: 8 }),
    fc.boolean(),
    fc.array(fc.nat(), { maxLength: 12 }),
    (lines, crlf, cuts) => {
      const bytes = Buffer.from(lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join(''), 'utf8');
      const ours = drain(new LineBuffer(1 << 20), bytes, cuts);
      const sdk = drain(new ReadBuffer(), bytes, cuts);
      t.same(ours, sdk);
      return true;
    },
  ), { numRuns: 300 });
});

t.test('over the limit: the SDK\'s error message, and the buffer is empty after', async (t) => {
  const b = new LineBuffer(100);
  b.append(Buffer.alloc(60, 0x78));
  t.throws(() => b.append(Buffer.alloc(41, 0x78)), { message: 'ReadBuffer exceeded maximum size of 100 bytes' });
  b.append(Buffer.from(`${JSON.stringify(msg(1, 'ok'))}\n`));
  t.same(b.readMessage(), msg(1, 'ok'), 'what came before the overflow is gone');
  t.equal(b.readMessage(), null);
});

t.test('a message in many chunks is read once its newline comes; the rest waits', async (t) => {
  const b = new LineBuffer(1 << 20);
  const text = JSON.stringify(msg(7, 'x'.repeat(200_000)));
  for (let i = 0; i < text.length; i += 65_536) {
    b.append(Buffer.from(text.slice(i, i + 65_536)));
    t.equal(b.readMessage(), null, 'no newline yet');
  }
  b.append(Buffer.from(`\n${JSON.stringify(msg(8, 'y'))}`));
  t.same(b.readMessage(), msg(7, 'x'.repeat(200_000)));
  t.equal(b.readMessage(), null, 'the next has no newline yet');
  b.append(Buffer.from('\n'));
  t.same(b.readMessage(), msg(8, 'y'));
});
