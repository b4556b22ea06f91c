/**
 * `npm run bench:timeline -- [redis|l1|throttled|peer] [seconds]`: where a read's latency tail
 * comes from. One server (Stockroom with production defaults, the Redis hit by default, or the
 * peer), warmed as `bench:read` warms it, then one autocannon run whose every response is put in
 * the 250 ms window it ended in. Each window's count, p50, p99 and maximum are printed in time
 * order, marked `*` when the window's p99 is more than twice the median window's: a tail made by
 * periodic work (counter sends, the views write-behind, a GC) shows as marked windows at its
 * period, one made by steady load does not. Extra Stockroom settings: BENCH_API_ENV='{"K":"v"}';
 * another build of the API: BENCH_API_BUILD=<main.js> (inside the repository).
 */
import autocannon from 'autocannon';
import { preparePeer, startPeer, warmAll } from './peer';
import { buildAndSeed, measure, percentile, PRODUCTION_ENV, saveReport, startApi, stop, THROTTLED_ENV } from './support';

const PRODUCTS = 10_000;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WINDOW_MS = 250;
const VARIANTS: Record<string, Record<string, string>> = {
  redis: { CACHE_L1_MAX_ITEMS: '0' },
  l1: {},
  throttled: THROTTLED_ENV,
};

async function main(): Promise<void> {
  const variant = process.argv[2] ?? 'redis';
  const seconds = Number(process.argv[3] ?? 20);
  if (variant !== 'peer' && !VARIANTS[variant]) throw new Error(`unknown variant ${variant}: redis, l1, throttled or peer`);
  // A build given by path is measured as it is; the seed (the catalogue) is the current tree's.
  buildAndSeed(PRODUCTS, { build: !process.env.BENCH_API_BUILD });
  if (variant === 'peer') await preparePeer();
  const extra = JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>;
  const server = variant === 'peer' ? await startPeer(3401) : await startApi(3401, { ...PRODUCTION_ENV, ...VARIANTS[variant], ...extra }, { build: process.env.BENCH_API_BUILD });
  try {
    let id = 0;
    const next = () => `/products/${(id++ % PRODUCTS) + 1}`;
    await warmAll(server.url, {}, PRODUCTS, CONNECTIONS);
    await measure('warm-up', 0, server.url, next, { connections: CONNECTIONS, duration: 3 });
    const windows = new Map<number, number[]>();
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const run = autocannon(
        { url: server.url, connections: CONNECTIONS, duration: seconds, requests: [{ setupRequest: (request) => ({ ...request, path: next() }) }] },
        (error: Error | null) => (error ? reject(error) : resolve()),
      );
      run.on('response', (_client, _status, _bytes, responseTime) => {
        const window = Math.floor((Date.now() - started) / WINDOW_MS);
        let times = windows.get(window);
        if (!times) windows.set(window, (times = []));
        times.push(responseTime);
      });
    });
    report(variant, seconds, windows);
  } finally {
    await stop(server.child);
  }
}

function report(variant: string, seconds: number, windows: Map<number, number[]>): void {
  const ordered = [...windows].sort(([a], [b]) => a - b).map(([window, times]) => ({ window, times: times.sort((x, y) => x - y) }));
  // The first window holds the connections' setup, the last is cut short by the end of the run.
  const full = ordered.slice(1, -1);
  const p99s = full.map(({ times }) => percentile(times, 99)).sort((x, y) => x - y);
  const typical = percentile(p99s, 50);
  const all = full.flatMap(({ times }) => times).sort((x, y) => x - y);
  const marked = full.filter(({ times }) => percentile(times, 99) > 2 * typical);
  const ms = (value: number) => value.toFixed(1);
  saveReport('timeline', ['@nestjs/core', 'fastify', 'ioredis', 'autocannon'], [
    `load: autocannon, ${CONNECTIONS} connections, ${seconds} s, ids cycling over ${PRODUCTS} products; variant ${variant}; windows of ${WINDOW_MS} ms`,
    `overall: ${all.length} responses, p50 ${ms(percentile(all, 50))} ms, p99 ${ms(percentile(all, 99))} ms, p99.9 ${ms(percentile(all, 99.9))} ms; median window p99 ${ms(typical)} ms; ${marked.length} of ${full.length} windows above twice that (${marked.map(({ window }) => ((window * WINDOW_MS) / 1000).toFixed(2)).join(', ')} s)`,
    '',
    '| s | responses | p50 ms | p99 ms | max ms | |',
    '| --- | --- | --- | --- | --- | --- |',
    ...full.map(({ window, times }) => `| ${((window * WINDOW_MS) / 1000).toFixed(2)} | ${times.length} | ${ms(percentile(times, 50))} | ${ms(percentile(times, 99))} | ${ms(times[times.length - 1])} | ${percentile(times, 99) > 2 * typical ? '*' : ''} |`),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
