import { MetricsRegistry } from '@stockroom/core';
import { resolveCacheOptions } from './cache-options';
import { RedisKeys } from '@stockroom/redis';
import type { CacheEvent } from './cache-events';
import { CacheStats } from './cache-stats';
import { CacheTargets, NamespaceOptions } from './cache-target';
import { InvalidationLog } from './invalidation-log';
import { LocalTier } from './local-tier';

/** Generation counters in a Map standing for Redis, which can be made unreachable. */
function setUp() {
  const counters = new Map<string, number>();
  const published: CacheEvent[][] = [];
  const state = { redisUp: true, listening: true };
  const targets = new CacheTargets(new RedisKeys('t'), resolveCacheOptions({}), new Map<string, NamespaceOptions>([['products', {}]]));
  const local = new LocalTier(100, 30_000, 1_000, new CacheStats(new MetricsRegistry()), { coherent: () => state.listening, outage: () => !state.redisUp });
  const log = new InvalidationLog(targets, local, {
    redis: {
      incr: async (key: string) => {
        const next = (counters.get(key) ?? 0) + 1;
        counters.set(key, next);
        return next;
      },
      get: async (key: string) => (counters.has(key) ? String(counters.get(key)) : null),
    } as never,
    guarded: async <T>(call: () => Promise<T>, fallback: () => T) => (state.redisUp ? call() : fallback()),
    publish: async (events) => void published.push(events),
    listening: () => state.listening,
  });
  const target = targets.target('products', 'id:1');
  return { counters, published, state, targets, local, log, target };
}

describe('InvalidationLog', () => {
  it('a bump increments the generation in Redis, learns it, and tells the other instances', async () => {
    const { log, target, published, local } = setUp();
    await log.bump(target.generationNames);
    expect(await log.read(target)).toBe('1');
    expect(published).toEqual([[{ type: 'generation', name: target.generationNames[0], value: 1 }]]);
    expect(local.signature(target.generationNames)).toBe('1');
  });

  it('knows the generations without asking Redis only while the event channel listens', async () => {
    const { log, target, state } = setUp();
    await log.bump(target.generationNames);
    expect(log.known(target)).toBe('1');
    state.listening = false;
    expect(log.known(target)).toBeUndefined();
  });

  it('a bump Redis did not take is kept, L1 is dropped, and it is replayed (once) before Redis is read again', async () => {
    const { log, target, state, local, published } = setUp();
    local.set(target, 'cached', 10_000, '0');
    state.redisUp = false;
    await log.bump(target.generationNames);
    expect(log.hasPending).toBe(true);
    expect(local.get(target)).toBeUndefined();
    state.redisUp = true;
    await log.replayPending();
    expect(log.hasPending).toBe(false);
    expect(await log.read(target)).toBe('1');
    expect(published.at(-1)).toEqual([{ type: 'generation', name: target.generationNames[0], value: 1 }]);
  });

  it('a write that could not reach Redis retires its namespace later and drops the key from L1 now', async () => {
    const { log, target, local } = setUp();
    local.set(target, 'cached', 10_000, '0');
    log.markPending(target);
    expect(local.get(target)).toBeUndefined();
    expect(log.hasPending).toBe(true);
  });

  it('applies another instance\'s events: evictions drop keys, generations move forward, a lower one is read again', () => {
    const { log, target, local } = setUp();
    const name = target.generationNames[0];
    local.learnGeneration(name, 1);
    local.set(target, 'cached', 10_000, '1');
    log.apply([{ type: 'generation', name, value: 3 }]);
    expect(local.signature([name])).toBe('3');
    expect(local.get(target)).toBeUndefined();
    log.apply([{ type: 'generation', name, value: 2 }]);
    expect(local.signature([name])).toBeUndefined();
    log.apply([{ type: 'generation', name, value: 3 }]);
    local.set(target, 'again', 10_000, '3');
    expect(local.get(target)).toEqual({ value: 'again' });
    log.apply([{ type: 'evict', key: target.entryKey }]);
    expect(local.get(target)).toBeUndefined();
  });
});
