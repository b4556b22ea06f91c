import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import autocannon from 'autocannon';

export const ROOT = resolve(__dirname, '..');

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface Figure {
  name: string;
  round: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Answers with a 2xx status. */
  ok?: number;
  /** Largest resident set of the server process during the figure, when its pid was given. */
  rssMb?: number;
  /** CPU per answer during the figure (µs), when the server's pid was given: what each part of the machine spent. */
  cpu?: CpuPerRequest;
}

/**
 * Where a figure's CPU went, per answer: the server process (all its threads), the local Redis and
 * MariaDB (undefined when they do not run here) and the load generator (this process). On two
 * shared cores req/s is set by their sum, and each part drifts less between rounds than req/s.
 */
export interface CpuPerRequest {
  server: number;
  redis?: number;
  mysql?: number;
  loader: number;
}

/** User + system CPU time in clock ticks from a `/proc/…/stat` file (a process's or one thread's), or undefined once it is gone. */
export function statCpuTicks(path: string): number | undefined {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, every thread) of a process in clock ticks, or undefined once it is gone. */
function processCpuTicks(pid: number): number | undefined {
  return statCpuTicks(`/proc/${pid}/stat`);
}

/** The pid of a local program by its name (`pgrep -x`), or undefined when none runs. */
function pidOf(name: string): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** Linux's clock ticks per second (`getconf CLK_TCK`, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** A process's resident set in MB (Linux), or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const BENCH_ENV = {
  DB_NAME: process.env.DB_NAME ?? 'stockroom_bench',
  REDIS_KEY_PREFIX: 'bench',
  LOG_LEVEL: 'warn',
  CATALOG_SAMPLE_ON_EMPTY: 'false',
  // One load generator on one address would be throttled; throttling has its own figure.
  THROTTLE_ENABLED: 'false',
};

/** The first admin of a bench database (the example credentials BENCH_ENV boots with). */
export const BENCH_ADMIN = { email: 'admin@stockroom.local', password: 'change-me-stockroom' };

/** A bearer header for `credentials`, registering the account first when asked (an existing one is fine). */
export async function benchSession(url: string, credentials: { email: string; password: string }, options: { register?: boolean } = {}): Promise<Record<string, string>> {
  const post = (path: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (options.register) await post('/auth/register');
  const response = await post('/auth/login');
  if (!response.ok) throw new Error(`login ${credentials.email}: ${response.status}`);
  return { authorization: `Bearer ${((await response.json()) as { token: string }).token}` };
}

/** Builds both apps (unless `build` is false) and makes sure the bench catalogue has `products` rows. */
export function buildAndSeed(products: number, options: { build?: boolean } = {}): void {
  console.log('building and seeding…');
  if (options.build ?? true) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync('npm', ['run', 'seed', '--silent', '--', '--count', String(products)], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...BENCH_ENV } });
}

/** The throttler on, with limits no request reaches (sign-in included: a bench signs in once). */
export const THROTTLED_ENV = { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '10000000', THROTTLE_AUTH_IP_LIMIT: '1000000', THROTTLE_AUTH_ACCOUNT_LIMIT: '1000000' };

/** Production defaults, on the bench database; an admin of its own (production refuses the example password). */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  ADMIN_EMAIL: 'bench-admin@stockroom.local',
  ADMIN_PASSWORD: 'bench admin passphrase',
  CACHE_L1_MAX_ITEMS: '20000',
  THROTTLE_ENABLED: 'false',
};

/**
 * Starts a built API on `port` with extra settings and waits until it is ready: `build` is its
 * main.js (the current build by default), `cpus` a core list to pin it to (`taskset -c`).
 */
