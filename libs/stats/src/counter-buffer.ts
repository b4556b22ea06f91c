/** Counts in process; `drain()` hands over what accumulated and starts again from zero. */
export class CounterBuffer<K extends string | number> {
  private counts = new Map<K, number>();

  add(key: K, amount = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + amount);
  }

  get size(): number {
    return this.counts.size;
  }

  drain(): Map<K, number> {
    const drained = this.counts;
    this.counts = new Map();
    return drained;
  }

  /** Puts counts back after a failed send, so nothing is lost. */
  restore(counts: Map<K, number>): void {
    for (const [key, amount] of counts) this.add(key, amount);
  }
}
