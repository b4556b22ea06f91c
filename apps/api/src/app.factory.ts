import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoLogger } from 'pino';
import {
  AppConfig,
  configureFastify,
  createRootLogger,
  createValidationPipe,
  frameworkErrorHandler,
  HttpErrorFilter,
  InFlightRequests,
  instrumentHttp,
  MetricsRegistry,
  PinoNestLogger,
  requestIdFor,
} from '@stockroom/core';
import { ApiModule } from './api.module';
import { setupSwagger } from './openapi';
import { mountQueueBoard } from './queue-board';

export interface ApiAppOptions {
  logger?: PinoLogger;
}

/** Builds the configured API application (not yet listening); tests use exactly this. */
export async function createApiApp(config: AppConfig, options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createRootLogger(config, 'api');
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    genReqId: requestIdFor,
    frameworkErrors: frameworkErrorHandler,
    bodyLimit: config.http.bodyLimitBytes,
    // Long enough for real clients, short enough that a stuck one cannot hold shutdown forever.
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // Only the proxies named in TRUST_PROXY may set the client address (X-Forwarded-For).
    trustProxy: config.throttle.trustProxy.length > 0 ? config.throttle.trustProxy.join(',') : false,
  });
  const inFlight = new InFlightRequests();
  configureFastify(adapter.getInstance(), inFlight);
  // Fastify runs this after the server stopped accepting and its sockets closed; Nest closes
  // MySQL and Redis only after Fastify's close resolves.
  adapter.getInstance().addHook('onClose', async () => {
    if (!(await inFlight.drained(config.http.shutdownTimeoutMs))) {
      logger.warn({ running: inFlight.count }, 'shutdown: handlers still running after the drain timeout');
    }
  });

  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // configureFastify installs the JSON parser (and only it).
    bodyParser: false,
  });
  // Security headers; helmet's default CSP already fits Swagger UI (same-origin scripts, inline styles).
  await app.register(helmet);
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.http.corsOrigins],
      credentials: true,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Idempotent-Replayed'],
    });
  }
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  instrumentHttp(adapter.getInstance(), app.get(MetricsRegistry));
  setupSwagger(app);
  await mountQueueBoard(app);
  return app;
}
