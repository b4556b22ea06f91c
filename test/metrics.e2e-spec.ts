import { bootApi, TestApi, TestContext } from './support/test-context';
import { startWorkerProcess } from './support/processes';

describe('Metrics: /metrics on the API and on the worker', () => {
  let context: TestContext;
  let api: TestApi;

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context, { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '3', THROTTLE_TTL_SECONDS: '60' });
  });

  afterAll(async () => {
    await api?.close();
    await context?.dispose();
  });

  it('serves process, HTTP (by route template), cache, throttling, Redis, MySQL and queue metrics; public and never throttled', async () => {
    const product = (await api.app.inject({ method: 'POST', url: '/products', payload: { sku: 'MET-1', name: 'Meter', price: '1.00' }, headers: await api.admin() })).json();
    for (let i = 0; i < 5; i++) await api.app.inject({ method: 'GET', url: `/products/${product.id}`, remoteAddress: '10.20.0.1' });

    const scrapes = await Promise.all(Array.from({ length: 6 }, () => api.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.20.0.2' })));
    expect(scrapes.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const response = scrapes[5];
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    for (const metric of [
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'stockroom_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/products/:id",status="200"}',
      'stockroom_http_request_duration_seconds_count{method="GET",route="/products/:id",status="429"} 2',
      'stockroom_throttled_requests_total{throttler="default"} 2',
      'stockroom_cache_lookups_total',
      'stockroom_redis_connection_ready{connection="commands"} 1',
      'stockroom_redis_connection_ready{connection="sessions"} 1',
      'stockroom_mysql_pool_connections{pool="primary",state="open"}',
      'stockroom_queue_depth{state="waiting"} 0',
      'stockroom_lock_acquisitions_total',
    ]) {
      expect({ metric, found: text.includes(metric) }).toEqual({ metric, found: true });
    }
    // Ids never become labels.
    expect(text).not.toContain(`route="/products/${product.id}"`);
  });

  it('the worker process serves its job metrics on WORKER_METRICS_PORT', async () => {
    const worker = await startWorkerProcess(context.env({ WORKER_METRICS_PORT: '0' }));
    try {
      // Logged before "ready".
      const url = /metrics on (http:\/\/[^"\s]+\/metrics)/.exec(worker.output())![1].replace('0.0.0.0', '127.0.0.1');
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('stockroom_queue_depth');
      expect(text).toContain('process_resident_memory_bytes');
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});
