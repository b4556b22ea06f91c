/**
 * `npm run bench:views`: the cost of counting views on GET /products/:id (L1 hits, so the
 * counting is most of what differs): counters on against off, with the bare Fastify baseline.
 */
import { buildAndSeed, Figure, machine, measure, saveReport, startApi, startBaseline, stop, table, versions } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const load = { connections: CONNECTIONS, duration: DURATION };
  const bare = await startBaseline(3301, 3302);
  const figures: Figure[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      for (const [name, enabled] of [
        ['GET /products/:id, L1 hit, views counted', 'true'],
        ['GET /products/:id, L1 hit, counters off', 'false'],
      ] as const) {
        const api = await startApi(3301, { CACHE_L1_MAX_ITEMS: '20000', STATS_ENABLED: enabled });
        try {
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
  saveReport(
    'views',
    [
      `machine: ${machine()}`,
      `versions: ${versions(['@nestjs/core', 'fastify', 'ioredis', 'autocannon'])}`,
      `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products`,
      '',
      table(figures, 'bare fastify (same JSON)'),
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
