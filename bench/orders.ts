/**
 * `npm run bench:orders`:
 * 1. Order intake (POST /orders → 202), all orders on one hot product and spread over 1,000
 *    products, against a bare Fastify server answering the same 202 (the HTTP ceiling). The API
 *    runs no worker here: intake is what is measured.
 * 2. End to end, pending → confirmed, with one and with two worker processes: orders are placed at
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

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  // Enough stock that no order is refused: the figure is intake, not INSUFFICIENT_STOCK answers.
  await sql('UPDATE products SET stock = 100000000 WHERE id <= ?', [PRODUCTS]);
  const bare = await startBareFastify(3302, '{}');
  const figures: Figure[] = [];
  const latencies: string[] = [];
  const load = { connections: CONNECTIONS, duration: DURATION, method: 'POST' as const };
  let product = 0;
  const hot = () => JSON.stringify({ items: [{ productId: 1, quantity: 1 }] });
  const spread = () => JSON.stringify({ items: [{ productId: (product++ % PRODUCTS) + 1, quantity: 1 }] });
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (202, same shape)', round, bare.url, () => '/orders', { ...load, body: hot }));
      const api = await startApi(3301, { WORKER_INLINE: 'false' });
      try {
        const headers = await benchSession(api.url, CUSTOMER, { register: true });
        await measure('warm-up', 0, api.url, () => '/orders', { ...load, duration: 3, body: spread, headers });
        figures.push(await measure('POST /orders, one hot product', round, api.url, () => '/orders', { ...load, body: hot, headers }));
        figures.push(await measure(`POST /orders, across ${PRODUCTS} products`, round, api.url, () => '/orders', { ...load, body: spread, headers }));
        // The intake left a backlog: let workers drain it before timing end-to-end latency.
        const drain = [startWorker({ WORKER_CONCURRENCY: '20' }), startWorker({ WORKER_CONCURRENCY: '20' })];
        await waitForNoPending();
        await Promise.all(drain.map(stop));
        for (const workers of round % 2 ? [1, 2] : [2, 1]) latencies.push(await endToEnd(workers, round, api.url, headers));
      } finally {
        await stop(api.child);
      }
    }
  } finally {
    await stop(bare.child);
  }
  saveReport('orders', ['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'bullmq', 'autocannon'], [
    `intake: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, one customer session, throttler off, no worker in the API process`,
    '',
    table(figures, 'bare fastify (202, same shape)'),
    '',
    `end to end: ${RATE} orders/s for ${DURATION}s, one line each, spread over ${PRODUCTS} products; latency = updated_at - created_at`,
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
