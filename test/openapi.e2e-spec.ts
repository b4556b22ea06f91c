import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { ROOT } from './support/processes';

const CONTRACT: Array<[string, string]> = [
  ['get', '/products'],
  ['post', '/products'],
  ['get', '/products/popular'],
  ['get', '/products/{id}'],
  ['patch', '/products/{id}'],
  ['delete', '/products/{id}'],
  ['get', '/products/by-sku/{sku}'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
];

/**
 * Generated clients name their methods after operation ids: these are part of the contract (a
 * rename breaks every front end), so each is pinned to its route here; redocly.yaml checks the form.
 */
const OPERATION_IDS: Record<string, string> = {
  adjustStock: 'post /inventory/{productId}/adjustments',
  changePassword: 'post /auth/password',
  checkLiveness: 'get /health/live',
  checkReadiness: 'get /health/ready',
  createCategory: 'post /categories',
  createProduct: 'post /products',
  deleteCategory: 'delete /categories/{id}',
  deleteProduct: 'delete /products/{id}',
  followOrder: 'get /orders/{id}/events',
  getCacheStats: 'get /stats/cache',
  getCategory: 'get /categories/{id}',
  getCurrentUser: 'get /auth/me',
  getMetrics: 'get /metrics',
  getOrder: 'get /orders/{id}',
  getProduct: 'get /products/{id}',
  getProductBySku: 'get /products/by-sku/{sku}',
  getRanking: 'get /stats/products/top',
  getStockLevels: 'get /inventory/{productId}',
  invalidateCacheNamespace: 'delete /cache/namespaces/{namespace}',
  listCacheNamespaces: 'get /cache/namespaces',
  listCategories: 'get /categories',
  listOrders: 'get /orders',
  listPopularProducts: 'get /products/popular',
  listProducts: 'get /products',
  listRecentlyViewedProducts: 'get /products/recently-viewed',
  listStockMovements: 'get /inventory/{productId}/movements',
  listUsers: 'get /auth/users',
  placeOrder: 'post /orders',
  registerAccount: 'post /auth/register',
  reserveStock: 'post /inventory/reservations',
  revokeUserSessions: 'delete /auth/users/{id}/sessions',
  setUserRole: 'patch /auth/users/{id}',
  signIn: 'post /auth/login',
  signOut: 'post /auth/logout',
  updateCategory: 'patch /categories/{id}',
  updateProduct: 'patch /products/{id}',
};

describe('OpenAPI document and Swagger UI', () => {
  let context: TestContext;
  let api: TestApi;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context);
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('swagger-ui');
  });

  it('serves exactly the committed openapi.json at /docs-json (run `npm run openapi` after changing routes)', async () => {
    const served = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    const committed = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
  });

  it('documents every route of the contract with a success and an error response', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    for (const [method, path] of CONTRACT) {
      const operation = document.paths[path]?.[method];
      expect({ route: `${method} ${path}`, documented: Boolean(operation) }).toEqual({ route: `${method} ${path}`, documented: true });
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      if (!path.startsWith('/health')) expect(statuses.some((s) => s.startsWith('4'))).toBe(true);
    }
    expect(document.components.schemas.ErrorResponse.required).toEqual(expect.arrayContaining(['statusCode', 'error', 'code', 'message']));
  });

  it('types ids, pages, quantities and counts as integers, timestamps as date-time, and names its enums', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    const numbers: string[] = [];
    const dates: Record<string, string | undefined> = {};
    for (const [name, schema] of Object.entries<{ properties?: Record<string, { type?: string; format?: string }> }>(document.components.schemas)) {
      for (const [property, value] of Object.entries(schema.properties ?? {})) {
        if (value.type === 'number') numbers.push(`${name}.${property}`);
        if (property.endsWith('At')) dates[`${name}.${property}`] = value.format;
      }
    }
    expect(numbers.sort()).toEqual(['CacheStatsView.hitRate', 'CacheStatsView.lastInvalidationDelayMs']);
    expect(Object.values(dates).length).toBeGreaterThanOrEqual(7);
    expect(new Set(Object.values(dates))).toEqual(new Set(['date-time']));
    expect(document.components.schemas.ProductResponse.properties.id.type).toBe('integer');
    expect(document.paths['/products/{id}'].get.parameters[0].schema.type).toBe('integer');
    for (const [name, values] of Object.entries({ Role: ['admin', 'staff', 'customer'], OrderStatus: ['pending', 'confirmed', 'failed'], MovementType: ['adjustment', 'reservation', 'release', 'sale', 'return'], RankingMetric: ['views', 'sales', 'searches'] })) {
      expect(document.components.schemas[name]).toEqual({ type: 'string', enum: values });
    }
    expect(JSON.stringify(document.components.schemas.OrderResponse.properties.status)).toContain('#/components/schemas/OrderStatus');
  });

  it('lists, per operation and status, the error codes it can answer with, with an example; every code of the source is in ErrorCode', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    type Answer = { content?: { 'application/json'?: { schema?: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> }; example?: { code?: string } } } };
    const codesOf = (answer: Answer) => answer.content?.['application/json']?.schema?.allOf?.[1]?.properties?.code?.enum;
    for (const [path, item] of Object.entries<Record<string, { requestBody?: unknown; responses: Record<string, Answer> }>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, answer] of Object.entries(operation.responses)) {
          if (Number(status) < 400 || path.startsWith('/health')) continue;
          const codes = codesOf(answer);
          expect({ route: `${method} ${path} ${status}`, codes: Boolean(codes?.length) }).toEqual({ route: `${method} ${path} ${status}`, codes: true });
          expect(codes).toContain(answer.content?.['application/json']?.example?.code);
        }
        if (operation.requestBody) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '413', '415']));
      }
    }
    expect(codesOf(document.paths['/orders'].post.responses['409'])).toEqual(expect.arrayContaining(['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS']));
    expect(codesOf(document.paths['/products/{id}'].get.responses['503'])).toEqual(['DEPENDENCY_UNAVAILABLE']);

    // Every DomainError code in the source reaches the ErrorCode enum (through some operation).
    const sourceCodes = new Set<string>();
    for (const lib of ['libs', 'apps']) {
      for (const file of readdirSync(join(ROOT, lib), { recursive: true }) as string[]) {
        if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
        for (const match of readFileSync(join(ROOT, lib, file), 'utf8').matchAll(/readonly code = '([A-Z_]+)'/g)) sourceCodes.add(match[1]);
      }
    }
    expect(sourceCodes.size).toBeGreaterThan(20);
    expect(document.components.schemas.ErrorCode.enum).toEqual(expect.arrayContaining([...sourceCodes]));
  });

  it('names the headers of each response, and a real answer carries every header its document names', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    const headersOf = (path: string, method: string, status: string) => Object.keys(document.paths[path][method].responses[status].headers ?? {});
    expect(headersOf('/orders', 'post', '202')).toEqual(expect.arrayContaining(['Location', 'Idempotent-Replayed', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy']));
    expect(headersOf('/orders', 'post', '429')).toEqual(expect.arrayContaining(['Retry-After']));
    expect(headersOf('/auth/login', 'post', '200')).toContain('Set-Cookie');
    expect(headersOf('/products/{id}', 'get', '304')).toEqual(expect.arrayContaining(['ETag', 'Cache-Control', 'X-Request-Id']));
    expect(headersOf('/health/live', 'get', '200')).not.toContain('RateLimit');
    for (const name of Object.keys(document.components.headers)) expect(document.components.headers[name].description).toBeTruthy();

    // With the throttler on (as in production), the answer has what the document names.
    const throttled = await bootApi(context, { THROTTLE_ENABLED: 'true' });
    try {
      const created = await throttled.app.inject({ method: 'POST', url: '/products', payload: { sku: 'DOC-HDR', name: 'Headers', price: '1.00' }, headers: await throttled.admin() });
      const answer = await throttled.app.inject({ method: 'GET', url: `/products/${created.json().id}` });
      expect(answer.statusCode).toBe(200);
      for (const name of headersOf('/products/{id}', 'get', '200')) expect({ name, present: name.toLowerCase() in answer.headers }).toEqual({ name, present: true });
    } finally {
      await throttled.close();
    }
  });

  it('gives every operation its pinned, verb-first operation id', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    const found: Record<string, string> = {};
    for (const [path, item] of Object.entries<Record<string, { operationId: string }>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) found[operation.operationId] = `${method} ${path}`;
    }
    expect(found).toEqual(OPERATION_IDS);
  });

  it('says in each operation what it does (not only who may call it), and bounds Idempotency-Key', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    for (const item of Object.values<Record<string, { operationId: string; description?: string }>>(document.paths)) {
      for (const operation of Object.values(item)) {
        const behaviour = (operation.description ?? '').split('\n\n')[0];
        expect({ operation: operation.operationId, describes: behaviour.length > 20 && !behaviour.startsWith('Requires') }).toEqual({ operation: operation.operationId, describes: true });
      }
    }
    const key = document.paths['/orders'].post.parameters.find((parameter: { name: string }) => parameter.name === 'Idempotency-Key');
    expect(key.schema).toMatchObject({ type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]{1,100}$' });
  });
});
