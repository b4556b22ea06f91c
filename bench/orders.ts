/**
 * `npm run bench:orders`:
 * 1. Order intake (POST /orders → 202) by group commit (INTAKE_MODE=batched, the default) and one
 *    transaction per order (per-order), one API process per mode side by side with their figures
 *    alternating (fresh processes each round), all orders on one hot product and spread over 1,000
 *    products, against a bare Fastify server answering the same 202
 *    (the HTTP ceiling). The API runs no worker here: intake is what is measured. After each
 *    figure: reserved grew by exactly the 202s, and every product's row equals its ledger.
 * 2. A sell-out in each mode: 5,000 units of one product, 50 buyers until every one is refused:
 *    exactly 5,000 accepted, none oversold.
 * 3. End to end, pending → confirmed, with one and with two worker processes: orders are placed at
 *    a fixed rate and each one's latency is `updated_at - created_at` in MySQL (millisecond
 *    columns, one clock), so polling adds nothing.
 */
import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import Redis from 'ioredis';
import { Queue } from 'bullmq';
import { ORDERS_QUEUE } from '@stockroom/orders';
import { BENCH_ENV, benchSession, buildAndSeed, Figure, measure, percentile, saveReport, startApi, startBareFastify, startProcess, stop, table } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_ORDER_RATE ?? 200);
const PRODUCTS = 1_000;
const CUSTOMER = { email: 'bench-customer@example.test', password: 'bench customer passphrase' };

async function sql<T = unknown>(statement: string, params: unknown[] = []): Promise<T> {
  const connection = await createConnection({ host: '127.0.0.1', user: 'root', database: BENCH_ENV.DB_NAME });
  try {
    return (await connection.query(statement, params))[0] as T;
  } finally {
    await connection.end();
  }
}

function startWorker(env: Record<string, string>): ChildProcess {
  return startProcess([join('dist', 'apps', 'worker', 'main.js')], { ...BENCH_ENV, ...env });
}

/** Until `count` worker processes take jobs (their boot is not part of the latency). */
async function workersReady(count: number): Promise<void> {
  const connection = new Redis({ maxRetriesPerRequest: null });
  const queue = new Queue(ORDERS_QUEUE, { connection, prefix: `{${BENCH_ENV.REDIS_KEY_PREFIX}:bull}` });
  try {
    for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 200))) {
      if ((await queue.getWorkersCount()) >= count) return;
    }
    throw new Error('workers did not start');
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function waitForNoPending(boundMs = 300_000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < boundMs; await new Promise((r) => setTimeout(r, 250))) {
    const [row] = await sql<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM orders WHERE status = 'pending'");
    if (Number(row.n) === 0) return;
  }
  throw new Error('orders still pending');
}

/** Places `RATE` orders a second for DURATION seconds; returns pending → confirmed latencies of those orders. */
async function endToEnd(workers: number, round: number, apiUrl: string, headers: Record<string, string>): Promise<string> {
  const children = Array.from({ length: workers }, () => startWorker({ WORKER_CONCURRENCY: '10' }));
  await workersReady(workers);
  await new Promise((r) => setTimeout(r, 500));
  const ids: number[] = [];
  let refused = 0;
  const total = RATE * DURATION;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ productId: (i % PRODUCTS) + 1, quantity: 1 }] }),
      }).then(async (response) => {
        if (response.status === 202) ids.push(((await response.json()) as { id: number }).id);
        else refused++;
      }),
    );
  }
  await Promise.all(inFlight);
  await waitForNoPending();
  const rows = await sql<Array<{ ms: string; status: string }>>(
    'SELECT TIMESTAMPDIFF(MICROSECOND, created_at, updated_at) / 1000 AS ms, status FROM orders WHERE id IN (?)',
    [ids],
  );
  await Promise.all(children.map(stop));
  const latencies = rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
  const confirmed = rows.filter((row) => row.status === 'confirmed').length;
  return `| pending → confirmed, ${workers} worker${workers > 1 ? 's' : ''} (concurrency 10 each) | ${round} | ${RATE}/s offered | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} | ${confirmed}/${ids.length} confirmed, ${refused} refused |`;
}

const MODES = ['per-order', 'batched'] as const;
type Mode = (typeof MODES)[number];

/** Reserved units per product against the ledger's: the rows that differ (none, unless something oversold or lost a movement). */
async function ledgerMismatches(): Promise<number> {
  const [row] = await sql<Array<{ n: number }>>(
    `SELECT COUNT(*) AS n FROM products p LEFT JOIN (SELECT product_id, SUM(stock_delta) AS s, SUM(reserved_delta) AS r FROM stock_movements GROUP BY product_id) m ON m.product_id = p.id
     WHERE p.reserved > p.stock OR COALESCE(m.s, 0) <> p.stock OR COALESCE(m.r, 0) <> p.reserved`,
  );
  return Number(row.n);
}

