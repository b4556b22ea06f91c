import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Counter } from 'prom-client';
import { MetricsRegistry, TurnMap } from '@stockroom/core';
import { RATE_LIMIT_OPTIONS } from './rate-limit-options';
import type { RateLimitOptions } from './rate-limit-options';
import { defineLuaScripts, InjectRequestRedis, RedisCircuit, RedisKeys } from '@stockroom/redis';
import { CREDENTIAL_ACCOUNT_THROTTLER, CREDENTIAL_IP_THROTTLER } from './throttle.decorators';
import type { RedisClient } from '@stockroom/redis';
import { THROTTLE_HIT_LUA } from './throttle-hit.lua';

const CREDENTIAL_THROTTLERS = [CREDENTIAL_IP_THROTTLER, CREDENTIAL_ACCOUNT_THROTTLER];

type ThrottleCommands = RedisClient & {
  throttleHit(hits: string, block: string, windowMs: number, limit: number, blockMs: number, requests: number): Promise<[number, number, number, number]>;
};

/** The requests of one event-loop turn against one counter, waiting for one script call. */
interface Run {
  hitsKey: string;
  windowMs: number;
  limit: number;
  blockMs: number;
  throttler: string;
  waiting: Array<(record: ThrottlerStorageRecord) => void>;
}

/**
 * @nestjs/throttler's storage on Redis, exact however many instances share the Redis: one Lua call
 * (EVALSHA) counts a request against a throttler. The requests of one event-loop turn that hit the
 * same counter (a busy client's burst) share that call: the script counts the run as a whole and
 * each request gets the outcome it would have had on its own, one after another (its own hit
 * count; refused from the first one over the limit). Keys `{prefix}:rl:{<key>}:<name>`. The call
 * has a deadline (REDIS_TIMEOUT_MS) and runs behind the process's Redis circuit: while Redis cannot
 * count, requests pass (fail-open, counted and logged once per outage) unless THROTTLE_FAIL_CLOSED,
 * which refuses them instead; the sign-in limits always fail closed, so a Redis outage never opens
 * unlimited password guessing.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private readonly redis: ThrottleCommands;
  private readonly failures: Counter;
  private failing = false;
  /** This turn's runs by counter and limits, each sent as one call when the turn ends. */
  private readonly runs = new TurnMap<string, Run>((runs) => {
    for (const run of runs.values()) this.send(run);
  });

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
  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const hitsKey = this.keys.tagged('rl', key, throttlerName);
    const id = `${hitsKey} ${ttl} ${limit} ${blockDuration}`;
    let run = this.runs.get(id);
    if (!run) {
      run = { hitsKey, windowMs: ttl, limit, blockMs: blockDuration, throttler: throttlerName, waiting: [] };
      this.runs.set(id, run);
    }
    const waiting = run.waiting;
    return new Promise((resolve) => waiting.push(resolve));
  }

  private send(run: Run): void {
    const { hitsKey, windowMs, limit, blockMs, waiting } = run;
    void this.circuit
      .run(this.redis, () => this.redis.throttleHit(hitsKey, `${hitsKey}:block`, windowMs, limit, blockMs, waiting.length), () => undefined)
      .then((counted) => {
        if (!counted) return this.unavailable(run);
        if (this.failing) {
          this.failing = false;
          this.logger.log('rate limiting restored');
        }
        const [hits, windowLeftMs, countedRequests, blockLeftMs] = counted;
        const timeToExpire = Math.ceil(windowLeftMs / 1000);
        const timeToBlockExpire = Math.ceil(blockLeftMs / 1000);
        const first = hits - countedRequests;
        for (let i = 0; i < waiting.length; i++) {
          // A request past the counted ones was refused by the block the last counted one set.
          const totalHits = i < countedRequests ? first + i + 1 : hits;
          const isBlocked = i >= countedRequests || totalHits > limit;
          waiting[i]({ totalHits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToBlockExpire : 0 });
        }
      });
  }

  /** Every request of a run Redis could not count: let through, or refused where the limit fails closed. */
  private unavailable(run: Run): void {
    this.failures.inc(run.waiting.length);
    const closed = this.options.failClosed || CREDENTIAL_THROTTLERS.includes(run.throttler);
    if (!this.failing) {
      this.failing = true;
      this.logger.warn(`rate limiting ${this.options.failClosed ? 'refusing' : 'letting through'} requests (sign-in refused), Redis unavailable`);
    }
    const seconds = Math.ceil(run.windowMs / 1000);
    const record = closed
      ? { totalHits: run.limit + 1, timeToExpire: seconds, isBlocked: true, timeToBlockExpire: seconds }
      : { totalHits: 0, timeToExpire: seconds, isBlocked: false, timeToBlockExpire: 0 };
    for (const resolve of run.waiting) resolve({ ...record });
  }
}
