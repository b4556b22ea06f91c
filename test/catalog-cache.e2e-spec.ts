import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Product } from '@stockroom/catalog';
import { RedisCacheService } from '@stockroom/cache';
import { bootApi, TestApi, TestContext, testRedis } from './support/test-context';
import { QueryCounter } from './support/query-counter';
import { storedEntry } from './support/cache-entries';
import { until } from './support/until';

const SELECT_PRODUCT = /^SELECT .* FROM `products`/;

describe('Catalogue cache-aside (two API instances, one MySQL, one Redis)', () => {
  let context: TestContext;
  let a: TestApi;
  let b: TestApi;
  let queries: QueryCounter;

  const get = (api: TestApi, url: string) => api.app.inject({ method: 'GET', url });
  const asAdmin = async (api: TestApi, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    api.app.inject({ method, url, payload, headers: await api.admin() });
  const create = async (sku: string, name = sku) => (await asAdmin(a, 'POST', '/products', { sku, name, price: '1.00', stock: 1 })).json();

  beforeAll(async () => {
    context = await TestContext.create();
    // L1 off here: these checks are about the Redis level; L1 coherence has its own suite.
    // Generous timeouts: on a loaded machine an event-loop stall must not pass for a Redis outage
    // (which would rightly send reads to MySQL and spoil the query counts).
    // Counters off: the popular list is then the cached MySQL list this suite checks.
    const env = { CACHE_REDIS_TIMEOUT_MS: '10000', CACHE_LEASE_MS: '10000', STATS_ENABLED: 'false' };
    [a, b] = await Promise.all([bootApi(context, env), bootApi(context, env)]);
    queries = QueryCounter.attach(a.app, b.app);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await context?.dispose();
  });

  it('serves a product from Redis after the first read, on either instance', async () => {
    const product = await create('HIT-1');
    queries.reset();
    expect((await get(a, `/products/${product.id}`)).json().id).toBe(product.id);
    expect(queries.count(SELECT_PRODUCT)).toBe(1);
    for (let i = 0; i < 5; i++) {
      expect((await get(i % 2 ? a : b, `/products/${product.id}`)).statusCode).toBe(200);
    }
    expect(queries.count(SELECT_PRODUCT)).toBe(1);
  });

  it('500 concurrent cold reads of one product make exactly one database query across both instances', async () => {
    const product = await create('COLD-1');
    queries.reset();
    const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => get(i % 2 ? a : b, `/products/${product.id}`)));
    expect(responses.every((r) => r.statusCode === 200 && r.json().version === product.version)).toBe(true);
    expect(queries.count(/FROM `products`/)).toBe(1);
  });

  it('every write is visible on the next read by id, by SKU and in searches; in cached lists once the invalidation message arrives', async () => {
    const product = await create('W-1', 'Before name');
    await get(b, `/products/${product.id}`);
    await get(b, '/products/by-sku/W-1');
    await get(b, '/products?q=Before');
    await get(b, '/products/popular?limit=100');

    const patched = (await asAdmin(a, 'PATCH', `/products/${product.id}`, { name: 'After name', sku: 'W-2' })).json();
    expect((await get(b, `/products/${product.id}`)).json()).toMatchObject({ name: 'After name', version: patched.version });
    expect((await get(b, '/products/by-sku/W-1')).statusCode).toBe(404);
    expect((await get(b, '/products/by-sku/W-2')).json().version).toBe(patched.version);
    expect((await get(b, '/products?q=Before')).json().total).toBe(0);
    expect((await get(b, '/products?q=After')).json().total).toBe(1);
    // The popular list (MySQL's order, counters off) is a list namespace entry: another instance
    // sees its retirement once the bump's message arrives, which on a Redis Cluster crosses the
    // cluster bus and may come after this read (DESIGN.md, "L1 and pub/sub").
    const popularName = async () =>
      ((await get(b, '/products/popular?limit=100')).json() as Array<{ id: number; name: string }>).find((p) => p.id === product.id)?.name;
    await until(async () => (await popularName()) === 'After name', 10_000, 10);

    await asAdmin(a, 'DELETE', `/products/${product.id}`);
    expect((await get(b, `/products/${product.id}`)).statusCode).toBe(404);
    expect((await get(b, '/products/by-sku/W-2')).statusCode).toBe(404);
    expect((await get(b, '/products?q=After')).json().total).toBe(0);

    const reused = await create('W-2', 'New owner of the SKU');
    expect((await get(b, '/products/by-sku/W-2')).json().id).toBe(reused.id);
  });

  it('answers a Redis hit from the JSON stored beside the product, unless it was stored for another shape', async () => {
    const product = await create('RENDERED');
    const first = await get(b, `/products/${product.id}`);
    expect(first.json()).toMatchObject({ id: product.id, sku: 'RENDERED' });
    const redis = testRedis();
    try {
      const key = `${context.keyPrefix}:cache:product:{id%3A${product.id}}`;
      const entry = await storedEntry(redis, key);
      const [shape, etag, body] = entry.rendering.split('\n');
      expect({ etag, body: JSON.parse(body) }).toEqual({ etag: first.headers.etag, body: first.json() });
      // The answer is the stored rendering itself: change it, and the next hit sends the change.
      await entry.rewrite({ rendering: `${shape}\n"marked"\n${JSON.stringify({ ...first.json(), name: 'from the rendering' })}` });
      const marked = await get(a, `/products/${product.id}`);
      expect([marked.headers.etag, marked.json().name]).toEqual(['"marked"', 'from the rendering']);
      // Made by another shape of ProductResponse (an older deploy): ignored, the product is rendered again.
      await entry.rewrite({ rendering: `oldshape00\n"old"\n{"id":${product.id}}` });
      const again = await get(a, `/products/${product.id}`);
      expect([again.headers.etag, again.json()]).toEqual([first.headers.etag, first.json()]);
    } finally {
      redis.disconnect();
    }
  });

  it('a new product shows in cached list pages: on its instance at once, on the others once the invalidation message arrives', async () => {
    const before = (await get(b, '/products?limit=100')).json().total;
    await get(a, '/products?limit=100');
    await create('LIST-NEW');
    expect((await get(a, '/products?limit=100')).json().total).toBe(before + 1);
    // Milliseconds between processes; the bound only keeps a loaded machine from failing it.
    await until(async () => (await get(b, '/products?limit=100')).json().total === before + 1, 10_000, 10);
  });

  it('never serves an older version once an update has answered (stale-set torture)', async () => {
    const product = await create('TORTURE');
    // Readers that are slow between reading the row and storing it: the stale-set window.
    let slowLoads = 0;
    for (const api of [a, b]) {
      // Cache fills read through the data source's manager (on the primary when there are replicas).
      const manager = api.app.get<Repository<Product>>(getRepositoryToken(Product)).manager;
      const original = manager.findOneBy.bind(manager) as (entity: unknown, where: unknown) => Promise<unknown>;
      jest.spyOn(manager, 'findOneBy').mockImplementation((async (entity: unknown, where: unknown) => {
        const row = await original(entity, where);
        if (entity === Product) {
          slowLoads++;
          await new Promise((r) => setTimeout(r, Math.random() * 15));
        }
        return row;
      }) as never);
    }
    const caches = [a, b].map((api) => api.app.get(RedisCacheService));
    let committed = product.version;
    let done = false;
    const violations: string[] = [];

    const reader = async (id: number) => {
      while (!done) {
        const floor = committed;
        const response = await get(id % 2 ? a : b, `/products/${product.id}`);
        const version = response.json().version as number;
        if (version < floor) violations.push(`read version ${version} after version ${floor} had answered`);
      }
    };
    // Evictions force misses, so loads keep racing the updates.
    const evictor = async () => {
      while (!done) {
        await caches[Math.floor(Math.random() * 2)].del('product', `id:${product.id}`);
        await new Promise((r) => setTimeout(r, Math.random() * 10));
      }
    };
    const writer = async () => {
      for (let i = 0; i < 150; i++) {
        const response = await asAdmin(i % 2 ? a : b, 'PATCH', `/products/${product.id}`, { name: `rev ${i}` });
        committed = Math.max(committed, response.json().version);
      }
      done = true;
    };
    await Promise.all([writer(), evictor(), ...Array.from({ length: 8 }, (_, i) => reader(i))]);
    jest.restoreAllMocks();

    expect(violations).toEqual([]);
    // The loads were slowed (the race was really run).
    expect(slowLoads).toBeGreaterThan(0);
    expect(committed).toBe(product.version + 150);
    for (const api of [a, b]) expect((await get(api, `/products/${product.id}`)).json().version).toBe(committed);
  });

  describe('cache statistics and administration', () => {
    it('GET /stats/cache reports hits, misses, hit rate, coalesced loads and Redis memory', async () => {
      const stats = (await asAdmin(a, 'GET', '/stats/cache')).json();
      expect(stats).toMatchObject({
        hits: expect.any(Number),
        misses: expect.any(Number),
        l1Hits: 0,
        coalesced: expect.any(Number),
        loads: expect.any(Number),
        redisDown: false,
        redis: { available: true, usedMemoryHuman: expect.stringMatching(/^[\d.]+[BKMG]$/), evictedKeys: expect.any(Number) },
      });
      expect(stats.hits).toBeGreaterThan(0);
      expect(stats.coalesced).toBeGreaterThan(0);
      expect(stats.hitRate).toBeGreaterThan(0);
      expect(stats.hitRate).toBeLessThanOrEqual(1);
    });

    it('invalidates a declared namespace by name, and refuses anything else', async () => {
      expect((await asAdmin(a, 'GET', '/cache/namespaces')).json().namespaces).toEqual(['categories', 'product', 'product-list']);
      const product = await create('ADMIN-1');
      await get(a, `/products/${product.id}`);
      queries.reset();
      expect((await asAdmin(a, 'DELETE', '/cache/namespaces/product')).statusCode).toBe(204);
      // Instance b learns the bump from the event channel; its next read after that goes to MySQL, once.
      await until(async () => (await get(b, `/products/${product.id}`)) && queries.count(SELECT_PRODUCT) > 0, 10_000, 10);
      await get(b, `/products/${product.id}`);
      expect(queries.count(SELECT_PRODUCT)).toBe(1);

      const unknown = await asAdmin(a, 'DELETE', '/cache/namespaces/sessions');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('CACHE_NAMESPACE_NOT_FOUND');
      for (const bad of ['*', 'product%3A*', 'PRODUCT', 'a%20b']) {
        expect((await asAdmin(a, 'DELETE', `/cache/namespaces/${bad}`)).statusCode).toBe(400);
      }
    });
  });
});
