import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { AppConfig, createRootLogger, PinoNestLogger } from '@stockroom/core';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(config: AppConfig, options: { logger?: PinoLogger } = {}): Promise<INestApplicationContext> {
  const logger = options.logger ?? createRootLogger(config, 'worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return app;
}
