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

  it('sends helmet\'s security headers on the API and on Swagger UI', async () => {
    for (const url of ['/products', '/docs']) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
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
