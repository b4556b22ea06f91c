import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, viaInject } from './support/sign-in';
import { PrivateRedis, startSentinel } from './support/redis-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis Sentinel (REDIS_SENTINELS): the same features, and a failover the API follows by itself', () => {
  let context: TestContext;
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  let sentinel: { port: number; stop(): void };
  let api: TestApi;

  beforeAll(async () => {
    context = await TestContext.create();
    primary = await PrivateRedis.start();
    replica = await PrivateRedis.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    sentinel = await startSentinel(primary.port);
    api = await bootApi(context, {
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_CLUSTER_NODES: '',
      WORKER_INLINE: 'true',
      STATS_BUFFER_FLUSH_MS: '20',
    });
  });

  afterAll(async () => {
    await api?.close();
    sentinel?.stop();
    await replica?.kill();
    await primary?.kill();
    await context?.dispose();
  });

  const order = async (headers: Record<string, string>, productId: number) => {
    const placed = await api.app.inject({ method: 'POST', url: '/orders', payload: { items: [{ productId, quantity: 1 }] }, headers });
    expect(placed.statusCode).toBe(202);
    for (let i = 0; i < 400; i++) {
      const status = (await api.app.inject({ method: 'GET', url: `/orders/${placed.json().id}`, headers })).json().status;
      if (status !== 'pending') return status;
      await sleep(25);
    }
    return 'pending';
  };

  it('caches, signs in and processes orders through the primary Sentinel names; after the primary dies, carries on on the promoted replica', async () => {
    const admin = await signIn(viaInject(api.app), 'admin');
    const product = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'SEN-1', name: 'Watched', price: '1.00', stock: 10 }, headers: admin.headers })).json();
    await api.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).statusCode).toBe(200);
    const stats = (await api.app.inject({ method: 'GET', url: '/stats/cache', headers: admin.headers })).json();
    expect(stats.hits + stats.l1Hits).toBeGreaterThan(0);
    expect(await primary.ask((client) => client.dbsize())).toBeGreaterThan(0);
    const customer = await signIn(viaInject(api.app), 'customer');
    expect(await order(customer.headers, product.id)).toBe('confirmed');

    await primary.kill();
    // Reads go on from MySQL while there is no primary.
    for (let i = 0; i < 5; i++) expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).statusCode).toBe(200);
    // Sentinel promotes the replica; ioredis asks Sentinel again and reconnects to it.
    let signedIn: Awaited<ReturnType<typeof signIn>> | undefined;
    for (let attempt = 0; attempt < 60 && !signedIn; attempt++) {
      signedIn = await signIn(viaInject(api.app), 'customer').catch(() => undefined);
      if (!signedIn) await sleep(500);
    }
    expect(signedIn).toBeDefined();
    expect(await order(signedIn!.headers, product.id)).toBe('confirmed');
    expect(await replica.ask((client) => client.role())).toContain('master');
    const [row] = await context.query<Array<{ stock: number; reserved: number }>>('SELECT stock, reserved FROM products WHERE id = ?', [product.id]);
    expect(row).toEqual({ stock: 8, reserved: 0 });
  });
});
