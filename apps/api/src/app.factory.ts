import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import {
  API_HELMET_OPTIONS,
  AppConfig,
  clientAddressFor,
  configureFastify,
  createRootLogger,
  createValidationPipe,
  FastReads,
  frameworkErrorHandler,
  HttpErrorFilter,
  HttpMetrics,
  HotCounter,
  InFlightRequests,
  lazyChildLoggerFactory,
  MetricsRegistry,
  PinoNestLogger,
  requestIdFor,
  responseHeaders,
  securityHeaders,
  serverWithEarlyAnswers,
} from '@stockroom/core';
import { AccessGuard } from '@stockroom/auth';
import { RateLimitGuard } from '@stockroom/rate-limit';
import { ApiModule } from './api.module';
import { setupSwagger, SWAGGER_PATH } from './openapi';
import { mountQueueBoard, QUEUE_BOARD_PATH } from './queue-board';

export interface ApiAppOptions {
  logger?: PinoLogger;
}

/** Builds the configured API application (not yet listening); tests use exactly this. */
export async function createApiApp(config: AppConfig, options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createRootLogger(config, 'api');
  const fastReads = new FastReads();
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: !config.log.requests }),
    genReqId: requestIdFor,
    childLoggerFactory: lazyChildLoggerFactory as never,
    frameworkErrors: frameworkErrorHandler,
    bodyLimit: config.http.bodyLimitBytes,
    // Long enough for real clients, short enough that a stuck one cannot hold shutdown forever.
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // Only the proxies named in TRUST_PROXY may set the client address (X-Forwarded-For).
    trustProxy: config.throttle.trustProxy.length > 0 ? config.throttle.trustProxy.join(',') : false,
    // No Nest middleware here (Fastify hooks and guards instead): its runner would be one more hook on every request.
    skipMiddie: true,
    // Cached product reads are answered as the request arrives, before Fastify's router (FastReads.answerEarly).
    serverFactory: serverWithEarlyAnswers(fastReads.earlyHandler),
  });
  const inFlight = new InFlightRequests();
  const metrics = new HttpMetrics();
  const headers = securityHeaders(API_HELMET_OPTIONS);
  configureFastify(adapter.getInstance(), {
    inFlight,
    headers,
    // helmet's defaults for the pages browsers render (its CSP fits Swagger UI: same-origin scripts, inline styles).
    documents: { prefixes: [SWAGGER_PATH, QUEUE_BOARD_PATH], headers: securityHeaders() },
    metrics,
    fastReads,
  });
  // Fastify runs this after the server stopped accepting and its sockets closed; Nest closes
  // MySQL and Redis only after Fastify's close resolves.
  adapter.getInstance().addHook('onClose', async () => {
    if (!(await inFlight.drained(config.http.shutdownTimeoutMs))) {
      logger.warn({ running: inFlight.count }, 'shutdown: handlers still running after the drain timeout');
    }
  });

  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, fastReads), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // configureFastify installs the JSON parser (and only it).
    bodyParser: false,
  });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.http.corsOrigins],
      credentials: true,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Idempotent-Replayed'],
    });
  }
  // One ordered list of global guards, for Nest and for the fast reads alike. The throttler runs
  // first, so refused requests count too; with throttling off it is left out (it would pass
  // every request, through a promise).
  const guards = [...(config.throttle.enabled ? [app.get(RateLimitGuard)] : []), app.get(AccessGuard)];
  app.useGlobalGuards(...guards);
  fastReads.useGuards(guards);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  // The registry exists once Nest has built the modules; requests only arrive after that.
  metrics.register(app.get(MetricsRegistry));
  fastReads.countWith(
    new HotCounter(
      'stockroom_fast_reads_total',
      'GETs answered from what this process had rendered, before the Nest pipeline, by route and by where: before-fastify (the HTTP server) or fastify-hook',
      ['route', 'stage'],
      app.get(MetricsRegistry),
    ),
  );
  // Not with request logging (Fastify logs the requests it serves) nor with CORS (@fastify/cors
  // sets its headers on every answer, Origin or not): then Fastify serves every request.
  if (!config.log.requests && config.http.corsOrigins.length === 0) {
    fastReads.answerEarly({
      headers: responseHeaders(headers),
      inFlight,
      requestId: requestIdFor,
      clientAddress: clientAddressFor(config.throttle.trustProxy),
    });
  }
  setupSwagger(app);
  await mountQueueBoard(app);
  return app;
}
