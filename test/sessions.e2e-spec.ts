import type { Cluster, Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { AuthService, SessionStore, UserRepository } from '@stockroom/auth';
import { bootApi, keysMatching, TestApi, TestContext, testRedis, UNREACHABLE_REDIS } from './support/test-context';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Sessions in Redis: register, login, me, logout, expiry, revoke-all', () => {
  let context: TestContext;
  let api: TestApi;
  let redis: Redis | Cluster;
  const post = (url: string, payload?: object, headers: Record<string, string> = {}) => api.app.inject({ method: 'POST', url, payload, headers });
  const me = (headers: Record<string, string>) => api.app.inject({ method: 'GET', url: '/auth/me', headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const login = async (email: string, password = 'a long passphrase 1') => (await post('/auth/login', { email, password })).json().token as string;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { SESSION_TTL_SECONDS: '4', SESSION_MAX_AGE_SECONDS: '9' });
    redis = testRedis();
    expect((await post('/auth/register', { email: 'Ana@Example.com', password: 'a long passphrase 1' })).statusCode).toBe(201);
  });

  afterAll(async () => {
    redis?.disconnect();
    await api?.close();
    await context?.dispose();
  });

  it('registers customers with normalised, unique emails and refuses weak passwords', async () => {
    const again = await post('/auth/register', { email: ' ana@EXAMPLE.com ', password: 'another passphrase' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('EMAIL_TAKEN');
    expect((await post('/auth/register', { email: 'bo@example.com', password: 'short' })).statusCode).toBe(400);
    expect((await post('/auth/register', { email: 'not-an-email', password: 'a long passphrase 1' })).statusCode).toBe(400);
    expect((await api.app.get(UserRepository).findByEmail('ana@example.com'))?.role).toBe('customer');
  });

  it('signs in with a fresh 256-bit id as an HttpOnly cookie and a bearer token; Redis holds only its SHA-256', async () => {
    const wrong = await post('/auth/login', { email: 'ana@example.com', password: 'not the passphrase' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
    expect((await post('/auth/login', { email: 'nobody@example.com', password: 'a long passphrase 1' })).json().code).toBe('INVALID_CREDENTIALS');

    const response = await post('/auth/login', { email: 'ANA@example.com', password: 'a long passphrase 1' });
    expect(response.statusCode).toBe(200);
    const { token } = response.json();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(String(response.headers['set-cookie'])).toMatch(new RegExp(`^sid=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+; Secure$`)); // Secure outside NODE_ENV=development
    const digest = createHash('sha256').update(token).digest('hex');
    expect(await redis.exists(`${context.keyPrefix}:sess:${digest}`)).toBe(1);
    const keys = await keysMatching(redis, `${context.keyPrefix}:sess*`);
    expect(keys.some((key) => key.includes(token))).toBe(false);

    expect((await me({ cookie: `theme=dark; sid=${token}` })).json().email).toBe('ana@example.com');
    expect((await me(bearer(token))).json().role).toBe('customer');
    const anonymous = await me({});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('NOT_SIGNED_IN');
  });

  it('rotates the id at every sign-in and ends a session at logout', async () => {
    const first = await login('ana@example.com');
    const second = (await post('/auth/login', { email: 'ana@example.com', password: 'a long passphrase 1' }, { cookie: `sid=${first}` })).json().token;
    expect(second).not.toBe(first);
    expect((await me(bearer(first))).statusCode).toBe(401);
    expect((await me(bearer(second))).statusCode).toBe(200);
    const out = await post('/auth/logout', undefined, bearer(second));
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^sid=; .*Max-Age=0/);
    expect((await me(bearer(second))).statusCode).toBe(401);
  });

  /** Counts the store's Redis lookups of a session: the script (first lookup here) and GETEX (later ones). */
  function countLookups(): { script: number; getex: number; restore(): void } {
    const redisOf = (api.app.get(SessionStore) as unknown as { redis: Record<'sessionTouch' | 'getex', (...args: unknown[]) => Promise<unknown>> }).redis;
    const originals = { sessionTouch: redisOf.sessionTouch, getex: redisOf.getex };
    const counts = {
      script: 0,
      getex: 0,
      restore() {
        Object.assign(redisOf, originals);
      },
    };
    redisOf.sessionTouch = (...args) => (counts.script++, originals.sessionTouch.apply(redisOf, args));
    redisOf.getex = (...args) => (counts.getex++, originals.getex.apply(redisOf, args));
    return counts;
  }

  it('looks a session up once for the requests of one turn, and never past a logout', async () => {
    const token = await login('ana@example.com');
    const lookups = countLookups();
    try {
      // inject dispatches all twenty in one turn of the event loop.
      const answers = await Promise.all(Array.from({ length: 20 }, () => me(bearer(token))));
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(answers.every((answer) => answer.json().email === 'ana@example.com')).toBe(true);
      expect(lookups.script + lookups.getex).toBe(1);
      expect((await post('/auth/logout', undefined, bearer(token))).statusCode).toBe(204);
      const after = await Promise.all(Array.from({ length: 20 }, () => me(bearer(token))));
      expect(after.map((answer) => answer.statusCode)).toEqual(Array.from({ length: 20 }, () => 401));
      expect(lookups.script + lookups.getex).toBe(2);
    } finally {
      lookups.restore();
    }
  });

  it('reads a session known here with one GETEX that slides it, never past its absolute end, and sees a revoke at once', async () => {
    const store = api.app.get(SessionStore);
    const user = (await api.app.get(UserRepository).findByEmail('ana@example.com'))!;
    const { sessionId, session } = await store.create(user.id, user.role);
    const key = `${context.keyPrefix}:sess:${createHash('sha256').update(sessionId).digest('hex')}`;
    // Its absolute end 3 s away, under the 4 s idle TTL: every slide must stop there.
    const end = Date.now() + 3_000;
    await redis.set(key, JSON.stringify({ ...session, expiresAt: end }), 'PX', 4_000);
    const lookups = countLookups();
    try {
      expect((await me(bearer(sessionId))).statusCode).toBe(200);
      expect(lookups).toMatchObject({ script: 1, getex: 0 });
      await redis.pexpire(key, 100_000);
      expect((await me(bearer(sessionId))).statusCode).toBe(200);
      expect(lookups).toMatchObject({ script: 1, getex: 1 });
      // Read after the slide, so at most what was left of the session then (Redis rounds to the ms).
      const left = end - Date.now();
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(left + 5);
      // Revoked elsewhere (another instance, an admin): the next lookup finds no key.
      await redis.del(key);
      expect((await me(bearer(sessionId))).statusCode).toBe(401);
      expect(lookups).toMatchObject({ script: 1, getex: 2 });
    } finally {
      lookups.restore();
    }
  });

  it('slides while used, ends when idle, and ends at its absolute maximum however active', async () => {
    const idle = await login('ana@example.com');
    const active = await login('ana@example.com');
    const signedInAt = Date.now();
    let uses = 0;
    // Used every second (idle TTL 4 s: a stalled machine has 3 s to spare) until 2.5 s before
    // the 9 s maximum: it stays valid, while the unused one ends.
    while (Date.now() - signedInAt < 6_500) {
      await sleep(1_000);
      expect((await me(bearer(active))).statusCode).toBe(200);
      uses++;
    }
    expect(uses).toBeGreaterThanOrEqual(3);
    expect((await me(bearer(idle))).statusCode).toBe(401);
    await sleep(Math.max(0, signedInAt + 9_300 - Date.now()));
    // Past the maximum although used every second.
    expect((await me(bearer(active))).statusCode).toBe(401);
  });

  it('revokes all of a user\'s sessions', async () => {
    const [a, b] = [await login('ana@example.com'), await login('ana@example.com')];
    // Both read once first, so this process knows them and reads them with GETEX after the revoke.
    for (const token of [a, b]) expect((await me(bearer(token))).statusCode).toBe(200);
    const user = await api.app.get(UserRepository).findByEmail('ana@example.com');
    expect(await api.app.get(AuthService).revokeAll(user!.id)).toBeGreaterThanOrEqual(2);
    for (const token of [a, b]) expect((await me(bearer(token))).statusCode).toBe(401);
  });

  it('answers sign-in with 503 when Redis is down, while the catalogue still reads', async () => {
    const down = await bootApi(context, UNREACHABLE_REDIS);
    try {
      const response = await down.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@example.com', password: 'a long passphrase 1' } });
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('SESSION_STORE_UNAVAILABLE');
      expect((await down.app.inject({ method: 'GET', url: '/products' })).statusCode).toBe(200);
    } finally {
      await down.close();
    }
  });
});
