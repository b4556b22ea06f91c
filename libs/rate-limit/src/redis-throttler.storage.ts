import { Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Counter } from 'prom-client';
import { AppConfig, MetricsRegistry } from '@stockroom/core';
import { defineLuaScripts, InjectRedis, readLuaScript, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';

type ThrottleCommands = RedisClient & {
  throttleHit(hits: string, block: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number, number, number]>;
};

/**
 * @nestjs/throttler's storage on Redis: one Lua call (EVALSHA) per request per throttler, so
 * the count is exact however many instances share the Redis. Keys `{prefix}:rl:{<key>}:<name>`.
 * Redis down: requests pass (fail-open, counted and logged once per outage) unless
 * THROTTLE_FAIL_CLOSED, which refuses them instead.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private readonly redis: ThrottleCommands;
  private readonly failures: Counter;
  private failing = false;

  constructor(
    private readonly config: AppConfig,
    @InjectRedis() redis: RedisClient,
    private readonly keys: RedisKeys,
    registry: MetricsRegistry,
  ) {
    this.redis = redis as ThrottleCommands;
    defineLuaScripts(redis, [{ name: 'throttleHit', numberOfKeys: 2, lua: readLuaScript(__dirname, 'rate-limit', 'throttle-hit.lua') }]);
    this.failures = new Counter({
      name: 'stockroom_throttle_storage_failures_total',
      help: 'Requests the throttler could not count because Redis was unavailable',
      registers: [registry],
    });
  }

  /** `ttl` and `blockDuration` in ms (as @nestjs/throttler passes them); times returned in seconds. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const hitsKey = this.keys.tagged('rl', key, throttlerName);
    try {
      // Never queue a request behind a reconnecting connection: decide now, open or closed.
      if (this.redis.status !== 'ready') throw new Error(`connection ${this.redis.status}`);
      const [totalHits, windowLeftMs, blocked, blockLeftMs] = await this.redis.throttleHit(hitsKey, `${hitsKey}:block`, ttl, limit, blockDuration);
      if (this.failing) {
        this.failing = false;
        this.logger.log('rate limiting restored');
      }
      return {
        totalHits,
        timeToExpire: Math.ceil(windowLeftMs / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockLeftMs / 1000),
      };
    } catch (error) {
      this.failures.inc();
      if (!this.failing) {
        this.failing = true;
        this.logger.warn(`rate limiting ${this.config.throttle.failClosed ? 'refusing' : 'letting through'} requests, Redis unavailable: ${(error as Error).message}`);
      }
      const seconds = Math.ceil(ttl / 1000);
      return this.config.throttle.failClosed
        ? { totalHits: limit + 1, timeToExpire: seconds, isBlocked: true, timeToBlockExpire: seconds }
        : { totalHits: 0, timeToExpire: seconds, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
