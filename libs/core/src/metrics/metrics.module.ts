import { Global, Module } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The one Prometheus registry of a process; libs register their metrics on it. Process metrics (CPU, memory, event loop lag, GC) included. */
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}

/** Request latency by method, route template (never the raw URL: ids would explode the series) and status. */
export function instrumentHttp(fastify: FastifyInstance, registry: MetricsRegistry): void {
  const duration = new Histogram({
    name: 'stockroom_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  fastify.addHook('onResponse', async (request, reply) => {
    duration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

@Global()
@Module({
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
