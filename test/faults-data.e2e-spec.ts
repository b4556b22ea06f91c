import { DataSource } from 'typeorm';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { IdempotencyService, PENDING_TTL_MS } from '@stockroom/idempotency';
import { InventoryRepository } from '@stockroom/inventory';
import { MAINTENANCE, OrderProcessing, OrderQueue, orderJobId, PaymentGateway } from '@stockroom/orders';
import { MetricsRegistry } from '@stockroom/core';
import { RedisKeys } from '@stockroom/redis';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { PrivateRedis } from './support/redis-server';
import { signIn, SignedIn, viaInject } from './support/sign-in';
import { until } from './support/until';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Faults that lose or outlive data (issue 11, items 1, 3 and 4): a Redis that lost its dataset
 * (a private one, flushed for real), a crash between an idempotent request's commit and its saved
 * answer, a product deleted under its reservations, a payment racing the expiry sweep, and a
 * stock change past the column's range.
 */
describe('Faults: Redis data loss, crashed idempotent requests, reservations, payments, ranges', () => {
  let context: TestContext;
  let redis: PrivateRedis;
  let api: TestApi;
  let staff: SignedIn;
  let customer: SignedIn;

  const inject = (who: SignedIn | undefined, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
    api.app.inject({ method, url, payload, headers: { ...(who?.headers ?? {}), ...headers } });
  const create = async (sku: string, stock: number, price = '10.00') => {
    const created = await inject(staff, 'POST', '/products', { sku, name: sku, price, stock });
    expect(created.statusCode).toBe(201);
    return created.json() as { id: number };
  };
  const placeOrder = async (items: Array<{ productId: number; quantity: number }>, headers: Record<string, string> = {}) => {
    const placed = await inject(customer, 'POST', '/orders', { items }, headers);
    expect(placed.statusCode).toBe(202);
    return placed.json().id as number;
  };
  const sql = () => api.app.get(DataSource);
  const statusOf = async (orderId: number) => ((await sql().query('SELECT status FROM orders WHERE id = ?', [orderId])) as Array<{ status: string }>)[0]?.status;
  const metric = async (name: string) => {
    const text = await api.app.get(MetricsRegistry).metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  /** After a flush every session is gone with the rest of Redis's data: sign in again. */
  const signInAgain = async () => {
    const send = viaInject(api.app);
    [staff, customer] = [await signIn(send, 'staff'), await signIn(send, 'customer')];
  };

  beforeAll(async () => {
    context = await TestContext.create();
    redis = await PrivateRedis.start();
    // No worker here: each test drives processing itself, so the races are the test's.
    api = await bootApi(context, { REDIS_URL: redis.url, PAYMENT_DELAY_MS: '1500' });
    await signInAgain();
  });

  afterAll(async () => {
    await api?.close();
    await redis?.kill();
    await context?.dispose();
  });

  describe('Redis loses its data', () => {
    it('takes the first stock adjustment after a FLUSHALL (the fencing counter starts above every token issued before)', async () => {
      const product = await create('FLT-FENCE', 10);
      const adjust = (delta: number) => inject(staff, 'POST', `/inventory/${product.id}/adjustments`, { delta, reason: 'count' });
      const before = [await adjust(1), await adjust(1), await adjust(1)];
      expect(before.map((r) => r.statusCode)).toEqual([201, 201, 201]);
      const lastToken = before[2].json().movement.fencingToken as number;

      await redis.ask((client) => client.flushall());
      await signInAgain();
      const after = await adjust(1);
      expect(after.statusCode).toBe(201);
      expect(after.json().movement.fencingToken).toBeGreaterThan(lastToken);
      expect(after.json().levels.stock).toBe(14);
      expect(await api.app.get(InventoryRepository).ledgerMismatches()).toEqual([]);
    });

    it('puts the maintenance schedule back by itself, without a worker restart', async () => {
      const worker = await bootApi(context, { REDIS_URL: redis.url, WORKER_INLINE: 'true', ORDER_SWEEP_INTERVAL_MS: '1000' });
      try {
        const queue = worker.app.get(OrderQueue).queue;
        await until(() => queue.getJobScheduler(MAINTENANCE));
        await redis.ask((client) => client.flushall());
        expect(await queue.getJobScheduler(MAINTENANCE)).toBeUndefined();
        const back = await until(() => queue.getJobScheduler(MAINTENANCE));
        expect(back).toMatchObject({ every: 1000 });
      } finally {
        await worker.close();
      }
      await signInAgain();
    });

    it('gives an order its job back when Redis lost it, or when it failed while MySQL could not record the outcome', async () => {
      const product = await create('FLT-REVIVE', 10);
      const queue = api.app.get(OrderQueue).queue;
      // Failed: out of attempts while MySQL could not record the outcome, so the order is still pending.
      const failed = await placeOrder([{ productId: product.id, quantity: 1 }]);
      const taker = new Worker(queue.name, null, { connection: queue.opts.connection, prefix: queue.opts.prefix });
      try {
        // The maintenance schedule (put back by the previous case) may have a run waiting ahead of the order's job: set it aside.
        let job = (await taker.getNextJob('test-token')) as Job;
        while (job.name === MAINTENANCE) {
          await job.moveToCompleted('set aside by the test', 'test-token', false);
          job = (await taker.getNextJob('test-token')) as Job;
        }
        expect(job.id).toBe(orderJobId(failed));
        await job.moveToFailed(new UnrecoverableError('MySQL away'), 'test-token');
      } finally {
        await taker.close();
      }
      // Lost: its job is gone with Redis's data.
      const [lost, fresh] = [await placeOrder([{ productId: product.id, quantity: 1 }]), await placeOrder([{ productId: product.id, quantity: 1 }])];
      await until(async () => ((await sql().query('SELECT COUNT(*) AS n FROM orders WHERE id IN (?) AND queued_at IS NOT NULL', [[lost, failed, fresh]])) as Array<{ n: string }>)[0].n === '3');
      await queue.remove(orderJobId(lost));
      await sql().query('UPDATE orders SET queued_at = queued_at - INTERVAL 1 DAY WHERE id IN (?)', [[lost, failed]]);
      const before = await metric('stockroom_order_jobs_revived_total');

      const result = await api.app.get(OrderProcessing).sweep();
      expect(result.revived).toBe(2);
      expect(await metric('stockroom_order_jobs_revived_total')).toBe(before + 2);
      expect(await (await queue.getJob(orderJobId(lost)))?.getState()).toBe('waiting');
      expect(await (await queue.getJob(orderJobId(failed)))?.getState()).toBe('waiting');
      // A second sweep finds live jobs and adds nothing.
      expect((await api.app.get(OrderProcessing).sweep()).revived).toBe(0);
      // Settled the way the sweep settles orders, so later checks find stock and ledger in step.
      await queue.remove(orderJobId(lost));
      await queue.remove(orderJobId(failed));
      await queue.remove(orderJobId(fresh));
      await sql().query('UPDATE orders SET created_at = created_at - INTERVAL 1 DAY WHERE id IN (?)', [[lost, failed, fresh]]);
      expect((await api.app.get(OrderProcessing).sweep()).expired).toBe(3);
    });
  });

  describe('Idempotency-Key after a crash', () => {
    it('holds a claim only seconds, so a request that died before answering does not block its key for a day', async () => {
      const idempotency = api.app.get(IdempotencyService);
      const keys = api.app.get(RedisKeys);
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const first = idempotency.run('faults', 'claim-ttl', { a: 1 }, async () => (await blocked, { status: 201, body: { ok: true } }), async () => undefined);
      const client = redis.client();
      try {
        const key = keys.key('idem', 'faults', 'claim-ttl');
        const pttl = await until(async () => {
          const left = await client.pttl(key);
          return left > 0 ? left : undefined;
        });
        expect(pttl).toBeLessThanOrEqual(PENDING_TTL_MS);
        release();
        await first;
        // The answer, once saved, is kept for retries (a day).
        expect(await client.pttl(key)).toBeGreaterThan(PENDING_TTL_MS);
      } finally {
        release();
        client.disconnect();
      }
    });

    it('answers a retry from MySQL at once when the first attempt committed and died before saving its answer', async () => {
      const product = await create('FLT-IDEM', 5);
      const key = { 'idempotency-key': 'crashed-after-commit' };
      const orderId = await placeOrder([{ productId: product.id, quantity: 2 }], key);
      // What a crash between the commit and the saved answer leaves: the claim, still pending.
      const client = redis.client();
      try {
        const redisKey = api.app.get(RedisKeys).key('idem', `order:${customer.userId}`, key['idempotency-key']);
        const record = JSON.parse((await client.get(redisKey)) as string);
        await client.set(redisKey, JSON.stringify({ state: 'pending', hash: record.hash }), 'PX', PENDING_TTL_MS);
      } finally {
        client.disconnect();
      }
      const started = Date.now();
      const retry = await inject(customer, 'POST', '/orders', { items: [{ productId: product.id, quantity: 2 }] }, key);
      expect(retry.statusCode).toBe(202);
      expect(retry.json()).toEqual({ id: orderId, status: 'pending' });
      expect(retry.headers['idempotent-replayed']).toBe('true');
      // Answered from the database, not after waiting out the claim (5 s) or its expiry (10 s).
      expect(Date.now() - started).toBeLessThan(4_000);
      const reserved = ((await inject(staff, 'GET', `/inventory/${product.id}`)).json() as { reserved: number }).reserved;
      expect(reserved).toBe(2);
    });
  });

  describe('a product with reservations', () => {
    it('refuses to delete it while pending orders hold its stock (409), and deletes it once they are settled', async () => {
      const product = await create('FLT-DEL', 5);
      const orderId = await placeOrder([{ productId: product.id, quantity: 3 }]);
      const refused = await inject(staff, 'DELETE', `/products/${product.id}`);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'PRODUCT_HAS_RESERVATIONS', details: { id: product.id, reserved: 3 } });
      expect((await inject(undefined, 'GET', `/products/${product.id}`)).statusCode).toBe(200);

      expect(await api.app.get(OrderProcessing).fail(orderId, 'test: settled')).toBe(true);
      expect((await inject(staff, 'DELETE', `/products/${product.id}`)).statusCode).toBe(204);
      expect((await inject(undefined, 'GET', `/products/${product.id}`)).statusCode).toBe(404);
    });

    it('the sweep expires every order it can, counting the ones it cannot, instead of stopping at the first', async () => {
      const [wedged, fine] = [await create('FLT-SWEEP-A', 5), await create('FLT-SWEEP-B', 5)];
      const stuck = await placeOrder([{ productId: wedged.id, quantity: 1 }]);
      const later = await placeOrder([{ productId: fine.id, quantity: 2 }]);
      // A product removed under its reservation (what DELETE allowed before): its order cannot be released.
      await sql().query('DELETE FROM products WHERE id = ?', [wedged.id]);
      await sql().query('UPDATE orders SET created_at = created_at - INTERVAL 1 DAY WHERE id IN (?)', [[stuck, later]]);
      const failuresBefore = await metric('stockroom_order_sweep_failures_total');

      const result = await api.app.get(OrderProcessing).sweep();
      expect(result).toMatchObject({ failed: 1 });
      expect(result.expired).toBeGreaterThanOrEqual(1);
      expect(await statusOf(later)).toBe('failed');
      expect(await statusOf(stuck)).toBe('pending');
      expect(((await inject(staff, 'GET', `/inventory/${fine.id}`)).json() as { reserved: number }).reserved).toBe(0);
      expect(await metric('stockroom_order_sweep_failures_total')).toBe(failuresBefore + 1);
      await sql().query("UPDATE orders SET status = 'failed' WHERE id = ?", [stuck]);
    });
  });

  describe('money', () => {
    it('refunds a payment whose order expired while it was being charged, and counts it', async () => {
      const product = await create('FLT-PAY', 5, '12.50');
      const orderId = await placeOrder([{ productId: product.id, quantity: 2 }]);
      const processing = api.app.get(OrderProcessing);
      const refundsBefore = await metric('stockroom_payment_refunds_total');
      // The charge takes PAYMENT_DELAY_MS (1.5 s); the sweep expires the order meanwhile.
      const processed = processing.process(orderId);
      await sleep(300);
      expect(await processing.fail(orderId, 'reservation expired (test)')).toBe(true);
      expect(await processed).toBe('refunded');

      expect(await statusOf(orderId)).toBe('failed');
      expect(await api.app.get(PaymentGateway).book(orderId)).toEqual([
        { kind: 'charge', amount: '25.00', reason: null },
        { kind: 'refund', amount: '25.00', reason: 'the order left pending while it was being paid' },
      ]);
      expect(await metric('stockroom_payment_refunds_total')).toBe(refundsBefore + 1);
      expect(((await inject(staff, 'GET', `/inventory/${product.id}`)).json() as { stock: number; reserved: number })).toMatchObject({ stock: 5, reserved: 0 });
    });

    it('does not refund when a second run of the same job confirmed the order (a stalled job taken over)', async () => {
      const product = await create('FLT-PAY-3', 5, '3.00');
      const orderId = await placeOrder([{ productId: product.id, quantity: 1 }]);
      const processing = api.app.get(OrderProcessing);
      const outcomes = await Promise.all([processing.process(orderId), processing.process(orderId)]);
      expect(outcomes.sort()).toEqual(['confirmed', 'skipped']);
      expect(await statusOf(orderId)).toBe('confirmed');
      expect(await api.app.get(PaymentGateway).book(orderId)).toEqual([{ kind: 'charge', amount: '3.00', reason: null }]);
    });

    it('does not charge an order that already left pending', async () => {
      const product = await create('FLT-PAY-2', 5);
      const orderId = await placeOrder([{ productId: product.id, quantity: 1 }]);
      const processing = api.app.get(OrderProcessing);
      await processing.fail(orderId, 'expired (test)');
      expect(await processing.process(orderId)).toBe('skipped');
      expect(await api.app.get(PaymentGateway).book(orderId)).toEqual([]);
    });

    it('answers 409 STOCK_OUT_OF_RANGE, not 500, for stock past the column range, and changes nothing', async () => {
      const product = await create('FLT-RANGE', 2_147_000_000);
      const over = await inject(staff, 'POST', `/inventory/${product.id}/adjustments`, { delta: 1_000_000, reason: 'too much' });
      expect(over.statusCode).toBe(409);
      expect(over.json()).toMatchObject({ code: 'STOCK_OUT_OF_RANGE', details: { productId: product.id, delta: 1_000_000 } });
      expect(((await inject(staff, 'GET', `/inventory/${product.id}`)).json() as { stock: number }).stock).toBe(2_147_000_000);
      const tooBig = await inject(staff, 'POST', '/products', { sku: 'FLT-RANGE-2', name: 'x', price: '1.00', stock: 2_147_483_648 });
      expect(tooBig.statusCode).toBe(400);
      expect(await api.app.get(InventoryRepository).ledgerMismatches()).toEqual([]);
    });
  });
});
