import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '@stockroom/core';
import { ProductService } from '@stockroom/catalog';
import { RedisCircuit } from '@stockroom/redis';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { PrivateRedis } from './support/redis-server';
import { signIn, SignedIn, TEST_ADMIN, viaInject } from './support/sign-in';
import { until } from './support/until';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each request-path Redis command's deadline here (REDIS_TIMEOUT_MS and the cache's and sessions' own). */
const DEADLINE_MS = 300;
/** How long the circuit stays open after a failure before one call probes Redis again. */
const RETRY_MS = 3_000;
/**
 * A request that waits at most the deadline answers well inside this bound, however loaded the
 * machine; without deadlines these requests get no answer at all (the bug this suite pins).
 */
const ANSWERED_WITHIN_MS = DEADLINE_MS + 2_000;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('A Redis that stops answering (SIGSTOP), throttler on: every request-path call has a deadline', () => {
  let context: TestContext;
  let redis: PrivateRedis;
  let api: TestApi;
  let customer: SignedIn;
  let product: { id: number; sku: string };
  let base: string;

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers, remoteAddress: '10.40.0.1' });
  /** Over a socket: cached product reads are answered there before Fastify (FastReads.answerEarly), which inject never reaches. */
  const overHttp = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${url}`, { headers });
    return { statusCode: response.status, body: await response.text() };
  };
  const earlyAnswers = async (of = api) => {
    const text = await of.app.get(MetricsRegistry).getSingleMetricAsString('stockroom_fast_reads_total');
    return [...text.matchAll(/stage="before-fastify"} (\d+)/g)].reduce((sum, [, n]) => sum + Number(n), 0);
  };
  type Read = (url: string) => Promise<{ statusCode: number }>;
  /** Each route 200 within the deadline's bound (the first reads meet the paused Redis). */
  const answeredWithinDeadline = async (read: Read, routes: string[]) => {
    for (const url of routes) {
      const { result, ms } = await timed(() => read(url));
      expect({ url, status: result.statusCode }).toEqual({ url, status: 200 });
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    }
  };
  /** For half of REDIS_RETRY_MS, every route 200 in less than a deadline: the open circuit waits for nothing. */
  const answeredWithoutWaiting = async (read: Read, routes: string[]) => {
    for (const opened = Date.now(); Date.now() - opened < RETRY_MS / 2; ) {
      for (const url of routes) {
        const { result, ms } = await timed(() => read(url));
        expect(result.statusCode).toBe(200);
        expect(ms).toBeLessThan(DEADLINE_MS);
      }
    }
  };
  /** Whether the product is in that app's L1, by id and by SKU (what the early path answers from without Redis). */
  const inL1 = (of: TestApi) => of.app.get(ProductService).peekById(product.id) !== undefined && of.app.get(ProductService).peekBySku(product.sku) !== undefined;
  const pending = async () => {
    const metric = await api.app.get(MetricsRegistry).getSingleMetricAsString('stockroom_redis_pending_commands');
    return Object.fromEntries([...metric.matchAll(/connection="([^"]+)"} (\d+)/g)].map(([, name, value]) => [name, Number(value)]));
  };

  beforeAll(async () => {
    context = await TestContext.create();
    redis = await PrivateRedis.start();
    api = await bootApi(context, {
      REDIS_URL: redis.url,
      REDIS_CLUSTER_NODES: '',
      THROTTLE_ENABLED: 'true',
      THROTTLE_LIMIT: '1000000',
      CACHE_L1_MAX_ITEMS: '1000',
      REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      CACHE_REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      SESSION_REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      REDIS_RETRY_MS: String(RETRY_MS),
    });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
    const created = await api.app.get(ProductService).create({ sku: 'PAUSE-1', name: 'Kept going', price: '2.00', stock: 5 });
    product = { id: created.id, sku: created.sku };
    customer = await signIn(viaInject(api.app), 'customer');
    // In L1, in the views ranking, and a list page cached.
    for (let i = 0; i < 3; i++) {
      await get(`/products/${product.id}`);
      await get(`/products/by-sku/${product.sku}`);
    }
    await get('/products?page=1');
    await get('/products/popular');
  });

  afterAll(async () => {
    redis?.resume();
    await api?.close();
    await redis?.kill();
    await context?.dispose();
  });

  afterEach(async () => {
    // Each test starts with a live Redis and a closed circuit.
    redis.resume();
    const circuit = api.app.get(RedisCircuit);
    for (const started = Date.now(); circuit.isDown && Date.now() - started < 30_000; await sleep(100)) {
      await get(`/products/${product.id}`);
    }
    expect(circuit.isDown).toBe(false);
  });

  it('answers catalogue reads (by id, by SKU, list, popular) with 200 within the deadline, then without waiting for Redis', async () => {
    redis.pause();
    const routes = [`/products/${product.id}`, `/products/by-sku/${product.sku}`, '/products?page=1', '/products?page=2&q=kept', '/products/popular'];
    await answeredWithinDeadline(get, routes);
    // The circuit is open now: for RETRY_MS nothing waits for Redis at all.
    await answeredWithoutWaiting(get, routes);
  });

  it('answers the same reads over HTTP, where product hits are answered before Fastify, and a signed-in read as Fastify does', async () => {
    const routes = [`/products/${product.id}`, `/products/by-sku/${product.sku}`, '/products?page=1', '/products/popular'];
    // In L1 again: a reconnection to Redis empties it (invalidations may have been missed), and it
    // keeps nothing until the event channel has subscribed again.
    await until(async () => {
      for (const url of routes.slice(0, 2)) expect((await overHttp(url)).statusCode).toBe(200);
      return inL1(api);
    }, 30_000);
    const earlyBefore = await earlyAnswers();
    redis.pause();
    await answeredWithinDeadline(overHttp, routes);
    // The first read was an L1 hit whose throttler call met the paused Redis, answered early; that
    // opened the circuit, which empties L1, so the next went through Fastify to MySQL.
    const earlyWhenOpened = await earlyAnswers();
    expect(earlyWhenOpened).toBeGreaterThan(earlyBefore);
    await answeredWithoutWaiting(overHttp, routes);
    // Meanwhile L1 kept the outage's short-lived entries, answered early again.
    expect(await earlyAnswers()).toBeGreaterThan(earlyWhenOpened);
    // A session cannot be read: both paths give the same answer.
    const early = await overHttp(`/products/${product.id}`, customer.headers);
    const viaFastify = await get(`/products/${product.id}`, customer.headers);
    expect({ status: early.statusCode, body: JSON.parse(early.body) }).toEqual({ status: viaFastify.statusCode, body: viaFastify.json() });
  });

  it('with THROTTLE_FAIL_CLOSED refuses reads 429 within the deadline, over HTTP (before Fastify) and through Fastify', async () => {
    const closed = await bootApi(context, {
      REDIS_URL: redis.url,
      REDIS_CLUSTER_NODES: '',
      THROTTLE_ENABLED: 'true',
      THROTTLE_LIMIT: '1000000',
      THROTTLE_FAIL_CLOSED: 'true',
      CACHE_L1_MAX_ITEMS: '1000',
      REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      CACHE_REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      SESSION_REDIS_TIMEOUT_MS: String(DEADLINE_MS),
      REDIS_RETRY_MS: String(RETRY_MS),
    });
    try {
      await closed.app.listen({ port: 0, host: '127.0.0.1' });
      const closedBase = `http://127.0.0.1:${(closed.app.getHttpServer().address() as AddressInfo).port}`;
      const byId = `/products/${product.id}`;
      // Cached in its L1, so the read over HTTP is answered (here refused) before Fastify.
      await until(async () => {
        for (const url of [byId, `/products/by-sku/${product.sku}`]) expect((await fetch(`${closedBase}${url}`)).status).toBe(200);
        return inL1(closed);
      }, 30_000);
      expect(await earlyAnswers(closed)).toBeGreaterThan(0);
      redis.pause();
      const ways = [
        (url: string) => fetch(`${closedBase}${url}`).then(async (response) => ({ status: response.status, body: (await response.json()) as { code: string } })),
        (url: string) => closed.app.inject({ method: 'GET', url, remoteAddress: '10.40.0.3' }).then((response) => ({ status: response.statusCode, body: response.json<{ code: string }>() })),
      ];
      for (const url of [byId, `/products/by-sku/${product.sku}`, '/products?page=1', '/products/popular']) {
        for (const way of ways) {
          const { result, ms } = await timed(() => way(url));
          expect({ url, status: result.status, code: result.body.code }).toEqual({ url, status: 429, code: 'TOO_MANY_REQUESTS' });
          expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
        }
      }
    } finally {
      redis.resume();
      await closed.close();
    }
  });

  it('keeps nothing queued for the hung Redis, however many requests arrive', async () => {
    redis.pause();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => get(i % 2 ? `/products/${product.id}` : '/products?page=1')));
      expect(answers.every((answer) => answer.statusCode === 200)).toBe(true);
    }
    const queued = await pending();
    // 1,000 requests; at most the first concurrent batch and a probe reached the connections.
    for (const [connection, commands] of Object.entries(queued)) expect({ connection, commands: commands <= 160 }).toEqual({ connection, commands: true });
    expect(queued.requests + queued.cache).toBeLessThan(1_000);
  });

  it('answers a signed-in caller 503 SESSION_STORE_UNAVAILABLE within the deadline', async () => {
    redis.pause();
    for (let i = 0; i < 3; i++) {
      const { result, ms } = await timed(() => get('/auth/me', customer.headers));
      expect(result.statusCode).toBe(503);
      expect(result.json().code).toBe('SESSION_STORE_UNAVAILABLE');
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    }
  });

  it('refuses every sign-in alike (the sign-in limits fail closed), right or wrong password, within the deadline', async () => {
    redis.pause();
    const attempts = [TEST_ADMIN.password, 'a wrong password entirely'];
    for (const password of attempts) {
      const { result, ms } = await timed(() =>
        api.app.inject({ method: 'POST', url: '/auth/login', payload: { email: TEST_ADMIN.email, password }, remoteAddress: '10.40.0.2' }),
      );
      expect(result.statusCode).toBe(429);
      expect(result.json().code).toBe('TOO_MANY_REQUESTS');
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    }
  });

  it('recovers by itself when Redis resumes: limits are counted and L1 fills again', async () => {
    redis.pause();
    expect((await get(`/products/${product.id}`)).statusCode).toBe(200);
    redis.resume();
    let counted = false;
    for (const started = Date.now(); !counted && Date.now() - started < 30_000; await sleep(100)) {
      const answer = await get(`/products/${product.id}`);
      counted = answer.statusCode === 200 && /r=\d+/.test(String(answer.headers['ratelimit'])) && !api.app.get(RedisCircuit).isDown;
    }
    expect(counted).toBe(true);
    const first = await get(`/products/${product.id}`);
    const second = await get(`/products/${product.id}`);
    // Counted by Redis again: the remaining budget goes down.
    const left = (answer: typeof first) => Number(/r=(\d+)/.exec(String(answer.headers['ratelimit']))?.[1]);
    expect(left(second)).toBe(left(first) - 1);
  });
});
