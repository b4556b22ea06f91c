import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigModule, Env, MetricsModule } from '@stockroom/core';
import { RedisModule } from '@stockroom/redis';
import { CacheModule, CacheStats, RedisCacheService } from '@stockroom/cache';
import type { TestContext } from './test-context';

export interface CacheApp {
  app: INestApplicationContext;
  cache: RedisCacheService;
  stats: CacheStats;
  close(): Promise<void>;
}

/** The cache module alone (no MySQL), against the real Redis, with extra providers under test. */
export async function bootCache(context: TestContext, overrides: Env = {}, providers: Array<new (...args: never[]) => unknown> = []): Promise<CacheApp> {
  const config = context.config(overrides);
  @Module({
    imports: [ConfigModule.forRoot(config), MetricsModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache)],
    providers,
  })
  class CacheTestModule {}
  const app = await NestFactory.createApplicationContext(CacheTestModule, { logger: false });
  await app.init();
  return { app, cache: app.get(RedisCacheService), stats: app.get(CacheStats), close: () => app.close() };
}

export { Injectable };
