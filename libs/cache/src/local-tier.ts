import { L1Cache, OUTAGE_GENERATIONS } from './l1-cache';
import type { CacheStats } from './cache-stats';
import type { Target } from './cache-target';

/** What decides how far this process may trust its L1 at a given moment. */
export interface LocalTierState {
  /** Another instance's write reaches this one (the event channel listens). */
  coherent(): boolean;
  /** Redis is away or not usable: no eviction can arrive. */
  outage(): boolean;
}

/**
 * The in-process tier and the rules for using it: an entry is served only while other
 * instances' writes can evict it (or, during an outage, only the short-lived entries the outage
 * made), and it is kept only as long as that holds.
 */
export class LocalTier {
  private readonly l1: L1Cache;

  constructor(
    maxItems: number,
    private readonly ttlMs: number,
    private readonly outageTtlMs: number,
    private readonly stats: CacheStats,
    private readonly state: LocalTierState,
  ) {
    this.l1 = new L1Cache(maxItems);
  }

  get enabled(): boolean {
    return this.l1.enabled;
  }

  get size(): number {
    return this.l1.size;
  }

  get(target: Target): { value: unknown } | undefined {
    if (!target.l1 || !this.l1.enabled) return undefined;
    // Without the event channel another instance's write could not evict what L1 holds: only the
    // short-lived entries of an outage are served then.
    const hit = this.l1.get(target.entryKey, target.generationNames, !this.state.coherent());
    if (hit) this.stats.lookup(target.namespace, 'l1_hit');
    return hit;
  }

  /**
   * `generations` are the ones the value was read or stored under (not the ones known now: a bump
   * may have arrived meanwhile); `since` is the mark taken before that read or store. `ttlMs` is
   * what is left of the value's life in Redis; L1 keeps it at most CACHE_L1_TTL_MS.
   */
  set(target: Target, value: unknown, ttlMs: number, generations: string, since?: number): void {
    this.fill(target, () => ({ value }), ttlMs, generations, since);
  }

  /** As `set`, with the value made (decoded) only when L1 takes it in; answers what was made. */
  fill<V>(target: Target, make: () => { value: V } | undefined, ttlMs: number, generations: string, since?: number): { value: V } | undefined {
    const bound = generations === OUTAGE_GENERATIONS ? ttlMs : Math.min(ttlMs, this.ttlMs);
    if (!target.l1 || !this.l1.enabled || bound <= 0) return undefined;
    // Outage entries are kept briefly whatever the channel; others only while it delivers evictions.
    if (generations !== OUTAGE_GENERATIONS && !this.state.coherent()) return undefined;
    if (!this.l1.admits(target.entryKey)) return undefined;
    const made = make();
    if (made) this.l1.set(target.entryKey, made.value, generations, this.state.outage() ? Math.min(bound, this.outageTtlMs) : bound, since);
    return made;
  }

  /** A value loaded while Redis was unavailable: kept briefly, whatever the generations. */
  setDuringOutage(target: Target, value: unknown, since: number): void {
    this.set(target, value, this.outageTtlMs, OUTAGE_GENERATIONS, since);
  }

  /** The generations of `names` learned within CACHE_L1_TTL_MS (a bump whose message was lost is found by then). */
  signature(names: string[]): string | undefined {
    return this.l1.signature(names, this.ttlMs);
  }

  learnGeneration(name: string, value: number): void {
    this.l1.learnGeneration(name, value);
  }

  mark(): number {
    return this.l1.mark();
  }

  delete(key: string): void {
    this.l1.delete(key);
  }

  reset(): void {
    this.l1.reset();
  }
}
