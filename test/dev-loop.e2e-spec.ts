import { spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { collect, ROOT, waitForOutput } from './support/processes';
import { TestContext } from './support/test-context';
import { signIn, viaHttp } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LISTENING = /\{[^\n]*"stockroom api listening"[^\n]*\}/;

/**
 * `npm run start:dev` as a developer runs it on a fresh clone: from the sources (no dist), with
 * the worker in process (orders are processed), restarted when a source changes, Lua scripts included (they are modules).
 */
describe('npm run start:dev', () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create();
  });

  afterAll(async () => {
    await context?.dispose();
  });

  it('serves from the sources, processes orders, and restarts when a Lua script changes', async () => {
    const child = spawn('npm', ['run', '--silent', 'start:dev'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...context.env({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }) } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = collect(child);
    try {
      const url = JSON.parse(await waitForOutput(child, LISTENING)).url as string;
      const send = viaHttp(url);
      const staff = await signIn(send, 'staff');
      const product = (await send({ method: 'POST', url: '/products', payload: { sku: 'DEV-1', name: 'Dev loop', price: '1.00', stock: 5 }, headers: staff.headers })).json();
      const customer = await signIn(send, 'customer');
      const order = (await send({ method: 'POST', url: '/orders', payload: { items: [{ productId: product.id, quantity: 1 }] }, headers: customer.headers })).json();
      let status = 'pending';
      for (const started = Date.now(); status === 'pending' && Date.now() - started < 60_000; await sleep(50)) {
        status = (await send({ method: 'GET', url: `/orders/${order.id}`, headers: customer.headers })).json().status;
      }
      expect(status).toBe('confirmed');

      // A Lua script's edit (its mtime is enough for the watcher) restarts the process.
      const restarted = waitForOutput(child, /Restarting '/);
      const script = join(ROOT, 'libs', 'cache', 'src', 'lease-release.lua.ts');
      const now = new Date();
      utimesSync(script, now, now);
      await restarted;
    } finally {
      // npm and node --watch run the server as a child: stop the whole group.
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  });
});