async function reservedOf(productId: number): Promise<number> {
  return Number((await sql<Array<{ reserved: number }>>('SELECT reserved FROM products WHERE id = ?', [productId]))[0].reserved);
}

/** Units of the product held by pending orders (no worker runs during intake: every order is pending). */
async function heldByOrders(productId: number): Promise<number> {
  const [row] = await sql<Array<{ n: string | null }>>("SELECT SUM(l.quantity) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status = 'pending' AND l.product_id = ?", [productId]);
  return Number(row.n ?? 0);
}

/**
 * One intake figure, checked: the hot product's reserved units grew by what its new orders hold,
 * which is the 202s autocannon counted plus at most the requests in flight when it stopped; every
 * product's row equals its ledger.
 */
async function intakeFigure(name: string, round: number, url: string, body: () => string, headers: Record<string, string>, checks: string[]): Promise<Figure> {
  const [reserved, held] = [await reservedOf(1), await heldByOrders(1)];
  const figure = await measure(name, round, url, () => '/orders', { connections: CONNECTIONS, duration: DURATION, method: 'POST', body, headers });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const [grown, ordered] = [(await reservedOf(1)) - reserved, (await heldByOrders(1)) - held];
  const mismatches = await ledgerMismatches();
  const hot = name.includes('hot');
  checks.push(`| ${name} | ${round} | ${figure.ok} | ${hot ? ordered : '-'} | ${hot ? grown : '-'} | ${mismatches} |`);
  // A request that got no answer (a timeout, a reset) or another status may have committed too: the client cannot know.
  const unknown = CONNECTIONS + figure.errors + figure.non2xx;
  if (mismatches > 0 || grown !== ordered || (hot && (grown < (figure.ok ?? 0) || grown > (figure.ok ?? 0) + unknown))) {
    throw new Error(`${name}: stock does not match what was accepted (${figure.ok} answered, ${figure.non2xx} other statuses, ${figure.errors} errors or timeouts, ${ordered} ordered, ${grown} reserved, ${mismatches} rows ≠ ledger)`);
  }
  return figure;
}

