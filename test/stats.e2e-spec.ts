import { StatsService, statsKeys, VIEWS_RANKING_COMPLETE, ViewsWriteBehind } from '@stockroom/stats';
import { RedisKeys } from '@stockroom/redis';
import { bootApi, primaries, TestApi, TestContext, testRedis } from './support/test-context';
import { until } from './support/until';
import { signIn, viaInject } from './support/sign-in';

describe('Counters: views, searches, rankings and the write-behind to MySQL', () => {
  let context: TestContext;
  let api: TestApi;
  let stats: StatsService;
  let writeBehind: ViewsWriteBehind;

  const get = (url: string) => api.app.inject({ method: 'GET', url });
  const staffGet = async (url: string) => api.app.inject({ method: 'GET', url, headers: await api.admin() });
  const create = async (sku: string) => (await api.app.inject({ method: 'POST', url: '/products', payload: { sku, name: `${sku} lamp`, price: '1.00' }, headers: await api.admin() })).json();
  const viewsInDb = async (id: number) => (await context.query<Array<{ views: number }>>('SELECT views FROM products WHERE id = ?', [id]))[0].views;
  const view = async (id: number, times: number) => {
    for (let i = 0; i < times; i++) expect((await get(`/products/${id}`)).statusCode).toBe(200);
  };

  beforeAll(async () => {
    context = await TestContext.create();
    // Timers far apart: the test drives every send and flush itself.
    api = await bootApi(context, { STATS_BUFFER_FLUSH_MS: '60000', STATS_WRITE_BEHIND_MS: '3600000' });
    stats = api.app.get(StatsService);
    writeBehind = api.app.get(ViewsWriteBehind);
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('N views by id or SKU add N to products.views after a flush, without touching updated_at', async () => {
    const product = await create('VIEW-1');
    const [before] = await context.query<Array<{ updated_at: Date }>>('SELECT updated_at FROM products WHERE id = ?', [product.id]);
    await view(product.id, 7);
    for (let i = 0; i < 3; i++) await get('/products/by-sku/VIEW-1');
    expect(await viewsInDb(product.id)).toBe(0);
    await stats.send();
    expect(await writeBehind.flush()).toBeGreaterThanOrEqual(10);
    expect(await viewsInDb(product.id)).toBe(10);
    const [after] = await context.query<Array<{ updated_at: Date }>>('SELECT updated_at FROM products WHERE id = ?', [product.id]);
    expect(after.updated_at).toEqual(before.updated_at);
  });

  it('loses nothing and counts nothing twice when the flusher dies after claiming a batch', async () => {
    const product = await create('VIEW-2');
    await view(product.id, 5);
    await stats.send();
    const claimed = await writeBehind.claim(); // … and the process dies here
    expect(claimed?.counts.get(product.id)).toBe(5);
    await view(product.id, 4);
    await stats.send();
    await writeBehind.flush(); // applies the batch left in flight
    await writeBehind.flush(); // then the newer counts
    expect(await viewsInDb(product.id)).toBe(9);
  });

  it('loses nothing and counts nothing twice when the flusher dies after writing MySQL', async () => {
    const product = await create('VIEW-3');
    await view(product.id, 6);
    await stats.send();
    const batch = await writeBehind.claim();
    await writeBehind.apply(batch!); // … and the process dies before deleting the batch
    expect(await viewsInDb(product.id)).toBe(6);
    expect(await writeBehind.flush()).toBe(0); // the same flush id: already applied, only deleted now
    expect(await writeBehind.flush()).toBe(0);
    expect(await viewsInDb(product.id)).toBe(6);
  });

  it('reads a batch of thousands of products page by page and frees it with UNLINK: no single command holds Redis for all of it', async () => {
    const product = await create('VIEW-PAGES');
    await view(product.id, 3);
    // Ids no product has: counted in Redis, matched by no row (as a product deleted meanwhile).
    const absent = Array.from({ length: 2_500 }, (_, i) => 50_000_000 + i);
    const timesViewed = (i: number) => (i % 3 === 0 ? 2 : 1);
    absent.forEach((id, i) => {
      for (let n = 0; n < timesViewed(i); n++) stats.recordView(id);
    });
    await stats.send();
    const inflightKey = statsKeys(api.app.get(RedisKeys)).inflightViews;
    // Every primary on a cluster run: the commands that name the batch's key, as Redis ran them.
    const client = testRedis();
    const commands: string[][] = [];
    const monitors = await Promise.all(
      (await primaries(client)).map(async (node) => {
        const monitor = node.duplicate({ monitor: true, lazyConnect: true });
        // On a busy Redis the lines right behind MONITOR's reply reach ioredis before it reads them
        // as monitor lines, and it reports a command queue error: those lines predate the claim.
        monitor.on('error', () => undefined);
        monitor.on('monitor', (_time: string, args: string[]) => {
          if (args.includes(inflightKey)) commands.push(args);
        });
        const monitoring = new Promise((resolve) => monitor.once('monitoring', resolve));
        await monitor.connect();
        await monitoring;
        return monitor;
      }),
    );
    expect(monitors.length).toBeGreaterThan(0);
    try {
      const batch = await writeBehind.claim();
      expect(batch?.counts.size).toBe(2_501);
      expect(batch?.counts.get(product.id)).toBe(3);
      expect(absent.every((id, i) => batch?.counts.get(id) === timesViewed(i))).toBe(true);
      await writeBehind.apply(batch!);
      await writeBehind.finish();
      expect(await viewsInDb(product.id)).toBe(3);
      // The monitor's stream lags the replies: wait for the finish to show in it.
      await until(async () => commands.some(([name]) => name.toLowerCase() === 'unlink'), 10_000, 10);
    } finally {
      monitors.forEach((monitor) => monitor.disconnect());
      client.disconnect();
    }
    const names = commands.map(([name]) => name.toLowerCase());
    expect(names.filter((name) => name === 'hscan').length).toBeGreaterThan(1);
    expect(names).not.toContain('hgetall');
    expect(names).not.toContain('del');
  });

  it('deletes flush records older than a week, a batch at a time, and keeps every newer one', async () => {
    const product = await create('VIEW-RECORDS');
    await view(product.id, 2);
    await stats.send();
    const batch = await writeBehind.claim();
    expect(await writeBehind.apply(batch!)).toBe(2);
    // More old records than one DELETE takes, and one a day short of the limit.
    const old = Array.from({ length: 1_500 }, (_, i) => [`old-${i}`]);
    await context.query('INSERT INTO counter_flushes (id) VALUES ?', [old]);
    await context.query("UPDATE counter_flushes SET applied_at = NOW(3) - INTERVAL 8 DAY WHERE id LIKE 'old-%'");
    await context.query("INSERT INTO counter_flushes (id, applied_at) VALUES ('recent', NOW(3) - INTERVAL 6 DAY)");

    expect(await writeBehind.pruneRecords()).toBe(1_500);
    const left = await context.query<Array<{ id: string }>>('SELECT id FROM counter_flushes');
    expect(left.map((row) => row.id)).toEqual(expect.arrayContaining(['recent', batch!.flushId]));
    expect(left.filter((row) => row.id.startsWith('old-'))).toEqual([]);
    // The batch just applied is still recognised: finishing it adds nothing twice.
    expect(await writeBehind.flush()).toBe(0);
    expect(await viewsInDb(product.id)).toBe(2);
  });

  it('prunes on its own: at an instance\'s first write-behind round, then hourly', async () => {
    await context.query("INSERT INTO counter_flushes (id, applied_at) VALUES ('stale', NOW(3) - INTERVAL 9 DAY)");
    const other = await bootApi(context, { STATS_WRITE_BEHIND_MS: '100' });
    try {
      await until(async () => (await context.query<unknown[]>("SELECT id FROM counter_flushes WHERE id = 'stale'")).length === 0, 30_000);
    } finally {
      await other.close();
    }
  });

  it('ranks the most viewed products from the live ranking and lists the top', async () => {
    const [a, b] = [await create('RANK-A'), await create('RANK-B')];
    await view(a.id, 30);
    await view(b.id, 40);
    await stats.send();
    const popular = (await get('/products/popular?limit=2')).json();
    expect(popular.map((p: { id: number }) => p.id)).toEqual([b.id, a.id]);
    const top = (await staffGet('/stats/products/top?metric=views&limit=2')).json();
    expect(top).toEqual({ metric: 'views', items: [{ member: String(b.id), score: 40 }, { member: String(a.id), score: 30 }] });
  });

  it('counts searches per normalised term', async () => {
    for (const q of ['Oak  Lamp', 'oak lamp', '  OAK LAMP ', 'chair']) await get(`/products?q=${encodeURIComponent(q)}`);
    await stats.send();
    const top = (await staffGet('/stats/products/top?metric=searches&limit=5')).json();
    expect(top.items).toEqual([
      { member: 'oak lamp', score: 3 },
      { member: 'chair', score: 1 },
    ]);
    expect((await staffGet('/stats/products/top?metric=likes')).statusCode).toBe(400);
  });

  it('records sales for the ranking', async () => {
    stats.recordSale(12345, 3);
    await stats.send();
    expect((await staffGet('/stats/products/top?metric=sales&limit=1')).json().items).toEqual([{ member: '12345', score: 3 }]);
  });

  it('rebuilds the views ranking from MySQL when Redis loses it, instead of ranking only the views counted since', async () => {
    const [a, b, c] = [await create('LOST-A'), await create('LOST-B'), await create('LOST-C')];
    // MySQL's totals, far above every other product of this suite.
    for (const [product, views] of [[a, 5_000], [b, 3_000], [c, 1_000]] as const) await context.query('UPDATE products SET views = ? WHERE id = ?', [views, product.id]);
    const ranking = statsKeys(api.app.get(RedisKeys)).ranking('views');
    const redis = testRedis();
    try {
      await redis.unlink(ranking); // Redis lost it …
      await view(c.id, 2); // … and counting starts again: the ranking is only C, scored 2
      await stats.send();
      expect(await redis.zrange(ranking, 0, -1)).toEqual([String(c.id)]);

      const refused = await staffGet('/stats/products/top?metric=views&limit=3');
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('RANKINGS_UNAVAILABLE');
      expect(refused.headers['retry-after']).toBe('1');
      // That read started the rebuild; the popular list is MySQL's order meanwhile and the ranking's after.
      expect((await get('/products/popular?limit=3')).json().map((p: { id: number }) => p.id)).toEqual([a.id, b.id, c.id]);
      await until(async () => (await redis.zscore(ranking, VIEWS_RANKING_COMPLETE)) !== null, 10_000);
      const top = (await staffGet('/stats/products/top?metric=views&limit=3')).json();
      expect(top.items).toEqual([
        { member: String(a.id), score: 5_000 },
        { member: String(b.id), score: 3_000 },
        { member: String(c.id), score: 1_000 },
      ]);
      await view(b.id, 3);
      await stats.send();
      expect((await staffGet('/stats/products/top?metric=views&limit=2')).json().items[1]).toEqual({ member: String(b.id), score: 3_003 });
    } finally {
      redis.disconnect();
    }
  });

  it('keeps each signed-in user\'s recently viewed products: newest first, no repeats, at most 20', async () => {
    const [ana, bo] = [await signIn(viaInject(api.app), 'customer'), await signIn(viaInject(api.app), 'customer')];
    const products: Array<{ id: number; sku: string }> = [];
    for (let i = 0; i < 22; i++) products.push(await create(`RECENT-${i}`));
    const viewAs = (headers: Record<string, string>, url: string) => api.app.inject({ method: 'GET', url, headers });
    const recent = async (headers: Record<string, string>) => (await viewAs(headers, '/products/recently-viewed')).json().map((p: { id: number }) => p.id);
    const settle = () => new Promise((r) => setTimeout(r, 100));

    await viewAs(ana.headers, `/products/${products[0].id}`);
    await viewAs(ana.headers, `/products/by-sku/${products[1].sku}`);
    await viewAs(ana.headers, `/products/${products[0].id}`);
    await viewAs(bo.headers, `/products/${products[2].id}`);
    await get(`/products/${products[3].id}`);
    await settle();
    expect(await recent(ana.headers)).toEqual([products[0].id, products[1].id]);
    expect(await recent(bo.headers)).toEqual([products[2].id]);

    for (const product of products) await viewAs(ana.headers, `/products/${product.id}`);
    await api.app.inject({ method: 'DELETE', url: `/products/${products[21].id}`, headers: await api.admin() });
    await settle();
    const list = await recent(ana.headers);
    expect(list).toEqual(products.slice(2, 21).map((p) => p.id).reverse());
    expect((await get('/products/recently-viewed')).statusCode).toBe(401);
  });
});
