/**
 * Progress of a `caxton bench` run on stderr. On a terminal, a bar per run;
 * otherwise (a log, CI) one line per run, numbered within its phase and with
 * an estimate of the whole run's time left:
 *
 *   caxton bench: throughput (bus) 3/5, about 40 s left
 *
 * The estimate comes from the plan (every run the bench will make, with
 * about how long each takes on a quiet machine), scaled by how fast the runs
 * so far actually went: a loaded machine's estimate grows as it falls behind.
 */
import cliProgress from 'cli-progress';

/** One run the bench will make: its progress label and about how many seconds it takes. */
export interface PlannedRun {
  phase: string;
  seconds: number;
}

export interface BenchContext {
  /** the runs to come, in order (called once, before the first run) */
  expect(plan: PlannedRun[]): void;
  /** one run starts: a bar on a terminal, one line otherwise */
  progress(phase: string, total: number): Progress;
}

export interface Progress {
  update(value: number): void;
  stop(): void;
}

/** Where a run stands in the plan: "3/5" within its phase, and the estimated seconds left for the whole bench. */
interface Position {
  counter?: string;
  secondsLeft?: number;
}

/** Follows the plan as runs start. */
class PlanTracker {
  private remaining: PlannedRun[] = [];
  private readonly ofPhase = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private donePlannedSeconds = 0;
  private startedAt = 0;

  constructor(private readonly now: () => number) {}

  expect(plan: PlannedRun[]): void {
    this.remaining = [...plan];
    for (const r of plan) this.ofPhase.set(r.phase, (this.ofPhase.get(r.phase) ?? 0) + 1);
    this.startedAt = this.now();
  }

  /** A run of `phase` starts now. */
  start(phase: string): Position {
    const of = this.ofPhase.get(phase);
    if (of === undefined) return {};
    const n = (this.seen.get(phase) ?? 0) + 1;
    this.seen.set(phase, n);
    // The plan's first run of this phase is this one (runs of different phases may come in another order than planned).
    const at = this.remaining.findIndex((r) => r.phase === phase);
    const current = at < 0 ? undefined : this.remaining.splice(at, 1)[0];
    const plannedLeft = this.remaining.reduce((s, r) => s + r.seconds, current?.seconds ?? 0);
    // How much slower (or faster) than planned the machine has been so far.
    const pace = this.donePlannedSeconds > 0 ? (this.now() - this.startedAt) / 1000 / this.donePlannedSeconds : 1;
    this.donePlannedSeconds += current?.seconds ?? 0;
    return { counter: `${n}/${of}`, secondsLeft: plannedLeft * pace };
  }
}

/** "about 40 s", "about 2 min 10 s": 5 s steps under a minute, 10 s steps above. */
export function formatTimeLeft(seconds: number): string {
  if (seconds < 7.5) return 'a few seconds';
  if (seconds < 57.5) return `about ${Math.round(seconds / 5) * 5} s`;
  const tens = Math.round(seconds / 10);
  const min = Math.floor(tens / 6);
  const sec = (tens % 6) * 10;
  return `about ${min} min${sec ? ` ${sec} s` : ''}`;
}

function label(phase: string, at: Position): string {
  if (at.counter === undefined) return phase;
  return `${phase} ${at.counter}, ${formatTimeLeft(at.secondsLeft ?? 0)} left`;
}

export function makeContext(stream: NodeJS.WriteStream = process.stderr, quiet = false, now: () => number = () => performance.now()): BenchContext {
  const plan = new PlanTracker(now);
  return {
    expect: (runs) => plan.expect(runs),
    progress(phase: string, total: number): Progress {
      const at = plan.start(phase);
      if (quiet) return { update() {}, stop() {} };
      if (!stream.isTTY) {
        stream.write(`caxton bench: ${label(phase, at)}\n`);
        return { update() {}, stop() {} };
      }
      const bar = new cliProgress.SingleBar({
        format: `${label(phase, at).padEnd(56)} [{bar}] {percentage}% | {value}/{total}`,
        stream, hideCursor: true, clearOnComplete: false,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0);
      return { update: (v) => bar.update(Math.min(v, total)), stop: () => bar.stop() };
    },
  };
}
