import type { InjectOptions } from 'light-my-request';
import { bootApi, TestApi, TestContext } from './support/test-context';

const ERROR_KEYS = ['code', 'error', 'message', 'statusCode'];

function expectErrorBody(response: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
  const body = response.json();
  expect(Object.keys(body).filter((k) => k !== 'details').sort()).toEqual(ERROR_KEYS);
  expect(body).toMatchObject({ statusCode: status, code });
  expect(typeof body.error).toBe('string');
  expect(typeof body.message).toBe('string');
  return body;
}

describe('Bad input always gets a clear 4xx JSON error and changes nothing', () => {
  let context: TestContext;
  let api: TestApi;
  // As staff: these are about bad input, which every role must get a clear answer to.
  const inject = async (options: InjectOptions) => api.app.inject({ ...options, headers: { ...(await api.admin()), ...options.headers } });
  const productCount = async () => (await context.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM products'))[0].n;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { BODY_LIMIT_BYTES: '4096' });
    await inject({ method: 'POST', url: '/products', payload: { sku: 'EXISTING', name: 'Existing', price: '1.00' } });
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('malformed JSON is 400 MALFORMED_JSON', async () => {
    for (const payload of ['{"sku":', '{bad}', "{'a':1}", '{"__proto__":{"polluted":true}}']) {
      const response = await inject({ method: 'POST', url: '/products', headers: { 'content-type': 'application/json' }, payload });
      expectErrorBody(response, 400, 'MALFORMED_JSON');
    }
  });

  it('an empty JSON body is 400 MALFORMED_JSON', async () => {
    const response = await inject({ method: 'POST', url: '/products', headers: { 'content-type': 'application/json' }, payload: '' });
    expectErrorBody(response, 400, 'MALFORMED_JSON');
  });

  it('a non-JSON body is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await inject({ method: 'POST', url: '/products', headers: { 'content-type': type }, payload: 'sku=x' });
      expectErrorBody(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('an oversize body is 413', async () => {
    const payload = { sku: 'BIG', name: 'Big', price: '1.00', description: 'x'.repeat(5000) };
    expectErrorBody(await inject({ method: 'POST', url: '/products', payload }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('lists every bad field, with wrong types and unknown fields', async () => {
    const response = await inject({
      method: 'POST',
      url: '/products',
      payload: { sku: 12, name: '', price: 19.99, stock: '5', color: 'red' },
    });
    const body = expectErrorBody(response, 400, 'VALIDATION_FAILED');
    expect(body.details.map((d: { field: string }) => d.field).sort()).toEqual(['color', 'name', 'price', 'sku', 'stock']);
  });

  it.each([
    ['negative stock', { stock: -1 }, 'stock'],
    ['fractional stock', { stock: 1.5 }, 'stock'],
    ['stock beyond INT', { stock: 2 ** 31 }, 'stock'],
    ['negative price', { price: '-1.00' }, 'price'],
    ['three decimals', { price: '1.999' }, 'price'],
    ['price too large', { price: '12345678901.00' }, 'price'],
    ['price as exponent', { price: '1e3' }, 'price'],
    ['sku with spaces', { sku: 'A B' }, 'sku'],
    ['sku too long', { sku: 'A'.repeat(65) }, 'sku'],
    ['name only spaces', { name: '   ' }, 'name'],
    ['name too long', { name: 'n'.repeat(201) }, 'name'],
    ['description not a string', { description: ['x'] }, 'description'],
  ])('%s is 400 naming the field and creates nothing', async (_case, change, field) => {
    const before = await productCount();
    const response = await inject({ method: 'POST', url: '/products', payload: { sku: 'NEW-1', name: 'New', price: '1.00', ...change } });
    const body = expectErrorBody(response, 400, 'VALIDATION_FAILED');
    expect(body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect(await productCount()).toBe(before);
  });

  it('null for a field in a patch is 400 and changes nothing', async () => {
    const [{ id }] = await context.query<Array<{ id: number }>>("SELECT id FROM products WHERE sku = 'EXISTING'");
    for (const field of ['sku', 'name', 'description', 'price']) {
      const response = await inject({ method: 'PATCH', url: `/products/${id}`, payload: { [field]: null } });
      expect(expectErrorBody(response, 400, 'VALIDATION_FAILED').details[0].field).toBe(field);
    }
    const [row] = await context.query<Array<{ version: number; name: string }>>('SELECT version, name FROM products WHERE id = ?', [id]);
    expect(row).toEqual({ version: 1, name: 'Existing' });
  });

  it('a body that is not an object is 400', async () => {
    for (const payload of ['[]', '"text"', '42', 'null', 'true']) {
      const response = await inject({ method: 'POST', url: '/products', headers: { 'content-type': 'application/json' }, payload });
      expect(response.statusCode).toBe(400);
      expect(response.json().statusCode).toBe(400);
    }
  });

  it.each(['0', '-1', '2147483648', '99999999999999999999', 'abc', '1.5', '1e3', '0x10', '%20'])(
    'id %s is 400 VALIDATION_FAILED naming id',
    async (id) => {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const response = await inject({ method, url: `/products/${id}`, payload: method === 'PATCH' ? {} : undefined });
        const body = expectErrorBody(response, 400, 'VALIDATION_FAILED');
        expect(body.details[0].field).toBe('id');
      }
    },
  );

  it('a SKU path that no product can have is 400, a bad escape in the URL is 400', async () => {
    expectErrorBody(await inject({ method: 'GET', url: '/products/by-sku/a%20b' }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await inject({ method: 'GET', url: '/products/by-sku/%ZZ' }), 400, 'BAD_REQUEST');
  });

  it('unknown routes and methods are 404 ROUTE_NOT_FOUND', async () => {
    expectErrorBody(await inject({ method: 'GET', url: '/nope' }), 404, 'ROUTE_NOT_FOUND');
    expectErrorBody(await inject({ method: 'PUT', url: '/products/1', payload: {} }), 404, 'ROUTE_NOT_FOUND');
  });

  it('echoes a sane X-Request-Id and replaces a hostile one', async () => {
    const kept = await inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await inject({ method: 'GET', url: '/products', headers: { 'x-request-id': 'bad id\u0001'.repeat(30) } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('no generated input produces a 500', async () => {
    const values: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, '', ' ', 'x'.repeat(300), '19.99', [], {}, ['a'], { a: 1 }, '\u0000', '😀'.repeat(70)];
    const fields = ['sku', 'name', 'description', 'price', 'stock', 'id', 'views', 'version'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const before = await productCount();
    for (let i = 0; i < 150; i++) {
      const payload: Record<string, unknown> = {};
      for (const field of fields) if (next() < 0.5) payload[field] = values[Math.floor(next() * values.length)];
      const method = (['POST', 'PATCH'] as const)[i % 2];
      const url = method === 'POST' ? '/products' : `/products/${Math.floor(next() * 3)}`;
      const response = await inject({ method, url, payload });
      expect([200, 201, 400, 404, 409]).toContain(response.statusCode);
    }
    // Every accepted create holds a valid product; the table only grew by those.
    const rows = await context.query<Array<{ stock: number }>>('SELECT stock FROM products');
    expect(rows.every((row) => row.stock >= 0)).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(before);
  });
});