export async function startApi(port: number, env: Record<string, string> = {}, options: { build?: string; cpus?: string } = {}): Promise<{ child: ChildProcess; url: string }> {
  // Profiling: BENCH_API_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (a .cpuprofile per API process).
  const nodeArgs = [...productionNodeOptions(), ...(process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = startProcess([...nodeArgs, options.build ?? join('dist', 'apps', 'api', 'main.js')], { ...productionAllocator(), ...BENCH_ENV, PORT: String(port), HOST: '127.0.0.1', ...env }, options.cpus);
  const url = `http://127.0.0.1:${port}`;
  await untilServing(child, `${url}/health/ready`);
  return { child, url };
}

/** Waits for a started server to answer; one that exits first, or never answers, is stopped and reported, not left behind. */
async function untilServing(child: ChildProcess, url: string): Promise<void> {
  let onExit: (() => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = () => reject(new Error(`${url}: the server exited (code ${child.exitCode}) before it answered`));
    child.once('exit', onExit);
  });
  try {
    await Promise.race([waitForHttp(url), exited]);
  } catch (error) {
    await stop(child);
    throw error;
  } finally {
    child.off('exit', onExit!);
  }
}

/** A variable the production image sets (an `ENV` line of its Dockerfile; quotes dropped), or undefined. */
function imageEnv(name: string): string | undefined {
  return new RegExp(`^ENV .*\\b${name}=("[^"]*"|\\S+)`, 'm').exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1].replace(/"/g, '');
}

/** The Node flags the production image starts every process with (its Dockerfile's NODE_OPTIONS). */
export function productionNodeOptions(): string[] {
  return imageEnv('NODE_OPTIONS')?.split(/\s+/).filter(Boolean) ?? [];
}

/** The library the image preloads (its Dockerfile's LD_PRELOAD), or undefined when it preloads none. */
export function imagePreload(): string | undefined {
  return imageEnv('LD_PRELOAD');
}

/** The allocator's settings in the image (its Dockerfile's MALLOC_CONF), or undefined. */
export function imageMallocConf(): string | undefined {
  return imageEnv('MALLOC_CONF');
}

/**
 * The environment that gives a process here the image's allocator: this machine's copy of the
 * library the image preloads (found by its file name), with the image's MALLOC_CONF. Throws when
 * it is not installed, rather than measure glibc's malloc and report it as the image's.
 */
export function productionAllocator(): Record<string, string> {
  const preload = imagePreload();
  if (!preload) return {};
  const name = basename(preload);
  const found = [preload, ...sharedLibraries()].find((path) => basename(path) === name && existsSync(path));
  if (!found) throw new Error(`the image preloads ${name} (Dockerfile LD_PRELOAD); install it to measure as the image runs (Debian: apt-get install libjemalloc2)`);
  const conf = imageMallocConf();
  return conf ? { LD_PRELOAD: found, MALLOC_CONF: conf } : { LD_PRELOAD: found };
}

/** The paths of the shared libraries the dynamic linker knows (`ldconfig -p`). */
function sharedLibraries(): string[] {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      return execFileSync(ldconfig, ['-p'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.split(' => ')[1]?.trim())
        .filter((path): path is string => Boolean(path));
    } catch {
      // not at this path
    }
  }
  return [];
}

export async function startBareFastify(port: number, body: string): Promise<{ child: ChildProcess; url: string }> {
  const child = startProcess([join('bench', 'bare-fastify.js')], { PORT: String(port), BARE_BODY: body });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/products/1`);
  return { child, url };
}

/** The HTTP ceiling: a bare Fastify server answering with the JSON the API gives for product 42. */
export async function startBaseline(apiPort: number, barePort: number): Promise<{ child: ChildProcess; url: string }> {
  const api = await startApi(apiPort);
  try {
    return await startBareFastify(barePort, await (await fetch(`${api.url}/products/42`)).text());
  } finally {
    await stop(api.child);
  }
}

/** Prints and files a report: the machine, the versions of `packages`, then `lines`. */
export function saveReport(name: string, packages: string[], lines: string[]): void {
  const report = [`machine: ${machine()}`, `versions: ${versions(packages)}`, ...lines].join('\n');
  console.log(`\n${report}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), `${report}\n`);
}

