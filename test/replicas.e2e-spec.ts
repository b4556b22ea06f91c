import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, viaInject } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TABLES = ['migrations', 'products', 'stock_movements', 'counter_flushes', 'users', 'orders', 'order_lines'];

describe('Read replicas (DB_REPLICA_HOSTS): catalogue reads from a replica, every decision on the primary', () => {
  let context: TestContext;
  let primary: TestApi;
  let routed: TestApi;
  let replicaDb: string;
  let productId: number;

  beforeAll(async () => {
    context = await TestContext.create();
    primary = await bootApi(context);
    productId = (await primary.app.inject({ method: 'POST', url: '/products', payload: { sku: 'REP-1', name: 'Primary name', price: '1.00', stock: 5 }, headers: await primary.admin() })).json().id;
    // The "replica": a second database on the same server, a snapshot that then falls behind
    // and disagrees on purpose, so every answer shows which side it came from.
    replicaDb = `${context.dbName}_replica`;
    await context.query(`CREATE DATABASE \`${replicaDb}\``);
    for (const table of TABLES) {
      await context.query(`CREATE TABLE \`${replicaDb}\`.\`${table}\` LIKE \`${context.dbName}\`.\`${table}\``);
      await context.query(`INSERT INTO \`${replicaDb}\`.\`${table}\` SELECT * FROM \`${context.dbName}\`.\`${table}\``);
    }
    await context.query(`UPDATE \`${replicaDb}\`.products SET name = 'Replica name', stock = 0 WHERE id = ?`, [productId]);
    await context.query(`DELETE FROM \`${replicaDb}\`.users`);
    routed = await bootApi(context, { DB_REPLICA_HOSTS: '127.0.0.1:3306', DB_REPLICA_NAME: replicaDb, CACHE_ENABLED: 'false', WORKER_INLINE: 'true' });
  });

  afterAll(async () => {
    await routed?.close();
    await primary?.close();
    if (replicaDb) await context?.query(`DROP DATABASE IF EXISTS \`${replicaDb}\``);
    await context?.dispose();
  });

  it('serves product reads and lists from the replica', async () => {
    expect((await routed.app.inject({ method: 'GET', url: `/products/${productId}` })).json()).toMatchObject({ name: 'Replica name', stock: 0 });
    expect((await routed.app.inject({ method: 'GET', url: '/products?q=name' })).json().items[0].name).toBe('Replica name');
  });

  it('signs in, reads stock, writes and reads back on the primary', async () => {
    // The replica has no users at all: signing in can only have read the primary.
    const admin = await signIn(viaInject(routed.app), 'admin');
    expect((await routed.app.inject({ method: 'GET', url: `/inventory/${productId}`, headers: admin.headers })).json()).toMatchObject({ stock: 5, available: 5 });
    const patched = (await routed.app.inject({ method: 'PATCH', url: `/products/${productId}`, payload: { price: '2.00' }, headers: admin.headers })).json();
    expect(patched).toMatchObject({ name: 'Primary name', price: '2.00', version: 2 });
  });

  it('takes and processes an order on the primary although the replica shows no stock', async () => {
    const customer = await signIn(viaInject(routed.app), 'customer');
    const placed = await routed.app.inject({ method: 'POST', url: '/orders', payload: { items: [{ productId, quantity: 2 }] }, headers: customer.headers });
    expect(placed.statusCode).toBe(202);
    const { id } = placed.json();
    let status = 'pending';
    for (let i = 0; i < 200 && status === 'pending'; i++) {
      const order = await routed.app.inject({ method: 'GET', url: `/orders/${id}`, headers: customer.headers });
      expect(order.statusCode).toBe(200);
      status = order.json().status;
      if (status === 'pending') await sleep(25);
    }
    expect(status).toBe('confirmed');
    const [row] = await context.query<Array<{ stock: number }>>('SELECT stock FROM products WHERE id = ?', [productId]);
    expect(row.stock).toBe(3);
  });

  it('with the cache on, a list page cached after a write is read on the primary, never the lagging replica', async () => {
    const cached = await bootApi(context, { DB_REPLICA_HOSTS: '127.0.0.1:3306', DB_REPLICA_NAME: replicaDb });
    try {
      const admin = await signIn(viaInject(cached.app), 'admin');
      const patched = await cached.app.inject({ method: 'PATCH', url: `/products/${productId}`, payload: { name: 'Fresh name' }, headers: admin.headers });
      expect(patched.statusCode).toBe(200);
      // The replica never catches up here: a page filled from it would keep 'Replica name' until the next write.
      for (let i = 0; i < 3; i++) {
        const page = (await cached.app.inject({ method: 'GET', url: '/products?limit=100' })).json();
        expect(page.items.find((item: { id: number }) => item.id === productId).name).toBe('Fresh name');
      }
      const popular = (await cached.app.inject({ method: 'GET', url: '/products/popular?limit=100' })).json();
      expect(popular.find((item: { id: number }) => item.id === productId)?.name ?? 'Fresh name').toBe('Fresh name');
      // A search is not cached, so it still reads the replica.
      expect((await cached.app.inject({ method: 'GET', url: '/products?q=name' })).json().items[0].name).toBe('Replica name');
    } finally {
      await cached.close();
    }
  });

  it('reports the pool of each server in /metrics', async () => {
    const text = (await routed.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/stockroom_mysql_pool_connections\{pool="master",state="open"\} \d+/);
    expect(text).toMatch(/stockroom_mysql_pool_connections\{pool="slave0",state="open"\} \d+/);
  });
});
