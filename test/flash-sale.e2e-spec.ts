import { Agent, request } from 'node:http';
import { createConnection } from 'mysql2/promise';
import { ApiProcess, startApiProcess } from './support/processes';
import { serviceEnv, TestContext } from './support/test-context';
import { SignedIn, signIn, viaHttp } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Line {
  productId: number;
  quantity: number;
}
interface Answer {
  status: number;
  body: any;
}

/** Raw HTTP through a keep-alive agent (hundreds at once); a socket error is an answer too (status 0). */
function post(agent: Agent, url: string, body: object, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      res.on('error', () => resolve({ status: 0, body: undefined }));
    });
    req.on('error', () => resolve({ status: 0, body: undefined }));
    req.end(JSON.stringify(body));
  });
}

async function createProduct(api: ApiProcess, staff: SignedIn, sku: string, stock: number): Promise<number> {
  const response = await viaHttp(api.url)({ method: 'POST', url: '/products', payload: { sku, name: sku, price: '2.50', stock }, headers: staff.headers });
  expect(response.statusCode).toBe(201);
  return response.json().id as number;
}

const merged = (lines: Line[]): Line[] => {
  const totals = new Map<number, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals].sort(([a], [b]) => a - b).map(([productId, quantity]) => ({ productId, quantity }));
};

async function metric(api: ApiProcess, name: string): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Other connections to this test's database (other suites run beside it), optionally only those running a statement like `statement`. */
async function connectionsTo(context: TestContext, except: number, statement?: string): Promise<number> {
  const [row] = await context.query<Array<{ n: number }>>(
    `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND id NOT IN (CONNECTION_ID(), ?) ${statement ? 'AND info LIKE ?' : ''}`,
    [context.dbName, except, ...(statement ? [statement] : [])],
  );
  return Number(row.n);
}

