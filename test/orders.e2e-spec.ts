import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { RedisCacheService } from '@stockroom/cache';
import { InventoryRepository } from '@stockroom/inventory';
import { OrderProcessing, ORDERS_QUEUE, orderJobId } from '@stockroom/orders';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Orders: accepted at once, processed by the worker (in-process here)', () => {
  let context: TestContext;
  let api: TestApi;
  let customer: SignedIn;
  let other: SignedIn;
  let staff: SignedIn;

  const inject = (who: SignedIn | undefined, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
    api.app.inject({ method, url, payload, headers: { ...(who?.headers ?? {}), ...headers } });
  const create = async (sku: string, stock: number, price = '10.00') =>
    (await inject(staff, 'POST', '/products', { sku, name: sku, price, stock })).json() as { id: number };
  const levels = async (id: number) => (await inject(staff, 'GET', `/inventory/${id}`)).json();
  const order = async (who: SignedIn, id: number) => (await inject(who, 'GET', `/orders/${id}`)).json();
  /** Polls until the order left pending (the worker runs in this process). */
  const settled = async (who: SignedIn, id: number, boundMs = 20_000) => {
    for (const started = Date.now(); Date.now() - started < boundMs; await sleep(25)) {
      const current = await order(who, id);
      if (current.status !== 'pending') return current;
    }
    throw new Error(`order ${id} still pending after ${boundMs} ms`);
  };
  const expectLedgerConsistent = async () => expect(await api.app.get(InventoryRepository).ledgerMismatches()).toEqual([]);

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { WORKER_INLINE: 'true', PAYMENT_DECLINE_ABOVE: '500', STATS_BUFFER_FLUSH_MS: '20' });
    const send = viaInject(api.app);
    [customer, other, staff] = [await signIn(send, 'customer'), await signIn(send, 'customer'), await signIn(send, 'staff')];
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('goes pending → confirmed: reserved at once, then sold, with exact totals, ledger and sales ranking', async () => {
    const [lamp, desk] = [await create('ORD-LAMP', 10, '19.99'), await create('ORD-DESK', 5, '0.10')];
    const placed = await inject(customer, 'POST', '/orders', { items: [{ productId: lamp.id, quantity: 2 }, { productId: desk.id, quantity: 3 }, { productId: lamp.id, quantity: 1 }] });
    expect(placed.statusCode).toBe(202);
    const { id } = placed.json();
    expect(placed.json()).toEqual({ id, status: 'pending' });
    expect(placed.headers.location).toBe(`/orders/${id}`);

    const done = await settled(customer, id);
    expect(done).toMatchObject({
      id,
      userId: customer.userId,
      status: 'confirmed',
      total: '60.27',
      failureReason: null,
      lines: [
        { productId: lamp.id, quantity: 3, unitPrice: '19.99' },
        { productId: desk.id, quantity: 3, unitPrice: '0.10' },
      ],
    });
    expect(await levels(lamp.id)).toEqual({ productId: lamp.id, stock: 7, reserved: 0, available: 7 });
    expect(await levels(desk.id)).toEqual({ productId: desk.id, stock: 2, reserved: 0, available: 2 });
    const movements = await context.query<Array<{ type: string; stock_delta: number; reserved_delta: number }>>(
      "SELECT type, stock_delta, reserved_delta FROM stock_movements WHERE reference = ? AND product_id = ? ORDER BY id",
      [`order-${id}`, lamp.id],
    );
    expect(movements).toEqual([
      { type: 'reservation', stock_delta: 0, reserved_delta: 3 },
      { type: 'sale', stock_delta: -3, reserved_delta: -3 },
    ]);
    await expectLedgerConsistent();
    // The product's public copy shows the sale (the cached one was retired).
    expect((await api.app.inject({ method: 'GET', url: `/products/${lamp.id}` })).json().stock).toBe(7);
    let top: Array<{ member: string; score: number }> = [];
    for (let i = 0; i < 100 && !top.some((entry) => entry.member === String(lamp.id)); i++) {
      await sleep(20);
      top = (await inject(staff, 'GET', '/stats/products/top?metric=sales&limit=10')).json().items;
    }
    expect(top).toContainEqual({ member: String(lamp.id), score: 3 });
  });

  it('a confirmed order retires each product\'s cached copy once and the list pages once, whatever its lines', async () => {
    const products = [await create('ORD-ONCE-1', 10), await create('ORD-ONCE-2', 10), await create('ORD-ONCE-3', 10)];
    const cache = api.app.get(RedisCacheService);
    const retired: string[] = [];
    const listsRetired: string[] = [];
    const tombstone = jest.spyOn(cache, 'tombstone').mockImplementation(async function (this: RedisCacheService, namespace, key, stamp) {
      retired.push(`${namespace}/${key}`);
      return RedisCacheService.prototype.tombstone.call(this, namespace, key, stamp);
    });
    const invalidate = jest.spyOn(cache, 'invalidateNamespace').mockImplementation(async function (this: RedisCacheService, namespace) {
      listsRetired.push(namespace);
      return RedisCacheService.prototype.invalidateNamespace.call(this, namespace);
    });
    try {
      const items = products.flatMap((product) => [{ productId: product.id, quantity: 1 }, { productId: product.id, quantity: 2 }]);
      const placed = await inject(customer, 'POST', '/orders', { items });
      expect((await settled(customer, placed.json().id)).status).toBe('confirmed');
      for (let i = 0; i < 100 && listsRetired.length === 0; i++) await sleep(20);
      expect(retired.sort()).toEqual(products.map((product) => `product/id:${product.id}`).sort());
      expect(listsRetired).toEqual(['product-list']);
    } finally {
      tombstone.mockRestore();
      invalidate.mockRestore();
    }
    // And the copies show the sale.
    for (const product of products) expect((await api.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().stock).toBe(7);
  });

  it('a declined payment fails the order and gives the stock back', async () => {
    const tv = await create('ORD-TV', 4, '300.00');
    const { id } = (await inject(customer, 'POST', '/orders', { items: [{ productId: tv.id, quantity: 2 }] })).json();
    const done = await settled(customer, id);
    expect(done).toMatchObject({ status: 'failed', total: '600.00', failureReason: expect.stringContaining('declined') });
    expect(await levels(tv.id)).toEqual({ productId: tv.id, stock: 4, reserved: 0, available: 4 });
    await expectLedgerConsistent();
  });

  it('refuses bad orders with a clear 4xx and changes nothing', async () => {
    const chair = await create('ORD-CHAIR', 2);
    const before = await context.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM orders');
    const cases: Array<[object, number, string]> = [
      [{ items: [] }, 400, 'VALIDATION_FAILED'],
      [{ items: Array.from({ length: 51 }, () => ({ productId: chair.id, quantity: 1 })) }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ productId: chair.id, quantity: 0 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ productId: chair.id, quantity: 1001 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ productId: chair.id, quantity: 1.5 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ productId: 'x', quantity: 1 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ productId: chair.id, quantity: 1 }, { productId: 999999, quantity: 1 }] }, 404, 'PRODUCT_NOT_FOUND'],
      [{ items: [{ productId: chair.id, quantity: 3 }] }, 409, 'INSUFFICIENT_STOCK'],
    ];
    for (const [payload, status, code] of cases) {
      const response = await inject(customer, 'POST', '/orders', payload);
      expect({ payload, status: response.statusCode, code: response.json().code }).toEqual({ payload, status, code });
    }
    const short = (await inject(customer, 'POST', '/orders', { items: [{ productId: chair.id, quantity: 3 }] })).json();
    expect(short.details).toEqual({ lines: [{ productId: chair.id, requested: 3, available: 2 }] });
    expect(await context.query('SELECT COUNT(*) AS n FROM orders')).toEqual(before);
    expect(await levels(chair.id)).toMatchObject({ reserved: 0, available: 2 });
  });

  it('honours Idempotency-Key: a retry, or 20 at once, make one order; another body is 422', async () => {
    const mug = await create('ORD-MUG', 100);
    const body = { items: [{ productId: mug.id, quantity: 1 }] };
    const first = await inject(customer, 'POST', '/orders', body, { 'idempotency-key': 'cart-1' });
    const retry = await inject(customer, 'POST', '/orders', body, { 'idempotency-key': 'cart-1' });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(`/orders/${first.json().id}`);
    expect((await inject(customer, 'POST', '/orders', { items: [{ productId: mug.id, quantity: 2 }] }, { 'idempotency-key': 'cart-1' })).statusCode).toBe(422);
    // The same key from another customer is another order.
    const theirs = await inject(other, 'POST', '/orders', body, { 'idempotency-key': 'cart-1' });
    expect(theirs.json().id).not.toBe(first.json().id);

    const burst = await Promise.all(Array.from({ length: 20 }, () => inject(customer, 'POST', '/orders', body, { 'idempotency-key': 'cart-2' })));
    const ids = new Set(burst.filter((r) => r.statusCode === 202).map((r) => r.json().id));
    expect(ids.size).toBe(1);
    // Every answer a 202 or 409 IDEMPOTENCY_IN_PROGRESS; any other is shown with its body.
    expect(burst.filter((r) => !(r.statusCode === 202 || (r.statusCode === 409 && r.json().code === 'IDEMPOTENCY_IN_PROGRESS'))).map((r) => `${r.statusCode} ${r.body}`)).toEqual([]);
    const rows = await context.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM orders WHERE idempotency_key = 'cart-2'");
    expect(Number(rows[0].n)).toBe(1);
    for (const id of [first.json().id, [...ids][0], theirs.json().id]) await settled(staff, id);
    expect(await levels(mug.id)).toMatchObject({ stock: 97, reserved: 0 });
  });

  it('customers see only their own orders; staff see all and filter by status', async () => {
    const pen = await create('ORD-PEN', 10);
    const mine = (await inject(customer, 'POST', '/orders', { items: [{ productId: pen.id, quantity: 1 }] })).json();
    const theirs = (await inject(other, 'POST', '/orders', { items: [{ productId: pen.id, quantity: 1 }] })).json();
    await settled(customer, mine.id);
    await settled(other, theirs.id);
    expect((await inject(other, 'GET', `/orders/${mine.id}`)).json().code).toBe('ORDER_NOT_FOUND');
    expect((await inject(staff, 'GET', `/orders/${mine.id}`)).json().userId).toBe(customer.userId);
    const own = (await inject(customer, 'GET', `/orders?limit=100&userId=${other.userId}`)).json();
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((o: { userId: number }) => o.userId === customer.userId)).toBe(true);
    const failed = (await inject(staff, 'GET', '/orders?status=failed&limit=100')).json();
    expect(failed.items.length).toBeGreaterThan(0);
    expect(failed.items.every((o: { status: string }) => o.status === 'failed')).toBe(true);
    const theirsOnly = (await inject(staff, 'GET', `/orders?userId=${other.userId}&limit=100`)).json();
    expect(theirsOnly.items.every((o: { userId: number }) => o.userId === other.userId)).toBe(true);
    expect((await inject(customer, 'GET', '/orders?status=lost')).statusCode).toBe(400);
    expect((await api.app.inject({ method: 'GET', url: '/orders' })).statusCode).toBe(401);
  });

  it('processing is idempotent: the same order run many times at once, and expired meanwhile, changes stock once', async () => {
    const lamp = await create('ORD-TWICE', 5);
    const { id } = (await inject(customer, 'POST', '/orders', { items: [{ productId: lamp.id, quantity: 2 }] })).json();
    const processing = api.app.get(OrderProcessing);
    // Racing the worker's own job: five more runs, and an expiry.
    const outcomes = await Promise.all([...Array.from({ length: 5 }, () => processing.process(id)), processing.fail(id, 'expired in the race')]);
    const done = await settled(customer, id);
    const changed = outcomes.filter((outcome) => outcome === 'confirmed' || outcome === true);
    expect(changed.length).toBeLessThanOrEqual(1);
    const movements = await context.query<Array<{ type: string }>>('SELECT type FROM stock_movements WHERE reference = ? ORDER BY id', [`order-${id}`]);
    if (done.status === 'confirmed') {
      expect(movements.map((m) => m.type)).toEqual(['reservation', 'sale']);
      expect(await levels(lamp.id)).toMatchObject({ stock: 3, reserved: 0 });
    } else {
      expect(movements.map((m) => m.type)).toEqual(['reservation', 'release']);
      expect(await levels(lamp.id)).toMatchObject({ stock: 5, reserved: 0 });
    }
    expect(await processing.process(id)).toBe('skipped');
    await expectLedgerConsistent();
  });

  it('shows the queue in Bull Board to staff only', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    const denied = await inject(customer, 'GET', '/admin/queues');
    expect({ status: denied.statusCode, code: denied.json().code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const page = await inject(staff, 'GET', '/admin/queues');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const queues = await inject(staff, 'GET', '/admin/queues/api/queues?activeQueue=orders&status=completed&page=1');
    expect(queues.statusCode).toBe(200);
    expect(queues.json().queues.map((q: { name: string }) => q.name)).toContain(ORDERS_QUEUE);
  });

  it('the queue keeps the job of each order under the order\'s id (a second enqueue is a no-op)', async () => {
    const queue = api.app.get<Queue>(getQueueToken(ORDERS_QUEUE));
    const cup = await create('ORD-CUP', 3);
    const { id } = (await inject(customer, 'POST', '/orders', { items: [{ productId: cup.id, quantity: 1 }] })).json();
    await settled(customer, id);
    const job = await queue.getJob(orderJobId(id));
    expect(job?.data).toEqual({ orderId: id });
    // The order settles in MySQL before the worker hands the job back as completed.
    for (const started = Date.now(); (await job?.getState()) === 'active' && Date.now() - started < 60_000; ) await new Promise((r) => setTimeout(r, 20));
    expect(await job?.getState()).toBe('completed');
    // The repeatable maintenance job may be running (it leaves no completed job): take the counts once it is not.
    for (const started = Date.now(); (await queue.getJobCounts('active')).active > 0 && Date.now() - started < 60_000; ) await new Promise((r) => setTimeout(r, 20));
    const before = await queue.getJobCounts('waiting', 'active', 'completed');
    await queue.add('process-order', { orderId: id }, { jobId: orderJobId(id) });
    expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual(before);
    expect(await job?.getState()).toBe('completed');
  });
});
