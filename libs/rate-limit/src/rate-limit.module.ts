import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '@stockroom/core';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RateLimitGuard } from './rate-limit.guard';

/** Named throttlers from config: `default` (THROTTLE_LIMIT per THROTTLE_TTL_SECONDS) and an optional `burst`. */
export function throttlersFrom(config: AppConfig): ThrottlerModuleOptions {
  const { throttle } = config;
  const throttlers = [{ name: 'default', limit: throttle.limit, ttl: throttle.ttlSeconds * 1000 }];
  if (throttle.burstLimit > 0) throttlers.push({ name: 'burst', limit: throttle.burstLimit, ttl: throttle.burstTtlMs });
  return { throttlers, skipIf: () => !throttle.enabled };
}

@Module({ providers: [RedisThrottlerStorage], exports: [RedisThrottlerStorage] })
class ThrottlerStorageModule {}

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [ThrottlerStorageModule],
      inject: [AppConfig, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({ ...throttlersFrom(config), storage }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}
