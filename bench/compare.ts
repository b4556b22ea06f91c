/**
 * The cost of one feature on GET /products/:id served from L1 (so the feature is most of what
 * differs), on against off, with the bare Fastify baseline, alternating in one run:
 * `npm run bench:views` (view counting) and `npm run bench:throttle` (the Redis throttler, with a
 * limit no request reaches).
 */
import { buildAndSeed, Figure, measure, saveReport, startApi, startBaseline, stop, table } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

const COMPARISONS: Record<string, Array<[string, Record<string, string>]>> = {
  views: [
    ['GET /products/:id, L1 hit, views counted', { STATS_ENABLED: 'true' }],
    ['GET /products/:id, L1 hit, counters off', { STATS_ENABLED: 'false' }],
  ],
  throttle: [
    ['GET /products/:id, L1 hit, throttled (1 Lua call)', { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '10000000' }],
    ['GET /products/:id, L1 hit, throttler off', { THROTTLE_ENABLED: 'false' }],
  ],
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'views';
  const variants = COMPARISONS[name];
  if (!variants) throw new Error(`unknown comparison ${name}; one of ${Object.keys(COMPARISONS).join(', ')}`);
  buildAndSeed(PRODUCTS);
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const load = { connections: CONNECTIONS, duration: DURATION };
  const bare = await startBaseline(3301, 3302);
  const figures: Figure[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      for (const [label, env] of variants) {
        const api = await startApi(3301, { CACHE_L1_MAX_ITEMS: '20000', ...env });
        try {
          await measure('warm-up', 0, api.url, nextProduct, { connections: CONNECTIONS, duration: 3 });
          figures.push(await measure(label, round, api.url, nextProduct, load));
        } finally {
          await stop(api.child);
        }
      }
    }
  } finally {
    await stop(bare.child);
  }
  saveReport(name, ['@nestjs/core', 'fastify', 'ioredis', 'autocannon'], [
      `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products`,
      '',
      table(figures, 'bare fastify (same JSON)'),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
