/**
 * `npm run bench:scale`: cached GET /products/:id (Redis hits: L1 off, so the topology is what
 * differs) and order intake, against one Redis and against a local 3-master Redis Cluster; then
 * one API instance against two (two load generators at once, half the connections each). A bare
 * Fastify server returning the same JSON is the ceiling, measured in the same run.
 */
import { ChildProcess } from 'node:child_process';
import { createConnection } from 'mysql2/promise';
import { BENCH_ENV, benchSession, buildAndSeed, Figure, measure, saveReport, startApi, startBaseline, stop, table } from './support';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedisCluster } = require('../tools/redis-cluster') as { startRedisCluster(ports: number[]): Promise<{ nodes: string; stop(): void }> };

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 1_000;
const CUSTOMER = { email: 'bench-customer@example.test', password: 'bench customer passphrase' };

/** Runs the same load on every instance at once (connections split) and adds the figures up. */
async function measureAll(name: string, round: number, urls: string[], path: () => string, options: Parameters<typeof measure>[4]): Promise<Figure> {
  const parts = await Promise.all(urls.map((url) => measure(name, round, url, path, { ...options, connections: Math.ceil(options.connections / urls.length) })));
  return {
    name,
    round,
    requestsPerSec: parts.reduce((sum, part) => sum + part.requestsPerSec, 0),
    p50: Math.max(...parts.map((part) => part.p50)),
    p99: Math.max(...parts.map((part) => part.p99)),
    non2xx: parts.reduce((sum, part) => sum + part.non2xx, 0),
    errors: parts.reduce((sum, part) => sum + part.errors, 0),
  };
}

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  const sql = await createConnection({ host: '127.0.0.1', user: 'root', database: BENCH_ENV.DB_NAME });
  await sql.query('UPDATE products SET stock = 100000000 WHERE id <= ?', [PRODUCTS]);
  await sql.end();
  const cluster = await startRedisCluster([7200, 7201, 7202]);
  const bare = await startBaseline(3301, 3302);
  const figures: Figure[] = [];
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const order = () => JSON.stringify({ items: [{ productId: (id++ % PRODUCTS) + 1, quantity: 1 }] });
  const load = { connections: CONNECTIONS, duration: DURATION };
  const setups: Array<[string, Record<string, string>, number]> = [
    ['one Redis, 1 API', {}, 1],
    ['3-master cluster, 1 API', { REDIS_CLUSTER_NODES: cluster.nodes }, 1],
    ['one Redis, 2 APIs', {}, 2],
  ];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      for (const [label, env, instances] of round % 2 ? setups : [...setups].reverse()) {
        const apis: Array<{ child: ChildProcess; url: string }> = [];
        try {
          for (let i = 0; i < instances; i++) apis.push(await startApi(3303 + i * 2, { CACHE_L1_MAX_ITEMS: '0', WORKER_INLINE: 'false', ...env }));
          const urls = apis.map((api) => api.url);
          const headers = await benchSession(urls[0], CUSTOMER, { register: true });
          await measureAll('warm-up', 0, urls, nextProduct, { ...load, duration: 3 });
          figures.push(await measureAll(`GET /products/:id (Redis hit), ${label}`, round, urls, nextProduct, load));
          figures.push(await measureAll(`POST /orders, ${label}`, round, urls, () => '/orders', { ...load, method: 'POST', body: order, headers }));
        } finally {
          await Promise.all(apis.map((api) => stop(api.child)));
        }
      }
    }
  } finally {
    await stop(bare.child);
    cluster.stop();
  }
  saveReport('scale', ['@nestjs/core', 'fastify', 'ioredis', 'bullmq', 'mysql2', 'autocannon'], [
    `load: autocannon, ${CONNECTIONS} connections in all (split over the instances), ${DURATION}s per figure, L1 off, throttler off, no worker`,
    '',
    table(figures, 'bare fastify (same JSON)'),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
