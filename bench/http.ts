/**
 * `npm run bench:http`: GET /products/:id on the real API with the cache off (every read goes to
 * MySQL) against a bare Fastify server returning the same JSON, alternating rounds in one run.
 * Servers run in their own processes; autocannon runs here.
 */
import { buildAndSeed, Figure, measure, saveReport, startApi, startBareFastify, stop, table } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  const api = await startApi(3301, { CACHE_ENABLED: 'false' });
  const bare = await startBareFastify(3302, await (await fetch(`${api.url}/products/42`)).text());
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const load = { connections: CONNECTIONS, duration: DURATION };
  const figures: Figure[] = [];
  try {
    for (const url of [bare.url, api.url]) await measure('warm-up', 0, url, nextProduct, { ...load, duration: 2 });
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      figures.push(await measure('GET /products/:id (MySQL, no cache)', round, api.url, nextProduct, load));
    }
  } finally {
    await Promise.all([stop(api.child), stop(bare.child)]);
  }
  saveReport('http', ['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'autocannon'], [
      `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products`,
      '',
      table(figures, 'bare fastify (same JSON)'),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
