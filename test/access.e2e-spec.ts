import { bootApi, TestApi, TestContext } from './support/test-context';
import { signIn, SignedIn, viaInject } from './support/sign-in';

type Requirement = 'public' | 'signed-in' | 'staff' | 'admin';
type Caller = 'anonymous' | 'customer' | 'staff' | 'admin';

/**
 * Every route of the API and who may call it. A route added without a line here fails the first
 * test, so the matrix cannot silently fall behind the code.
 */
const MATRIX: Record<string, Requirement> = {
  'GET /products': 'public',
  'GET /products/popular': 'public',
  'GET /products/recently-viewed': 'signed-in',
  'GET /products/by-sku/{sku}': 'public',
  'GET /products/{id}': 'public',
  'POST /products': 'staff',
  'PATCH /products/{id}': 'staff',
  'DELETE /products/{id}': 'staff',
  'GET /categories': 'public',
  'GET /categories/{id}': 'public',
  'POST /categories': 'staff',
  'PATCH /categories/{id}': 'staff',
  'DELETE /categories/{id}': 'staff',
  'GET /inventory/{productId}': 'staff',
  'POST /inventory/{productId}/adjustments': 'staff',
  'GET /inventory/{productId}/movements': 'staff',
  'POST /inventory/reservations': 'staff',
  'GET /stats/products/top': 'staff',
  'GET /stats/cache': 'staff',
  'GET /cache/namespaces': 'staff',
  'DELETE /cache/namespaces/{namespace}': 'staff',
  'POST /auth/register': 'public',
  'POST /auth/login': 'public',
  'GET /auth/me': 'signed-in',
  'POST /auth/password': 'signed-in',
  'GET /auth/users': 'admin',
  'PATCH /auth/users/{id}': 'admin',
  'DELETE /auth/users/{id}/sessions': 'admin',
  'POST /orders': 'signed-in',
  'GET /orders': 'signed-in',
  'GET /orders/{id}': 'signed-in',
  'GET /orders/{id}/events': 'signed-in',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  // Last: it ends the caller's session.
  'POST /auth/logout': 'public',
};

const ALLOWED: Record<Requirement, Caller[]> = {
  public: ['anonymous', 'customer', 'staff', 'admin'],
  'signed-in': ['customer', 'staff', 'admin'],
  staff: ['staff', 'admin'],
  admin: ['admin'],
};

/**
 * Bull Board (a Fastify plugin, outside the OpenAPI document): staff may look, only admins change
 * anything. The queue named here does not exist, so an admin's call changes nothing either.
 */
const BOARD: Record<string, Requirement> = {
  'GET /admin/queues': 'staff',
  'GET /admin/queues/api/queues': 'staff',
  'PUT /admin/queues/api/queues/no-such-queue/pause': 'admin',
  'PUT /admin/queues/api/queues/no-such-queue/empty': 'admin',
  'PUT /admin/queues/api/queues/no-such-queue/obliterate': 'admin',
  'PUT /admin/queues/api/queues/no-such-queue/clean/completed': 'admin',
  'PATCH /admin/queues/api/queues/no-such-queue/job-schedulers/maintenance': 'admin',
  'PUT /admin/queues/api/queues/no-such-queue/job-schedulers/maintenance/run': 'admin',
  'PUT /admin/queues/api/queues/no-such-queue/7/retry': 'admin',
};

/** Path parameters that reach the handler without changing anything (missing ids, empty bodies fail validation after the guard). */
const PARAMS: Record<string, string> = { id: '999999', productId: '999999', sku: 'NO-SUCH-SKU', namespace: 'product' };

