/**
 * `npm run bench:read`: the read path against the HTTP ceiling and the default Nest cache, in one
 * run. Every figure gets a fresh process, a full warm-up (each of the 10,000 products once, then
 * 3 s of load) and its measurement.
 * - bare Fastify returning the JSON the API gives for product 42 (the ceiling);
 * - the peer, `../shared/peers/nest-cache-manager` (`@nestjs/cache-manager` + `@keyv/redis`: one
 *   Redis GET per request), built and seeded in `bench/.peer/` (git-ignored) on first use;
 * - Stockroom with production defaults (NODE_ENV=production, security headers, metrics, counters,
 *   access checks): L1 hit, Redis hit (L1 off; and L1 on with a catalogue larger than it), L1 hit with the throttler on (a limit no request
 *   reaches), L1 hit signed in (throttler on: a session lookup and the throttler per request), and
 *   a conditional GET answered 304 from L1.
 * This machine's speed moves by 1.5–2x over minutes, so the bases are measured around every
 * Stockroom figure: a round is bare and the peer, then each Stockroom variant followed by both
 * bases again (their order alternating), and a Stockroom figure's ratio to a base is to the
 * geometric mean of that base's figures just before and just after it, seconds apart. Even rounds
 * take the Stockroom variants in reverse order.
 * Stockroom's throttler is off in the L1 and Redis figures because one load generator on one
 * address would be throttled; its cost has its own figure. The report gives req/s, p50, p99 and
 * the largest RSS of the server process, with those ratios, and the CPU each answer cost the
 * server, Redis, MariaDB and the load generator: on two shared cores their sum sets req/s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Bar, barChartSvg } from './chart';
import { preparePeer, startPeer, warmAll } from './peer';
import { BENCH_ENV, benchSession, buildAndSeed, CPU_HEADING, cpuCell, Figure, machine, measure, ROOT, saveReport, PRODUCTION_ENV, startApi, startBareFastify, stop, THROTTLED_ENV } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;

interface Variant {
  name: string;
  start(port: number): Promise<{ child: import('node:child_process').ChildProcess; url: string }>;
  /** Headers of every request (a session), made once the server is up. */
  session?: (url: string) => Promise<Record<string, string>>;
  /** Conditional requests: each product's ETag, collected during the warm-up. */
  conditional?: boolean;
}

