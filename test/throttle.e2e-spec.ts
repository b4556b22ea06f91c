import { bootApi, TestApi, TestContext, UNREACHABLE_REDIS } from './support/test-context';
import { signIn, viaInject } from './support/sign-in';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis throttler: exact across instances, not dodged by forged headers', () => {
  let context: TestContext;
  let a: TestApi;
  let b: TestApi;
  const limits = {
    THROTTLE_ENABLED: 'true',
    THROTTLE_LIMIT: '10',
    // Long enough that no burst or sequence of a test outlasts it on a slow machine.
    THROTTLE_TTL_SECONDS: '60',
    THROTTLE_AUTH_IP_LIMIT: '5',
    THROTTLE_AUTH_ACCOUNT_LIMIT: '3',
    THROTTLE_AUTH_TTL_SECONDS: '60',
    THROTTLE_AUTH_BLOCK_SECONDS: '120',
  };
  const login = (api: TestApi, email: string, password: string, remoteAddress: string) =>
    api.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress });
  const get = (api: TestApi, url: string, headers: Record<string, string> = {}, remoteAddress = '10.1.1.1') =>
    api.app.inject({ method: 'GET', url, headers, remoteAddress });

  beforeAll(async () => {
    context = await TestContext.create();
    [a, b] = await Promise.all([bootApi(context, limits), bootApi(context, limits)]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await context?.dispose();
  });

  it('lets exactly N requests per window through two instances under concurrency, then 429 with Retry-After', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => get(i % 2 ? a : b, '/products?limit=1', {}, '10.2.2.2')));
    const passed = responses.filter((r) => r.statusCode === 200);
    const refused = responses.filter((r) => r.statusCode === 429);
    expect(passed).toHaveLength(10);
    expect(refused).toHaveLength(20);
    expect(refused[0].json()).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
    expect(Number(refused[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('stays exact across instances when a busy client\'s quota is reserved in blocks', async () => {
    // A limit of 200 lets each instance reserve up to 20 at a time for a client that sends runs of requests.
    const busy = { ...limits, THROTTLE_LIMIT: '200', THROTTLE_RESERVATION_MS: '50' };
    const [c, d] = await Promise.all([bootApi(context, busy), bootApi(context, busy)]);
    try {
      const statuses: number[] = [];
      const wave = async () => {
        const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => get(i % 2 ? c : d, '/products?limit=8', {}, '10.12.12.12')));
        statuses.push(...responses.map((response) => response.statusCode));
      };
      for (let i = 0; i < 7; i++) await wave();
      const granted = async (api: TestApi) => {
        const metrics = (await api.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.20.0.3' })).body;
        return Number(/^stockroom_throttle_reservations_total\{outcome="granted"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
      };
      expect((await granted(c)) + (await granted(d))).toBeGreaterThan(0);
      expect(statuses.filter((status) => status === 200)).toHaveLength(200);
      expect(statuses.filter((status) => status === 429)).toHaveLength(80);
    } finally {
      await Promise.all([c.close(), d.close()]);
    }
  });

  it('sends the IETF RateLimit fields and the X-RateLimit headers', async () => {
    const response = await get(a, '/products?limit=2', {}, '10.3.3.3');
    expect(response.headers['ratelimit-policy']).toBe('"default";q=10;w=60');
    expect(response.headers['ratelimit']).toMatch(/^"default";r=9;t=([1-9]|[1-5][0-9]|60)$/);
    expect(response.headers['x-ratelimit-limit']).toBe('10');
    expect(response.headers['x-ratelimit-remaining']).toBe('9');
  });

  it('opens again when the window has passed', async () => {
    const short = await bootApi(context, { ...limits, THROTTLE_TTL_SECONDS: '1' });
    try {
      const burst = await Promise.all(Array.from({ length: 30 }, () => get(short, '/products?limit=3', {}, '10.4.4.4')));
      const refused = burst.find((response) => response.statusCode === 429);
      expect(refused).toBeDefined();
      await sleep(Number(refused!.headers['retry-after']) * 1000 + 100);
      expect((await get(short, '/products?limit=3', {}, '10.4.4.4')).statusCode).toBe(200);
    } finally {
      await short.close();
    }
  });

  it('ignores a forged X-Forwarded-For unless the proxy is trusted', async () => {
    for (let i = 0; i < 10; i++) await get(a, '/products?limit=4', {}, '10.5.5.5');
    const forged = await get(a, '/products?limit=4', { 'x-forwarded-for': '203.0.113.9' }, '10.5.5.5');
    expect(forged.statusCode).toBe(429);

    const behindProxy = await bootApi(context, { ...limits, TRUST_PROXY: '10.6.6.6' });
    try {
      for (let i = 0; i < 10; i++) await get(behindProxy, '/products?limit=5', { 'x-forwarded-for': '198.51.100.1' }, '10.6.6.6');
      expect((await get(behindProxy, '/products?limit=5', { 'x-forwarded-for': '198.51.100.1' }, '10.6.6.6')).statusCode).toBe(429);
      // Another client behind the same trusted proxy has its own budget.
      expect((await get(behindProxy, '/products?limit=5', { 'x-forwarded-for': '198.51.100.2' }, '10.6.6.6')).statusCode).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });

  it('never throttles health probes', async () => {
    for (let i = 0; i < 25; i++) expect((await get(a, '/health/live', {}, '10.7.7.7')).statusCode).toBe(200);
  });

  it('lets requests through when Redis cannot count them (fail-open), and refuses them with THROTTLE_FAIL_CLOSED', async () => {
    const open = await bootApi(context, { ...limits, ...UNREACHABLE_REDIS });
    const closed = await bootApi(context, { ...limits, ...UNREACHABLE_REDIS, THROTTLE_FAIL_CLOSED: 'true' });
    try {
      for (let i = 0; i < 12; i++) expect((await get(open, '/products?limit=6', {}, '10.8.8.8')).statusCode).toBe(200);
      expect((await get(closed, '/products?limit=6', {}, '10.8.8.8')).statusCode).toBe(429);
    } finally {
      await Promise.all([open.close(), closed.close()]);
    }
  });

  it('counts a signed-in user by account, wherever the requests come from', async () => {
    const customer = await signIn(viaInject(a.app), 'customer');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await get(i % 2 ? a : b, '/products?limit=7', customer.headers, `10.9.9.${i}`)).statusCode);
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
    // An anonymous client on one of those addresses has a budget of its own.
    expect((await get(a, '/products?limit=7', {}, '10.9.9.1')).statusCode).toBe(200);
  });

  it('blocks password guessing against one account from many addresses, for the block duration', async () => {
    const email = 'target@example.test';
    expect((await a.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: 'the right passphrase' }, remoteAddress: '10.10.0.1' })).statusCode).toBe(201);
    const guesses = await Promise.all([1, 2, 3].map((i) => login(i % 2 ? a : b, email, `wrong guess number ${i}`, `10.10.1.${i}`)));
    expect(guesses.map((r) => r.statusCode)).toEqual([401, 401, 401]);
    // Even the right password, from a fresh address, waits out the block.
    const blocked = await login(b, ` ${email.toUpperCase()} `, 'the right passphrase', '10.10.2.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(60);
    expect(String(blocked.headers['ratelimit-policy'])).toContain('"auth-account";q=3;w=60');
    // Another account is not affected.
    expect((await login(a, 'someone-else@example.test', 'a wrong passphrase', '10.10.2.2')).statusCode).toBe(401);
  });

  it('blocks one address trying many accounts, on every instance, while other addresses sign in', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 7 }, (_, i) => login(i % 2 ? a : b, `victim${i}@example.test`, 'a wrong passphrase', '10.11.0.1')),
    );
    expect(attempts.filter((r) => r.statusCode === 401)).toHaveLength(5);
    expect(attempts.filter((r) => r.statusCode === 429)).toHaveLength(2);
    expect((await a.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'new@example.test', password: 'a long passphrase' }, remoteAddress: '10.11.0.1' })).statusCode).toBe(201);
    expect((await login(b, 'victim0@example.test', 'a wrong passphrase', '10.11.0.2')).statusCode).toBe(401);
  });
});
