/**
 * Reading the server's log back (LogService.Tail, `caxton logs`).
 *
 * The logging thread writes NDJSON to <data-dir>/logs/caxton.N.log and
 * pino-roll starts caxton.N+1.log when a file is full (after flushing N).
 * `tailLog` reads the kept files oldest first, line by line, and with
 * `follow` keeps reading the newest one as it grows. Lines are found by
 * file and byte offset, so what was already written and what comes later
 * meet without a gap and without a line twice. A file is left only once a
 * newer one exists and the old one has been read to its end (pino-roll
 * never writes to a file again after starting the next).
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { watch, type FSWatcher } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface LogFilter {
  /**
   * a conversation's names: lines with any of them pass (the user's string
   * and its 16-hex-digit key, which lines written when the string was not
   * known to the writing thread carry)
   */
  conversationIds?: readonly string[] | undefined;
  agent?: string | undefined;
  /** lowest pino level number to show (0 = all) */
  minLevel?: number | undefined;
  /** ms since the epoch: lines before it are skipped */
  sinceMs?: number | undefined;
}

export interface LogLine {
  /** the line as written */
  text: string;
  /** the line parsed */
  fields: Record<string, unknown>;
}

/** How often a follower looks for new lines when the directory watcher says nothing. */
const POLL_MS = 200;
const CHUNK = 64 * 1024;

/** The numbered files of a log, oldest first: [number, path]. */
async function logFiles(base: string): Promise<[number, string][]> {
  const dir = dirname(base);
  const ext = extname(base);
  const stem = basename(base, ext);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const re = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)${ext.replace('.', '\\.')}$`);
  const out: [number, string][] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (m) out.push([Number(m[1]), join(dir, n)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Does a line pass the filter? Cheap substring tests first: most lines are rejected without parsing. */
function matches(text: string, f: LogFilter): Record<string, unknown> | undefined {
  const conversations = f.conversationIds;
  // As written in the line (JSON-quoted), so "order-1" does not pass for "order-10".
  if (conversations?.length && !conversations.some((c) => text.includes(JSON.stringify(c)))) return undefined;
  if (f.agent && !text.includes(f.agent)) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined; // a torn or foreign line: not ours to show
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  if (conversations?.length && !conversations.includes(fields.conversationId as string)) return undefined;
  if (f.agent && fields.agent !== f.agent) return undefined;
  if (f.minLevel && !(typeof fields.level === 'number' && fields.level >= f.minLevel)) return undefined;
  if (f.sinceMs && !(typeof fields.time === 'number' && fields.time >= f.sinceMs)) return undefined;
  return fields;
}

/**
 * How long a file we moved on from is still read for late lines. pino-roll
 * creates the next file while the last write to the old one may still be in
 * flight (seen in tests: the new file exists a moment before the old one's
 * last lines), so the old file is not given up at once.
 */
const LATE_WRITE_GRACE_MS = 2000;

interface FileReader {
  readonly fh: FileHandle;
  offset: number;
  /** the end of the file after its last newline, kept for the next read */
  rest: string;
  /** a character cut in two by a read is kept for the next one */
  readonly decoder: StringDecoder;
  /** when it last grew (ms), for LATE_WRITE_GRACE_MS */
  grewAt: number;
}

/** The complete lines the file has gained since the last call. */
async function readNew(r: FileReader, buf: Buffer): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const { bytesRead } = await r.fh.read(buf, 0, buf.length, r.offset);
    if (bytesRead === 0) return out;
    r.offset += bytesRead;
    r.grewAt = Date.now();
    const lines = (r.rest + r.decoder.write(buf.subarray(0, bytesRead))).split('\n');
    r.rest = lines.pop()!;
    for (const l of lines) if (l !== '') out.push(l);
  }
}

/**
 * The log's lines that pass `filter`: the kept files first, then (follow)
 * new lines until `signal` aborts. Ends when `signal` aborts in any case.
 */
export async function* tailLog(base: string, filter: LogFilter, follow: boolean, signal: AbortSignal): AsyncGenerator<LogLine> {
  let number = -1; // the file being read (or last read)
  let current: FileReader | undefined;
  /** files we moved on from, still read for late lines for a moment */
  const previous: FileReader[] = [];
  const buf = Buffer.allocUnsafe(CHUNK);
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  const waitForChange = async (): Promise<void> => {
    // A write or a new file in the directory wakes us; the poll interval is the fallback.
    if (!watcher) {
      try {
        watcher = watch(dirname(base), () => wake?.());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined; // no logs directory yet: polling finds it
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  };
  function* passing(lines: string[]): Generator<LogLine> {
    for (const line of lines) {
      const fields = matches(line, filter);
      if (fields) yield { text: line, fields };
    }
  }
  /** Late lines of the files we moved on from; forget those quiet for long enough. */
  async function* late(all: boolean): AsyncGenerator<LogLine> {
    for (let i = 0; i < previous.length; i++) {
      const r = previous[i]!;
      yield* passing(await readNew(r, buf));
      if (all || Date.now() - r.grewAt > LATE_WRITE_GRACE_MS) {
        await r.fh.close();
        previous.splice(i--, 1);
      }
    }
  }
  try {
    while (!signal.aborted) {
      if (previous.length) yield* late(false);
      if (!current) {
        const next = (await logFiles(base)).find(([n]) => n > number);
        if (!next) {
          if (!follow) break;
          await waitForChange();
          continue;
        }
        number = next[0];
        try {
          current = { fh: await open(next[1], 'r'), offset: 0, rest: '', decoder: new StringDecoder('utf8'), grewAt: Date.now() };
        } catch (e) {
          // Removed by rotation before we got to it: go on with the next one.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          continue;
        }
      }
      yield* passing(await readNew(current, buf));
      if (signal.aborted) return;
      // A newer file: the logger has moved on (this one may still get its last lines, see late()).
      if ((await logFiles(base)).some(([n]) => n > number)) {
        current.grewAt = Date.now();
        previous.push(current);
        current = undefined;
        continue;
      }
      if (!follow) break;
      await waitForChange();
    }
    if (!signal.aborted) yield* late(true);
  } finally {
    signal.removeEventListener('abort', onAbort);
    watcher?.close();
    await current?.fh.close();
    for (const r of previous) await r.fh.close();
  }
}
