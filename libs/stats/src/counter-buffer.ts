/** Idle keys (counted before, not since the last drain) kept at zero before a drain drops them. */
const IDLE_KEYS = 10_000;

/**
 * Counts in process; `drainInChunks()` hands over what accumulated and starts again from zero.
 * The map lives as long as the buffer: a drained key keeps its slot at zero, so counting a key
 * seen before allocates nothing, and a busy process does not give the garbage collector a new,
 * flush-long map to promote every flush (that was nearly all the old-generation growth of a
 * cached read, 2.7 MB/s, and a mark-compact pause every few seconds: docs/BENCHMARKS.md). Once
 * more than IDLE_KEYS idle keys are kept (many distinct search terms), a drain drops them.
 */
export class CounterBuffer<K extends string | number> {
  private readonly counts = new Map<K, number>();
  /** Keys with a count to hand over. */
  private live = 0;

  add(key: K, amount = 1): void {
    if (amount === 0) return;
    const current = this.counts.get(key);
    if (!current) this.live++;
    this.counts.set(key, (current ?? 0) + amount);
  }

  /** How many keys have a count to hand over. */
  get size(): number {
    return this.live;
  }

  /** Keys held, counted or idle (what the map costs in memory). */
  get retained(): number {
    return this.counts.size;
  }

  /** Every key's count, in maps of at most `size` keys (none when nothing was counted). */
  drainInChunks(size: number): Array<Map<K, number>> {
    const chunks: Array<Map<K, number>> = [];
    if (this.live === 0) return chunks;
    const prune = this.counts.size - this.live > IDLE_KEYS;
    let chunk = new Map<K, number>();
    for (const [key, amount] of this.counts) {
      if (amount !== 0) {
        if (chunk.size === size) {
          chunks.push(chunk);
          chunk = new Map();
        }
        chunk.set(key, amount);
        this.counts.set(key, 0);
      } else if (prune) {
        this.counts.delete(key);
      }
    }
    chunks.push(chunk);
    this.live = 0;
    return chunks;
  }

  /** Puts counts back after a failed send, so nothing is lost. */
  restore(counts: Map<K, number>): void {
    for (const [key, amount] of counts) this.add(key, amount);
  }
}