/** 50 buyers of one unit each until `units` are sold out: every 202 is a unit, never one more. */
async function sellOut(mode: Mode, url: string, headers: Record<string, string>, units: number): Promise<string> {
  const { insertId: id } = await sql<{ insertId: number }>("INSERT INTO products (sku, name, description, price, stock) VALUES (?, 'Sell-out', '', '1.00', ?)", [`BENCH-SELLOUT-${mode}`, units]);
  await sql("INSERT INTO stock_movements (product_id, type, stock_delta, reserved_delta, reason) VALUES (?, 'adjustment', ?, 0, 'bench sell-out')", [id, units]);
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (;;) {
        const response = await fetch(`${url}/orders`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ productId: id, quantity: 1 }] }) });
        await response.arrayBuffer();
        if (response.status === 202) accepted++;
        else if (response.status === 409) {
          refused++;
          return;
        } else throw new Error(`sell-out: ${response.status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const [row] = await sql<Array<{ stock: number; reserved: number }>>('SELECT stock, reserved FROM products WHERE id = ?', [id]);
  const mismatches = await ledgerMismatches();
  if (accepted !== units || row.reserved !== row.stock || mismatches > 0) throw new Error(`sell-out (${mode}): ${accepted} accepted of ${units}, ${row.reserved}/${row.stock}, ${mismatches} mismatches`);
  return `| ${mode} | ${units} | ${accepted} | ${row.stock - row.reserved} | ${mismatches} | ${(units / seconds).toFixed(0)} |`;
}

async function main(): Promise<void> {
  // A database of its own, new each run: the checks compare every row with its ledger.
  const server = await createConnection({ host: '127.0.0.1', user: 'root' });
  await server.query(`DROP DATABASE IF EXISTS \`${BENCH_ENV.DB_NAME}\``);
  await server.end();
  // …and no queue left from another run (a bench tool may use KEYS; the service never does).
  const redis = new Redis();
  for (const pattern of [`${BENCH_ENV.REDIS_KEY_PREFIX}:*`, `{${BENCH_ENV.REDIS_KEY_PREFIX}:*`]) {
    const keys = await redis.keys(pattern);
    // In chunks: a queue left by a long run holds more keys than one call's arguments can spread.
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  }
  redis.disconnect();
  buildAndSeed(PRODUCTS);
  // Enough stock that no order is refused: the figure is intake, not INSUFFICIENT_STOCK answers.
  // (Through the ledger, so that every row equals its ledger and the checks can say so.)
  await sql("INSERT INTO stock_movements (product_id, type, stock_delta, reserved_delta, reason) SELECT id, 'adjustment', 100000000 - stock, 0, 'bench stock' FROM products WHERE id <= ?", [PRODUCTS]);
  await sql('UPDATE products SET stock = 100000000 WHERE id <= ?', [PRODUCTS]);
  const bare = await startBareFastify(3302, '{}');
  const figures: Figure[] = [];
  const checks = ['| figure | round | 202s | units ordered | reserved grew by | rows ≠ ledger |', '| --- | --- | --- | --- | --- | --- |'];
  const sellOuts = ['| mode | units | accepted | left | rows ≠ ledger | units/s |', '| --- | --- | --- | --- | --- | --- |'];
  const latencies: string[] = [];
  let product = 0;
  const hot = () => JSON.stringify({ items: [{ productId: 1, quantity: 1 }] });
  const spread = () => JSON.stringify({ items: [{ productId: (product++ % PRODUCTS) + 1, quantity: 1 }] });
  let headers: Record<string, string> = {};
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (202, same shape)', round, bare.url, () => '/orders', { connections: CONNECTIONS, duration: DURATION, method: 'POST', body: hot }));
      // Both modes' APIs run side by side (the idle one costs next to nothing) and their figures
      // alternate seconds apart: this machine's speed drifts by up to 1.5x from one round to the next.
      const order = round % 2 ? MODES : [...MODES].reverse();
      const apis = new Map<Mode, { child: ChildProcess; url: string }>();
      try {
        for (const [i, mode] of order.entries()) apis.set(mode, await startApi(3301 + 2 * i, { WORKER_INLINE: 'false', INTAKE_MODE: mode }));
        const url = (mode: Mode) => (apis.get(mode) as { url: string }).url;
        headers = await benchSession(url(order[0]), CUSTOMER, { register: true });
        for (const mode of order) await measure('warm-up', 0, url(mode), () => '/orders', { connections: CONNECTIONS, duration: 3, method: 'POST', body: spread, headers });
        // The warm-up's requests in flight at its end (some on product 1) commit before the first figure's count starts.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        for (const [kind, body] of [['one hot product', hot], [`across ${PRODUCTS} products`, spread]] as const) {
          for (const mode of order) figures.push(await intakeFigure(`POST /orders, ${kind} (${mode})`, round, url(mode), body, headers, checks));
        }
        if (round === 1) for (const mode of order) sellOuts.push(await sellOut(mode, url(mode), headers, 5_000));
      } finally {
        await Promise.all([...apis.values()].map((api) => stop(api.child)));
      }
    }
    // The intake left a backlog: workers drain it before end-to-end latency is timed.
    const api = await startApi(3301, { WORKER_INLINE: 'false' });
    try {
      const drain = [startWorker({ WORKER_CONCURRENCY: '20' }), startWorker({ WORKER_CONCURRENCY: '20' })];
      await waitForNoPending(1_800_000);
      await Promise.all(drain.map(stop));
      for (const workers of [1, 2]) latencies.push(await endToEnd(workers, 1, api.url, headers));
    } finally {
      await stop(api.child);
    }
  } finally {
    await stop(bare.child);
  }
  const ratios = ['| figure | round | batched / per-order req/s | p99 per-order → batched ms |', '| --- | --- | --- | --- |'];
  for (const figure of figures.filter((f) => f.name.endsWith('(batched)'))) {
    const perOrder = figures.find((f) => f.round === figure.round && f.name === figure.name.replace('(batched)', '(per-order)'));
    if (perOrder) ratios.push(`| ${figure.name.replace(' (batched)', '')} | ${figure.round} | ${(figure.requestsPerSec / perOrder.requestsPerSec).toFixed(2)} | ${perOrder.p99} → ${figure.p99} |`);
  }
  saveReport('orders', ['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'bullmq', 'autocannon'], [
    `intake: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, one customer session, throttler off, no worker in the API process; one API per INTAKE_MODE side by side, figures alternating (order reversed every other round), other settings default`,
    '',
    table(figures, 'bare fastify (202, same shape)'),
    '',
    ratios.join('\n'),
    '',
    'checks after each figure (hot: units its new orders hold = growth of its reserved units, between the 202s and the 202s plus the requests in flight at the end; every product: row = ledger, reserved <= stock):',
    '',
    checks.join('\n'),
    '',
    `sell-out: one product with 5,000 units, ${CONNECTIONS} buyers of one unit each until each is refused`,
    '',
    sellOuts.join('\n'),
    '',
    `end to end (batched intake): ${RATE} orders/s for ${DURATION}s, one line each, spread over ${PRODUCTS} products; latency = updated_at - created_at`,
    '',
    '| path | round | load | p50 ms | p99 ms | outcome |',
    '| --- | --- | --- | --- | --- | --- |',
    ...latencies,
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
