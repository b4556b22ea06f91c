import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { ConfigModule, Env, MetricsModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { LockModule } from '@stockroom/lock';
import type { TestContext } from './test-context';

/**
 * The medium tier's app: infrastructure and the given feature core modules, against the real
 * MySQL and Redis of the test context, with no HTTP (no controllers, guards or Fastify).
 */
export async function bootCore(context: TestContext, features: Array<Type<unknown> | DynamicModule>, overrides: Env = {}): Promise<INestApplicationContext> {
  const config = context.config(overrides);
  @Module({ imports: [ConfigModule.forRoot(config), MetricsModule, DatabaseModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache), LockModule.forRoot(), ...features] })
  class CoreTestModule {}
  const app = await NestFactory.createApplicationContext(CoreTestModule, { logger: false });
  await app.init();
  return app;
}
