import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { ConfigModule, MetricsModule, MetricsRegistry } from '@stockroom/core';
import { RedisModule } from '@stockroom/redis';
import { LockLostError, LockModule, LockService, LockTimeoutError } from '@stockroom/lock';
import { TestContext, testRedis } from './support/test-context';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LockService against the real Redis', () => {
  let context: TestContext;
  let app: INestApplicationContext;
  let locks: LockService;
  let redis: Redis | Cluster;

  beforeAll(async () => {
    context = await TestContext.create();
    @Module({ imports: [ConfigModule.forRoot(context.config()), MetricsModule, RedisModule.forRoot(context.config().redis), LockModule.forRoot()] })
    class LockTestModule {}
    app = await NestFactory.createApplicationContext(LockTestModule, { logger: false });
    locks = app.get(LockService);
    redis = testRedis();
  });

  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
    await context?.dispose();
  });

  /** Waits until the lock key is gone (its lease ran out), however slow the machine. */
  const expired = async (resource: string) => {
    while ((await redis.exists(`${context.keyPrefix}:lock:{${resource}}`)) === 1) await sleep(20);
  };

  it('grants one holder at a time and times out the others with the time left', async () => {
    // A lease long enough that no stall of a loaded machine lets it expire during the test.
    const a = await locks.acquire('t:one', { ttlMs: 30_000 });
    const error = await locks.acquire('t:one', { waitMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).retryAfterMs).toBeGreaterThan(0);
    // Retry-After: the holder's lease left, in whole seconds, rounded up.
    expect((error as LockTimeoutError).headers).toEqual({ 'Retry-After': String(Math.ceil((error as LockTimeoutError).retryAfterMs / 1000)) });
    expect(Number((error as LockTimeoutError).headers['Retry-After'])).toBeGreaterThan(1);
    expect(await a.release()).toBe(true);
    const b = await locks.acquire('t:one', { waitMs: 100 });
    expect(b.fencingToken).toBeGreaterThan(a.fencingToken);
    await b.release();
  });

  it('lets only the owner release or extend', async () => {
    const a = await locks.acquire('t:owner', { ttlMs: 150 });
    await expired('t:owner');
    const b = await locks.acquire('t:owner', { ttlMs: 30_000 });
    expect(await a.release()).toBe(false);
    expect(await a.extend(5_000)).toBe(false);
    await expect(locks.acquire('t:owner', { waitMs: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await b.release()).toBe(true);
  });

  it('expires a lease that is not renewed, and keeps one that is', async () => {
    const a = await locks.acquire('t:ttl', { ttlMs: 150 });
    expect(await a.extend(30_000)).toBe(true);
    await sleep(300);
    await expect(locks.acquire('t:ttl', { waitMs: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    await a.release();
    const b = await locks.acquire('t:ttl', { ttlMs: 100 });
    await expired('t:ttl');
    const c = await locks.acquire('t:ttl', { waitMs: 50 });
    expect(c.fencingToken).toBeGreaterThan(b.fencingToken);
    await c.release();
  });

  it('waits with backoff for a holder that releases', async () => {
    const a = await locks.acquire('t:wait', { ttlMs: 30_000 });
    setTimeout(() => void a.release(), 150);
    const started = Date.now();
    const b = await locks.acquire('t:wait', { waitMs: 60_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await b.release();
  });

  it('withLock renews the lease while the work runs, then releases', async () => {
    const result = await locks.withLock(
      't:renew',
      async (lease, signal) => {
        // Several lease periods: only renewal keeps it (a renewal every 500 ms; a stall under 1 s is harmless).
        await sleep(4_000);
        expect(signal.aborted).toBe(false);
        await expect(locks.acquire('t:renew', { waitMs: 20 })).rejects.toBeInstanceOf(LockTimeoutError);
        return lease.fencingToken;
      },
      { ttlMs: 1_500 },
    );
    expect(result).toBeGreaterThan(0);
    const after = await locks.acquire('t:renew', { waitMs: 50 });
    await after.release();
  });

  it('withLock aborts the work when the lease is lost', async () => {
    const outcome = await locks
      .withLock(
        't:lost',
        async (_lease, signal) => {
          await redis.del(`${context.keyPrefix}:lock:{t:lost}`);
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 2_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason);
            });
          });
          return 'finished';
        },
        { ttlMs: 90 },
      )
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(LockLostError);
  });

  it('keeps fencing tokens increasing per resource, in the lock\'s hash slot', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 5; i++) {
      const lease = await locks.acquire('t:fence');
      tokens.push(lease.fencingToken);
      await lease.release();
    }
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(5);
    expect(await redis.get(`${context.keyPrefix}:lock:{t:fence}:fence`)).toBe(String(tokens[4]));
  });

  it('counts contention and timeouts', async () => {
    const text = await app.get(MetricsRegistry).metrics();
    expect(text).toMatch(/stockroom_lock_acquisitions_total\{outcome="timeout"\} [1-9]/);
    expect(text).toMatch(/stockroom_lock_acquisitions_total\{outcome="contended"\} [1-9]/);
  });
});
