import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStockroomClient, ErrorCode, StockroomClient } from '../client/src';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { ROOT } from './support/processes';
import { TEST_ADMIN } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A front-end team's first hour, through the generated client only (client/: openapi-typescript
 * types + openapi-fetch), against the real API listening on a port: browse and search, sign up and
 * in, revalidate a product with If-None-Match, place an order with an Idempotency-Key and retry
 * it, follow it to confirmed, and handle a 409 and a 429 by their codes. The code compiles only
 * while the document promises what it uses (paths, bodies, fields, error codes).
 */
describe('The generated TypeScript client, as a front end uses it', () => {
  let context: TestContext;
  let api: TestApi;
  let baseUrl: string;
  let token: string | undefined;
  let client: StockroomClient;
  let productId: number;

  beforeAll(async () => {
    context = await TestContext.create();
    // The throttler on, with a limit the hour stays under until it deliberately goes over it.
    api = await bootApi(context, { WORKER_INLINE: 'true', THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '80', THROTTLE_TTL_SECONDS: '600' });
    await api.app.listen(0, '127.0.0.1');
    baseUrl = await api.app.getUrl();
    client = createStockroomClient(baseUrl, { token: () => token });
    // Staff set up the catalogue through the same client.
    const admin = await client.POST('/auth/login', { body: TEST_ADMIN });
    token = admin.data!.token;
    const created = await client.POST('/products', { body: { sku: 'FIRST-HOUR-1', name: 'First hour mug', price: '12.50', stock: 3 } });
    expect(created.response.status).toBe(201);
    productId = created.data!.id;
    await client.POST('/products', { body: { sku: 'FIRST-HOUR-2', name: 'First hour teapot', price: '30.00', stock: 10 } });
    token = undefined;
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('is generated from the committed openapi.json (run `npm run openapi` after changing routes)', async () => {
    // The same command as `npm run client:generate`, printing instead of writing.
    const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['client:generate'];
    const args = script.replace(/^openapi-typescript /, '').replace('-o client/src/schema.d.ts', '').split(' ').filter(Boolean);
    // Asynchronously: the API of this file runs in this process and must keep answering meanwhile.
    const { stdout: fresh } = await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    expect(fresh).toBe(readFileSync(join(ROOT, 'client', 'src', 'schema.d.ts'), 'utf8'));
  });

  it('browses, searches, signs up and in, revalidates, orders, follows the order, and handles 409 and 429 by code', async () => {
    // Browse and search.
    const page = await client.GET('/products', { params: { query: { page: 1, limit: 10 } } });
    expect(page.data!.items.map((item) => item.sku)).toEqual(expect.arrayContaining(['FIRST-HOUR-1', 'FIRST-HOUR-2']));
    const search = await client.GET('/products', { params: { query: { q: 'teapot' } } });
    expect(search.data!.items.map((item) => item.sku)).toEqual(['FIRST-HOUR-2']);

    // Sign up, then in.
    const email = `first-hour-${randomUUID().slice(0, 8)}@example.test`;
    const registered = await client.POST('/auth/register', { body: { email, password: 'a first hour passphrase' } });
    expect(registered.response.status).toBe(201);
    const signedIn = await client.POST('/auth/login', { body: { email, password: 'a first hour passphrase' } });
    token = signedIn.data!.token;
    expect((await client.GET('/auth/me')).data!.email).toBe(email);

    // Read a product, then revalidate it: 304, no body.
    const first = await client.GET('/products/{id}', { params: { path: { id: productId } } });
    const etag = first.response.headers.get('etag')!;
    expect(first.data!.price).toBe('12.50');
    const again = await client.GET('/products/{id}', { params: { path: { id: productId }, header: { 'If-None-Match': etag } } });
    expect(again.response.status).toBe(304);

    // Place an order with an idempotency key; the retry gets the same order.
    const key = randomUUID();
    const order = { items: [{ productId, quantity: 2 }] };
    const placed = await client.POST('/orders', { body: order, params: { header: { 'Idempotency-Key': key } } });
    expect(placed.response.status).toBe(202);
    expect(placed.response.headers.get('location')).toBe(`/orders/${placed.data!.id}`);
    const retried = await client.POST('/orders', { body: order, params: { header: { 'Idempotency-Key': key } } });
    expect([retried.data!.id, retried.response.headers.get('idempotent-replayed')]).toEqual([placed.data!.id, 'true']);

    // Follow it to confirmed.
    let status = placed.data!.status as string;
    for (const started = Date.now(); status === 'pending' && Date.now() - started < 60_000; await sleep(50)) {
      status = (await client.GET('/orders/{id}', { params: { path: { id: placed.data!.id } } })).data!.status;
    }
    expect(status).toBe('confirmed');

    // A 409, handled by its code: only 1 mug is left.
    const tooMany = await client.POST('/orders', { body: { items: [{ productId, quantity: 2 }] } });
    expect(tooMany.response.status).toBe(409);
    let shown = '';
    if (tooMany.error?.code === 'INSUFFICIENT_STOCK') shown = 'Only a few left';
    else if (tooMany.error?.code === 'IDEMPOTENCY_IN_PROGRESS') shown = 'Still working on it';
    expect(shown).toBe('Only a few left');

    // A 429, handled by its code and Retry-After: anonymous browsing past the limit.
    token = undefined;
    let limited: { code?: ErrorCode; retryAfter: string | null } | undefined;
    for (let i = 0; i < 200 && !limited; i++) {
      const browsed = await client.GET('/products', { params: { query: { limit: 1 } } });
      if (browsed.error?.code === 'TOO_MANY_REQUESTS') limited = { code: browsed.error.code, retryAfter: browsed.response.headers.get('retry-after') };
    }
    expect(limited?.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
  });
});
