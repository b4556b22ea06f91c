import { bootApi, TestApi, TestContext } from './support/test-context';

describe('Hardening: security headers and CORS from config', () => {
  let context: TestContext;
  let api: TestApi;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { CORS_ORIGINS: 'https://shop.example' });
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('sends helmet\'s security headers everywhere: the API policy on JSON, helmet\'s document policy on Swagger UI', async () => {
    const expected: Record<string, RegExp> = {
      '/products': /^default-src 'none';frame-ancestors 'none'$/,
      '/products/popular': /^default-src 'none';frame-ancestors 'none'$/,
      '/docs-json': /^default-src 'none';frame-ancestors 'none'$/,
      '/docs': /default-src 'self'.*script-src 'self'/,
      '/docs/swagger-ui.css': /default-src 'self'.*script-src 'self'/,
    };
    for (const [url, policy] of Object.entries(expected)) {
      const response = await api.app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=/);
      expect({ url, csp: policy.test(String(response.headers['content-security-policy'])) }).toEqual({ url, csp: true });
      expect(response.headers['x-frame-options']).toBe(url.startsWith('/docs/') || url === '/docs' ? 'SAMEORIGIN' : 'DENY');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('lets shared caches keep public catalogue reads briefly and nothing else', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/products' })).headers['cache-control']).toBe('public, max-age=5, stale-while-revalidate=30');
    // Terminus sets its own, as strict.
    expect((await api.app.inject({ method: 'GET', url: '/health/live' })).headers['cache-control']).toMatch(/no-store/);
    expect((await api.app.inject({ method: 'GET', url: '/auth/me' })).headers['cache-control']).toBe('private, no-store');
    expect((await api.app.inject({ method: 'GET', url: '/no-such-route' })).headers['cache-control']).toBe('private, no-store');
  });

  it('allows the configured origin, with the headers clients need, and no other', async () => {
    const allowed = await api.app.inject({
      method: 'OPTIONS',
      url: '/products',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    const simple = await api.app.inject({ method: 'GET', url: '/products', headers: { origin: 'https://shop.example' } });
    expect(String(simple.headers['access-control-expose-headers'])).toMatch(/RateLimit/);
    const other = await api.app.inject({ method: 'GET', url: '/products', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a CORS_ORIGINS value that is not a list of origins', () => {
    expect(() => context.config({ CORS_ORIGINS: 'shop.example' })).toThrow(/CORS_ORIGINS/);
  });
});
