import { bootApi, TestApi, TestContext } from './support/test-context';

describe('Catalogue HTTP API (real MySQL + Redis)', () => {
  let context: TestContext;
  let api: TestApi;

  // Writes as staff (the first admin); reads anonymous, as the public reads them.
  const post = async (payload: object) => api.app.inject({ method: 'POST', url: '/products', payload, headers: await api.admin() });
  const get = (url: string) => api.app.inject({ method: 'GET', url });
  const patch = async (id: number, payload: object) => api.app.inject({ method: 'PATCH', url: `/products/${id}`, payload, headers: await api.admin() });
  const remove = async (id: number) => api.app.inject({ method: 'DELETE', url: `/products/${id}`, headers: await api.admin() });

  beforeAll(async () => {
    context = await TestContext.create();
    // Counters off: the popular list then follows MySQL's views (the ranking has its own suite).
    api = await bootApi(context, { STATS_ENABLED: 'false' });
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  beforeEach(async () => {
    await context.query('DELETE FROM products');
  });

  it('creates a product and reads it back by id and by SKU, price exact', async () => {
    const created = await post({ sku: 'LAMP-1', name: '  Oak Desk Lamp ', price: '19.9', stock: 5 });
    expect(created.statusCode).toBe(201);
    const product = created.json();
    expect(product).toMatchObject({ sku: 'LAMP-1', name: 'Oak Desk Lamp', description: '', price: '19.90', stock: 5, views: 0, version: 1 });
    expect(new Date(product.createdAt).toISOString()).toBe(product.createdAt);

    expect((await get(`/products/${product.id}`)).json()).toEqual(product);
    expect((await get('/products/by-sku/LAMP-1')).json()).toEqual(product);
  });

  it('keeps prices exact to the cent (no float rounding)', async () => {
    const product = (await post({ sku: 'EXACT', name: 'Exact', price: '9999999999.99' })).json();
    expect(product.price).toBe('9999999999.99');
    const [row] = await context.query<Array<{ price: string }>>('SELECT CAST(price AS CHAR) AS price FROM products WHERE id = ?', [product.id]);
    expect(row.price).toBe('9999999999.99');
  });

  it('answers 409 PRODUCT_SKU_TAKEN for a duplicate SKU, on create and on rename', async () => {
    await post({ sku: 'DUP', name: 'First', price: '1.00' });
    const duplicate = await post({ sku: 'DUP', name: 'Second', price: '2.00' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'PRODUCT_SKU_TAKEN' });

    const other = (await post({ sku: 'OTHER', name: 'Other', price: '3.00' })).json();
    const rename = await patch(other.id, { sku: 'DUP' });
    expect(rename.statusCode).toBe(409);
    expect(rename.json().code).toBe('PRODUCT_SKU_TAKEN');
    expect((await get(`/products/${other.id}`)).json().sku).toBe('OTHER');
  });

  it('answers 404 PRODUCT_NOT_FOUND for a missing product on every route', async () => {
    const responses = await Promise.all([
      get('/products/999999'),
      get('/products/by-sku/NOPE'),
      patch(999999, { name: 'x' }),
      remove(999999),
    ]);
    for (const response of responses) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'PRODUCT_NOT_FOUND' });
    }
  });

  it('patches some fields, bumps the version, and leaves the rest', async () => {
    const product = (await post({ sku: 'P1', name: 'Before', description: 'keep me', price: '5.00', stock: 7 })).json();
    const response = await patch(product.id, { name: 'After', price: '6.5' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: product.id, sku: 'P1', name: 'After', description: 'keep me', price: '6.50', stock: 7, version: 2 });
    expect((await get(`/products/${product.id}`)).json().version).toBe(2);
  });

  it('treats an empty patch as a no-op without bumping the version', async () => {
    const product = (await post({ sku: 'P2', name: 'Same', price: '5.00' })).json();
    const response = await patch(product.id, {});
    expect(response.statusCode).toBe(200);
    expect(response.json().version).toBe(1);
  });

  it('refuses stock in a patch (stock changes belong to inventory)', async () => {
    const product = (await post({ sku: 'P3', name: 'Stocked', price: '5.00', stock: 3 })).json();
    const response = await patch(product.id, { stock: 100 });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([{ field: 'stock', problems: ['property stock should not exist'] }]);
    expect((await get(`/products/${product.id}`)).json().stock).toBe(3);
  });

  it('deletes with 204 and then the product is gone', async () => {
    const product = (await post({ sku: 'GONE', name: 'Gone', price: '1.00' })).json();
    const deleted = await remove(product.id);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await get(`/products/${product.id}`)).statusCode).toBe(404);
  });

  describe('listing', () => {
    beforeEach(async () => {
      for (let i = 1; i <= 25; i++) {
        await post({ sku: `L-${String(i).padStart(2, '0')}`, name: i % 5 === 0 ? `Blue Mug ${i}` : `Red Chair ${i}`, price: '1.00' });
      }
    });

    it('pages in a stable id order with the total', async () => {
      const first = (await get('/products?page=1&limit=10')).json();
      const third = (await get('/products?page=3&limit=10')).json();
      expect(first).toMatchObject({ page: 1, limit: 10, total: 25 });
      expect(first.items).toHaveLength(10);
      expect(third.items).toHaveLength(5);
      const ids = [...first.items, ...(await get('/products?page=2&limit=10')).json().items, ...third.items].map((p: { id: number }) => p.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(25);
    });

    it('defaults to page 1 and 20 items', async () => {
      const page = (await get('/products')).json();
      expect(page).toMatchObject({ page: 1, limit: 20, total: 25 });
      expect(page.items).toHaveLength(20);
    });

    it('answers an empty page past the end', async () => {
      const page = (await get('/products?page=99&limit=10')).json();
      expect(page).toMatchObject({ items: [], page: 99, total: 25 });
    });

    it('searches names case-insensitively and counts only matches', async () => {
      const page = (await get('/products?q=blue%20MUG&limit=100')).json();
      expect(page.total).toBe(5);
      expect(page.items.every((p: { name: string }) => p.name.startsWith('Blue Mug'))).toBe(true);
    });

    it('treats LIKE wildcards in q as plain characters', async () => {
      await post({ sku: 'PCT', name: '50% off lamp', price: '1.00' });
      expect((await get('/products?q=%25')).json().total).toBe(1);
      expect((await get('/products?q=_')).json().total).toBe(0);
    });

    it.each([
      ['page=0', 'page'],
      ['page=100001', 'page'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['page=1.5', 'page'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['sort=name', 'sort'],
    ])('rejects %s with 400 naming %s', async (query, field) => {
      const response = await get(`/products?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
      expect(response.json().details.map((d: { field: string }) => d.field)).toContain(field);
    });
  });

  it('lists the most viewed products first, ties by id', async () => {
    const ids: number[] = [];
    for (const sku of ['V1', 'V2', 'V3']) ids.push((await post({ sku, name: sku, price: '1.00' })).json().id);
    await context.query('UPDATE products SET views = CASE id WHEN ? THEN 5 WHEN ? THEN 9 ELSE 5 END', [ids[0], ids[1]]);
    const popular = (await get('/products/popular?limit=3')).json();
    expect(popular.map((p: { id: number }) => p.id)).toEqual([ids[1], ids[0], ids[2]]);
    expect((await get('/products/popular?limit=1')).json()).toHaveLength(1);
    expect((await get('/products/popular?limit=0')).statusCode).toBe(400);
  });
});
