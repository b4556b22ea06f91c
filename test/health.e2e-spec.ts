import { bootApi, TestApi, TestContext, UNREACHABLE_REDIS } from './support/test-context';

describe('Health probes', () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create();
  });

  afterAll(async () => {
    await context?.dispose();
  });

  describe('with MySQL and Redis up', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await bootApi(context);
    });
    afterAll(async () => {
      await api?.close();
    });

    it('/health/live answers 200 without checking dependencies', async () => {
      const response = await api.app.inject({ method: 'GET', url: '/health/live' });
      expect(response.statusCode).toBe(200);
      expect(response.json().status).toBe('ok');
    });

    it('/health/ready reports MySQL and Redis up', async () => {
      const response = await api.app.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up' } } });
    });
  });

  it('/health/ready answers 503 naming Redis when Redis is unreachable, and live stays 200', async () => {
    // Nothing listens on port 1: the app boots (the preflight is main.ts's job) and reports it.
    const api = await bootApi(context, UNREACHABLE_REDIS);
    try {
      const ready = await api.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      const body = ready.json();
      expect(body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(body.details.error.redis.status).toBe('down');
      expect(body.details.info.mysql.status).toBe('up');
      expect((await api.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      // Catalogue reads do not need Redis at this stage.
      expect((await api.app.inject({ method: 'GET', url: '/products' })).statusCode).toBe(200);
    } finally {
      await api.close();
    }
  });
});
