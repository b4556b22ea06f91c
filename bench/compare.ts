/**
 * GET /products/:id on the real API in several configurations against a bare Fastify server
 * returning the same JSON, alternating in one run; each configuration gets a fresh process and a
 * 3 s warm-up over all products. Servers run in their own processes; autocannon runs here.
 * - `npm run bench:http`: no cache (every read from MySQL)
 * - `npm run bench:cache`: L1 hit, Redis hit, no cache; then the L1 propagation delay
 * - `npm run bench:views` / `bench:throttle`: view counting / the Redis throttler (a limit no
 *   request reaches), on against off, on L1 hits so the feature is most of what differs
 * - `npm run bench:session`: the same read, throttler on in both, sent with a session (the
 *   throttler's tracker looks it up: one more Redis call, which also slides it; the product goes
 *   on the user's recently viewed list: one MULTI, not awaited) and anonymous (tracked by
 *   address): what a signed-in reader costs; and signed in with 100 sessions in turn (many readers:
 *   no two requests of a turn share a lookup), each figure with its CPU per answer by process
 * Even rounds run the variants in reverse order, so drift on a noisy machine does not favour one.
 */
import { propagation } from './propagation';
import { BENCH_ADMIN, benchSession, buildAndSeed, Figure, measure, saveReport, startApi, startBaseline, stop, table, THROTTLED_ENV } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

/** A label, the API's environment, and whether requests carry the first admin's session (or, with `sessions`, one of that many in turn). */
type Variant = [string, Record<string, string>, { signedIn?: boolean; sessions?: number }?];

/** `count` sessions of the bench admin, signed in four at a time (each sign-in hashes the password). */
async function sessionsOf(url: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, count - tokens.length) }, () => benchSession(url, BENCH_ADMIN)));
    tokens.push(...batch.map((headers) => headers.authorization));
  }
  return tokens;
}

interface Comparison {
  variants: Variant[];
  /** A further measurement reported after the table. */
  extra?: () => Promise<string>;
}

const COMPARISONS: Record<string, Comparison> = {
  http: { variants: [['GET /products/:id (MySQL, no cache)', { CACHE_ENABLED: 'false' }]] },
  cache: {
    variants: [
      ['GET /products/:id, L1 hit', {}],
      ['GET /products/:id, Redis hit (L1 off)', { CACHE_L1_MAX_ITEMS: '0' }],
      ['GET /products/:id, no cache (MySQL)', { CACHE_ENABLED: 'false' }],
    ],
    extra: propagation,
  },
  views: {
    variants: [
      ['GET /products/:id, L1 hit, views counted', { STATS_ENABLED: 'true' }],
      ['GET /products/:id, L1 hit, counters off', { STATS_ENABLED: 'false' }],
    ],
  },
  throttle: {
    variants: [
      ['GET /products/:id, L1 hit, throttled (1 Lua call)', { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '10000000' }],
      ['GET /products/:id, L1 hit, throttler off', { THROTTLE_ENABLED: 'false' }],
    ],
  },
  session: {
    variants: [
      ['GET /products/:id, L1 hit, throttled, signed in (session lookup + recently viewed)', THROTTLED_ENV, { signedIn: true }],
      ['GET /products/:id, L1 hit, throttled, anonymous', THROTTLED_ENV],
      ['GET /products/:id, L1 hit, throttled, signed in, 100 sessions in turn', THROTTLED_ENV, { sessions: 100 }],
    ],
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'http';
  const comparison = COMPARISONS[name];
  if (!comparison) throw new Error(`unknown comparison ${name}; one of ${Object.keys(COMPARISONS).join(', ')}`);
  buildAndSeed(PRODUCTS);
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const load = { connections: CONNECTIONS, duration: DURATION };
  const bare = await startBaseline(3301, 3302);
  const figures: Figure[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bare.url, nextProduct, load));
      const variants = round % 2 === 0 ? [...comparison.variants].reverse() : comparison.variants;
      for (const [label, env, options] of variants) {
        const api = await startApi(3301, { CACHE_L1_MAX_ITEMS: '20000', ...env });
        try {
          const headers = options?.signedIn ? await benchSession(api.url, BENCH_ADMIN) : undefined;
          const tokens = options?.sessions ? await sessionsOf(api.url, options.sessions) : undefined;
          let turn = 0;
          const headersFor = tokens && (() => ({ authorization: tokens[turn++ % tokens.length] }));
          await measure('warm-up', 0, api.url, nextProduct, { connections: CONNECTIONS, duration: 3, headers, headersFor });
          figures.push(await measure(label, round, api.url, nextProduct, { ...load, headers, headersFor, pid: api.child.pid }));
        } finally {
          await stop(api.child);
        }
      }
    }
  } finally {
    await stop(bare.child);
  }
  const extra = comparison.extra ? ['', await comparison.extra()] : [];
  saveReport(name, ['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'lru-cache', 'autocannon'], [
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products (3 s warm-up per configuration)`,
    '',
    table(figures, 'bare fastify (same JSON)'),
    ...extra,
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
