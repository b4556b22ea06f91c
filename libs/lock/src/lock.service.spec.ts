import { MetricsRegistry } from '@stockroom/core';
import { RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { LockLostError, LockTimeoutError } from './lock.errors';
import { LockService } from './lock.service';

/**
 * The lock's three scripts as a fake: one holder per key, expiring by the fake's clock, a fencing
 * counter per resource. Their Lua is exercised on the real Redis by test/lock.e2e-spec.ts; here
 * the service's own logic (backoff, deadlines, renewal, release) runs against it.
 */
function fakeLockRedis() {
  const holders = new Map<string, { token: string; until: number }>();
  const fences = new Map<string, number>();
  const calls: string[] = [];
  const live = (lock: string) => {
    const holder = holders.get(lock);
    return holder && holder.until > Date.now() ? holder : undefined;
  };
  const redis = {
    defineCommand: () => undefined,
    lockAcquire: async (lock: string, fence: string, token: string, ttlMs: number) => {
      calls.push('acquire');
      const holder = live(lock);
      if (holder) return -Math.max(1, holder.until - Date.now());
      holders.set(lock, { token, until: Date.now() + Number(ttlMs) });
      const next = (fences.get(fence) ?? 0) + 1;
      fences.set(fence, next);
      return next;
    },
    lockRelease: async (lock: string, token: string) => {
      calls.push('release');
      if (live(lock)?.token !== token) return 0;
      holders.delete(lock);
      return 1;
    },
    lockExtend: async (lock: string, token: string, ttlMs: number) => {
      calls.push('extend');
      const holder = live(lock);
      if (holder?.token !== token) return 0;
      holder.until = Date.now() + Number(ttlMs);
      return 1;
    },
  };
  return { redis: redis as unknown as RedisClient, holders, calls, steal: (lock: string) => holders.set(lock, { token: 'thief', until: Date.now() + 60_000 }) };
}

describe('LockService', () => {
  const make = () => {
    const fake = fakeLockRedis();
    return { ...fake, locks: new LockService(fake.redis, new RedisKeys('t'), new MetricsRegistry()) };
  };

  it('grants a free resource at once, with fencing tokens that grow with every grant', async () => {
    const { locks } = make();
    const first = await locks.acquire('order:1');
    expect(await first.release()).toBe(true);
    const second = await locks.acquire('order:1');
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    expect(second.token).not.toBe(first.token);
  });

  it('makes a second caller wait for the holder\'s release, then grants it', async () => {
    const { locks } = make();
    const held = await locks.acquire('sku:a', { ttlMs: 5_000 });
    const waiting = locks.acquire('sku:a', { waitMs: 5_000 });
    setTimeout(() => void held.release(), 30);
    const granted = await waiting;
    expect(granted.fencingToken).toBe(held.fencingToken + 1);
  });

  it('gives up at waitMs with LockTimeoutError while the holder keeps it', async () => {
    const { locks } = make();
    await locks.acquire('sku:b', { ttlMs: 10_000 });
    const started = Date.now();
    await expect(locks.acquire('sku:b', { waitMs: 60 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('takes its defaults from LockModule.forRoot options, and works without a metrics registry', async () => {
    const fake = fakeLockRedis();
    const locks = new LockService(fake.redis, new RedisKeys('t'), undefined, { waitMs: 40, ttlMs: 10_000 });
    await locks.acquire('sku:d');
    expect(fake.holders.get('t:lock:{sku:d}')?.until).toBeGreaterThan(Date.now() + 5_000);
    await expect(locks.acquire('sku:d')).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it('refuses a resource name that is not a plain key', async () => {
    const { locks, calls } = make();
    await expect(locks.acquire('two words')).rejects.toThrow(/invalid lock resource/);
    expect(calls).toEqual([]);
  });

  it('withLock renews the lease while the work runs and always releases it', async () => {
    const { locks, calls, holders } = make();
    // The work outlives two lease lengths; renewals every ttl/3 leave 400 ms of slack for a loaded machine's timers.
    const result = await locks.withLock('sku:c', async (lease, signal) => {
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect(signal.aborted).toBe(false);
      return lease.fencingToken;
    }, { ttlMs: 600 });
    expect(result).toBe(1);
    expect(calls.filter((call) => call === 'extend').length).toBeGreaterThanOrEqual(2);
    expect(calls.at(-1)).toBe('release');
    expect(holders.size).toBe(0);
  });

  it('withLock aborts the work\'s signal with LockLostError when another holder took the lock over', async () => {
    const { locks, steal } = make();
    const reason = await locks.withLock('sku:d', async (_lease, signal) => {
      steal('t:lock:{sku:d}');
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return signal.reason as unknown;
    }, { ttlMs: 60 });
    expect(reason).toBeInstanceOf(LockLostError);
  });

  it('withLock releases when the work throws, and rethrows', async () => {
    const { locks, holders } = make();
    await expect(locks.withLock('sku:e', async () => {
      throw new Error('work failed');
    })).rejects.toThrow('work failed');
    expect(holders.size).toBe(0);
  });
});
