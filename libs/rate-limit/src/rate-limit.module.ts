import { Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '@stockroom/core';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { ipTracker, RateLimitGuard, RouteThrottler } from './rate-limit.guard';
import { accountOfRoute, CREDENTIAL_ACCOUNT_THROTTLER, CREDENTIAL_IP_THROTTLER, isCredentialRoute } from './throttle.decorators';

/**
 * Named throttlers from config: `default` (THROTTLE_LIMIT per THROTTLE_TTL_SECONDS), an optional
 * `burst`, and the brute-force pair `auth-ip` / `auth-account` that only routes marked
 * `@CredentialThrottle` meet.
 */
export function throttlersFrom(config: AppConfig): ThrottlerModuleOptions {
  const { throttle } = config;
  // Off: no throttler at all, so the guard has nothing to do on any route.
  if (!throttle.enabled) return { throttlers: [] };
  const credential = {
    ttl: throttle.credentialTtlSeconds * 1000,
    blockDuration: throttle.credentialBlockSeconds * 1000,
    appliesTo: (handler: object) => isCredentialRoute(handler),
  };
  const throttlers: RouteThrottler[] = [{ name: 'default', limit: throttle.limit, ttl: throttle.ttlSeconds * 1000 }];
  if (throttle.burstLimit > 0) throttlers.push({ name: 'burst', limit: throttle.burstLimit, ttl: throttle.burstTtlMs });
  throttlers.push(
    // Always the address: a session (anyone can make one) must not buy a fresh bucket.
    { ...credential, name: CREDENTIAL_IP_THROTTLER, limit: throttle.credentialIpLimit, getTracker: (req) => ipTracker(req as FastifyRequest) },
    {
      ...credential,
      name: CREDENTIAL_ACCOUNT_THROTTLER,
      limit: throttle.credentialAccountLimit,
      getTracker: (req, context) => {
        const account = accountOfRoute(context)?.(req as FastifyRequest);
        return account ? `account:${account}` : ipTracker(req as FastifyRequest);
      },
    },
  );
  return { throttlers };
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
  // The app makes the guard global (app.factory.ts), in order with its other guards.
  providers: [RateLimitGuard],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
