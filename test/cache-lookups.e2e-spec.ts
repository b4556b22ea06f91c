import { TestContext } from './support/test-context';
import { bootCache, CacheApp, untilListening } from './support/cache-app';
import { PrivateRedis } from './support/redis-server';

/**
 * What one cache lookup costs in Redis commands, and what it may trust. With L1 on, generations
 * learned over the event channel stand in for reading them (one command per lookup), at most
 * CACHE_L1_TTL_MS old; with L1 off every lookup reads them (a write is seen by the next read anywhere).
 */
describe('Cache lookups: commands per lookup and the generations they trust', () => {
  let context: TestContext;
  let redis: PrivateRedis;
  const apps: CacheApp[] = [];

  const boot = async (overrides: Record<string, string>) => {
    // A generous command deadline: a timeout on a loaded machine would count as a fallback, not a lookup.
    const app = await bootCache(context, { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '', CACHE_REDIS_TIMEOUT_MS: '10000', ...overrides });
    app.cache.defineNamespace('lookups');
    apps.push(app);
    // What a lookup trusts depends on listening (generations learned over the channel).
    if (overrides.CACHE_L1_MAX_ITEMS !== '0') await untilListening(app);
    return app;
  };

  /** Calls of each command since the last reset, from INFO commandstats. */
  async function commandCalls(): Promise<Record<string, number>> {
    const client = redis.client();
    try {
      const info = await client.info('commandstats');
      const calls: Record<string, number> = {};
      for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls[match[1]] = Number(match[2]);
      return calls;
    } finally {
      client.disconnect();
    }
  }

  async function resetStats(): Promise<void> {
    const client = redis.client();
    await client.config('RESETSTAT');
    client.disconnect();
  }

  beforeAll(async () => {
    context = await TestContext.create();
    redis = await PrivateRedis.start();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await redis?.kill();
    await context?.dispose();
  });

  it('with L1 on, a lookup of an entry not in L1 is one command (GET of the entry) once the generations are known', async () => {
    const writer = await boot({ CACHE_L1_MAX_ITEMS: '1000' });
    const reader = await boot({ CACHE_L1_MAX_ITEMS: '1000' });
    for (let i = 0; i < 20; i++) await writer.cache.set('lookups', `on-${i}`, i);
    // The first lookup learns the namespace's generation from Redis.
    expect(await reader.cache.get('lookups', 'on-0')).toBe(0);
    await resetStats();
    for (let i = 1; i < 20; i++) expect(await reader.cache.get('lookups', `on-${i}`)).toBe(i);
    const calls = await commandCalls();
    expect(calls.get).toBe(19);
  });

  it('with L1 off, every lookup reads the generations too (a write on one instance is seen by the next read on another)', async () => {
    const writer = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    const reader = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    await writer.cache.set('lookups', 'off', 'v1');
    expect(await reader.cache.get('lookups', 'off')).toBe('v1');
    await resetStats();
    for (let i = 0; i < 5; i++) expect(await reader.cache.get('lookups', 'off')).toBe('v1');
    const calls = await commandCalls();
    // Each lookup: the namespace's generation and the entry.
    expect(calls.get).toBe(10);
    await writer.cache.invalidateNamespace('lookups');
    expect(await reader.cache.get('lookups', 'off')).toBeUndefined();
  });

  it('with L1 on, a bump whose message was lost is found within CACHE_L1_TTL_MS', async () => {
    const reader = await boot({ CACHE_L1_MAX_ITEMS: '1000', CACHE_L1_TTL_MS: '300' });
    const writer = await boot({ CACHE_L1_MAX_ITEMS: '1000' });
    await writer.cache.set('lookups', 'lost', 'v1');
    expect(await reader.cache.get('lookups', 'lost')).toBe('v1');
    // The namespace retired in Redis with no message published (a publish lost to a failure).
    const client = redis.client();
    const generationKeys = await client.keys('*:cache:gen:*lookups');
    expect(generationKeys.length).toBeGreaterThan(0);
    for (const key of generationKeys) await client.incr(key);
    client.disconnect();
    const started = Date.now();
    // Its L1 copy lives at most 300 ms too; after that only the learned generation could keep v1.
    let value: unknown = 'v1';
    while (value !== undefined && Date.now() - started < 60_000) {
      value = await reader.cache.get('lookups', 'lost');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(value).toBeUndefined();
  });
});