describe('Access: who may call every route (401 without a session, 403 with another role)', () => {
  let context: TestContext;
  let api: TestApi;
  const sessions = {} as Record<Exclude<Caller, 'anonymous'>, SignedIn>;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context);
    const send = viaInject(api.app);
    for (const role of ['customer', 'staff', 'admin'] as const) sessions[role] = await signIn(send, role);
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('the matrix lists exactly the routes the API serves, and the OpenAPI document states each requirement', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs-json' })).json();
    const served: string[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const route = `${method.toUpperCase()} ${path}`;
        served.push(route);
        const requirement = MATRIX[route];
        if (requirement === 'public') {
          expect({ route, access: operation['x-access'], security: operation.security }).toEqual({ route, access: { public: true }, security: [] });
          continue;
        }
        const roles = requirement === 'signed-in' ? ['admin', 'staff', 'customer'] : requirement === 'staff' ? ['admin', 'staff'] : ['admin'];
        expect({ route, access: operation['x-access'] }).toEqual({ route, access: { public: false, roles } });
        expect(operation.security).toEqual([{ cookie: [] }, { bearer: [] }]);
        expect(operation.responses['401']).toBeDefined();
      }
    }
    expect(served.sort()).toEqual(Object.keys(MATRIX).sort());
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearer', 'cookie']);
  });

  // The board first: the matrix's last route ends the callers' sessions.
  it.each([...Object.entries(BOARD), ...Object.entries(MATRIX)])('%s is for %s callers', async (route, requirement) => {
    const [method, template] = route.split(' ');
    const url = template.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name]);
    for (const caller of ['anonymous', 'customer', 'staff', 'admin'] as const) {
      const headers = caller === 'anonymous' ? {} : sessions[caller].headers;
      const response = await api.app.inject({ method: method as 'GET', url, headers, payload: method === 'GET' ? undefined : {} });
      const outcome = { route, caller, status: response.statusCode };
      if (ALLOWED[requirement].includes(caller)) {
        expect(outcome.status === 401 || outcome.status === 403 ? outcome : 'let through').toBe('let through');
      } else {
        const expected = caller === 'anonymous' ? { status: 401, code: 'NOT_SIGNED_IN' } : { status: 403, code: 'FORBIDDEN' };
        expect({ ...outcome, code: response.json().code }).toEqual({ route, caller, ...expected });
      }
    }
  });

  it('an unknown, malformed or revoked session is anonymous: public routes answer, the others 401', async () => {
    const { token } = await signIn(viaInject(api.app), 'customer');
    await api.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } });
    for (const authorization of [`Bearer ${token}`, `Bearer ${'A'.repeat(43)}`, 'Bearer not-a-session-id', 'Basic YTpi']) {
      expect((await api.app.inject({ method: 'GET', url: '/products', headers: { authorization } })).statusCode).toBe(200);
      const refused = await api.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization } });
      expect({ authorization, status: refused.statusCode }).toEqual({ authorization, status: 401 });
    }
    const cookie = await api.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `sid=${token}` } });
    expect(cookie.statusCode).toBe(401);
  });

  it('the cookie works like the bearer token', async () => {
    const staff = await signIn(viaInject(api.app), 'staff');
    const response = await api.app.inject({ method: 'GET', url: '/stats/cache', headers: { cookie: `theme=dark; sid=${staff.token}` } });
    expect(response.statusCode).toBe(200);
  });

  it('a role change or a password change ends the sessions opened before it', async () => {
    const send = viaInject(api.app);
    const staff = await signIn(send, 'staff');
    const admin = (await signIn(send, 'admin')).headers;
    expect((await api.app.inject({ method: 'GET', url: '/inventory/999999', headers: staff.headers })).statusCode).toBe(404);
    const demoted = await api.app.inject({ method: 'PATCH', url: `/auth/users/${staff.userId}`, payload: { role: 'customer' }, headers: admin });
    expect(demoted.json()).toMatchObject({ id: staff.userId, role: 'customer' });
    expect((await api.app.inject({ method: 'GET', url: '/inventory/999999', headers: staff.headers })).statusCode).toBe(401);
    const again = await api.app.inject({ method: 'POST', url: '/auth/login', payload: { email: staff.email, password: 'a test passphrase' } });
    const headers = { authorization: `Bearer ${again.json().token}` };
    expect((await api.app.inject({ method: 'GET', url: '/inventory/999999', headers })).json().code).toBe('FORBIDDEN');

    const wrong = await api.app.inject({ method: 'POST', url: '/auth/password', payload: { currentPassword: 'not it', newPassword: 'a brand new passphrase' }, headers });
    expect({ status: wrong.statusCode, code: wrong.json().code }).toEqual({ status: 400, code: 'WRONG_PASSWORD' });
    const other = await api.app.inject({ method: 'POST', url: '/auth/login', payload: { email: staff.email, password: 'a test passphrase' } });
    const changed = await api.app.inject({ method: 'POST', url: '/auth/password', payload: { currentPassword: 'a test passphrase', newPassword: 'a brand new passphrase' }, headers });
    expect(changed.statusCode).toBe(200);
    for (const token of [again.json().token, other.json().token]) {
      expect((await api.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    }
    expect((await api.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${changed.json().token}` } })).json().email).toBe(staff.email);
    const oldPassword = await api.app.inject({ method: 'POST', url: '/auth/login', payload: { email: staff.email, password: 'a test passphrase' } });
    expect(oldPassword.statusCode).toBe(401);
  });

  it('admins sign users out everywhere, list users, and cannot change their own role', async () => {
    // A new admin session: the matrix's logout ended the first one.
    const admin = await signIn(viaInject(api.app), 'admin');
    const customer = await signIn(viaInject(api.app), 'customer');
    const revoked = await api.app.inject({ method: 'DELETE', url: `/auth/users/${customer.userId}/sessions`, headers: admin.headers });
    expect(revoked.json()).toEqual({ revoked: 1 });
    expect((await api.app.inject({ method: 'GET', url: '/auth/me', headers: customer.headers })).statusCode).toBe(401);

    const own = await api.app.inject({ method: 'PATCH', url: `/auth/users/${admin.userId}`, payload: { role: 'customer' }, headers: admin.headers });
    expect({ status: own.statusCode, code: own.json().code }).toEqual({ status: 409, code: 'OWN_ROLE' });
    const missing = await api.app.inject({ method: 'PATCH', url: '/auth/users/999999', payload: { role: 'staff' }, headers: admin.headers });
    expect(missing.json().code).toBe('USER_NOT_FOUND');
    expect((await api.app.inject({ method: 'PATCH', url: `/auth/users/${customer.userId}`, payload: { role: 'root' }, headers: admin.headers })).statusCode).toBe(400);

    const page = (await api.app.inject({ method: 'GET', url: '/auth/users?role=admin', headers: admin.headers })).json();
    expect(page).toMatchObject({ page: 1, limit: 20, total: 1, items: [{ id: admin.userId, role: 'admin' }] });
    expect(JSON.stringify(page)).not.toMatch(/scrypt|password/i);
  });
});
