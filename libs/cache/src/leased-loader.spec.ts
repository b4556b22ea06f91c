import { MetricsRegistry } from '@stockroom/core';
import { CacheStats } from './cache-stats';
import type { Entry, Target } from './cache-target';
import type { FoundEntry } from './entry-store';
import { LeasedLoader, LeaseStore } from './leased-loader';

const TARGET = { entryKey: 't:cache:ns:{k}', leaseKey: 't:cache:ns:{k}:lease', namespace: 'ns' } as Target;

/** The entry store as a fake: one entry, one lease, and a log of what the loader asked. */
function fakeStore(options: { lease?: 'won' | 'taken' | 'unavailable'; holderStoresAfter?: number } = {}) {
  let lease: 'won' | 'taken' | 'unavailable' = options.lease ?? 'won';
  let entry: Entry | undefined;
  let reads = 0;
  const calls: string[] = [];
  const found = (): FoundEntry | undefined => (entry ? { entry, generations: '1' } : undefined);
  const store: LeaseStore = {
    read: async () => {
      reads++;
      // Another caller's load lands after this many reads (polling sees it then).
      if (options.holderStoresAfter !== undefined && reads > options.holderStoresAfter && !entry) {
        entry = { payload: Buffer.from('"theirs"'), generations: '1', expiresAt: Date.now() + 60_000, loadMs: 1, tombstone: false };
        lease = 'won';
      }
      return found() ?? { entry: { generations: '1', expiresAt: 0, loadMs: 0, tombstone: false }, generations: '1' };
    },
    decode: (_target, payload) => ({ value: JSON.parse(payload.toString()) as unknown }),
    store: async (_target, value, _generations, _loadMs, _stamp, token) => {
      calls.push(`store:${JSON.stringify(value)}:${token ? 'with lease' : 'no lease'}`);
      return true;
    },
    takeLease: async () => {
      calls.push(`take:${lease}`);
      return lease;
    },
    releaseLease: async () => {
      calls.push('release');
    },
    leaseHeld: async () => lease === 'taken',
  };
  return { store, calls };
}

describe('LeasedLoader', () => {
  const loaderOf = (store: LeaseStore) => new LeasedLoader(store, new CacheStats(new MetricsRegistry()), 500);

  it('the lease holder loads once and stores with its token (the store frees the lease)', async () => {
    const { store, calls } = fakeStore({ lease: 'won' });
    let loads = 0;
    const loaded = await loaderOf(store).load(TARGET, '1', async () => ++loads, {}, undefined, 0);
    expect(loaded).toEqual({ value: 1, from: 'miss' });
    expect(calls).toEqual(['take:won', 'store:1:with lease']);
  });

  it('another caller holding the lease: serves the stale value it has, without loading', async () => {
    const { store, calls } = fakeStore({ lease: 'taken' });
    const loaded = await loaderOf(store).load(TARGET, '1', async () => 'mine', {}, { value: 'stale' }, 0);
    expect(loaded).toEqual({ value: 'stale', from: 'stale' });
    expect(calls).toEqual(['take:taken']);
  });

  it('another caller holding the lease and nothing stale: waits for its value instead of loading', async () => {
    const { store } = fakeStore({ lease: 'taken', holderStoresAfter: 2 });
    let loads = 0;
    const loaded = await loaderOf(store).load(TARGET, '1', async () => ++loads, {}, undefined, 0);
    expect(loaded).toEqual({ value: 'theirs', from: 'coalesced' });
    expect(loads).toBe(0);
  });

  it('a holder that never stores: after one lease period the caller loads but does not store', async () => {
    const { store, calls } = fakeStore({ lease: 'taken' });
    const started = Date.now();
    const loaded = await loaderOf(store).load(TARGET, '1', async () => 'mine', {}, undefined, 0);
    expect(loaded).toEqual({ value: 'mine', from: 'miss' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(calls.filter((call) => call.startsWith('store'))).toEqual([]);
  });

  it('without Redis: loads and stores nothing', async () => {
    const { store, calls } = fakeStore({ lease: 'unavailable' });
    expect(await loaderOf(store).load(TARGET, '1', async () => 'mine', {}, undefined, 0)).toEqual({ value: 'mine', from: 'miss' });
    expect(calls).toEqual(['take:unavailable']);
  });

  it('a failed load frees the lease and fails the caller; null is stored only with cacheNull', async () => {
    const failing = fakeStore({ lease: 'won' });
    await expect(loaderOf(failing.store).load(TARGET, '1', async () => Promise.reject(new Error('db down')), {}, undefined, 0)).rejects.toThrow('db down');
    expect(failing.calls).toEqual(['take:won', 'release']);

    const nulls = fakeStore({ lease: 'won' });
    await loaderOf(nulls.store).load(TARGET, '1', async () => null, {}, undefined, 0);
    expect(nulls.calls).toEqual(['take:won', 'release']);
    const kept = fakeStore({ lease: 'won' });
    await loaderOf(kept.store).load(TARGET, '1', async () => null, { cacheNull: true }, undefined, 0);
    expect(kept.calls).toEqual(['take:won', 'store:null:with lease']);
  });
});
