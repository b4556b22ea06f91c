import { Global, Module } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HistogramSeries, HotHistogram } from './hot-metrics';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** The one Prometheus registry of a process; libs register their metrics on it. Process metrics (CPU, memory, event loop lag, GC) included. */
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}

/**
 * Request latency by method, route template (never the raw URL: ids would explode the series)
 * and status. Each route's recorder is made once, when Fastify registers the route, so a request
 * pays a bucket search and no label lookup; answers no route matched are `unmatched`.
 */
export class HttpMetrics {
  private histogram?: HotHistogram;

  /** Called once the app's registry exists (before any request). */
  register(registry: MetricsRegistry): void {
    this.histogram = new HotHistogram(
      'stockroom_http_request_duration_seconds',
      'HTTP requests by method, route and status',
      ['method', 'route', 'status'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registry,
    );
  }

  /** A recorder for one route: the series of each status it answers with is looked up once. */
  recorder(method: string, route: string): (reply: FastifyReply) => void {
    const byStatus = new Map<number, HistogramSeries>();
    return (reply) => {
      if (!this.histogram) return;
      let series = byStatus.get(reply.statusCode);
      if (!series) {
        series = this.histogram.series(method, route, String(reply.statusCode));
        byStatus.set(reply.statusCode, series);
      }
      series.observe(reply.elapsedTime / 1000);
    };
  }
}

@Global()
@Module({
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
