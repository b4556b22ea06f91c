import { TestContext } from './support/test-context';
import { bootCache, CacheApp, untilListening } from './support/cache-app';
import { PrivateRedis } from './support/redis-server';
import { until } from './support/until';

/**
 * What one cache lookup costs in Redis commands, and what it may trust. With L1 on or off,
 * generations learned over the event channel stand in for reading them (one command per lookup,
 * one per turn of the event loop for lookups made together), at most CACHE_L1_TTL_MS old; a lower
 * one than known (a counter Redis lost) is read again.
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
    await untilListening(app);
    return app;
  };

  /** Calls of each command since the last reset, from INFO commandstats. */
  async function commandCalls(): Promise<Record<string, number>> {
    const info = await redis.ask((client) => client.info('commandstats'));
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls[match[1]] = Number(match[2]);
    return calls;
  }

  async function resetStats(): Promise<void> {
    await redis.ask((client) => client.config('RESETSTAT'));
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

  it('with L1 off, a lookup is one command too; another instance\'s invalidation is seen once its message arrives', async () => {
    const writer = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    const reader = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    await writer.cache.set('lookups', 'off', 'v1');
    expect(await reader.cache.get('lookups', 'off')).toBe('v1');
    await resetStats();
    for (let i = 0; i < 5; i++) expect(await reader.cache.get('lookups', 'off')).toBe('v1');
    expect((await commandCalls()).get).toBe(5);
    await writer.cache.invalidateNamespace('lookups');
    await until(async () => (await reader.cache.get('lookups', 'off')) === undefined, 10_000, 10);
  });

  it('lookups made together (one turn of the event loop) share one command: an MGET of their entries', async () => {
    const writer = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    const reader = await boot({ CACHE_L1_MAX_ITEMS: '0' });
    for (let i = 0; i < 10; i++) await writer.cache.set('lookups', `together-${i}`, i);
    expect(await reader.cache.get('lookups', 'together-0')).toBe(0);
    await resetStats();
    const keys = [...Array.from({ length: 10 }, (_, i) => `together-${i}`), 'together-missing', 'together-3'];
    expect(await Promise.all(keys.map((key) => reader.cache.get('lookups', key)))).toEqual([...Array.from({ length: 10 }, (_, i) => i), undefined, 3]);
    const calls = await commandCalls();
    expect(calls.mget).toBe(1);
    expect(calls.get).toBeUndefined();
  });

  it.each([
    ['on', '1000'],
    ['off', '0'],
  ])('with L1 %s, an invalidation after Redis lost its data is not hidden by the higher generation known before', async (_l1, items) => {
    const reader = await boot({ CACHE_L1_MAX_ITEMS: items });
    const writer = await boot({ CACHE_L1_MAX_ITEMS: items });
    const namespace = `lost${items}`;
    reader.cache.defineNamespace(namespace);
    writer.cache.defineNamespace(namespace);
    for (let i = 0; i < 3; i++) await writer.cache.invalidateNamespace(namespace);
    await writer.cache.set(namespace, 'k', 'before');
    await until(async () => (await reader.cache.get(namespace, 'k')) === 'before', 10_000, 10);
    const client = redis.client();
    await client.flushall();
    client.disconnect();
    // The reader caches a value under the generation it still knows; then the namespace is retired
    // on a counter that starts again from 0.
    expect(await reader.cache.getOrLoad(namespace, 'k', () => Promise.resolve('after flush'))).toBe('after flush');
    await writer.cache.invalidateNamespace(namespace);
    await until(async () => (await reader.cache.get(namespace, 'k')) === undefined, 10_000, 10);
  });

  it.each([
    ['on', '1000'],
    ['off', '0'],
  ])('with L1 %s, a bump whose message was lost is found within CACHE_L1_TTL_MS', async (_l1, items) => {
    const reader = await boot({ CACHE_L1_MAX_ITEMS: items, CACHE_L1_TTL_MS: '300' });
    const writer = await boot({ CACHE_L1_MAX_ITEMS: items });
    // The namespace's counter exists in Redis (an earlier case may have flushed it).
    await writer.cache.invalidateNamespace('lookups');
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
