import type { Cluster, Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { bootApi, keysMatching, serviceEnv, TestApi, TestContext, testRedis } from './support/test-context';

/**
 * Issue 11, item 2: what Redis holds belongs to one database. A database recreated (or restored
 * from a backup) while Redis keeps its keys must not be served the old one's products, sessions
 * or counters.
 */
describe('Redis belongs to one database: a recreated or restored database never reads another one\'s entries', () => {
  let context: TestContext;
  let api: TestApi | undefined;
  let redis: Redis | Cluster;

  const recreateDatabase = async () => {
    const sql = await createConnection({ host: serviceEnv.DB_HOST, port: Number(serviceEnv.DB_PORT), user: serviceEnv.DB_USER, password: serviceEnv.DB_PASSWORD });
    try {
      await sql.query(`DROP DATABASE \`${context.dbName}\``);
      await sql.query(`CREATE DATABASE \`${context.dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await sql.end();
    }
  };

  beforeAll(async () => {
    context = await TestContext.create();
    redis = testRedis();
  });

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  afterAll(async () => {
    redis?.disconnect();
    await context?.dispose();
  });

  it('a recreated database gets a new epoch: product 1 is the new product 1, and the old sessions are gone', async () => {
    api = await bootApi(context);
    const oldAdmin = await api.admin();
    const old = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EPOCH-OLD', name: 'old', price: '1.00' }, headers: oldAdmin })).json();
    expect((await api.app.inject({ method: 'GET', url: `/products/${old.id}` })).json().sku).toBe('EPOCH-OLD');
    await api.close();

    await recreateDatabase();
    api = await bootApi(context);
    // The old database's session named user 1, who exists again (the first admin): it must not sign anyone in.
    expect((await api.app.inject({ method: 'GET', url: '/auth/me', headers: oldAdmin })).statusCode).toBe(401);
    const fresh = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EPOCH-NEW', name: 'new', price: '2.00' }, headers: await api.admin() })).json();
    expect(fresh.id).toBe(old.id);
    const read = await api.app.inject({ method: 'GET', url: `/products/${fresh.id}` });
    expect(read.json()).toMatchObject({ sku: 'EPOCH-NEW', version: 1 });
  });

  it('a database restored to an earlier point (its clock behind what Redis saw) drops what Redis held at the next boot', async () => {
    api = await bootApi(context);
    const admin = await api.admin();
    const product = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EPOCH-RESTORE', name: 'before', price: '1.00', stock: 5 }, headers: admin })).json();
    // The backup is taken here: the database as it is now, its clock included.
    const [{ ticks }] = await context.query<Array<{ ticks: number }>>('SELECT ticks FROM stockroom_epoch WHERE id = 1');
    await api.app.inject({ method: 'POST', url: `/inventory/${product.id}/adjustments`, payload: { delta: 5, reason: 'delivery' }, headers: admin });
    expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().stock).toBe(10);
    await api.close();
    const [{ ticks: afterShutdown }] = await context.query<Array<{ ticks: number }>>('SELECT ticks FROM stockroom_epoch WHERE id = 1');
    expect(Number(afterShutdown)).toBeGreaterThan(Number(ticks));

    // Restored: the delivery (its ledger row and its effect) and the clock's later ticks are not in the backup.
    await context.query("DELETE FROM stock_movements WHERE product_id = ? AND type = 'adjustment'", [product.id]);
    await context.query('UPDATE products SET stock = 5, version = version - 1 WHERE id = ?', [product.id]);
    await context.query('UPDATE stockroom_epoch SET ticks = ? WHERE id = 1', [ticks]);
    expect((await keysMatching(redis, `${context.keyPrefix}:*`)).length).toBeGreaterThan(1);
    api = await bootApi(context);
    expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().stock).toBe(5);
  });

  it('a restart of the same database keeps what Redis holds (the clock only moves forward)', async () => {
    api = await bootApi(context);
    const admin = await api.admin();
    const product = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EPOCH-KEEP', name: 'kept', price: '1.00', stock: 3 }, headers: admin })).json();
    expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).statusCode).toBe(200);
    await api.close();
    const owner = JSON.parse((await redis.get(`${context.keyPrefix}:owner`)) ?? '{}') as { ticks?: number };
    api = await bootApi(context);
    const after = JSON.parse((await redis.get(`${context.keyPrefix}:owner`)) ?? '{}') as { ticks?: number };
    expect(after.ticks).toBeGreaterThan(owner.ticks ?? Infinity);
    // The session made before the restart still works: nothing was wiped.
    expect((await api.app.inject({ method: 'GET', url: '/auth/me', headers: admin })).statusCode).toBe(200);
  });
});
