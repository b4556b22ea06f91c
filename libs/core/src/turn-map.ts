/**
 * A map that lives for one turn of the event loop: its first entry schedules the turn's end at the
 * check phase (`setImmediate`), where `onEnd` gets the turn's entries and the next turn starts
 * empty. For sharing work among requests that arrive together: each arrives in an I/O callback of
 * its own, and the check phase comes once all of the turn's callbacks have run (a microtask would
 * see one request at a time). The Redis request connections send a turn's commands at that same
 * point (`coalesceWrites`), so a call made during the turn has not left before the turn ends.
 */
export class TurnMap<K, V> {
  private entries = new Map<K, V>();

  constructor(private readonly onEnd: (entries: Map<K, V>) => void = () => undefined) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size === 0) setImmediate(this.end);
    this.entries.set(key, value);
  }

  private readonly end = (): void => {
    const ended = this.entries;
    this.entries = new Map();
    this.onEnd(ended);
  };
}
