import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ORDERS_QUEUE, orderJobId } from '@stockroom/orders';
import { bootApi, primaries, TestApi, TestContext, testRedis } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';
import { until } from './support/until';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Orders that go wrong: retries exhausted, a lost enqueue, an expired reservation', () => {
  let context: TestContext;
  /** Takes orders; runs no jobs. */
  let api: TestApi;
  let customer: SignedIn;
  let staff: SignedIn;

  const queueOf = (app: TestApi) => app.app.get<Queue>(getQueueToken(ORDERS_QUEUE));
  const place = async (productId: number, quantity = 1) =>
    (await api.app.inject({ method: 'POST', url: '/orders', payload: { items: [{ productId, quantity }] }, headers: customer.headers })).json() as { id: number };
  const create = async (sku: string, stock: number) =>
    (await api.app.inject({ method: 'POST', url: '/products', payload: { sku, name: sku, price: '5.00', stock }, headers: staff.headers })).json() as { id: number };
  const available = async (id: number) => (await api.app.inject({ method: 'GET', url: `/inventory/${id}`, headers: staff.headers })).json().available as number;
  const settled = async (id: number, boundMs = 20_000) => {
    for (const started = Date.now(); Date.now() - started < boundMs; await sleep(50)) {
      const order = (await api.app.inject({ method: 'GET', url: `/orders/${id}`, headers: customer.headers })).json();
      if (order.status !== 'pending') return order;
    }
    throw new Error(`order ${id} still pending after ${boundMs} ms`);
  };
  /** A process that runs the jobs, with its own settings; closed after `work`. */
  const withWorker = async (env: Record<string, string>, work: (worker: TestApi) => Promise<void>) => {
    const worker = await bootApi(context, { WORKER_INLINE: 'true', ...env });
    try {
      await work(worker);
    } finally {
      await worker.close();
    }
  };

  beforeAll(async () => {
    context = await TestContext.create();
    // Jobs carry the producer's retry settings.
    api = await bootApi(context, { ORDER_JOB_ATTEMPTS: '3', ORDER_JOB_BACKOFF_MS: '50' });
    const send = viaInject(api.app);
    [customer, staff] = [await signIn(send, 'customer'), await signIn(send, 'staff')];
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('a payment that keeps failing is retried with backoff, then the job stays failed and the stock comes back', async () => {
    const product = await create('REC-1', 5);
    const { id } = await place(product.id, 2);
    expect(await available(product.id)).toBe(3);
    await withWorker({ PAYMENT_ERROR_RATE: '1' }, async (worker) => {
      const order = await settled(id);
      expect(order).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^gave up after 3 attempts: payment provider unavailable/) });
      const job = await queueOf(worker).getJob(orderJobId(id));
      expect({ state: await job?.getState(), attempts: job?.attemptsMade }).toEqual({ state: 'failed', attempts: 3 });
    });
    expect(await available(product.id)).toBe(5);
  });

  it('an order whose enqueue failed after its commit is queued by the sweeper and completes', async () => {
    const product = await create('REC-2', 5);
    // Redis refuses the job once: the order is committed, answered 202, and left unqueued.
    const spy = jest.spyOn(queueOf(api), 'addBulk').mockRejectedValueOnce(new Error('Connection is closed.'));
    const { id } = await place(product.id);
    spy.mockRestore();
    expect(await queueOf(api).getJob(orderJobId(id))).toBeUndefined();
    const [row] = await context.query<Array<{ queued_at: Date | null; status: string }>>('SELECT queued_at, status FROM orders WHERE id = ?', [id]);
    expect(row).toEqual({ queued_at: null, status: 'pending' });

    await withWorker({ ORDER_SWEEP_INTERVAL_MS: '200', ORDER_ENQUEUE_GRACE_MS: '0' }, async () => {
      expect((await settled(id)).status).toBe('confirmed');
    });
    // Marked queued in the next batch.
    await sleep(300);
    const [after] = await context.query<Array<{ queued_at: Date | null }>>('SELECT queued_at FROM orders WHERE id = ?', [id]);
    expect(after.queued_at).not.toBeNull();
  });

  it('a reservation pending longer than ORDER_RESERVATION_TTL_SECONDS is released', async () => {
    const product = await create('REC-3', 5);
    const { id } = await place(product.id, 4);
    // Its job is lost (say, a Redis without persistence restarted): only the expiry can end it.
    await queueOf(api).remove(orderJobId(id));
    expect(await available(product.id)).toBe(1);
    await sleep(1_100);
    await withWorker({ ORDER_SWEEP_INTERVAL_MS: '200', ORDER_RESERVATION_TTL_SECONDS: '1' }, async () => {
      expect(await settled(id)).toMatchObject({ status: 'failed', failureReason: 'reservation expired after 1 s' });
    });
    expect(await available(product.id)).toBe(5);
    const movements = await context.query<Array<{ type: string }>>('SELECT type FROM stock_movements WHERE reference = ? ORDER BY id', [`order-${id}`]);
    expect(movements.map((m) => m.type)).toEqual(['reservation', 'release']);
  });

  it('a worker closed while it waits for jobs leaves none of its Redis connections open (on a cluster too)', async () => {
    const redis = testRedis();
    // BullMQ names its blocking connection `<queue prefix>:<queue, base64>:w:<worker name>`.
    const blocking = async () => {
      const found: string[] = [];
      for (const node of await primaries(redis)) {
        const clients = (await node.client('LIST')) as string;
        found.push(...clients.split('\n').filter((client) => client.includes(`name={${context.keyPrefix}:bull}:`) && client.includes(':w:')));
      }
      return found;
    };
    try {
      // Each close raced ioredis' pool when BullMQ reconnected the blocking cluster connection it
      // had just dropped (about one close in four left a connection open): a few closes in a row.
      for (let round = 0; round < 4; round++) {
        await withWorker({}, async () => {
          // Blocked waiting for a job: the wait a close interrupts.
          await until(async () => (await blocking()).some((client) => / cmd=bzpopmin /.test(client)), 10_000);
        });
        // Closed: what is still listed may only be on its way out (a socket the server has not reaped yet).
        await until(async () => (await blocking()).length === 0, 5_000).catch(() => undefined);
        expect(await blocking()).toEqual([]);
      }
    } finally {
      redis.disconnect();
    }
  });
});
