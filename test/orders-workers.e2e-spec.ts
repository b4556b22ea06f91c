import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { InventoryRepository } from '@stockroom/inventory';
import { ORDERS_QUEUE, orderJobId, PROCESS_ORDER } from '@stockroom/orders';
import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';
import { startWorkerProcess, WorkerProcess } from './support/processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Nest re-raises the signal once closed; the forced-exit timer would have exited with 1. */
const cleanExit = (result: { code: number | null; signal: NodeJS.Signals | null }) => result.code === 0 || result.signal === 'SIGTERM';

describe('Order workers as separate processes: exactly once, SIGKILL, SIGTERM', () => {
  let context: TestContext;
  let api: TestApi;
  let customer: SignedIn;
  let staff: SignedIn;
  const workers: WorkerProcess[] = [];

  const queue = () => api.app.get<Queue>(getQueueToken(ORDERS_QUEUE));
  const startWorker = async (env: Record<string, string> = {}) => {
    const worker = await startWorkerProcess(context.env({ DB_POOL_SIZE: '12', ...env }));
    workers.push(worker);
    return worker;
  };
  const place = async (items: Array<{ productId: number; quantity: number }>) => {
    const response = await api.app.inject({ method: 'POST', url: '/orders', payload: { items }, headers: customer.headers });
    if (response.statusCode !== 202) throw new Error(`order: ${response.statusCode} ${response.body}`);
    return response.json().id as number;
  };
  const create = async (sku: string, stock: number) =>
    (await api.app.inject({ method: 'POST', url: '/products', payload: { sku, name: sku, price: '2.50', stock }, headers: staff.headers })).json().id as number;
  const statusOf = async (id: number) => (await context.query<Array<{ status: string }>>('SELECT status FROM orders WHERE id = ?', [id]))[0].status;
  const until = async (what: string, done: () => Promise<boolean>, boundMs = 180_000) => {
    for (const started = Date.now(); Date.now() - started < boundMs; await sleep(100)) if (await done()) return;
    throw new Error(`${what}: not within ${boundMs} ms`);
  };
  const jobActive = (id: number) => until(`job of order ${id} active`, async () => (await queue().getJob(orderJobId(id)))?.processedOn !== undefined);

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { DB_POOL_SIZE: '30', QUEUE_KEEP_COMPLETED: '5000' });
    const send = viaInject(api.app);
    [customer, staff] = [await signIn(send, 'customer'), await signIn(send, 'staff')];
  });

  // Whatever a test asserted or failed on, its workers are gone before the next test starts.
  afterEach(async () => {
    const started = workers.splice(0);
    for (const worker of started) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await Promise.all(started.map((worker) => worker.exited.catch(() => undefined)));
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('processes 1,000 orders with two worker processes, each exactly once', async () => {
    const products: number[] = [];
    for (let i = 0; i < 40; i++) products.push(await create(`WRK-${i}`, 100));
    // The maintenance job runs often here: its own retention must not trim the orders' job history.
    const pair = await Promise.all([startWorker({ ORDER_SWEEP_INTERVAL_MS: '500' }), startWorker({ ORDER_SWEEP_INTERVAL_MS: '500' })]);

    const ids: number[] = [];
    let lines = 0;
    let units = 0;
    for (let batch = 0; batch < 20; batch++) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, i) => {
            const n = batch * 50 + i;
            const items = [{ productId: products[n % 40], quantity: 1 + (n % 2) }, ...(n % 3 === 0 ? [{ productId: products[(n + 7) % 40], quantity: 1 }] : [])];
            lines += items.length;
            units += items.reduce((sum, item) => sum + item.quantity, 0);
            return place(items);
          }),
        )),
      );
    }
    expect(new Set(ids).size).toBe(1_000);
    await until('1,000 orders confirmed', async () => {
      const [row] = await context.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM orders WHERE status = 'confirmed'");
      return Number(row.n) === 1_000;
    });
    // The order commits before its job is marked completed.
    await until('1,000 jobs completed', async () => (await queue().getJobCountByTypes('waiting', 'active')) === 0);

    const jobs = (await queue().getJobs(['completed'], 0, 5_000)).filter((job: Job) => job.name === PROCESS_ORDER);
    expect(jobs).toHaveLength(1_000);
    expect(jobs.every((job) => job.attemptsStarted === 1 && (job.returnvalue as { outcome: string }).outcome === 'confirmed')).toBe(true);
    expect(new Set(jobs.map((job) => job.processedBy)).size).toBe(2);
    const [sales] = await context.query<Array<{ n: number; units: string }>>("SELECT COUNT(*) AS n, CAST(-SUM(stock_delta) AS SIGNED) AS units FROM stock_movements WHERE type = 'sale'");
    expect({ n: Number(sales.n), units: Number(sales.units) }).toEqual({ n: lines, units });
    const [stock] = await context.query<Array<{ stock: string; reserved: string }>>('SELECT CAST(SUM(stock) AS SIGNED) AS stock, CAST(SUM(reserved) AS SIGNED) AS reserved FROM products');
    expect({ stock: Number(stock.stock), reserved: Number(stock.reserved) }).toEqual({ stock: 4_000 - units, reserved: 0 });
    expect(await api.app.get(InventoryRepository).ledgerMismatches()).toEqual([]);

    for (const worker of pair) worker.child.kill('SIGTERM');
    for (const worker of pair) expect(cleanExit(await worker.exited)).toBe(true);
  }, 300_000);

  it('a worker killed with SIGKILL mid-job loses no order: another takes the job when its lock expires', async () => {
    const product = await create('KILL-1', 5);
    const doomed = await startWorker({ PAYMENT_DELAY_MS: '4000', WORKER_LOCK_MS: '1000' });
    const id = await place([{ productId: product, quantity: 2 }]);
    await jobActive(id);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(await statusOf(id)).toBe('pending');

    const rescuer = await startWorker({ WORKER_LOCK_MS: '1000' });
    await until(`order ${id} confirmed`, async () => (await statusOf(id)) === 'confirmed');
    const sales = await context.query<unknown[]>("SELECT id FROM stock_movements WHERE reference = ? AND type = 'sale'", [`order-${id}`]);
    expect(sales).toHaveLength(1);
    const job = await queue().getJob(orderJobId(id));
    expect(job?.attemptsStarted).toBeGreaterThanOrEqual(2);
    rescuer.child.kill('SIGTERM');
    expect(cleanExit(await rescuer.exited)).toBe(true);
  });

  it('on SIGTERM a worker finishes the job in hand before it exits', async () => {
    const product = await create('TERM-1', 5);
    const worker = await startWorker({ PAYMENT_DELAY_MS: '1500' });
    const id = await place([{ productId: product, quantity: 1 }]);
    await jobActive(id);
    worker.child.kill('SIGTERM');
    expect(cleanExit(await worker.exited)).toBe(true);
    expect(await statusOf(id)).toBe('confirmed');
    expect(await (await queue().getJob(orderJobId(id)))?.getState()).toBe('completed');
  });
});