describe('Flash sale by group commit: two API processes, 500 concurrent buyers of 100 units', () => {
  let context: TestContext;
  let apis: ApiProcess[];

  beforeAll(async () => {
    context = await TestContext.create();
    apis = await Promise.all([0, 1].map(() => startApiProcess(context.env({ DB_POOL_SIZE: '20' }))));
  });

  afterAll(async () => {
    for (const api of apis ?? []) api.child.kill('SIGTERM');
    await Promise.all((apis ?? []).map((api) => api.exited));
    await context?.dispose();
  });

  it('accepts exactly the mixed multi-line orders that fit, each all or nothing, the ledger matching, bad orders failing alone', async () => {
    const staff = await signIn(viaHttp(apis[0].url), 'staff');
    const customer = await signIn(viaHttp(apis[1].url), 'customer');
    const hot = await createProduct(apis[0], staff, 'FLASH-HOT', 100);
    const side = await createProduct(apis[0], staff, 'FLASH-SIDE', 60);
    const extra = await createProduct(apis[0], staff, 'FLASH-EXTRA', 40);
    // An order whose Redis record is gone (its key is only in MySQL): its retry makes its group's INSERT
    // fail on the unique key, and the group is written order by order.
    const existing = await context.query<{ insertId: number }>("INSERT INTO orders (user_id, status, total, idempotency_key) VALUES (?, 'failed', '0.00', 'flash-retry')", [
      customer.userId,
    ]);

    const orders: Line[][] = Array.from({ length: 500 }, (_, i) => {
      if (i % 50 === 7) return [{ productId: hot, quantity: 1 }, { productId: 2_000_000_000, quantity: 1 }]; // no such product
      if (i % 7 === 3) return [{ productId: side, quantity: 1 }, { productId: extra, quantity: 1 }];
      const lines = [{ productId: hot, quantity: 1 + (i % 3) }];
      if (i % 2) lines.push({ productId: side, quantity: 1 + (i % 4 === 1 ? 1 : 0) });
      if (i % 5 === 0) lines.push({ productId: extra, quantity: 2 }, { productId: hot, quantity: 1 });
      return lines;
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 250 });
    const answers = await Promise.all(
      orders.map((items, i) =>
        post(agent, `${apis[i % 2].url}/orders`, { items }, { ...customer.headers, 'idempotency-key': i === 250 ? 'flash-retry' : `flash-${i}` }),
      ),
    );
    agent.destroy();

    // The retried key answers with the order it already made; the orders naming a missing product alone fail.
    expect(answers[250]).toMatchObject({ status: 202, body: { id: existing.insertId } });
    const bad = orders.map((_, i) => i).filter((i) => i % 50 === 7);
    for (const i of bad) expect(answers[i]).toMatchObject({ status: 404, body: { code: 'PRODUCT_NOT_FOUND' } });
    const decided = orders.map((_, i) => i).filter((i) => i !== 250 && i % 50 !== 7);
    expect(decided.filter((i) => ![202, 409].includes(answers[i].status))).toEqual([]);
    const accepted = decided.filter((i) => answers[i].status === 202);
    const refused = decided.filter((i) => answers[i].status === 409);
    expect(accepted.length).toBeGreaterThan(20);
    expect(refused.length).toBeGreaterThan(100);

    // Each accepted order holds exactly its lines, and the ledger reserved exactly them, under its reference.
    const ids = accepted.map((i) => answers[i].body.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    const lines = await context.query<Array<{ order_id: number; product_id: number; quantity: number }>>(
      'SELECT order_id, product_id, quantity FROM order_lines WHERE order_id IN (?) ORDER BY order_id, product_id',
      [ids],
    );
    const ledger = await context.query<Array<{ reference: string; product_id: number; reserved_delta: number }>>(
      "SELECT reference, product_id, reserved_delta FROM stock_movements WHERE type = 'reservation' ORDER BY reference, product_id",
    );
    const expected = new Map(accepted.map((i) => [answers[i].body.id as number, merged(orders[i])]));
    for (const [id, want] of expected) {
      expect(lines.filter((row) => row.order_id === id).map((row) => ({ productId: row.product_id, quantity: row.quantity }))).toEqual(want);
      expect(ledger.filter((row) => row.reference === `order-${id}`).map((row) => ({ productId: row.product_id, quantity: row.reserved_delta }))).toEqual(want);
    }
    // Nothing else was reserved: no refused or failed order left a line behind.
    expect(new Set(ledger.map((row) => row.reference))).toEqual(new Set(ids.map((id) => `order-${id}`)));

    // Per product: reserved = what the accepted orders hold = the ledger, never above stock.
    const levels = await context.query<Array<{ id: number; stock: number; reserved: number }>>('SELECT id, stock, reserved FROM products WHERE id IN (?)', [[hot, side, extra]]);
    const available = new Map(levels.map((row) => [row.id, row.stock - row.reserved]));
    for (const row of levels) {
      const held = [...expected.values()].flat().filter((line) => line.productId === row.id).reduce((sum, line) => sum + line.quantity, 0);
      expect({ id: row.id, reserved: row.reserved }).toEqual({ id: row.id, reserved: held });
      expect(row.reserved).toBeLessThanOrEqual(row.stock);
    }
    // Every refused order truly did not fit: a line it named is still short now (stock only went down meanwhile).
    for (const i of refused) {
      const short = answers[i].body.details.lines as Array<{ productId: number; requested: number; available: number }>;
      expect(short.length).toBeGreaterThan(0);
      expect(short.some((line) => (available.get(line.productId) as number) < line.requested)).toBe(true);
    }

    // Orders were written in groups, not one transaction each.
    const groups = (await Promise.all(apis.map((api) => metric(api, 'stockroom_intake_group_size_count{intake="order"}')))).reduce((a, b) => a + b, 0);
    expect(groups).toBeGreaterThan(0);
    expect(groups).toBeLessThan(decided.length);
  });
});

describe('Flash sale: an API process killed (SIGKILL) while a group is open loses no accepted order', () => {
  let context: TestContext;
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    context = await TestContext.create();
  });

  afterEach(async () => {
    api?.child.kill('SIGKILL');
    await api?.exited;
    api = undefined;
  });

  afterAll(async () => {
    await context?.dispose();
  });

  async function setUp(env: Record<string, string>) {
    api = await startApiProcess(context.env(env));
    const staff = await signIn(viaHttp(api.url), 'staff');
    const customer = await signIn(viaHttp(api.url), 'customer');
    const product = await createProduct(api, staff, `KILL-${Date.now()}`, 1_000);
    return { api, customer, product };
  }

  /** Every 202 is a committed order with its reservation; reserved = the ledger; nothing else was written. */
  async function expectOnlyAnswered(product: number, answered: number[]) {
    const orders = await context.query<Array<{ id: number }>>('SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.product_id = ? ORDER BY o.id', [product]);
    expect(orders.map((row) => row.id)).toEqual([...answered].sort((a, b) => a - b));
    const [row] = await context.query<Array<{ reserved: number; ledger: string | null }>>(
      "SELECT p.reserved, (SELECT SUM(reserved_delta) FROM stock_movements m WHERE m.product_id = p.id AND m.type = 'reservation') AS ledger FROM products p WHERE p.id = ?",
      [product],
    );
    expect(row.reserved).toBe(answered.length);
    expect(Number(row.ledger ?? 0)).toBe(answered.length);
  }

  it('while the group gathers: the orders answered before are all there, the ones waiting left nothing behind', async () => {
    const { api: process, customer, product } = await setUp({ INTAKE_WINDOW_MS: '1000', INTAKE_MAX_BATCH: '1000' });
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const buy = () => post(agent, `${process.url}/orders`, { items: [{ productId: product, quantity: 1 }] }, customer.headers);
    const first = await Promise.all(Array.from({ length: 5 }, buy));
    expect(first.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    const waiting = Array.from({ length: 20 }, buy);
    for (let started = Date.now(); (await metric(process, 'stockroom_intake_waiting{intake="order"}')) < 20; await sleep(20)) {
      if (Date.now() - started > 60_000) throw new Error('the orders never gathered');
    }
    process.child.kill('SIGKILL');
    expect((await Promise.all(waiting)).map((answer) => answer.status)).toEqual(Array(20).fill(0));
    agent.destroy();
    await expectOnlyAnswered(product, first.map((answer) => answer.body.id as number));
  });

  it('while the group\'s transaction is open: none of its orders was answered, and none was committed', async () => {
    const { api: process, customer, product } = await setUp({});
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const buy = () => post(agent, `${process.url}/orders`, { items: [{ productId: product, quantity: 1 }] }, customer.headers);
    const first = await Promise.all(Array.from({ length: 5 }, buy));
    expect(first.map((answer) => answer.status)).toEqual(Array(5).fill(202));
    // Hold the product's row: the next group's transaction opens and waits for it.
    const holder = await createConnection({ host: serviceEnv.DB_HOST, port: Number(serviceEnv.DB_PORT), user: serviceEnv.DB_USER, password: serviceEnv.DB_PASSWORD, database: context.dbName });
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [product]);
      const blocked = Array.from({ length: 20 }, buy);
      const holderId = holder.threadId;
      for (let started = Date.now(); (await connectionsTo(context, holderId, '%FOR UPDATE')) === 0; await sleep(20)) {
        if (Date.now() - started > 60_000) throw new Error('the group never reached the row lock');
      }
      process.child.kill('SIGKILL');
      expect((await Promise.all(blocked)).map((answer) => answer.status)).toEqual(Array(20).fill(0));
      await holder.query('ROLLBACK');
      // The dead process's transactions are rolled back as MySQL finds its connections gone.
      for (let started = Date.now(); (await connectionsTo(context, holderId)) > 0; await sleep(50)) {
        if (Date.now() - started > 60_000) throw new Error('the killed process\'s connections are still open');
      }
    } finally {
      await holder.end();
    }
    agent.destroy();
    await expectOnlyAnswered(product, first.map((answer) => answer.body.id as number));
  });
});
