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

  /** As drain, in maps of at most `size` keys. */
  drainInChunks(size: number): Array<Map<K, number>> {
    const drained = this.drain();
    if (drained.size <= size) return [drained];
    const chunks: Array<Map<K, number>> = [];
    let chunk = new Map<K, number>();
    for (const [key, amount] of drained) {
      if (chunk.size === size) {
        chunks.push(chunk);
        chunk = new Map();
      }
      chunk.set(key, amount);
    }
    chunks.push(chunk);
    return chunks;
  }

  /** Puts counts back after a failed send, so nothing is lost. */
  restore(counts: Map<K, number>): void {
    for (const [key, amount] of counts) this.add(key, amount);
  }
}
