import { MetricsRegistry } from '@stockroom/core';
import { ProductRepository } from '@stockroom/catalog';
import { RedisKeys } from '@stockroom/redis';
import { StatsService, statsKeys } from '@stockroom/stats';
import { bootApi, TestApi, TestContext, testRedis } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';

describe('HTTP caching: ETag, If-None-Match -> 304, Cache-Control', () => {
  let context: TestContext;
  let api: TestApi;
  let staff: SignedIn;
  let product: { id: number; sku: string };

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });
  const fastReads = async () => {
    const text = await api.app.get(MetricsRegistry).getSingleMetricAsString('stockroom_fast_reads_total');
    return [...text.matchAll(/} (\d+)/g)].reduce((sum, [, n]) => sum + Number(n), 0);
  };

  beforeAll(async () => {
    context = await TestContext.create();
    // No view-count write-behind during these tests: a flush changes the popular list's bodies between two conditional reads.
    api = await bootApi(context, { CACHE_L1_MAX_ITEMS: '1000', STATS_WRITE_BEHIND_MS: '3600000' });
    staff = await signIn(viaInject(api.app), 'staff');
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'ETAG-1', name: 'Tagged', price: '3.00', stock: 2 }, headers: staff.headers });
    product = created.json();
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('tags a product read, answers 304 with no body when the client holds it, and 200 otherwise', async () => {
    const first = await get(`/products/${product.id}`);
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=5, stale-while-revalidate=30');

    for (const held of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const revalidated = await get(`/products/${product.id}`, { 'if-none-match': held });
      expect({ held, status: revalidated.statusCode, body: revalidated.body }).toEqual({ held, status: 304, body: '' });
      expect(revalidated.headers.etag).toBe(etag);
      expect(revalidated.headers['cache-control']).toBe('public, max-age=5, stale-while-revalidate=30');
      expect(revalidated.headers['content-length']).toBeUndefined();
    }
    const stale = await get(`/products/${product.id}`, { 'if-none-match': '"not-this-one"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toEqual(first.json());
    // The same representation by SKU carries the same tag.
    expect((await get(`/products/by-sku/${product.sku}`)).headers.etag).toBe(etag);
  });

  it('changes the ETag the moment a PATCH answers', async () => {
    const before = String((await get(`/products/${product.id}`)).headers.etag);
    const patched = await api.app.inject({ method: 'PATCH', url: `/products/${product.id}`, payload: { name: 'Retagged' }, headers: staff.headers });
    expect(patched.statusCode).toBe(200);
    const after = await get(`/products/${product.id}`, { 'if-none-match': before });
    expect(after.statusCode).toBe(200);
    expect(after.json().name).toBe('Retagged');
    expect(after.headers.etag).not.toBe(before);
    expect((await get(`/products/${product.id}`, { 'if-none-match': String(after.headers.etag) })).statusCode).toBe(304);
    // The PATCH answered with what the GET now answers, and its ETag, for the next If-Match.
    expect(patched.headers.etag).toBe(after.headers.etag);
    expect(patched.body).toBe(after.body);
  });

  it('answers a created product with the ETag its GET answers, good for a first If-Match', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'HTTP-CACHE-NEW', name: 'Tagged at birth', price: '3.00', stock: 2 }, headers: staff.headers });
    expect(created.statusCode).toBe(201);
    const read = await get(`/products/${created.json().id}`);
    expect({ etag: created.headers.etag, body: created.body }).toEqual({ etag: read.headers.etag, body: read.body });
    const patched = await api.app.inject({ method: 'PATCH', url: `/products/${created.json().id}`, payload: { name: 'Renamed' }, headers: { ...staff.headers, 'if-match': String(created.headers.etag) } });
    expect(patched.statusCode).toBe(200);
  });

  it('writes with If-Match only while it names the current ETag (412, nothing changed, otherwise)', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'MATCH-1', name: 'Edited once', price: '2.00' }, headers: staff.headers });
    const id = created.json().id as number;
    const patch = (ifMatch: string, name: string) => api.app.inject({ method: 'PATCH', url: `/products/${id}`, payload: { name }, headers: { ...staff.headers, 'if-match': ifMatch } });
    const read = async () => {
      const answer = await get(`/products/${id}`);
      return { name: answer.json().name as string, version: answer.json().version as number, etag: String(answer.headers.etag) };
    };

    const seen = await read();
    const first = await patch(seen.etag, 'First editor');
    expect(first.statusCode).toBe(200);
    // A second editor still holding the old ETag is refused, and changes nothing; so is a weak tag
    // (If-Match compares strongly) and a tag of something else.
    for (const held of [seen.etag, `W/${(await read()).etag}`, '"not-this-one"']) {
      const late = await patch(held, 'Second editor');
      expect({ held, status: late.statusCode, code: late.json().code }).toEqual({ held, status: 412, code: 'PRECONDITION_FAILED' });
    }
    const now = await read();
    expect(now).toMatchObject({ name: 'First editor', version: seen.version + 1 });
    // Any of a list, or `*`, matches a current product; a missing product is still 404.
    expect((await patch(`"other", ${now.etag}`, 'Listed')).statusCode).toBe(200);
    expect((await patch('*', 'Starred')).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'PATCH', url: '/products/2000000000', payload: { name: 'x' }, headers: { ...staff.headers, 'if-match': '*' } })).statusCode).toBe(404);

    // A change committed behind the cache's back (the ETag still matches the cached copy): the
    // write is conditioned on the version the precondition saw, so it is refused, not lost.
    const cached = await read();
    await context.query("UPDATE products SET name = 'Behind', version = version + 1 WHERE id = ?", [id]);
    const raced = await patch(cached.etag, 'Overwrites?');
    expect(raced.statusCode).toBe(412);
    expect(((await context.query('SELECT name FROM products WHERE id = ?', [id])) as Array<{ name: string }>)[0].name).toBe('Behind');

    // DELETE the same way: a stale tag keeps the product, the current one deletes it.
    const staleDelete = await api.app.inject({ method: 'DELETE', url: `/products/${id}`, headers: { ...staff.headers, 'if-match': cached.etag } });
    expect(staleDelete.statusCode).toBe(412);
    expect(await context.query('SELECT id FROM products WHERE id = ?', [id])).toHaveLength(1);
    await api.app.get(ProductRepository).afterExternalWrites([{ id, version: cached.version + 1 }]);
    const current = await read();
    expect(current.name).toBe('Behind');
    const deleted = await api.app.inject({ method: 'DELETE', url: `/products/${id}`, headers: { ...staff.headers, 'if-match': current.etag } });
    expect(deleted.statusCode).toBe(204);
    expect((await get(`/products/${id}`)).statusCode).toBe(404);
  });

  it('reads with If-Match only while it names the current ETag: 412 otherwise, before If-None-Match, counting no view', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'IFM-READ', name: 'Read on a condition', price: '2.00' }, headers: staff.headers });
    const id = created.json().id as number;
    const ranking = statsKeys(api.app.get(RedisKeys)).ranking('views');
    const redis = testRedis();
    try {
      const viewsOf = async () => {
        // The first waits out a timed send already under way (it took the buffer earlier); the second sends the rest.
        for (let i = 0; i < 2; i++) await api.app.get(StatsService).send();
        return Number((await redis.zscore(ranking, String(id))) ?? 0);
      };
      const refused = (answer: Awaited<ReturnType<typeof get>>) => {
        expect(answer.statusCode).toBe(412);
        expect(answer.json().code).toBe('PRECONDITION_FAILED');
        // An error answer: no validator, and nothing a shared cache may keep.
        expect(answer.headers.etag).toBeUndefined();
        expect(answer.headers['cache-control']).toBe('private, no-store');
      };
      const views = await viewsOf();
      // Not cached yet: the controller answers.
      const fastBefore = await fastReads();
      refused(await get(`/products/${id}`, { 'if-match': '"not-this-one"' }));
      expect(await fastReads()).toBe(fastBefore);

      // The refused read loaded the product into the cache: from here the fast path answers, with the same rules.
      const current = await get(`/products/${id}`);
      const etag = String(current.headers.etag);
      for (const held of [etag, `"other", ${etag}`, '*']) {
        const read = await get(`/products/${id}`, { 'if-match': held });
        expect({ held, status: read.statusCode, body: read.body }).toEqual({ held, status: 200, body: current.body });
      }
      const fastServed = await fastReads();
      expect(fastServed).toBe(fastBefore + 4);
      refused(await get(`/products/${id}`, { 'if-match': `W/${etag}` }));
      refused(await get(`/products/${id}`, { 'if-match': '"stale"', 'if-none-match': etag }));
      refused(await get(`/products/by-sku/IFM-READ`, { 'if-match': '"stale"' }));
      expect(await fastReads()).toBe(fastServed);
      expect(await viewsOf()).toBe(views + 4);

      refused(await get('/products?page=1&limit=5', { 'if-match': '"stale"' }));
      refused(await get('/categories', { 'if-match': '"stale"' }));
      const page = await get('/products?page=1&limit=5');
      expect((await get('/products?page=1&limit=5', { 'if-match': String(page.headers.etag) })).statusCode).toBe(200);
    } finally {
      redis.disconnect();
    }
  });

  it('tags list pages and the popular list, and a new product changes the page', async () => {
    const page = await get('/products?page=1&limit=5');
    const etag = String(page.headers.etag);
    expect(page.headers['cache-control']).toMatch(/^public, /);
    expect((await get('/products?page=1&limit=5', { 'if-none-match': etag })).statusCode).toBe(304);
    await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'ETAG-2', name: 'Another', price: '1.00' }, headers: staff.headers });
    const changed = await get('/products?page=1&limit=5', { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().total).toBe(page.json().total + 1);

    // The popular list follows the live view ranking: once the views counted above have reached
    // Redis it stops changing, and then its tag holds. They are sent now rather than waited for (a
    // buffer flush between two equal reads and the conditional one changed the list).
    for (let i = 0; i < 2; i++) await api.app.get(StatsService).send();
    let popular = await get('/products/popular');
    for (let previous = ''; popular.headers.etag !== previous; await new Promise((r) => setTimeout(r, 150))) {
      previous = String(popular.headers.etag);
      popular = await get('/products/popular');
    }
    expect(popular.statusCode).toBe(200);
    expect((await get('/products/popular', { 'if-none-match': String(popular.headers.etag) })).statusCode).toBe(304);
  });

  it('answers from the fast path exactly as the controller does', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'FAST-1', name: 'Same either way', price: '4.00' }, headers: staff.headers });
    const id = created.json().id as number;
    const before = await fastReads();
    const fromController = await get(`/products/${id}`);
    expect(await fastReads()).toBe(before);
    const fromFastPath = await get(`/products/${id}`);
    expect(await fastReads()).toBe(before + 1);
    expect(fromFastPath.body).toBe(fromController.body);
    const comparable = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !['x-request-id', 'date'].includes(name)));
    expect(comparable(fromFastPath.headers)).toEqual(comparable(fromController.headers));
    // Malformed parameters are the controller's; a signed-in caller gets the same body from the fast
    // path, kept out of shared caches (their read records their recently viewed list).
    expect((await get('/products/1e3')).statusCode).toBe(400);
    expect(await fastReads()).toBe(before + 1);
    const signedIn = await get(`/products/${id}`, staff.headers);
    expect(await fastReads()).toBe(before + 2);
    expect(signedIn.body).toBe(fromController.body);
    expect(comparable(signedIn.headers)).toEqual({ ...comparable(fromController.headers), 'cache-control': 'private, no-store' });
  });

  it('answers a Redis hit (no L1) from the fast path too, and leaves a miss to the controller', async () => {
    const noL1 = await bootApi(context, { CACHE_L1_MAX_ITEMS: '0' });
    try {
      const served = async () => {
        const text = await noL1.app.get(MetricsRegistry).getSingleMetricAsString('stockroom_fast_reads_total');
        return [...text.matchAll(/} (\d+)/g)].reduce((sum, [, n]) => sum + Number(n), 0);
      };
      const created = await noL1.app.inject({ method: 'POST', url: '/products', payload: { sku: 'FAST-2', name: 'From Redis', price: '4.00' }, headers: staff.headers });
      const id = created.json().id as number;
      const miss = await noL1.app.inject({ method: 'GET', url: `/products/${id}` });
      expect(await served()).toBe(0);
      const hit = await noL1.app.inject({ method: 'GET', url: `/products/${id}` });
      expect(await served()).toBe(1);
      expect(hit.body).toBe(miss.body);
      expect(hit.headers.etag).toBe(miss.headers.etag);
    } finally {
      await noL1.close();
    }
  });

  it('keeps anything that depends on who is signed in out of shared caches', async () => {
    for (const url of ['/auth/me', '/products/recently-viewed', '/orders']) {
      const response = await get(url, staff.headers);
      expect({ url, status: response.statusCode, cache: response.headers['cache-control'] }).toEqual({ url, status: 200, cache: 'private, no-store' });
      expect(response.headers.etag).toBeUndefined();
    }
    // A product is the same for everyone, but a signed-in read of it is theirs (recently viewed): private, from either path.
    for (let i = 0; i < 2; i++) expect((await get(`/products/${product.id}`, staff.headers)).headers['cache-control']).toBe('private, no-store');
  });
});
