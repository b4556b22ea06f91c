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

/**
 * Waits until the app's cache listens to its event channel: only then does L1 trust what it
 * learned (on a loaded machine the subscription may come after boot). Throws after `timeoutMs`.
 */
export async function untilListening(app: CacheApp, timeoutMs = 60_000): Promise<void> {
  const events = (app.cache as unknown as { events: { listening: boolean } }).events;
  for (const started = Date.now(); !events.listening; await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - started > timeoutMs) throw new Error(`the cache did not listen to its event channel within ${timeoutMs} ms`);
  }
}

export { Injectable };
