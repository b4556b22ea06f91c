import { request } from 'node:http';
import { connect } from 'node:net';
import { collect, run, spawnTs, startApiProcess, waitForOutput } from './support/processes';
import { TestContext } from './support/test-context';
import { signIn, viaHttp } from './support/sign-in';

const API = 'apps/api/src/main.ts';
const WORKER = 'apps/worker/src/main.ts';

/** Boot failures are a few plain lines: no stack trace, no retry loop. */
function expectPlainLines(stderr: string, count: number): string[] {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(count);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines;
}

describe('Booting the processes', () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create();
  });

  afterAll(async () => {
    await context?.dispose();
  });

  it('refuses bad configuration with one line per bad variable and exit code 1', async () => {
    const env = context.env({ PORT: 'abc', DB_PORT: '0', REDIS_URL: 'http://nope', LOG_LEVEL: 'loud', CATALOG_SAMPLE_ON_EMPTY: 'maybe' });
    const result = await run(spawnTs(API, env));
    expect(result.code).toBe(1);
    const lines = expectPlainLines(result.stderr, 6);
    expect(lines[0]).toBe('stockroom-api: invalid configuration');
    for (const name of ['PORT', 'DB_PORT', 'REDIS_URL', 'LOG_LEVEL', 'CATALOG_SAMPLE_ON_EMPTY']) {
      expect(lines.filter((line) => line.trim().startsWith(`${name}:`))).toHaveLength(1);
    }
  });

  it('exits with one line naming host:port when MySQL is unreachable', async () => {
    const result = await run(spawnTs(API, context.env({ DB_PORT: '1' })));
    expect(result.code).toBe(1);
    const [line] = expectPlainLines(result.stderr, 1);
    expect(line).toMatch(/^stockroom-api: cannot reach MySQL at 127\.0\.0\.1:1 \(ECONNREFUSED\); start it with /);
  });

  it('exits with one line naming host:port when Redis is unreachable', async () => {
    const result = await run(spawnTs(API, context.env({ REDIS_URL: 'redis://127.0.0.1:1' })));
    expect(result.code).toBe(1);
    const [line] = expectPlainLines(result.stderr, 1);
    expect(line).toMatch(/^stockroom-api: cannot reach Redis at 127\.0\.0\.1:1 \(ECONNREFUSED\); start it with /);
  });

  it('serves, then on SIGTERM finishes the in-flight request, closes its connections and exits', async () => {
    const { child, url, exited } = await startApiProcess(context.env());
    const { headers } = await signIn(viaHttp(url), 'admin');

    const body = JSON.stringify({ sku: 'INFLIGHT', name: 'In flight', price: '1.00' });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/products`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // Half the body now, SIGTERM while the request is in flight, the rest afterwards.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 500);
    });

    const answered = await response;
    expect(answered.status).toBe(201);
    expect(JSON.parse(answered.body).sku).toBe('INFLIGHT');
    const result = await exited;
    // Nest re-raises the signal once closed; the forced-exit timer would have exited with 1.
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
    // An operator can tell a deliberate stop from a crash.
    expect(result.stdout).toMatch(/"context":"Shutdown","msg":"shutdown: SIGTERM received; finishing what is in flight, then closing \(at most \d+ ms\)"/);
    const rows = await context.query<unknown[]>("SELECT id FROM products WHERE sku = 'INFLIGHT'");
    expect(rows).toHaveLength(1);
  });

  it('on SIGTERM, handlers whose clients hung up still finish before MySQL closes', async () => {
    await run(spawnTs('apps/api/src/cli/seed.ts', context.env(), ['--count', '3000']));
    const { child, url, exited } = await startApiProcess(context.env({ DB_POOL_SIZE: '2', CACHE_ENABLED: 'false' }));
    const port = Number(new URL(url).port);
    // Queue more work than the pool can run at once, hang up, and stop the server at once.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write(`GET /products?limit=100&page=${(i % 30) + 1}&q=e HTTP/1.1\r\nHost: x\r\n\r\n`, () => {
              socket.destroy();
              resolve();
            });
          });
        }),
      ),
    );
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
    expect(result.stdout + result.stderr).not.toMatch(/Pool is closed|INTERNAL_ERROR|"level":50/);
    await context.query('DELETE FROM products');
  });

  it('boots the worker application context and stops it on SIGTERM', async () => {
    const child = spawnTs(WORKER, context.env({ LOG_LEVEL: 'info' }));
    const exited = collect(child);
    await waitForOutput(child, /stockroom worker ready/);
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
  });
});
