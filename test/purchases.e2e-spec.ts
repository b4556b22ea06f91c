import { Agent, request } from 'node:http';
import { ApiProcess, startApiProcess } from './support/processes';
import { TestContext } from './support/test-context';
import { signIn, viaHttp } from './support/sign-in';

const startApi = (context: TestContext) => startApiProcess(context.env({ DB_POOL_SIZE: '20' }));

describe('No oversell: two API processes, 500 concurrent purchases of a product with stock 100', () => {
  let context: TestContext;
  let apis: ApiProcess[];

  beforeAll(async () => {
    context = await TestContext.create();
    apis = await Promise.all([startApi(context), startApi(context)]);
  });

  afterAll(async () => {
    for (const api of apis ?? []) api.child.kill('SIGTERM');
    await Promise.all((apis ?? []).map((api) => api.exited));
    await context?.dispose();
  });

  it('exactly 100 succeed, the rest get 409, available ends at 0 and the ledger matches', async () => {
    // One staff session serves both processes: it lives in the shared Redis.
    const { headers } = await signIn(viaHttp(apis[0].url), 'staff');
    const created = await fetch(`${apis[0].url}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ sku: 'HOT-1', name: 'Hot item', price: '9.99', stock: 100 }),
    });
    const product = (await created.json()) as { id: number };
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    const body = JSON.stringify({ items: [{ productId: product.id, quantity: 1 }] });
    const buy = (url: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${url}/inventory/reservations`, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const statuses = await Promise.all(Array.from({ length: 500 }, (_, i) => buy(apis[i % 2].url)));
    agent.destroy();

    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(400);
    const levels = await (await fetch(`${apis[1].url}/inventory/${product.id}`, { headers })).json();
    expect(levels).toEqual({ productId: product.id, stock: 100, reserved: 100, available: 0 });
    const [sums] = await context.query<Array<{ reserved: string; count: number }>>(
      "SELECT CAST(SUM(reserved_delta) AS SIGNED) AS reserved, COUNT(*) AS count FROM stock_movements WHERE product_id = ? AND type = 'reservation'",
      [product.id],
    );
    expect({ reserved: Number(sums.reserved), count: Number(sums.count) }).toEqual({ reserved: 100, count: 100 });
  });
});
