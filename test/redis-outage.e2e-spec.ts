import { Writable } from 'node:stream';
import pino from 'pino';
import { CacheStatsService } from '@stockroom/cache';
import { ProductService } from '@stockroom/catalog';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { PrivateRedis } from './support/redis-server';
import { QueryCounter } from './support/query-counter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis outage: MySQL answers, nothing stale survives, recovery is automatic', () => {
  let context: TestContext;
  let redis: PrivateRedis;
  let api: TestApi;
  const logLines: string[] = [];

  const get = (url: string) => api.app.inject({ method: 'GET', url });
  // Staff routes need a session, and sessions live in Redis: during the outage they answer 503, so
  // this suite reads the cache statistics and writes products through the services themselves
  // (what a worker or an in-flight request does while Redis goes away).
  const stats = () => api.app.get(CacheStatsService).view();
  const products = () => api.app.get(ProductService);

  beforeAll(async () => {
    context = await TestContext.create();
    redis = await PrivateRedis.start();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    api = await bootApi(
      context,
      { REDIS_URL: redis.url, CACHE_L1_MAX_ITEMS: '100', CACHE_REDIS_TIMEOUT_MS: '100', CACHE_REDIS_RETRY_MS: '1500', CACHE_L1_OUTAGE_TTL_MS: '300' },
      pino({ level: 'info' }, sink),
    );
  });

  afterAll(async () => {
    await api?.close();
    await redis?.kill();
    await context?.dispose();
  });

  it('a hung Redis (SIGSTOP): reads and writes succeed, and after it resumes no stale value is served', async () => {
    const product = await products().create({ sku: 'OUT-1', name: 'Before', price: '1.00' });
    const admin = await api.admin();
    expect((await get(`/products/${product.id}`)).json().name).toBe('Before');
    expect((await get(`/products/${product.id}`)).json().name).toBe('Before');

    redis.pause();
    try {
      // The first Redis call that times out opens the gate: the writes below never reach Redis.
      expect((await get('/products?q=anything')).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) expect((await get(`/products/${product.id}`)).statusCode).toBe(200);
      const refused = await api.app.inject({ method: 'PATCH', url: `/products/${product.id}`, payload: { name: 'Not me' }, headers: admin });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('SESSION_STORE_UNAVAILABLE');
      await products().update(product.id, { name: 'During outage' });
      expect((await get(`/products/${product.id}`)).json().name).toBe('During outage');
      expect((await get('/products?q=During')).json().total).toBe(1);
      const during = await stats();
      expect(during.redisDown).toBe(true);
      expect(during.redisFallbacks).toBeGreaterThan(0);
      expect(logLines.filter((line) => line.includes('redis unavailable'))).toHaveLength(1);
    } finally {
      redis.resume();
    }

    // Redis still holds the entry from before the outage (the open gate never sent the tombstone);
    // the missed invalidation is replayed before Redis is read again.
    await sleep(1_600);
    expect((await get(`/products/${product.id}`)).json().name).toBe('During outage');
    expect((await get('/products?q=Before')).json().total).toBe(0);
    const hitsBefore = (await stats()).hits;
    await get(`/products/${product.id}`);
    await get(`/products/${product.id}`);
    const after = await stats();
    expect(after.redisDown).toBe(false);
    expect(after.hits + after.l1Hits).toBeGreaterThan(hitsBefore);
  });

  it('while Redis is down, L1 keeps what MySQL returned only for CACHE_L1_OUTAGE_TTL_MS', async () => {
    const product = await products().create({ sku: 'OUT-3', name: 'Brief', price: '1.00' });
    const queries = QueryCounter.attach(api.app);
    redis.pause();
    try {
      expect((await get('/products?q=open-the-gate')).statusCode).toBe(200);
      queries.reset();
      await get(`/products/${product.id}`);
      await get(`/products/${product.id}`);
      expect(queries.count(/FROM `products`/)).toBe(1);
      await sleep(400);
      await get(`/products/${product.id}`);
      expect(queries.count(/FROM `products`/)).toBe(2);
    } finally {
      redis.resume();
      await sleep(1_600);
    }
  });

  it('a Redis that dies and comes back: answers throughout and caches again by itself', async () => {
    const product = await products().create({ sku: 'OUT-2', name: 'Kept', price: '1.00' });
    await redis.kill();
    for (let i = 0; i < 5; i++) expect((await get(`/products/${product.id}`)).statusCode).toBe(200);
    await products().update(product.id, { name: 'Renamed' });
    expect((await get(`/products/${product.id}`)).json().name).toBe('Renamed');

    await redis.launch();
    let recovered = false;
    for (let attempt = 0; attempt < 150 && !recovered; attempt++) {
      await sleep(100);
      const served = (s: { hits: number; l1Hits: number }) => s.hits + s.l1Hits;
      const before = served(await stats());
      await get(`/products/${product.id}`);
      await get(`/products/${product.id}`);
      recovered = served(await stats()) > before;
    }
    expect(recovered).toBe(true);
    expect((await get(`/products/${product.id}`)).json().name).toBe('Renamed');
    expect((await get('/health/ready')).statusCode).toBe(200);
  });
});
