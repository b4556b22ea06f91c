/**
 * `npm run bench:pair -- <build A> <build B>`: the CPU per request of two builds of the API, served
 * side by side. Both run at once on core 0 (`taskset`) with their own load from core 1, so
 * whatever slows this machine down in a given minute slows both: the ratio B/A repeats within a
 * few percent where two unpinned runs a minute apart differ by 1.5x. Each build is a `main.js`
 * (e.g. a copy of `dist/apps/api/main.js` made before a change); both use the bench database,
 * production defaults and the image's Node flags. A build against itself read 1.00–1.03 in one
 * sitting and 0.95 in both orders in another (whichever starts second was favoured): run each
 * comparison in both orders and take the geometric mean of B/A and 1/(A/B).
 *
 * Environment: PAIR_ENV='NAME=value …' for both (e.g. `CACHE_L1_MAX_ITEMS=100`, or the throttler
 * on: `THROTTLE_ENABLED=true THROTTLE_LIMIT=10000000`), PAIR_ENV_A / PAIR_ENV_B for one of them
 * (a setting measured on one build: the same main.js twice), PAIR_SIGNED_IN=true for a session per
 * request, PAIR_ROUNDS (4), PAIR_DURATION (5 s), PAIR_CONNECTIONS (25 each). For comparing two
 * builds only: two different programs sharing a core also share its caches, so this is not a
 * fair race between different servers (bench:read is).
 */
import { ChildProcess, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { benchSession, PRODUCTION_ENV, rssMb, startApi, statCpuTicks, stop } from './support';

const ROUNDS = Number(process.env.PAIR_ROUNDS ?? 4);
const DURATION = Number(process.env.PAIR_DURATION ?? 5);
const CONNECTIONS = Number(process.env.PAIR_CONNECTIONS ?? 25);
const PRODUCTS = 10_000;

interface Server {
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
}

/** CPU time (user + system) of a process's main thread and of its other threads (GC, libuv), in clock ticks. */
function cpuTicks(pid: number): { main: number; other: number } {
  const ticks = { main: 0, other: 0 };
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    // Undefined: a thread that ended meanwhile.
    const used = statCpuTicks(`/proc/${pid}/task/${task}/stat`) ?? 0;
    if (task === String(pid)) ticks.main += used;
    else ticks.other += used;
  }
  return ticks;
}

/** `NAME=value …` from an environment variable, as an object. */
function envOf(name: string): Record<string, string> {
  const pairs = (process.env[name] ?? '').split(' ').filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

async function start(build: string, port: number, own: Record<string, string>): Promise<Server> {
  const { child, url } = await startApi(port, { ...PRODUCTION_ENV, ...envOf('PAIR_ENV'), ...own }, { build, cpus: '0' });
  const headers = process.env.PAIR_SIGNED_IN === 'true' ? await benchSession(url, { email: PRODUCTION_ENV.ADMIN_EMAIL, password: PRODUCTION_ENV.ADMIN_PASSWORD }) : {};
  for (let id = 1; id <= PRODUCTS; id++) await (await fetch(`${url}/products/${id}`, { headers })).arrayBuffer();
  return { child, url, headers };
}

function load(server: Server, duration: number): Promise<autocannon.Result> {
  let id = 0;
  return autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration,
    headers: server.headers,
    requests: [{ setupRequest: (request) => ({ ...request, path: `/products/${(id++ % PRODUCTS) + 1}` }) }],
  });
}

async function main(): Promise<void> {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: npm run bench:pair -- <build A main.js> <build B main.js>');
  // This process and its load generators stay on core 1.
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const servers: Server[] = [];
  try {
    servers.push(await start(resolve(a), 3411, envOf('PAIR_ENV_A')));
    servers.push(await start(resolve(b), 3412, envOf('PAIR_ENV_B')));
    await Promise.all(servers.map((server) => load(server, 3)));
    const total = servers.map(() => ({ ticks: 0, requests: 0 }));
    for (let round = 1; round <= ROUNDS; round++) {
      const before = servers.map((server) => cpuTicks(server.child.pid!));
      const results = await Promise.all(servers.map((server) => load(server, DURATION)));
      const after = servers.map((server) => cpuTicks(server.child.pid!));
      const perRequest = servers.map((server, i) => {
        const requests = results[i].requests.total;
        const main = after[i].main - before[i].main;
        const other = after[i].other - before[i].other;
        total[i].ticks += main + other;
        total[i].requests += requests;
        // A clock tick is 10 ms: µs per request = ticks × 10,000 / requests.
        return { main: (main * 10_000) / requests, other: (other * 10_000) / requests, rps: Math.round(results[i].requests.average), rss: rssMb(server.child.pid!), bad: results[i].non2xx + results[i].errors };
      });
      const [x, y] = perRequest;
      const line = (s: typeof x) => `${s.main.toFixed(1)} µs main + ${s.other.toFixed(1)} other, ${s.rps} req/s, RSS ${Math.round(s.rss ?? 0)} MB${s.bad ? `, ${s.bad} not 2xx` : ''}`;
      console.log(`round ${round}: A ${line(x)} | B ${line(y)} | B/A ${((y.main + y.other) / (x.main + x.other)).toFixed(3)}`);
    }
    const [ta, tb] = total.map(({ ticks, requests }) => (ticks * 10_000) / requests);
    console.log(`CPU per request, all rounds: A ${ta.toFixed(1)} µs, B ${tb.toFixed(1)} µs, B/A ${(tb / ta).toFixed(3)}`);
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
