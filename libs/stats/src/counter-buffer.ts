/** Idle keys (counted before, not since the last drain) kept at zero before a drain drops them. */
const IDLE_KEYS = 10_000;

/**
 * Counts in process; `take()` hands over what accumulated, a chunk at a time, and starts those keys
 * again from zero.
 * The map lives as long as the buffer: a drained key keeps its slot at zero, so counting a key
 * seen before allocates nothing, and a busy process does not give the garbage collector a new,
 * flush-long map to promote every flush (that was nearly all the old-generation growth of a
 * cached read, 2.7 MB/s, and a mark-compact pause every few seconds: docs/BENCHMARKS.md). Once
 * more than IDLE_KEYS idle keys are kept (many distinct search terms), `dropIdle()` drops them.
 */
export class CounterBuffer<K extends string | number> {
  private readonly counts = new Map<K, number>();
  /** The keys with a count to hand over are `live[0 .. liveCount)` (the array is reused, never shrunk). */
  private readonly live: K[] = [];
  private liveCount = 0;

  add(key: K, amount = 1): void {
    if (amount === 0) return;
    const current = this.counts.get(key);
    if (!current) this.live[this.liveCount++] = key;
    this.counts.set(key, (current ?? 0) + amount);
  }

  /** How many keys have a count to hand over. */
  get size(): number {
    return this.liveCount;
  }

  /** Keys held, counted or idle (what the map costs in memory). */
  get retained(): number {
    return this.counts.size;
  }

  /**
   * Drops the keys idle since they were last taken (at zero), once more than IDLE_KEYS are kept.
   * Called before a flush takes its chunks: within one, the keys it has just taken are at zero too.
   */
  dropIdle(): void {
    if (this.counts.size - this.liveCount <= IDLE_KEYS) return;
    for (const [key, amount] of this.counts) if (amount === 0) this.counts.delete(key);
  }

  /**
   * The counts of at most `size` keys, now at zero here; undefined when nothing is counted. One
   * chunk at a time, so a flush does one chunk's work per Redis round trip, never the whole
   * buffer's in one turn of the event loop (10,000 products took 1-4 ms, every flush).
   */
  take(size: number): Map<K, number> | undefined {
    if (this.liveCount === 0) return undefined;
    const chunk = new Map<K, number>();
    const from = Math.max(0, this.liveCount - size);
    for (let i = from; i < this.liveCount; i++) {
      const key = this.live[i];
      chunk.set(key, this.counts.get(key) as number);
      this.counts.set(key, 0);
    }
    this.liveCount = from;
    return chunk;
  }

  /** Puts counts back after a failed send, so nothing is lost. */
  restore(counts: Map<K, number>): void {
    for (const [key, amount] of counts) this.add(key, amount);
  }
}
