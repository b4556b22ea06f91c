import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@stockroom/core';
import { RATE_LIMIT_OPTIONS } from './rate-limit-options';
import type { RateLimitOptions } from './rate-limit-options';
import { defineLuaScripts, InjectRequestRedis, RedisCircuit, RedisKeys } from '@stockroom/redis';
import { CREDENTIAL_ACCOUNT_THROTTLER, CREDENTIAL_IP_THROTTLER } from './throttle.decorators';
import type { RedisClient } from '@stockroom/redis';
import { THROTTLE_HIT_LUA } from './throttle-hit.lua';

const CREDENTIAL_THROTTLERS = [CREDENTIAL_IP_THROTTLER, CREDENTIAL_ACCOUNT_THROTTLER];

type ThrottleCommands = RedisClient & {
  throttleHit(hits: string, block: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number, number, number]>;
};

/**
 * @nestjs/throttler's storage on Redis: one Lua call (EVALSHA) per request per throttler, so
 * the count is exact however many instances share the Redis. Keys `{prefix}:rl:{<key>}:<name>`.
 * The call has a deadline (REDIS_TIMEOUT_MS) and runs behind the process's Redis circuit: while
 * Redis cannot count, requests pass (fail-open, counted and logged once per outage) unless
 * THROTTLE_FAIL_CLOSED, which refuses them instead; the sign-in limits always fail closed, so a
 * Redis outage never opens unlimited password guessing.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private readonly redis: ThrottleCommands;
  private readonly failures: Counter;
  private failing = false;

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitOptions,
    @InjectRequestRedis() redis: RedisClient,
    private readonly circuit: RedisCircuit,
    private readonly keys: RedisKeys,
    @Optional() registry?: MetricsRegistry,
  ) {
    this.redis = redis as ThrottleCommands;
    defineLuaScripts(redis, [{ name: 'throttleHit', numberOfKeys: 2, lua: THROTTLE_HIT_LUA }]);
    this.failures = new Counter({
      name: 'stockroom_throttle_storage_failures_total',
      help: 'Requests the throttler could not count because Redis was unavailable',
      registers: registry ? [registry] : [],
    });
  }

  /** `ttl` and `blockDuration` in ms (as @nestjs/throttler passes them); times returned in seconds. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const hitsKey = this.keys.tagged('rl', key, throttlerName);
    const counted = await this.circuit.run(
      this.redis,
      () => this.redis.throttleHit(hitsKey, `${hitsKey}:block`, ttl, limit, blockDuration),
      () => undefined,
    );
    if (counted) {
      if (this.failing) {
        this.failing = false;
        this.logger.log('rate limiting restored');
      }
      const [totalHits, windowLeftMs, blocked, blockLeftMs] = counted;
      return { totalHits, timeToExpire: Math.ceil(windowLeftMs / 1000), isBlocked: blocked === 1, timeToBlockExpire: Math.ceil(blockLeftMs / 1000) };
    }
    this.failures.inc();
    const closed = this.options.failClosed || CREDENTIAL_THROTTLERS.includes(throttlerName);
    if (!this.failing) {
      this.failing = true;
      this.logger.warn(`rate limiting ${this.options.failClosed ? 'refusing' : 'letting through'} requests (sign-in refused), Redis unavailable`);
    }
    const seconds = Math.ceil(ttl / 1000);
    return closed
      ? { totalHits: limit + 1, timeToExpire: seconds, isBlocked: true, timeToBlockExpire: seconds }
      : { totalHits: 0, timeToExpire: seconds, isBlocked: false, timeToBlockExpire: 0 };
  }
}
