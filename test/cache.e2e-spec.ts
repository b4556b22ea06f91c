import { Injectable } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { Cached, CacheEvict } from '@stockroom/cache';
import { MetricsRegistry } from '@stockroom/core';
import { keysMatching, TestContext, testRedis } from './support/test-context';
import { bootCache, CacheApp } from './support/cache-app';
import { PrivateRedis } from './support/redis-server';
import { storedEntry } from './support/cache-entries';

@Injectable()
class PriceService {
  calls = 0;

  @Cached({ namespace: 'prices' })
  async quote(request: { sku: string; currency: string }): Promise<{ sku: string; amount: string; at: Date }> {
    this.calls++;
    return { sku: request.sku, amount: `${this.calls}.00`, at: new Date('2026-01-01T00:00:00.000Z') };
  }

  @Cached({ namespace: 'prices', key: (sku: string) => `by-sku:${sku}`, tags: ['catalogue'] })
  async bySku(sku: string): Promise<string> {
    this.calls++;
    return `${sku}@${this.calls}`;
  }

  @CacheEvict({ namespace: 'prices' })
  async reprice(fail: boolean): Promise<string> {
    if (fail) throw new Error('refused');
    return 'repriced';
  }

  @CacheEvict({ tags: ['catalogue'] })
  async retag(): Promise<void> {}
}

