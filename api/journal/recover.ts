/**
 * Reading the journal of earlier runs at start (api/journal/writer.ts writes
 * it). Runs on the main thread before any thread starts: what an earlier run
 * accepted and never settled is either sent again (durable) or becomes a
 * LOST_IN_CRASH dead letter. The files are removed only after that, so a
 * crash during the start itself loses nothing either.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_DIR, JOURNAL_FILE, type DurablePart, type MessageLine } from './format.js';

/** A message an earlier run accepted and never settled. */
export interface Unfinished {
  run: string;
  messageId: string;
  agent: string;
  performative: string;
  /** '' = none */
  conversationId: string;
  /** when the API accepted it (ms since the epoch) */
  at: number;
  /** kept for resending (durable: true) */
  durable: DurablePart | undefined;
  /** the run stopped cleanly (a drain that timed out) rather than crashed */
  stopped: boolean;
}

export interface JournalContents {
  unfinished: Unfinished[];
  /** files read: remove them (removeJournal) once the unfinished ones are dealt with */
  files: string[];
  /** lines that could not be read (a line cut short by the crash, or damage) */
  unreadable: number;
  /** runs that left files */
  runs: number;
}

/** A new run's id: start time (base 36) and random bits, so two runs never share files. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

interface Run {
  marks: number[];
  records: MessageLine[];
  stopped: boolean;
}

export function readJournal(dataDir: string): JournalContents {
  const dir = join(dataDir, JOURNAL_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => JOURNAL_FILE.test(n)).sort();
  } catch {
    return { unfinished: [], files: [], unreadable: 0, runs: 0 };
  }
  const runs = new Map<string, Run>();
  let unreadable = 0;
  for (const name of names) {
    const id = JOURNAL_FILE.exec(name)![1]!;
    let run = runs.get(id);
    if (!run) runs.set(id, (run = { marks: [], records: [], stopped: false }));
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(line) as Record<string, unknown>;
      } catch {
        unreadable++;
        continue;
      }
      if (typeof v.m === 'string' && typeof v.t === 'number' && typeof v.o === 'number') {
        run.records.push(v as unknown as MessageLine);
      } else if (Array.isArray(v.s)) {
        // Marks only grow: the largest seen is the last written.
        (v.s as number[]).forEach((s, t) => { if (typeof s === 'number' && !(s <= (run.marks[t] ?? 0))) run.marks[t] = s; });
      } else if (v.end === 'stopped') {
        run.stopped = true;
      } else if (typeof v.run !== 'string') {
        unreadable++;
      }
    }
  }
  const unfinished: Unfinished[] = [];
  for (const [id, run] of runs) {
    for (const r of run.records) {
      if (r.o <= (run.marks[r.t] ?? 0)) continue;
      unfinished.push({
        run: id, messageId: r.m, agent: String(r.a), performative: String(r.p), conversationId: typeof r.c === 'string' ? r.c : '',
        at: typeof r.at === 'number' ? r.at : 0, durable: r.d, stopped: run.stopped,
      });
    }
  }
  unfinished.sort((a, b) => a.at - b.at);
  return { unfinished, files: names.map((n) => join(dir, n)), unreadable, runs: runs.size };
}

/** Remove files read by readJournal. */
export function removeJournal(files: readonly string[]): void {
  for (const f of files) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
}