async function main(): Promise<void> {
  buildAndSeed(PRODUCTS);
  await forgetCache();
  await preparePeer();
  const bodyOf42 = await (async () => {
    const api = await startApi(3301, PRODUCTION_ENV);
    try {
      return await (await fetch(`${api.url}/products/42`)).text();
    } finally {
      await stop(api.child);
    }
  })();
  const stockroom = (env: Record<string, string>) => (port: number) => startApi(port, { ...PRODUCTION_ENV, ...env });
  const all: Variant[] = [
    { name: 'bare Fastify (same JSON)', start: (port) => startBareFastify(port, bodyOf42) },
    { name: 'peer: @nestjs/cache-manager, Redis hit', start: startPeer },
    { name: 'Stockroom L1 hit', start: stockroom({}) },
    { name: 'Stockroom Redis hit (L1 off)', start: stockroom({ CACHE_L1_MAX_ITEMS: '0' }) },
    // A catalogue larger than L1: every request misses L1 and is one Redis command away.
    { name: 'Stockroom Redis hit (L1 on, key not in it)', start: stockroom({ CACHE_L1_MAX_ITEMS: '100' }) },
    { name: 'Stockroom L1 hit, throttler on', start: stockroom(THROTTLED_ENV) },
    {
      name: 'Stockroom L1 hit, signed in (throttler on)',
      start: stockroom(THROTTLED_ENV),
      session: (url) => benchSession(url, { email: PRODUCTION_ENV.ADMIN_EMAIL, password: PRODUCTION_ENV.ADMIN_PASSWORD }),
    },
    { name: 'Stockroom 304 revalidation (L1)', start: stockroom({}), conditional: true },
  ];
  // BENCH_VARIANTS=redis,peer runs only the variants whose names contain one of the words (bare and the peer are the ratios' bases).
  const only = process.env.BENCH_VARIANTS?.toLowerCase().split(',').filter(Boolean);
  const variants = only ? all.filter((variant, i) => i < 2 || only.some((word) => variant.name.toLowerCase().includes(word))) : all;
  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const figures: Figure[] = [];
  const take = async (variant: Variant, round: number): Promise<void> => {
    const server = await variant.start(3401);
    try {
      const headers = (await variant.session?.(server.url)) ?? {};
      const etags = await warmAll(server.url, headers, PRODUCTS, CONNECTIONS);
      const headersFor = variant.conditional ? (path: string) => ({ 'if-none-match': etags.get(path) ?? '' }) : undefined;
      await measure('warm-up', 0, server.url, nextProduct, { connections: CONNECTIONS, duration: 3, headers, headersFor });
      const figure = await measure(variant.name, round, server.url, nextProduct, { connections: CONNECTIONS, duration: DURATION, headers, headersFor, pid: server.child.pid });
      figures.push(figure);
      console.log(`${variant.name} (round ${round}): ${figure.requestsPerSec} req/s, p50 ${figure.p50} ms, p99 ${figure.p99} ms, RSS ${figure.rssMb} MB, CPU µs per answer ${figure.cpu ? cpuCell([figure.cpu.server, figure.cpu.redis, figure.cpu.mysql, figure.cpu.loader]) : '-'}`);
    } finally {
      await stop(server.child);
    }
  };
  const [bare, peer, ...own] = variants;
  for (let round = 1; round <= ROUNDS; round++) {
    let bases = round % 2 === 1 ? [bare, peer] : [peer, bare];
    for (const base of bases) await take(base, round);
    for (const variant of round % 2 === 1 ? own : [...own].reverse()) {
      await take(variant, round);
      bases = [...bases].reverse();
      for (const base of bases) await take(base, round);
    }
  }
  const summaries = summarise(figures, variants[0].name, variants[1].name);
  console.log(`chart: ${writeChart(summaries, ROUNDS)}`);
  saveReport('read', ['@nestjs/core', 'fastify', 'ioredis', 'lru-cache', 'helmet', 'autocannon'], [
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION} s per figure, ids cycling over ${PRODUCTS} products; fresh process and full warm-up per figure; ${ROUNDS} rounds, each Stockroom figure between figures of both bases`,
    '',
    summaryTable(summaries),
    '',
    readTable(figures, variants[0].name, variants[1].name),
  ]);
}

/** Starts from an empty cache: entries a previous run (or an older build) left would be measured instead. */
async function forgetCache(): Promise<void> {
  const redis = new Redis();
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${BENCH_ENV.REDIS_KEY_PREFIX}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

interface Summary {
  name: string;
  figures: number;
  rate: number;
  p50: number;
  p99: number;
  rssMb: number;
  /** Medians of the figures' ratios to the bases measured around them (see `ratioTo`). */
  vsBare: number;
  vsPeer: number;
  /** Each figure's ratio to the peer, in order (none for the peer itself). */
  vsPeerEach: string[];
  /** Median CPU per answer (µs) of the server, Redis, MariaDB and the load generator. */
  cpu: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Figure `k`'s req/s over the base `name`'s, taken as the geometric mean of that base's figures
 * just before and just after it in the same round (one of them at a round's edge); 1 for the base
 * itself. Seconds apart, those figures saw the machine at the speed `k` did.
 */
function ratioTo(figures: Figure[], k: number, name: string): number | undefined {
  const figure = figures[k];
  if (figure.name === name) return 1;
  const sameBase = (f: Figure) => f.name === name && f.round === figure.round;
  const before = figures.slice(0, k).reverse().find(sameBase);
  const after = figures.slice(k + 1).find(sameBase);
  const around = [before, after].flatMap((f) => (f ? [f.requestsPerSec] : []));
  if (around.length === 0) return undefined;
  return figure.requestsPerSec / Math.exp(around.reduce((sum, rate) => sum + Math.log(rate), 0) / around.length);
}

/**
 * One line per target over all rounds: the median req/s, p50 and p99, the largest RSS, and the
 * median of its figures' ratios to the bases measured around them. A ratio of two medians taken
 * minutes apart follows whichever the machine slowed; a ratio to figures seconds away does less.
 */
function summarise(figures: Figure[], bare: string, peer: string): Summary[] {
  const indices = (name: string) => figures.flatMap((figure, k) => (figure.name === name ? [k] : []));
  const ratios = (name: string, base: string) => indices(name).flatMap((k) => ratioTo(figures, k, base) ?? []);
  return [...new Set(figures.map((figure) => figure.name))].map((name) => {
    const own = figures.filter((figure) => figure.name === name);
    const toPeer = ratios(name, peer);
    return {
      name,
      figures: own.length,
      rate: Math.round(median(own.map((f) => f.requestsPerSec))),
      p50: median(own.map((f) => f.p50)),
      p99: median(own.map((f) => f.p99)),
      rssMb: Math.max(...own.map((figure) => figure.rssMb ?? 0)),
      vsBare: median(ratios(name, bare)),
      vsPeer: median(toPeer),
      vsPeerEach: name === peer ? [] : toPeer.map((ratio) => ratio.toFixed(2)),
      cpu: cpuCell(
        (['server', 'redis', 'mysql', 'loader'] as const).map((part) => {
          const values = own.flatMap((figure) => (figure.cpu?.[part] === undefined ? [] : [figure.cpu[part]]));
          return values.length > 0 ? Math.round(median(values) * 10) / 10 : undefined;
        }),
      ),
    };
  });
}

function summaryTable(summaries: Summary[]): string {
  return [
    `| target | figures | median req/s | median p50 ms | median p99 ms | largest RSS MB | vs bare | vs peer | vs peer, each figure | ${CPU_HEADING} |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summaries.map(
      (row) =>
        `| ${row.name} | ${row.figures} | ${row.rate} | ${row.p50} | ${row.p99} | ${row.rssMb || '-'} | ${row.vsBare.toFixed(2)} | ${row.vsPeer.toFixed(2)} | ${row.vsPeerEach.join(' / ') || '-'} | ${row.cpu} |`,
    ),
  ].join('\n');
}

