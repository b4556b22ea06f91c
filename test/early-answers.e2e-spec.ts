import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '@stockroom/core';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';
import { until } from './support/until';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Headers that differ between any two answers (per request, per connection, or counted down by each request). */
const PER_REQUEST = ['date', 'connection', 'keep-alive', 'x-request-id', 'ratelimit', 'x-ratelimit-remaining'];
const comparable = (answer: Answer) => ({ ...answer, headers: Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_REQUEST.includes(name))) });

/**
 * Cached product reads over HTTP are answered in the server's request event, before Fastify's
 * router (FastReads.answerEarly); `inject` enters Fastify directly, so the same request through
 * inject is Fastify's answer (its route hook, or Nest). The two must not differ.
 */
describe('product reads answered before Fastify, as Fastify answers them', () => {
  let context: TestContext;
  let api: TestApi;
  let base: string;
  let staff: SignedIn;
  let product: { id: number; sku: string };

  const overHttp = async (url: string, headers: Record<string, string> = {}, target = () => base): Promise<Answer> => {
    const response = await fetch(`${target()}${url}`, { headers });
    return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
  };
  const throughFastify = async (url: string, headers: Record<string, string> = {}, app = () => api): Promise<Answer> => {
    const response = await app().app.inject({ method: 'GET', url, headers });
    const { 'transfer-encoding': _chunked, ...rest } = response.headers as Record<string, string>;
    return { status: response.statusCode, body: response.body, headers: Object.fromEntries(Object.entries(rest).map(([name, value]) => [name, String(value)])) };
  };
  const earlyAnswers = async (of: TestApi = api) => {
    const text = await of.app.get(MetricsRegistry).getSingleMetricAsString('stockroom_fast_reads_total');
    return [...text.matchAll(/stage="before-fastify"} (\d+)/g)].reduce((sum, [, n]) => sum + Number(n), 0);
  };
  const listen = async (of: TestApi) => {
    await of.app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(of.app.getHttpServer().address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { CACHE_L1_MAX_ITEMS: '1000', STATS_WRITE_BEHIND_MS: '3600000', THROTTLE_ENABLED: 'true' });
    base = await listen(api);
    staff = await signIn(viaInject(api.app), 'staff');
    const created = await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EARLY-1', name: 'Answered early', price: '5.00', stock: 3 }, headers: staff.headers });
    product = created.json();
    // Loaded once (a miss, through Nest), so the reads below are cache hits.
    expect((await throughFastify(`/products/${product.id}`)).status).toBe(200);
    expect((await throughFastify(`/products/by-sku/${product.sku}`)).status).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('answers cache hits by id and by SKU, 304 and 412, signed in or not, with Fastify\'s status, headers and body', async () => {
    const { etag } = (await throughFastify(`/products/${product.id}`)).headers;
    const cases: Array<[string, Record<string, string>]> = [
      [`/products/${product.id}`, {}],
      [`/products/by-sku/${product.sku}`, {}],
      [`/products/${product.id}`, { 'if-none-match': etag }],
      [`/products/${product.id}`, { 'if-match': '"another"' }],
      [`/products/${product.id}`, staff.headers],
      [`/products/${product.id}`, { 'x-request-id': 'trace-me-1' }],
    ];
    const before = await earlyAnswers();
    for (const [url, headers] of cases) {
      const early = await overHttp(url, headers);
      expect({ url, sent: headers, ...comparable(early) }).toEqual({ url, sent: headers, ...comparable(await throughFastify(url, headers)) });
      expect(early.headers['x-request-id']).toMatch(headers['x-request-id'] ?? /^[0-9a-f-]{36}$/);
      expect(early.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
    }
    expect((await overHttp(`/products/${product.id}`)).status).toBe(200);
    // Each case and the read after them, but the 412: a refusal is not a served answer.
    expect(await earlyAnswers()).toBe(before + cases.length);
    // The signed-in read recorded the reader's recently viewed list (from the early answer too).
    const recent = await overHttp('/products/recently-viewed', staff.headers);
    expect(JSON.parse(recent.body).map((item: { id: number }) => item.id)).toContain(product.id);
  });

  it('leaves to Fastify what the cache cannot answer or another route owns, and counts it once', async () => {
    const before = await earlyAnswers();
    for (const url of ['/products/999999999', '/products/1e3', '/products/popular', `/products/${product.id}?fields=all`, '/products/by-sku/NO-SUCH-SKU']) {
      expect({ url, ...comparable(await overHttp(url)) }).toEqual({ url, ...comparable(await throughFastify(url)) });
    }
    expect((await overHttp('/products/recently-viewed')).status).toBe(401);
    expect(await earlyAnswers()).toBe(before);
  });

  it('counts the client behind a trusted proxy as Fastify does, and refuses over the limit with the same 429', async () => {
    const limited = await bootApi(context, { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '2', TRUST_PROXY: '127.0.0.1', CACHE_L1_MAX_ITEMS: '1000' });
    try {
      const url = await listen(limited);
      const from = (address: string) => ({ 'x-forwarded-for': address });
      const first = await overHttp(`/products/${product.id}`, from('203.0.113.1'), () => url);
      expect(first.status).toBe(200);
      expect((await overHttp(`/products/${product.id}`, from('203.0.113.1'), () => url)).status).toBe(200);
      const refused = await overHttp(`/products/${product.id}`, from('203.0.113.1'), () => url);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      // The same client through Fastify is over its limit too, with the same answer.
      expect(comparable(refused)).toEqual(comparable(await throughFastify(`/products/${product.id}`, from('203.0.113.1'), () => limited)));
      // Another address behind the same proxy has its own budget.
      expect((await overHttp(`/products/${product.id}`, from('203.0.113.2'), () => url)).status).toBe(200);
      expect(await earlyAnswers(limited)).toBe(3);
    } finally {
      await limited.close();
    }
  });

  it('serves a PATCH at once over HTTP: a new ETag and body here, and on another instance once its eviction arrives', async () => {
    const other = await bootApi(context, { CACHE_L1_MAX_ITEMS: '1000', THROTTLE_ENABLED: 'false' });
    try {
      const otherUrl = await listen(other);
      const created = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EARLY-PATCH', name: 'Before', price: '1.00', stock: 1 }, headers: staff.headers })).json<{ id: number; sku: string }>();
      const urls = [`/products/${created.id}`, `/products/by-sku/${created.sku}`];
      // Cached in both instances' L1: answered early.
      for (let i = 0; i < 3; i++) for (const url of urls) for (const target of [() => base, () => otherUrl]) expect((await overHttp(url, {}, target)).status).toBe(200);
      const [before, otherBefore] = [await earlyAnswers(), await earlyAnswers(other)];
      const old = await overHttp(urls[0]);
      expect(await earlyAnswers()).toBe(before + 1);
      const patched = await api.app.inject({ method: 'PATCH', url: urls[0], payload: { name: 'After' }, headers: staff.headers });
      expect(patched.statusCode).toBe(200);
      for (const url of urls) {
        const now = await overHttp(url);
        expect({ url, status: now.status, name: JSON.parse(now.body).name, etag: now.headers.etag }).toEqual({ url, status: 200, name: 'After', etag: patched.headers.etag });
        expect(now.headers.etag).not.toBe(old.headers.etag);
        // The client's old ETag no longer matches: a full answer, not 304.
        expect((await overHttp(url, { 'if-none-match': old.headers.etag })).status).toBe(200);
      }
      for (const url of urls) await until(async () => JSON.parse((await overHttp(url, {}, () => otherUrl)).body).name === 'After', 30_000);
      // And the other instance answers the new version early again (from Redis, then its L1).
      await until(async () => (await overHttp(urls[0], {}, () => otherUrl)).headers.etag === patched.headers.etag && (await earlyAnswers(other)) > otherBefore + 1, 30_000);
    } finally {
      await other.close();
    }
  });

  it('answers a Redis hit (no L1) early as well', async () => {
    const noL1 = await bootApi(context, { CACHE_L1_MAX_ITEMS: '0', THROTTLE_ENABLED: 'false' });
    try {
      const url = await listen(noL1);
      const fromFastify = await throughFastify(`/products/${product.id}`, {}, () => noL1);
      const early = await overHttp(`/products/${product.id}`, {}, () => url);
      expect(comparable(early)).toEqual(comparable(fromFastify));
      expect(await earlyAnswers(noL1)).toBe(1);
    } finally {
      await noL1.close();
    }
  });

  it('with CORS on, leaves every request to Fastify (@fastify/cors sets headers on each answer)', async () => {
    const cors = await bootApi(context, { CORS_ORIGINS: 'https://shop.example', THROTTLE_ENABLED: 'false', CACHE_L1_MAX_ITEMS: '1000' });
    try {
      const url = await listen(cors);
      await throughFastify(`/products/${product.id}`, {}, () => cors);
      for (const headers of [{}, { origin: 'https://shop.example' }, { origin: 'https://elsewhere.example' }] as Array<Record<string, string>>) {
        expect({ sent: headers, ...comparable(await overHttp(`/products/${product.id}`, headers, () => url)) }).toEqual({ sent: headers, ...comparable(await throughFastify(`/products/${product.id}`, headers, () => cors)) });
      }
      expect(await earlyAnswers(cors)).toBe(0);
    } finally {
      await cors.close();
    }
  });
});