/** Node running `args`; pinned to `cpus` when given (taskset execs Node, so the pid is Node's). */
export function startProcess(args: string[], env: Record<string, string>, cpus?: string): ChildProcess {
  const [command, commandArgs] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  return spawn(command, commandArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs}ms`);
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) return resolvePromise();
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** One autocannon run; `path` picks the URL of each request. */
export async function measure(
  name: string,
  round: number,
  base: string,
  path: () => string,
  options: {
    connections: number;
    duration: number;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    body?: () => string;
    /** Headers of one request, given its path (conditional requests). */
    headersFor?: (path: string) => Record<string, string>;
    /** The server's pid: its largest RSS during the run is reported. */
    pid?: number;
  },
): Promise<Figure> {
  const { method = 'GET', body, headersFor, pid } = options;
  const headers = { ...options.headers, ...(body ? { 'content-type': 'application/json' } : {}) };
  let largestRss = 0;
  const sampler = pid ? setInterval(() => (largestRss = Math.max(largestRss, rssMb(pid) ?? 0)), 250) : undefined;
  const services = pid ? { redis: pidOf('redis-server'), mysql: pidOf('mariadbd') ?? pidOf('mysqld') } : {};
  const ticksBefore = pid ? { server: processCpuTicks(pid), redis: services.redis && processCpuTicks(services.redis), mysql: services.mysql && processCpuTicks(services.mysql) } : undefined;
  const loaderBefore = process.cpuUsage();
  try {
    const result = await autocannon({
      url: base,
      connections: options.connections,
      duration: options.duration,
      headers,
      requests: [
        {
          setupRequest: (request) => {
            const next = path();
            return { ...request, method, path: next, ...(headersFor ? { headers: { ...headers, ...headersFor(next) } } : {}), ...(body ? { body: body() } : {}) };
          },
        },
      ],
    });
    const loaderMicros = process.cpuUsage(loaderBefore);
    const answers = Math.max(result.requests.total, 1);
    const perAnswer = (after: number | undefined, before: number | undefined) =>
      after === undefined || before === undefined ? undefined : Math.round((((after - before) * 1e6) / TICKS_PER_SECOND / answers) * 10) / 10;
    const cpu: CpuPerRequest | undefined =
      pid && ticksBefore
        ? {
            server: perAnswer(processCpuTicks(pid), ticksBefore.server) ?? 0,
            redis: services.redis ? perAnswer(processCpuTicks(services.redis), ticksBefore.redis) : undefined,
            mysql: services.mysql ? perAnswer(processCpuTicks(services.mysql), ticksBefore.mysql) : undefined,
            loader: Math.round(((loaderMicros.user + loaderMicros.system) / answers) * 10) / 10,
          }
        : undefined;
    return {
      name,
      round,
      requestsPerSec: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      ok: result['2xx'],
      ...(pid ? { rssMb: Math.round(largestRss), cpu } : {}),
    };
  } finally {
    clearInterval(sampler);
  }
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function versions(names: string[]): string {
  const version = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return names.map((name) => `${name} ${version(name)}`).join(', ');
}

export function table(figures: Figure[], baseline: string): string {
  // The CPU column only when some figure measured it (`measure` with a pid).
  const withCpu = figures.some((figure) => figure.cpu);
  const lines = [
    `| target | round | req/s | p50 ms | p99 ms | ratio to baseline |${withCpu ? ` ${CPU_HEADING} |` : ''} non-2xx | errors |`,
    `| --- | --- | --- | --- | --- | --- |${withCpu ? ' --- |' : ''} --- | --- |`,
  ];
  for (const figure of figures) {
    const base = figures.find((f) => f.name === baseline && f.round === figure.round);
    const ratio = base ? (figure.requestsPerSec / base.requestsPerSec).toFixed(2) : '-';
    const cpu = withCpu ? ` ${figure.cpu ? cpuCell([figure.cpu.server, figure.cpu.redis, figure.cpu.mysql, figure.cpu.loader]) : '-'} |` : '';
    lines.push(`| ${figure.name} | ${figure.round} | ${figure.requestsPerSec} | ${figure.p50} | ${figure.p99} | ${ratio} |${cpu} ${figure.non2xx} | ${figure.errors} |`);
  }
  return lines.join('\n');
}

export const CPU_HEADING = 'CPU µs per answer: server / Redis / MariaDB / load generator (sum)';

/** `server / Redis / MariaDB / loader (sum)`, a dash for a part not measured. */
export function cpuCell(parts: Array<number | undefined>): string {
  const sum = parts.reduce<number>((total, part) => total + (part ?? 0), 0);
  return `${parts.map((part) => (part === undefined ? '-' : part.toFixed(1))).join(' / ')} (${sum.toFixed(1)})`;
}
