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
 */
export class L1Cache {
  private readonly entries: LRUCache<string, L1Entry> | undefined;
  private readonly generations = new Map<string, number>();

  constructor(maxItems: number) {
    this.entries = maxItems > 0 ? new LRUCache<string, L1Entry>({ max: maxItems, ttlAutopurge: false }) : undefined;
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** The signature of the generations of `names`, or undefined when one is not known here. */
  signature(names: string[]): string | undefined {
    if (names.length === 1) {
      const value = this.generations.get(names[0]);
      return value === undefined ? undefined : String(value);
    }
    const values: number[] = [];
    for (const name of names) {
      const value = this.generations.get(name);
      if (value === undefined) return undefined;
      values.push(value);
    }
    return values.join(',');
  }

  /** Generations only move forward; an older one arriving late is ignored. */
  learnGeneration(name: string, value: number): void {
    if ((this.generations.get(name) ?? -1) < value) this.generations.set(name, value);
  }

  get(key: string, generationNames: string[]): { value: unknown } | undefined {
    if (!this.entries) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.generations !== OUTAGE_GENERATIONS && entry.generations !== this.signature(generationNames)) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value };
  }

  set(key: string, value: unknown, generations: string, ttlMs: number): void {
    this.entries?.set(key, { value, generations }, { ttl: Math.max(1, Math.floor(ttlMs)) });
  }

  delete(key: string): void {
    this.entries?.delete(key);
  }

  reset(): void {
    this.entries?.clear();
    this.generations.clear();
  }
}
