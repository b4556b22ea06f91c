import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ApiProcess, startApiProcess } from './support/processes';
import { TestContext } from './support/test-context';
import { signIn, viaHttp } from './support/sign-in';

/** Debian's package; .ci/run installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('In a real browser (headless Chromium): Swagger UI and Bull Board render under the security headers', () => {
  let context: TestContext;
  let api: ApiProcess;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    context = await TestContext.create();
    api = await startApiProcess(context.env());
  });

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await context?.dispose();
  });

  it('renders /docs and, for staff with the sid cookie, /admin/queues without console or CSP errors', async () => {
    const staff = await signIn(viaHttp(api.url), 'staff');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      // Script errors, CSP refusals, and any of our own resources that failed to load.
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(message.text());
      });
      page.on('response', (response) => {
        const url = response.url();
        if (response.status() >= 400 && url.startsWith(api.url) && !url.endsWith('/admin/queues')) problems.push(`${response.status()} ${url}`);
      });

      await page.goto(`${api.url}/docs`);
      await page.getByText('Stockroom', { exact: false }).first().waitFor({ timeout: 20_000 });
      await page.locator('.opblock-tag', { hasText: 'orders' }).first().waitFor({ timeout: 20_000 });

      const denied = await page.goto(`${api.url}/admin/queues`);
      expect(denied?.status()).toBe(401);

      await page.context().addCookies([{ name: 'sid', value: staff.token, url: api.url }]);
      const board = await page.goto(`${api.url}/admin/queues`);
      expect(board?.status()).toBe(200);
      await page.getByText('orders', { exact: false }).first().waitFor({ timeout: 20_000 });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
