import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStats } from './cache-stats';
import { GetOrLoadOptions, storedRendering, Target } from './cache-target';
import type { EntryStore } from './entry-store';

export interface Loaded<T> {
  value: T;
  /** miss: this caller loaded it; stale: another is loading and the expired value was served; coalesced: another's load was used. */
  from: 'miss' | 'stale' | 'coalesced';
}

/** The entry store's part the loader uses (a unit spec fakes it). */
export type LeaseStore = Pick<EntryStore, 'read' | 'decode' | 'store' | 'takeLease' | 'releaseLease' | 'leaseHeld'>;

/**
 * One load per key across the cluster: the caller that takes the key's lease (`SET NX PX`)
 * loads and stores (the store frees the lease in the same script); the others serve the stale
 * value they have, or poll for the holder's value for at most one lease period and then load
 * without storing. Without Redis every caller loads (the process's single flight still joins
 * its own callers, one level up).
 */
export class LeasedLoader {
  constructor(
    private readonly entries: LeaseStore,
    private readonly stats: CacheStats,
    private readonly leaseMs: number,
  ) {}

  async load<T>(
    target: Target,
    generations: string,
    loader: () => Promise<T>,
    options: GetOrLoadOptions<T>,
    stale: { value: unknown } | undefined,
    seenExpiry: number,
  ): Promise<Loaded<T>> {
    const token = randomUUID();
    let lease: 'won' | 'taken' | 'unavailable' = 'taken';
    // A holder that finishes (or gives up) frees the lease: then take it, or find its value.
    for (let attempt = 0; attempt < 3 && lease === 'taken'; attempt++) {
      lease = await this.entries.takeLease(target, token, this.leaseMs);
      if (lease !== 'taken') break;
      // Another caller is loading: serve what we have, or wait briefly for its value.
      if (stale) return { value: stale.value as T, from: 'stale' };
      const waited = await this.waitForLoad<T>(target);
      if (waited === 'timeout') break;
      if (waited !== 'gone') return { value: waited.value, from: 'coalesced' };
    }
    if (lease === 'won') {
      // The previous holder may have stored (and freed the lease) between our miss and our lease.
      const fresh = await this.freshEntry<T>(target, seenExpiry);
      if (fresh) {
        await this.entries.releaseLease(target, token);
        return { value: fresh.value, from: 'coalesced' };
      }
    }
    let stored = false;
    try {
      const { value, loadMs } = await this.timed(loader);
      // Only the lease holder stores: a load without the lease is served but not cached.
      if (lease === 'won' && (value !== null && value !== undefined ? true : options.cacheNull)) {
        const rendering = options.render && value !== null && value !== undefined ? storedRendering(options.render, value) : '';
        stored = await this.entries.store(target, value, generations, loadMs, options.stamp?.(value), token, rendering);
      }
      return { value, from: 'miss' };
    } finally {
      // A successful store released the lease in the same script.
      if (lease === 'won' && !stored) await this.entries.releaseLease(target, token);
    }
  }

  /** The entry's value when it is current, unexpired, and newer than the one this caller saw. */
  private async freshEntry<T>(target: Target, seenExpiry: number): Promise<{ value: T } | undefined> {
    const found = await this.entries.read(target);
    if (!found?.entry.payload || found.entry.expiresAt <= Math.max(Date.now(), seenExpiry)) return undefined;
    return this.entries.decode(target, found.entry.payload) as { value: T } | undefined;
  }

  /**
   * Polls for the lease holder's value with a growing delay, at most one lease period: the value,
   * 'gone' when the holder freed its lease without one, or 'timeout'.
   */
  private async waitForLoad<T>(target: Target): Promise<{ value: T } | 'gone' | 'timeout'> {
    const deadline = Date.now() + this.leaseMs;
    for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
      await sleep(delay);
      const value = await this.freshEntry<T>(target, 0);
      if (value) return value;
      const held = await this.entries.leaseHeld(target);
      if (held === undefined) return 'timeout';
      if (!held) return (await this.freshEntry<T>(target, 0)) ?? 'gone';
    }
    return 'timeout';
  }

  /** The value and how long it took to load (what XFetch weighs). */
  async timed<T>(loader: () => Promise<T>): Promise<{ value: T; loadMs: number }> {
    const started = performance.now();
    const value = await loader();
    this.stats.event('load');
    return { value, loadMs: Math.max(1, Math.round(performance.now() - started)) };
  }
}