describe('RedisCacheService against the real Redis', () => {
  let context: TestContext;
  let app: CacheApp;
  let redis: Redis | Cluster;

  beforeAll(async () => {
    context = await TestContext.create();
    app = await bootCache(context, {}, [PriceService]);
    redis = testRedis();
  });

  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
    await context?.dispose();
  });

  it('misses, loads once, then hits', async () => {
    let loads = 0;
    const loader = async () => ({ n: ++loads });
    expect(await app.cache.getOrLoad('t-hit', 'k', loader)).toEqual({ n: 1 });
    expect(await app.cache.getOrLoad('t-hit', 'k', loader)).toEqual({ n: 1 });
    expect(loads).toBe(1);
    expect(await app.cache.get('t-hit', 'k')).toEqual({ n: 1 });
    expect(await app.cache.get('t-hit', 'absent')).toBeUndefined();
  });

  it('set/get/del/exists/expire/ttl/mget work on namespaced keys', async () => {
    expect(await app.cache.set('t-ops', 'a', 'A', { ttl: 100 })).toBe(true);
    await app.cache.set('t-ops', 'b', { b: true });
    expect(await app.cache.exists('t-ops', 'a')).toBe(true);
    expect(await app.cache.mget('t-ops', ['a', 'b', 'c'])).toEqual(['A', { b: true }, undefined]);
    const ttl = await app.cache.ttl('t-ops', 'a');
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(160);
    expect(await app.cache.expire('t-ops', 'a', 5)).toBe(true);
    expect(await app.cache.ttl('t-ops', 'a')).toBeLessThanOrEqual(5);
    await app.cache.del('t-ops', 'a');
    expect(await app.cache.exists('t-ops', 'a')).toBe(false);
    expect(await app.cache.expire('t-ops', 'a', 5)).toBe(false);
    expect(await app.cache.ttl('t-ops', 'a')).toBe(-2);
    const keys = await keysMatching(redis, `${context.keyPrefix}:cache:t-ops:*`);
    expect(keys).toEqual([`${context.keyPrefix}:cache:t-ops:{b}`]);
  });

  it('reloads after the TTL and serves the old value to others while one caller reloads', async () => {
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 100));
      return loads;
    };
    await app.cache.getOrLoad('t-ttl', 'k', loader, { ttl: 1 });
    await new Promise((r) => setTimeout(r, 1_100));
    const [a, b] = await Promise.all([
      app.cache.getOrLoad('t-ttl', 'k', loader, { ttl: 1 }),
      app.cache.getOrLoad('t-ttl', 'k', loader, { ttl: 1 }),
    ]);
    expect(loads).toBe(2);
    expect([a, b]).toEqual([2, 2]);
    expect(await app.cache.getOrLoad('t-ttl', 'k', loader, { ttl: 1 })).toBe(2);
  });

  it('refreshes a hot key early (XFetch): one caller reloads before expiry, the others keep the current value', async () => {
    app.cache.defineNamespace('t-xfetch', { ttl: 2, beta: 50 });
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 100));
      return loads;
    };
    expect(await app.cache.getOrLoad('t-xfetch', 'hot', loader)).toBe(1);
    const earlyBefore = (await app.stats.snapshot()).earlyRefreshes;
    // Well before expiry with a 100 ms load: no refresh yet (the chance is e^-(1500/5000) per read at most).
    await new Promise((r) => setTimeout(r, 1_500));
    const seen: number[] = [];
    for (let i = 0; i < 20 && loads === 1; i++) {
      seen.push(...(await Promise.all(Array.from({ length: 10 }, () => app.cache.getOrLoad('t-xfetch', 'hot', loader)))));
    }
    // Refreshed before the 2 s expiry, by one caller; every caller got a value (1 or the fresh 2).
    expect(loads).toBe(2);
    expect((await app.stats.snapshot()).earlyRefreshes).toBeGreaterThan(earlyBefore);
    expect(seen.every((v) => v === 1 || v === 2)).toBe(true);
    // With beta 50 the next read may refresh again; it never returns anything older than 2.
    expect(await app.cache.getOrLoad('t-xfetch', 'hot', loader)).toBeGreaterThanOrEqual(2);
  });

  it('never refreshes early with beta 0', async () => {
    app.cache.defineNamespace('t-no-xfetch', { ttl: 3, beta: 0 });
    let loads = 0;
    await app.cache.getOrLoad('t-no-xfetch', 'k', async () => ++loads);
    const loadedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    // Reads close to expiry, none started later than 0.8 s before it (a loaded machine reads fewer, never past expiry).
    for (let i = 0; i < 50 && Date.now() - loadedAt < 2_200; i++) await app.cache.getOrLoad('t-no-xfetch', 'k', async () => ++loads);
    expect(loads).toBe(1);
  });

  it('publishes its counters to the Prometheus registry', async () => {
    const text = await app.app.get(MetricsRegistry).metrics();
    expect(text).toMatch(/stockroom_cache_lookups_total\{namespace="t-hit",outcome="hit"\} \d+/);
    expect(text).toMatch(/stockroom_cache_events_total\{event="load"\} \d+/);
  });

  it.each(['json', 'msgpack'])('round-trips values through Redis with the %s codec', async (codec) => {
    const other = await bootCache(context, { CACHE_CODEC: codec });
    try {
      const values: unknown[] = ['text', 12.5, 0, { nested: { at: new Date('2026-11-27T00:00:00.001Z'), list: [1, null, 'x'] } }, new Date(7)];
      for (const [i, value] of values.entries()) {
        await other.cache.set(`codec-${codec}`, `k${i}`, value);
        const back = await other.cache.get(`codec-${codec}`, `k${i}`);
        expect(back).toEqual(value);
      }
      await other.cache.set(`codec-${codec}`, 'null', null);
      expect(await other.cache.get(`codec-${codec}`, 'null')).toBeNull();
    } finally {
      await other.close();
    }
  });

  it('treats an entry that does not decode as a miss, deletes it and counts it', async () => {
    await app.cache.set('t-bad', 'k', { ok: true });
    const key = `${context.keyPrefix}:cache:t-bad:{k}`;
    await (await storedEntry(redis, key)).rewrite({ payload: '{not json' });
    const before = (await app.stats.snapshot()).decodeErrors;
    expect(await app.cache.getOrLoad('t-bad', 'k', async () => ({ reloaded: true }))).toEqual({ reloaded: true });
    expect((await app.stats.snapshot()).decodeErrors).toBe(before + 1);
    expect(await app.cache.get('t-bad', 'k')).toEqual({ reloaded: true });
  });

  it('refuses an older stamp over a newer one (and over a tombstone)', async () => {
    expect(await app.cache.set('t-cas', 'p', { version: 3 }, { stamp: 3 })).toBe(true);
    expect(await app.cache.set('t-cas', 'p', { version: 2 }, { stamp: 2 })).toBe(false);
    expect(await app.cache.get('t-cas', 'p')).toEqual({ version: 3 });
    expect(await app.cache.set('t-cas', 'p', { version: 4 }, { stamp: 4 })).toBe(true);
    await app.cache.tombstone('t-cas', 'p');
    expect(await app.cache.get('t-cas', 'p')).toBeUndefined();
    expect(await app.cache.set('t-cas', 'p', { version: 5 }, { stamp: 5 })).toBe(false);
  });

  it('a loader that read before an invalidation cannot write its value back', async () => {
    let release!: () => void;
    const slow = app.cache.getOrLoad('t-gen', 'k', () => new Promise<string>((resolve) => (release = () => resolve('old'))));
    await new Promise((r) => setTimeout(r, 50));
    await app.cache.invalidateNamespace('t-gen');
    release();
    expect(await slow).toBe('old');
    expect(await app.cache.getOrLoad('t-gen', 'k', async () => 'new')).toBe('new');
  });

  it('invalidating a namespace of 100,000 keys is O(1), leaves other namespaces intact and never sends KEYS or SCAN', async () => {
    const own = await PrivateRedis.start();
    // A bulk load of 5,000 pipelined scripts at a time outlasts the request-path timeout.
    // Its own single Redis (also on a cluster run): INFO commandstats must see every command.
    const isolated = await bootCache(context, { REDIS_URL: own.url, REDIS_CLUSTER_NODES: '', CACHE_REDIS_TIMEOUT_MS: '10000' });
    const probe = own.client();
    try {
      for (let from = 0; from < 100_000; from += 5_000) {
        const stored = await Promise.all(Array.from({ length: 5_000 }, (_, i) => isolated.cache.set('big', `k${from + i}`, from + i)));
        expect(stored.every(Boolean)).toBe(true);
      }
      await isolated.cache.set('other', 'keep', 'kept');
      expect(await isolated.cache.get('big', 'k99999')).toBe(99_999);
      expect(await probe.dbsize()).toBeGreaterThanOrEqual(100_000);
      await probe.config('RESETSTAT');
      const started = performance.now();
      await isolated.cache.invalidateNamespace('big');
      const elapsedMs = performance.now() - started;
      expect(await isolated.cache.get('big', 'k0')).toBeUndefined();
      expect(await isolated.cache.get('big', 'k99999')).toBeUndefined();
      expect(await isolated.cache.get('other', 'keep')).toBe('kept');
      const commands = await probe.info('commandstats');
      expect(commands).not.toMatch(/cmdstat_(keys|scan|flushdb|flushall):/);
      // Two INCRs whatever the size: the namespace's generation, and the number of the event that tells the other instances.
      expect(commands).toMatch(/cmdstat_incr:calls=2,/);
      // Not a speed assertion: one INCR, whatever the size, well under a second even when loaded.
      expect(elapsedMs).toBeLessThan(1_000);
    } finally {
      probe.disconnect();
      await isolated.close();
      await own.kill();
    }
  });

  it('tags retire entries across namespaces', async () => {
    await app.cache.set('t-tag-a', 'x', 1, { tags: ['summer'] });
    await app.cache.set('t-tag-b', 'y', 2, { tags: ['summer', 'sale'] });
    await app.cache.set('t-tag-b', 'z', 3, { tags: ['sale'] });
    await app.cache.invalidateTags(['summer']);
    expect(await app.cache.get('t-tag-a', 'x', ['summer'])).toBeUndefined();
    expect(await app.cache.get('t-tag-b', 'y', ['summer', 'sale'])).toBeUndefined();
    expect(await app.cache.get('t-tag-b', 'z', ['sale'])).toBe(3);
  });

  it('refuses namespaces and tags that are not plain names', async () => {
    await expect(app.cache.invalidateNamespace('*')).rejects.toThrow(/invalid cache namespace/);
    await expect(app.cache.invalidateNamespace('a:b')).rejects.toThrow(/invalid cache namespace/);
    await expect(app.cache.invalidateTags(['x y'])).rejects.toThrow(/invalid cache tag/);
  });

  it('user-supplied key text stays inside its namespace', async () => {
    await app.cache.set('t-esc', 'a}:{b', 'inside');
    await app.cache.set('t-esc', '*', 'star');
    expect(await app.cache.get('t-esc', 'a}:{b')).toBe('inside');
    const keys = await keysMatching(redis, `${context.keyPrefix}:cache:t-esc:*`);
    expect(keys.sort()).toEqual([`${context.keyPrefix}:cache:t-esc:{%2A}`, `${context.keyPrefix}:cache:t-esc:{a%7D%3A%7Bb}`]);
  });

  describe('@Cached and @CacheEvict through Nest DI', () => {
    it('caches by arguments regardless of property order and keeps Dates', async () => {
      const prices = app.app.get(PriceService);
      const first = await prices.quote({ sku: 'A', currency: 'EUR' });
      const second = await prices.quote({ currency: 'EUR', sku: 'A' });
      expect(second).toEqual(first);
      expect(second.at).toBeInstanceOf(Date);
      expect(prices.calls).toBe(1);
      await prices.quote({ sku: 'B', currency: 'EUR' });
      expect(prices.calls).toBe(2);
    });

    it('evicts after success only', async () => {
      const prices = app.app.get(PriceService);
      const before = await prices.bySku('X');
      await expect(prices.reprice(true)).rejects.toThrow('refused');
      expect(await prices.bySku('X')).toBe(before);
      await prices.reprice(false);
      expect(await prices.bySku('X')).not.toBe(before);
      const now = await prices.bySku('X');
      await prices.retag();
      expect(await prices.bySku('X')).not.toBe(now);
    });

    it('do nothing with CACHE_ENABLED=false', async () => {
      const off = await bootCache(context, { CACHE_ENABLED: 'false' }, [PriceService]);
      try {
        const prices = off.app.get(PriceService);
        await prices.quote({ sku: 'A', currency: 'EUR' });
        await prices.quote({ sku: 'A', currency: 'EUR' });
        expect(prices.calls).toBe(2);
      } finally {
        await off.close();
      }
    });
  });
});