/** The medians as a chart for docs/BENCHMARKS.md (one file per Node major: the image runs 26, this machine 20). */
function writeChart(summaries: Summary[], rounds: number): string {
  const [bare, peer] = summaries;
  const bars: Bar[] = summaries.map((row) => ({
    label: row.name,
    value: row.rate,
    group: row === bare ? 'baseline' : row === peer ? 'peer' : 'stockroom',
    note: `${row === peer ? '' : `${row.vsPeer.toFixed(2)}x peer, `}p99 ${row.p99} ms${row.rssMb ? `, ${row.rssMb} MB` : ''}`,
  }));
  const major = process.versions.node.split('.')[0];
  const file = join(ROOT, 'docs', `bench-read-node${major}.svg`);
  const subtitle = `median req/s of ${rounds} rounds, ${CONNECTIONS} connections, ${DURATION} s each; ${machine()}; ${new Date().toISOString().slice(0, 10)}`;
  writeFileSync(file, barChartSvg('npm run bench:read: GET /products/:id', subtitle, bars, 'req/s'));
  return file;
}

function readTable(figures: Figure[], bare: string, peer: string): string {
  const lines = [`| target | round | req/s | p50 ms | p99 ms | RSS MB | vs bare | vs peer | ${CPU_HEADING} | non-2xx | errors |`, '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  figures.forEach((figure, k) => {
    const ratio = (name: string) => ratioTo(figures, k, name)?.toFixed(2) ?? '-';
    lines.push(`| ${figure.name} | ${figure.round} | ${figure.requestsPerSec} | ${figure.p50} | ${figure.p99} | ${figure.rssMb ?? '-'} | ${ratio(bare)} | ${ratio(peer)} | ${figure.cpu ? cpuCell([figure.cpu.server, figure.cpu.redis, figure.cpu.mysql, figure.cpu.loader]) : '-'} | ${figure.non2xx} | ${figure.errors} |`);
  });
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
