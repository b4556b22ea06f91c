/**
 * `npm run bench:cache`: GET /products/:id served from L1, from Redis, and with no cache, against
 * a bare Fastify server returning the same JSON; then the L1 propagation delay between two API
 * processes (a PATCH on one, polling the other until it shows the change).
 */
import { buildAndSeed, Figure, measure, saveReport, startApi, startBaseline, stop, table } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

const MODES: Array<[string, Record<string, string>]> = [
  ['GET /products/:id, L1 hit', { CACHE_L1_MAX_ITEMS: '20000' }],
  ['GET /products/:id, Redis hit (L1 off)', { CACHE_L1_MAX_ITEMS: '0' }],
  ['GET /products/:id, no cache (MySQL)', { CACHE_ENABLED: 'false' }],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function propagation(): Promise<string> {
  const [a, b] = await Promise.all([startApi(3311, { CACHE_L1_MAX_ITEMS: '20000' }), startApi(3312, { CACHE_L1_MAX_ITEMS: '20000' })]);
  const delays: number[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const id = 1 + (i % 50);
      await fetch(`${b.url}/products/${id}`);
      await fetch(`${b.url}/products/${id}`);
      const name = `propagation ${Date.now()} ${i}`;
      await fetch(`${a.url}/products/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      const started = performance.now();
      for (;;) {
        const body = (await (await fetch(`${b.url}/products/${id}`)).json()) as { name: string };
        if (body.name === name) break;
        if (performance.now() - started > 5_000) throw new Error('no convergence within 5 s');
      }
      delays.push(performance.now() - started);
    }
  } finally {
    await Promise.all([stop(a.child), stop(b.child)]);
  }
  const sorted = delays.sort((x, y) => x - y);
  return `L1 propagation (PATCH answered on A → B serves the new version), 100 updates: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (includes one HTTP round trip to B per poll)`;
}

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const load = { connections: CONNECTIONS, duration: DURATION };
  const figures: Figure[] = [];
  const bare = await startBaseline(3301, 3302);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      for (const [name, env] of MODES) {
        const api = await startApi(3301, env);
        try {
          // Warm every product into the cache level under test before measuring.
          await measure('warm-up', 0, api.url, nextProduct, { connections: CONNECTIONS, duration: 3 });
          figures.push(await measure(name, round, api.url, nextProduct, load));
        } finally {
          await stop(api.child);
        }
      }
    }
  } finally {
    await stop(bare.child);
  }
  const delay = await propagation();
  saveReport('cache-http', ['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'lru-cache', 'autocannon'], [
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products (3 s warm-up per mode)`,
    '',
    table(figures, 'bare fastify (same JSON)'),
    '',
    delay,
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
