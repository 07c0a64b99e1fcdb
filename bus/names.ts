/**
 * A thread's copy of the agent directory: name -> slot for sends, slot ->
 * name for log lines, spans and the API's messages. The supervisor owns the
 * registry and pushes every change as a 'names' message (add, remove); the
 * workers and the API thread apply it here.
 */
export class NameTable {
  private readonly slots = new Map<string, number>();
  private readonly names = new Map<number, string>();

  apply(add: readonly [string, number][], remove: readonly string[]): void {
    for (const n of remove) {
      const slot = this.slots.get(n);
      this.slots.delete(n);
      // A name removed and re-added elsewhere in one update keeps its new slot's entry.
      if (slot !== undefined && this.names.get(slot) === n) this.names.delete(slot);
    }
    for (const [n, slot] of add) {
      this.slots.set(n, slot);
      this.names.set(slot, n);
    }
  }

  slotOf(name: string): number | undefined {
    return this.slots.get(name);
  }

  /** Every name known (agents and `$` endpoints), for a did-you-mean. */
  allNames(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** The name at `slot`, or undefined when none is known. */
  nameAt(slot: number): string | undefined {
    return this.names.get(slot);
  }
}
