/**
 * `npm run bench:failover`: a local Redis Cluster of 3 primaries with a replica each; the API (with
 * its worker inline) under a load of reads and orders; after 8 s the primary holding the queue's
 * slot (the hottest keys: every order touches them) is killed with SIGKILL. Records what clients saw
 * (statuses per second, the outage window) and then checks in MySQL that no accepted order was
 * lost or applied twice and that the ledger matches the stock.
 */
import { createConnection } from 'mysql2/promise';
import { BENCH_ENV, benchSession, buildAndSeed, saveReport, startApi, stop } from './support';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedisCluster } = require('../tools/redis-cluster') as {
  startRedisCluster(ports: number[], options: { replicas: number }): Promise<{ nodes: string; servers: Map<number, { kill(signal: string): void }>; stop(): void; cli(...args: string[]): { stdout: string } }>;
};

const PORTS = [7300, 7301, 7302, 7303, 7304, 7305];
const PRODUCTS = 1_000;
const RUN_MS = 30_000;
const KILL_AT_MS = 8_000;
const CUSTOMER = { email: 'bench-failover@example.test', password: 'bench customer passphrase' };

interface Sample {
  at: number;
  kind: 'read' | 'order';
  status: number;
}

async function main(): Promise<void> {
  // A database of its own, fresh each run, so the ledger check covers only this run.
  const server = await createConnection({ host: '127.0.0.1', user: 'root' });
  await server.query(`DROP DATABASE IF EXISTS \`${BENCH_ENV.DB_NAME}\``);
  await server.end();
  buildAndSeed(PRODUCTS);
  const sql = await createConnection({ host: '127.0.0.1', user: 'root', database: BENCH_ENV.DB_NAME });
  const cluster = await startRedisCluster(PORTS, { replicas: 1 });
  const api = await startApi(3301, {
    REDIS_CLUSTER_NODES: cluster.nodes,
    WORKER_INLINE: 'true',
    CACHE_L1_MAX_ITEMS: '0',
    ORDER_SWEEP_INTERVAL_MS: '1000',
    ORDER_ENQUEUE_GRACE_MS: '2000',
    WORKER_LOCK_MS: '3000',
    ORDER_JOB_BACKOFF_MS: '200',
  });
  const samples: Sample[] = [];
  const accepted: number[] = [];
  let killedAt = 0;
  let victim = 0;
  try {
    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const headers = await benchSession(api.url, CUSTOMER, { register: true });

    // The primary that owns the queue's hash slot.
    const slot = Number(cluster.cli('-p', String(PORTS[0]), 'cluster', 'keyslot', `{${BENCH_ENV.REDIS_KEY_PREFIX}:bull}`).stdout.trim());
    for (const line of cluster.cli('-p', String(PORTS[0]), 'cluster', 'nodes').stdout.trim().split('\n')) {
      const [, address, flags, , , , , , ...ranges] = line.split(' ');
      if (!flags.includes('master')) continue;
      if (ranges.some((range) => { const [from, to = from] = range.split('-').map(Number); return slot >= from && slot <= to; })) victim = Number(address.split(':')[1].split('@')[0]);
    }

    const started = Date.now();
    const until = started + RUN_MS;
    setTimeout(() => {
      killedAt = Date.now() - started;
      cluster.servers.get(victim)?.kill('SIGKILL');
    }, KILL_AT_MS);
    let next = 0;
    const reader = async () => {
      while (Date.now() < until) {
        const response = await fetch(`${api.url}/products/${(next++ % PRODUCTS) + 1}`).catch(() => undefined);
        samples.push({ at: Date.now() - started, kind: 'read', status: response?.status ?? 0 });
        await response?.arrayBuffer();
      }
    };
    const buyer = async () => {
      while (Date.now() < until) {
        const response = await post('/orders', { items: [{ productId: (next++ % PRODUCTS) + 1, quantity: 1 }] }, headers).catch(() => undefined);
        samples.push({ at: Date.now() - started, kind: 'order', status: response?.status ?? 0 });
        if (response?.status === 202) accepted.push(((await response.json()) as { id: number }).id);
        else await response?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all([...Array.from({ length: 16 }, reader), ...Array.from({ length: 4 }, buyer)]);

    // Every accepted order must end confirmed, once.
    const deadline = Date.now() + 120_000;
    let pending = accepted.length;
    while (pending > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      const [rows] = await sql.query("SELECT COUNT(*) AS n FROM orders WHERE id IN (?) AND status = 'pending'", [accepted]);
      pending = Number((rows as Array<{ n: number }>)[0].n);
    }
    const [statuses] = await sql.query('SELECT status, COUNT(*) AS n FROM orders WHERE id IN (?) GROUP BY status', [accepted]);
    const [twice] = await sql.query(
      "SELECT COUNT(*) AS n FROM (SELECT reference FROM stock_movements WHERE type = 'sale' AND reference IN (?) GROUP BY reference, product_id HAVING COUNT(*) > 1) AS d",
      [accepted.map((id) => `order-${id}`)],
    );
    const [sales] = await sql.query("SELECT COUNT(*) AS n FROM stock_movements WHERE type = 'sale' AND reference IN (?)", [accepted.map((id) => `order-${id}`)]);
    const [latency] = await sql.query(
      'SELECT MAX(TIMESTAMPDIFF(MICROSECOND, created_at, updated_at)) / 1000 AS max, SUM(TIMESTAMPDIFF(MICROSECOND, created_at, updated_at) > 1000000) AS slow FROM orders WHERE id IN (?)',
      [accepted],
    );
    const [mismatch] = await sql.query(
      'SELECT COUNT(*) AS n FROM products p LEFT JOIN (SELECT product_id, SUM(stock_delta) AS s, SUM(reserved_delta) AS r FROM stock_movements GROUP BY product_id) m ON m.product_id = p.id WHERE p.stock <> COALESCE(m.s, 0) OR p.reserved <> COALESCE(m.r, 0)',
    );

    // 409 INSUFFICIENT_STOCK is an answer (a product sold out), not a failure.
    const bad = (kind: Sample['kind']) => samples.filter((s) => s.kind === kind && ![200, 202, 409].includes(s.status));
    const window = (kind: Sample['kind']) => {
      const failures = bad(kind).filter((s) => s.at >= killedAt);
      return failures.length === 0 ? 'none' : `${failures[0].at - killedAt}–${failures[failures.length - 1].at - killedAt} ms after the kill`;
    };
    const byStatus = (kind: Sample['kind']) =>
      Object.entries(samples.filter((s) => s.kind === kind).reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {}))
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ');
    saveReport('failover', ['@nestjs/core', 'ioredis', 'bullmq', 'mysql2'], [
      `cluster: 3 primaries + 3 replicas (cluster-node-timeout 2000 ms); killed the primary on port ${victim} (owner of the queue's slot ${slot}) at ${killedAt} ms of ${RUN_MS} ms`,
      `load: 16 readers (GET /products/:id, L1 off) and 4 buyers (POST /orders, one customer) in closed loops`,
      '',
      '| traffic | answers by status | failures after the kill |',
      '| --- | --- | --- |',
      `| reads | ${byStatus('read')} | ${window('read')} |`,
      `| orders | ${byStatus('order')} | ${window('order')} |`,
      '',
      `pending → confirmed: slowest ${(latency as Array<{ max: string }>)[0].max} ms; ${(latency as Array<{ slow: string }>)[0].slow} orders over 1 s`,
      `accepted orders: ${accepted.length}; after the run: ${JSON.stringify(statuses)}; sale rows ${(sales as Array<{ n: number }>)[0].n}; orders sold twice ${(twice as Array<{ n: number }>)[0].n}; products whose ledger disagrees with stock ${(mismatch as Array<{ n: number }>)[0].n}`,
    ]);
  } finally {
    await stop(api.child);
    cluster.stop();
    await sql.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
