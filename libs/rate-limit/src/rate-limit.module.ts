import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { AsyncModuleOptions, asyncOptionsProvider } from '@stockroom/core';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RATE_LIMIT_OPTIONS, resolveRateLimitOptions } from './rate-limit-options';
import type { RateLimitModuleOptions, RateLimitOptions } from './rate-limit-options';
import { ipTracker, RateLimitGuard, RouteThrottler } from './rate-limit.guard';
import { accountOfRoute, CREDENTIAL_ACCOUNT_THROTTLER, CREDENTIAL_IP_THROTTLER, isCredentialRoute } from './throttle.decorators';

/**
 * Named throttlers from the options: `default` (`limit` per `ttlSeconds`), an optional `burst`,
 * and the brute-force pair `auth-ip` / `auth-account` that only routes marked
 * `@CredentialThrottle` meet.
 */
export function throttlersFrom(throttle: RateLimitOptions): ThrottlerModuleOptions {
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

/**
 * The Redis-backed @nestjs/throttler: exact across instances (one Lua call counts and blocks),
 * with its throttlers from the options. Exports RateLimitGuard and installs nothing: the app
 * decides where the guard runs (Stockroom makes it the first global guard in app.factory.ts).
 * Needs RedisModule; reports to a MetricsRegistry when the app has one.
 */
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions = {}): DynamicModule {
    return RateLimitModule.with({ provide: RATE_LIMIT_OPTIONS, useValue: resolveRateLimitOptions(options) });
  }

  static forRootAsync(options: AsyncModuleOptions<RateLimitModuleOptions>): DynamicModule {
    return RateLimitModule.with(asyncOptionsProvider(RATE_LIMIT_OPTIONS, options, resolveRateLimitOptions), options.imports);
  }

  private static with(options: Provider, imports: ModuleMetadata['imports'] = []): DynamicModule {
    // The options reach the throttler's own async factory through a module of their own.
    @Module({ providers: [options, RedisThrottlerStorage], exports: [RATE_LIMIT_OPTIONS, RedisThrottlerStorage], imports })
    class RateLimitStorageModule {}
    return {
      module: RateLimitModule,
      imports: [
        RateLimitStorageModule,
        ThrottlerModule.forRootAsync({
          imports: [RateLimitStorageModule],
          inject: [RATE_LIMIT_OPTIONS, RedisThrottlerStorage],
          useFactory: (throttle: RateLimitOptions, storage: RedisThrottlerStorage) => ({ ...throttlersFrom(throttle), storage }),
        }),
      ],
      providers: [RateLimitGuard],
      exports: [RateLimitGuard],
    };
  }
}
