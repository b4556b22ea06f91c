import { bootApi, keysMatching, testRedis, TestApi, TestContext } from './support/test-context';
import { signIn, viaInject } from './support/sign-in';

/** The worked example of docs/EXTENDING.md: its own table and migration, @Cached reads, @CacheEvict writes, staff-only writes. */
describe('Categories (real MySQL + Redis)', () => {
  let context: TestContext;
  let api: TestApi;
  const redis = testRedis();

  const send = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => api.app.inject({ method, url, payload, headers: await api.admin() });
  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });
  const category = async (payload: object) => {
    const response = await send('POST', '/categories', payload);
    expect(response.statusCode).toBe(201);
    return response.json() as { id: number; slug: string; parentId: number | null };
  };
  const product = async (sku: string, categoryId?: number | null) => {
    const response = await send('POST', '/products', { sku, name: sku, price: '1.00', ...(categoryId === undefined ? {} : { categoryId }) });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: number; categoryId: number | null };
  };
  const idsIn = async (categoryId: number, query = '') => {
    const response = await get(`/products?category=${categoryId}${query}`);
    expect(response.statusCode).toBe(200);
    return (response.json().items as Array<{ id: number }>).map((item) => item.id);
  };

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context);
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
    redis.disconnect();
  });

  beforeEach(async () => {
    await context.query('DELETE FROM products');
    await context.query('UPDATE categories SET parent_id = NULL');
    await context.query('DELETE FROM categories');
    // Rows removed behind the app's back: retire what the cache holds of them.
    await send('DELETE', '/cache/namespaces/categories');
    await send('DELETE', '/cache/namespaces/product-list');
  });

  it('creates categories (slug made from the name unless given) and lists them by name, conditional and public', async () => {
    const lighting = await category({ name: '  Lighting ' });
    expect(lighting).toMatchObject({ name: 'Lighting', slug: 'lighting', parentId: null });
    const lamps = await category({ name: 'Desk Lämps & Shades', parentId: lighting.id });
    expect(lamps).toMatchObject({ slug: 'desk-lamps-shades', parentId: lighting.id });
    await category({ name: 'Garden', slug: 'outdoor' });

    const list = await get('/categories');
    expect(list.statusCode).toBe(200);
    expect(list.json().map((c: { name: string }) => c.name)).toEqual(['Desk Lämps & Shades', 'Garden', 'Lighting']);
    expect(list.headers['cache-control']).toMatch(/^public, max-age=\d+, stale-while-revalidate=\d+$/);
    const unchanged = await get('/categories', { 'if-none-match': String(list.headers.etag) });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');

    const one = await get(`/categories/${lamps.id}`);
    expect(one.json()).toEqual(list.json()[0]);
    expect((await get('/categories/999999')).json()).toMatchObject({ statusCode: 404, code: 'CATEGORY_NOT_FOUND' });
  });

  it('writes with If-Match only while it names the category as stored (412, nothing changed, otherwise)', async () => {
    const hall = await category({ name: 'Hall' });
    const parent = await category({ name: 'Rooms' });
    const conditional = async (method: 'PATCH' | 'DELETE', ifMatch: string, payload?: object) =>
      api.app.inject({ method, url: `/categories/${hall.id}`, payload, headers: { ...(await api.admin()), 'if-match': ifMatch } });
    const seen = String((await get(`/categories/${hall.id}`)).headers.etag);
    const porch = await send('POST', '/categories', { name: 'Porch' });
    expect(porch.headers.etag).toBe((await get(`/categories/${porch.json().id}`)).headers.etag);

    expect((await conditional('PATCH', seen, { name: 'Hallway' })).statusCode).toBe(200);
    // The old tag, weak tags and empty patches are held to the same rule; moving under a parent too.
    for (const [ifMatch, payload] of [[seen, { name: 'Lobby' }], [`W/${seen}`, { name: 'Lobby' }], [seen, {}], [seen, { parentId: parent.id }]] as const) {
      const refused = await conditional('PATCH', ifMatch, payload);
      expect({ ifMatch, payload, status: refused.statusCode, code: refused.json().code }).toEqual({ ifMatch, payload, status: 412, code: 'PRECONDITION_FAILED' });
    }
    const now = await get(`/categories/${hall.id}`);
    expect(now.json()).toMatchObject({ name: 'Hallway', parentId: null });
    const moved = await conditional('PATCH', String(now.headers.etag), { parentId: parent.id });
    expect(moved.statusCode).toBe(200);
    // A write answers with the ETag its GET now answers: the next If-Match needs no read.
    const read = await get(`/categories/${hall.id}`);
    expect({ etag: moved.headers.etag, body: moved.json() }).toEqual({ etag: read.headers.etag, body: read.json() });
    expect((await conditional('PATCH', String(moved.headers.etag), { name: 'Hall' })).statusCode).toBe(200);
    expect((await conditional('PATCH', String(moved.headers.etag), { name: 'Hallway' })).statusCode).toBe(412);

    // Compared with the row under the write's lock, not the day-long cache: a change made behind
    // the cache's back is not overwritten.
    const cachedTag = String((await get(`/categories/${hall.id}`)).headers.etag);
    await context.query("UPDATE categories SET name = 'Behind' WHERE id = ?", [hall.id]);
    expect((await conditional('PATCH', cachedTag, { name: 'Overwrites?' })).statusCode).toBe(412);
    expect((await conditional('DELETE', cachedTag)).statusCode).toBe(412);
    expect((await context.query('SELECT name FROM categories WHERE id = ?', [hall.id])) as unknown[]).toEqual([{ name: 'Behind' }]);
    expect((await conditional('DELETE', '*')).statusCode).toBe(204);
    expect((await conditional('DELETE', '*')).statusCode).toBe(404);
  });

  it('serves the list from the cache for a day, and every write retires it at once (@Cached, @CacheEvict)', async () => {
    const kitchen = await category({ name: 'Kitchen' });
    const before = await get('/categories');
    // Changed behind the app's back: the cached entry still answers, so the read came from the cache.
    await context.query("UPDATE categories SET name = 'Behind' WHERE id = ?", [kitchen.id]);
    expect((await get('/categories')).json()[0].name).toBe('Kitchen');
    const [entry] = await keysMatching(redis, `${context.keyPrefix}:cache:categories:*all*`);
    expect(entry).toBeDefined();
    expect(await redis.pttl(entry)).toBeGreaterThan(23 * 3600 * 1000);

    const renamed = await send('PATCH', `/categories/${kitchen.id}`, { name: 'Cookware' });
    expect(renamed.statusCode).toBe(200);
    const after = await get('/categories');
    expect(after.json()[0]).toMatchObject({ id: kitchen.id, name: 'Cookware' });
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('lets only staff write, and refuses bad input with a clear 4xx that changes nothing', async () => {
    const customer = await signIn(viaInject(api.app), 'customer');
    expect((await api.app.inject({ method: 'POST', url: '/categories', payload: { name: 'X' } })).json().code).toBe('NOT_SIGNED_IN');
    expect((await api.app.inject({ method: 'POST', url: '/categories', payload: { name: 'X' }, headers: customer.headers })).json().code).toBe('FORBIDDEN');

    const refusals: Array<[object, number, string]> = [
      [{ name: '' }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bad', slug: 'Not A Slug' }, 400, 'VALIDATION_FAILED'],
      [{ name: '!!!' }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Orphan', parentId: 999999 }, 404, 'CATEGORY_NOT_FOUND'],
      [{ name: 'Extra', unknown: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, status, code] of refusals) {
      const response = await send('POST', '/categories', payload);
      expect({ payload, status: response.statusCode, code: response.json().code }).toEqual({ payload, status, code });
    }
    await category({ name: 'Tools' });
    const taken = await send('POST', '/categories', { name: 'Other tools', slug: 'tools' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('CATEGORY_SLUG_TAKEN');
    expect(await context.query('SELECT slug FROM categories')).toEqual([{ slug: 'tools' }]);
  });

  it('refuses a parent inside the category (a cycle), and moves a category to the top with parentId null', async () => {
    const a = await category({ name: 'A' });
    const b = await category({ name: 'B', parentId: a.id });
    const c = await category({ name: 'C', parentId: b.id });
    for (const parentId of [a.id, c.id]) {
      const response = await send('PATCH', `/categories/${a.id}`, { parentId });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('CATEGORY_CYCLE');
    }
    expect((await send('PATCH', `/categories/${c.id}`, { parentId: 999999 })).json().code).toBe('CATEGORY_NOT_FOUND');
    expect((await send('PATCH', `/categories/999999`, { name: 'Z' })).statusCode).toBe(404);

    const moved = await send('PATCH', `/categories/${c.id}`, { parentId: null });
    expect(moved.json()).toMatchObject({ id: c.id, parentId: null });
    expect((await send('PATCH', `/categories/${a.id}`, { parentId: c.id })).statusCode).toBe(200);
    const rows = await context.query<Array<{ id: number; parent_id: number | null }>>('SELECT id, parent_id FROM categories ORDER BY id');
    expect(rows).toEqual([
      { id: a.id, parent_id: c.id },
      { id: b.id, parent_id: a.id },
      { id: c.id, parent_id: null },
    ]);
  });

  it('lists the products of one category through the cache, retired by every product write', async () => {
    const lamps = await category({ name: 'Lamps' });
    const desks = await category({ name: 'Desks' });
    const first = await product('LAMP-1', lamps.id);
    expect(first.categoryId).toBe(lamps.id);
    const desk = await product('DESK-1', desks.id);
    await product('LOOSE-1');
    expect(await idsIn(lamps.id)).toEqual([first.id]);

    // A row changed behind the app's back is not seen: the page is cached, for up to a day.
    await context.query('UPDATE products SET category_id = ? WHERE id = ?', [lamps.id, desk.id]);
    expect(await idsIn(lamps.id)).toEqual([first.id]);
    const [entry] = await keysMatching(redis, `${context.keyPrefix}:cache:product-list:*category%3A${lamps.id}%3A*`);
    expect(entry).toBeDefined();
    expect(await redis.pttl(entry)).toBeGreaterThan(23 * 3600 * 1000);

    // Any product write retires every list page at once.
    const second = await product('LAMP-2', lamps.id);
    expect(await idsIn(lamps.id)).toEqual([first.id, desk.id, second.id]);
    expect((await send('PATCH', `/products/${second.id}`, { categoryId: null })).json().categoryId).toBeNull();
    expect(await idsIn(lamps.id)).toEqual([first.id, desk.id]);
    expect(await idsIn(lamps.id, '&q=lamp')).toEqual([first.id]);
    expect(await idsIn(lamps.id, '&page=2&limit=1')).toEqual([desk.id]);
    expect((await get(`/products/${desk.id}`)).json().categoryId).toBe(lamps.id);

    const unknown = await get('/products?category=999999');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('CATEGORY_NOT_FOUND');
    expect((await get('/products?category=abc')).statusCode).toBe(400);
  });

  it('refuses a product in an unknown category, and a category delete while anything is in it', async () => {
    const refused = await send('POST', '/products', { sku: 'NOWHERE', name: 'Nowhere', price: '1.00', categoryId: 999999 });
    expect(refused.statusCode).toBe(404);
    expect(refused.json().code).toBe('CATEGORY_NOT_FOUND');
    expect(await context.query("SELECT id FROM products WHERE sku = 'NOWHERE'")).toEqual([]);

    const parent = await category({ name: 'Parent' });
    const child = await category({ name: 'Child', parentId: parent.id });
    const item = await product('ITEM', child.id);
    const moved = await send('PATCH', `/products/${item.id}`, { categoryId: 999999 });
    expect(moved.json().code).toBe('CATEGORY_NOT_FOUND');

    const withChild = await send('DELETE', `/categories/${parent.id}`);
    expect(withChild.statusCode).toBe(409);
    expect(withChild.json()).toMatchObject({ code: 'CATEGORY_IN_USE', details: { holds: 'subcategories' } });
    const withProduct = await send('DELETE', `/categories/${child.id}`);
    expect(withProduct.json()).toMatchObject({ code: 'CATEGORY_IN_USE', details: { holds: 'products' } });

    await send('PATCH', `/products/${item.id}`, { categoryId: null });
    expect((await send('DELETE', `/categories/${child.id}`)).statusCode).toBe(204);
    expect((await send('DELETE', `/categories/${parent.id}`)).statusCode).toBe(204);
    expect((await get('/categories')).json()).toEqual([]);
    expect((await send('DELETE', `/categories/${parent.id}`)).statusCode).toBe(404);
  });

  it('never leaves a product in a deleted category when the delete races product writes into it', async () => {
    for (let round = 0; round < 5; round++) {
      const doomed = await category({ name: `Doomed ${round}` });
      const [deleted, ...created] = await Promise.all([
        send('DELETE', `/categories/${doomed.id}`),
        ...Array.from({ length: 10 }, (_, i) => send('POST', '/products', { sku: `RACE-${round}-${i}`, name: 'Race', price: '1.00', categoryId: doomed.id })),
      ]);
      const accepted = created.filter((response) => response.statusCode === 201).length;
      const [{ n }] = await context.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM products WHERE category_id = ?', [doomed.id]);
      expect(Number(n)).toBe(accepted);
      if (deleted.statusCode === 204) {
        expect(accepted).toBe(0);
        expect(created.every((response) => response.json().code === 'CATEGORY_NOT_FOUND')).toBe(true);
      } else {
        expect(deleted.json().code).toBe('CATEGORY_IN_USE');
        expect(accepted).toBeGreaterThan(0);
      }
    }
  });
});
