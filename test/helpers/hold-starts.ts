// Frames that wait in a ring, made deterministically: the supervisor tells a
// worker to begin draining its rings only with a 'start' control message
// (WorkerPool.sendStart) once its agents are in place. Holding that message
// back leaves the worker serving control messages (deploy, stop, remove) but
// draining nothing, so a test can put frames in its rings, change the agents
// they are for, and then let the worker drain them. No runtime code changes:
// the hold wraps the method on the prototype, for runtimes started while held.
import { WorkerPool } from '../../dist/runtime/supervisor/worker-pool.js';

type SendStart = WorkerPool['sendStart'];

export interface StartHold {
  /** send the 'start' messages held so far and stop holding (idempotent) */
  release(): void;
  /** how many 'start' messages are held (one per worker of a runtime started meanwhile) */
  readonly held: number;
}

let active = false;

export function holdWorkerStarts(): StartHold {
  if (active) throw new Error('holdWorkerStarts: a hold is already active');
  active = true;
  const original: SendStart = WorkerPool.prototype.sendStart;
  const held: (() => void)[] = [];
  WorkerPool.prototype.sendStart = function (this: WorkerPool, slot) {
    held.push(() => original.call(this, slot));
  };
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      WorkerPool.prototype.sendStart = original;
      active = false;
      for (const start of held.splice(0)) start();
    },
    get held() {
      return held.length;
    },
  };
}
