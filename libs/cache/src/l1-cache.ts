import { LRUCache } from 'lru-cache';

/** Marks an entry cached while Redis was unreachable: no generation can be checked, only its short TTL bounds it. */
export const OUTAGE_GENERATIONS = 'outage';

interface L1Entry {
  value: unknown;
  /** The generations (namespace, tags) the value was cached under. */
  generations: string;
}

/**
 * The in-process level: bounded LRU, entries valid only while their generations are still the
 * ones this process knows. Generations and evictions arrive through Redis pub/sub; when that
 * channel breaks nothing can be trusted, so `reset()` drops everything.
 *
 * A read from Redis and the eviction of what it read travel on different connections, so the
 * eviction can be applied first. Each eviction is numbered; a value read after `mark()` is only
 * kept if its key was not evicted since (`set(…, since)`).
 */
export class L1Cache {
  private readonly entries: LRUCache<string, L1Entry> | undefined;
  private readonly generations = new Map<string, { value: number; confirmedAt: number }>();
  private sequence = 0;
  /** Key -> number of its last eviction, for the most recent keys evicted. */
  private readonly evictedAt: LRUCache<string, number>;
  /** Evictions numbered up to here are no longer remembered per key: treat every key as evicted then. */
  private forgottenUpTo = 0;
  /** Keys refused once while L1 was full (see `admits`), forgotten all at once when it fills up. */
  private readonly doorkeeper = new Set<string>();
  private readonly doorkeeperSize: number;

  constructor(maxItems: number) {
    this.entries = maxItems > 0 ? new LRUCache<string, L1Entry>({ max: maxItems, ttlAutopurge: false }) : undefined;
    this.doorkeeperSize = Math.max(1_000, maxItems);
    this.evictedAt = new LRUCache<string, number>({
      max: Math.max(1_000, Math.min(maxItems, 100_000)),
      dispose: (sequence, _key, reason) => {
        if (reason === 'evict') this.forgottenUpTo = Math.max(this.forgottenUpTo, sequence);
      },
    });
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /**
   * The signature of the generations of `names`, or undefined when one is not known here (or,
   * with `maxAgeMs`, was last confirmed longer ago: a bump whose message was lost is found by then).
   */
  signature(names: string[], maxAgeMs?: number): string | undefined {
    const oldest = maxAgeMs === undefined ? -Infinity : Date.now() - maxAgeMs;
    if (names.length === 1) {
      const known = this.generations.get(names[0]);
      return known === undefined || known.confirmedAt < oldest ? undefined : String(known.value);
    }
    const values: number[] = [];
    for (const name of names) {
      const known = this.generations.get(name);
      if (known === undefined || known.confirmedAt < oldest) return undefined;
      values.push(known.value);
    }
    return values.join(',');
  }

  /**
   * Generations only move forward. One lower than the known one is either late (a message or reply
   * overtaken by a newer bump) or Redis lost its counter (a flushed or restored dataset, which then
   * counts again from 1): the two cannot be told apart, so it is forgotten and read again. Keeping
   * the higher one would serve entries that a bump on the restarted counter retired.
   */
  learnGeneration(name: string, value: number): void {
    const known = this.generations.get(name);
    if (known === undefined) this.generations.set(name, { value, confirmedAt: Date.now() });
    else if (value < known.value) this.generations.delete(name);
    else {
      known.value = value;
      known.confirmedAt = Date.now();
    }
  }

  /** `outageOnly`: serve only entries cached during an outage (the eviction channel is down). */
  get(key: string, generationNames: string[], outageOnly = false): { value: unknown } | undefined {
    if (!this.entries) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (outageOnly && entry.generations !== OUTAGE_GENERATIONS) return undefined;
    if (entry.generations !== OUTAGE_GENERATIONS && entry.generations !== this.signature(generationNames)) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value };
  }

  /**
   * Whether a value for `key` may come in (ask before making it). While L1 has room, or to replace
   * what it holds, always; once it is full, a key gets in on its second offer among the last
   * refused ones (a doorkeeper, as in TinyLFU). A scan over more keys than L1 holds (a crawler
   * paging the catalogue) then neither evicts the hot entries nor pays, on every read, for decoding
   * a value that would be evicted before it is read again.
   */
  admits(key: string): boolean {
    if (!this.entries) return false;
    if (this.entries.size < this.entries.max || this.entries.has(key)) return true;
    if (this.doorkeeper.delete(key)) return true;
    if (this.doorkeeper.size >= this.doorkeeperSize) this.doorkeeper.clear();
    this.doorkeeper.add(key);
    return false;
  }

  /** The point in the eviction history a read starts from; pass it to `set`. */
  mark(): number {
    return this.sequence;
  }

  /** Keeps the value unless its key was evicted after `since` (the read that found it may predate the write). */
  set(key: string, value: unknown, generations: string, ttlMs: number, since = Number.MAX_SAFE_INTEGER): void {
    if (!this.entries) return;
    if ((this.evictedAt.peek(key) ?? this.forgottenUpTo) > since) return;
    this.entries.set(key, { value, generations }, { ttl: Math.max(1, Math.floor(ttlMs)) });
  }

  /** The key's value changed elsewhere: drop it, and refuse values read before now. */
  delete(key: string): void {
    if (!this.entries) return;
    this.entries.delete(key);
    this.evictedAt.set(key, ++this.sequence);
  }

  reset(): void {
    this.entries?.clear();
    this.generations.clear();
    // Evictions may have been missed: nothing read before now may be kept.
    this.evictedAt.clear();
    this.forgottenUpTo = ++this.sequence;
  }
}
