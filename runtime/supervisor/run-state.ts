/**
 * Where the runtime is in its life: starting, running, draining, stopped.
 * The supervisor's parts ask it before they take new work; the threads read
 * its copy in the bus (G_RUN_STATE).
 */
import { G_RUN_STATE, RUN_STATE_DRAINING, RUN_STATE_RUNNING, RUN_STATE_STOPPED } from '../../bus/layout.js';
import { RuntimeNotRunningError } from '../errors.js';

export type RunStateName = 'starting' | 'running' | 'draining' | 'stopped';

export class RunState {
  private state: RunStateName = 'starting';
  private readonly i32: Int32Array;

  constructor(i32: Int32Array) {
    this.i32 = i32;
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Boot is done: the threads see it first. */
  markRunning(): void {
    Atomics.store(this.i32, G_RUN_STATE, RUN_STATE_RUNNING);
    this.state = 'running';
  }

  /** Shutdown began: new work is refused here first. */
  markDraining(): void {
    this.state = 'draining';
    Atomics.store(this.i32, G_RUN_STATE, RUN_STATE_DRAINING);
  }

  markStopped(): void {
    this.state = 'stopped';
    Atomics.store(this.i32, G_RUN_STATE, RUN_STATE_STOPPED);
  }

  assertRunning(): void {
    if (this.state !== 'running') throw new RuntimeNotRunningError(this.state);
  }
}
