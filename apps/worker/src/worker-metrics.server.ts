import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig, MetricsRegistry } from '@stockroom/core';

/** The worker has no API; Prometheus scrapes its job metrics here (GET /metrics, nothing else). */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerMetrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: MetricsRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort } = this.config.worker;
    if (metricsPort < 0) return;
    this.server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/metrics') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 404, error: 'Not Found', code: 'ROUTE_NOT_FOUND', message: 'Only GET /metrics here' }));
        return;
      }
      this.registry.metrics().then(
        (body) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(metricsPort, this.config.http.host, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.logger.log(`metrics on http://${this.config.http.host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
