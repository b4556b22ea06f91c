import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
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

/** hits after the run, ms left in the window, requests counted, ms left blocked, quota reserved, the window, ms to wait. */
type ThrottleReply = [number, number, number, number, number, number, number];

type ThrottleCommands = RedisClient & {
  throttleHit(
    hits: string,
    block: string,
    reservations: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    requests: number,
    instance: string,
    reserve: number,
    settleWindow: number,
    unused: number,
    leaseMs: number,
    lapseMs: number,
  ): Promise<ThrottleReply>;
};

/**
 * How much longer than the instance's own settling time (one reservation time after its lease) an
 * unsettled reservation is waited for before it counts as used: a stopped or stalled instance.
 */
const LAPSE_MS = 1_000;

type Waiter = (record: ThrottlerStorageRecord) => void;

/** One counter with one set of limits. */
interface Bucket {
  id: string;
  hitsKey: string;
  windowMs: number;
  limit: number;
  blockMs: number;
  throttler: string;
}

/** The requests of one event-loop turn against one counter, waiting for one script call. */
interface Run extends Bucket {
  waiting: Waiter[];
  /** Settle this instance's reservation even if it could still serve (its timer fired, or the app stops). */
  settle?: boolean;
}

/** Quota this instance reserved from a counter: hit numbers `next`…`last`, handed out until `until`. */
interface Held {
  bucket: Bucket;
  window: number;
  first: number;
  next: number;
  last: number;
  /** performance.now() times: when it stops being used, and when its window ends (both on the safe side: from when the call was sent). */
  until: number;
  windowEnds: number;
  timer: NodeJS.Timeout;
}

/**
 * @nestjs/throttler's storage on Redis, exact however many instances share the Redis: one Lua call
 * (EVALSHA) counts a request against a throttler. The requests of one event-loop turn that hit the
 * same counter (a busy client's burst) share that call: the script counts the run as a whole and
 * each request gets the outcome it would have had on its own, one after another (its own hit
 * count; refused from the first one over the limit). A busy counter is served from quota the
 * instance reserved in Redis for THROTTLE_RESERVATION_MS, without a call (DESIGN.md, Rate limiting:
 * the limit stays exact). Keys `{prefix}:rl:{<key>}:<name>` (and `:block`, `:held`). The call
 * has a deadline (REDIS_TIMEOUT_MS) and runs behind the process's Redis circuit: while Redis cannot
 * count, requests pass (fail-open, counted and logged once per outage) unless THROTTLE_FAIL_CLOSED,
 * which refuses them instead; the sign-in limits always fail closed, so a Redis outage never opens
 * unlimited password guessing.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('Throttler');
  private readonly redis: ThrottleCommands;
  private readonly failures: Counter;
  private readonly reservations: Counter<'outcome'>;
  private failing = false;
  /** Names this process's reservations in Redis. */
  private readonly instance = randomUUID();
  /** This turn's runs by counter and limits, each sent as one call when the turn ends. */
  private readonly runs = new TurnMap<string, Run>((runs) => {
    for (const run of runs.values()) this.send(run);
  });
  /** Reserved quota by counter, and the counters with a reservation asked for and not yet answered. */
  private readonly held = new Map<string, Held>();
  private readonly asking = new Set<string>();

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitOptions,
    @InjectRequestRedis() redis: RedisClient,
    private readonly circuit: RedisCircuit,
    private readonly keys: RedisKeys,
    @Optional() registry?: MetricsRegistry,
  ) {
    this.redis = redis as ThrottleCommands;
    defineLuaScripts(redis, [{ name: 'throttleHit', numberOfKeys: 3, lua: THROTTLE_HIT_LUA }]);
    this.failures = new Counter({
      name: 'stockroom_throttle_storage_failures_total',
      help: 'Requests the throttler could not count because Redis was unavailable',
      registers: registry ? [registry] : [],
    });
    this.reservations = new Counter({
      name: 'stockroom_throttle_reservations_total',
      help: 'Quota reservations for busy counters (DESIGN.md, Rate limiting): granted, or refused (the counter was too near its limit)',
      labelNames: ['outcome'],
      registers: registry ? [registry] : [],
    });
  }

  /** `ttl` and `blockDuration` in ms (as @nestjs/throttler passes them); times returned in seconds. */
  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const counted = this.count(key, ttl, limit, blockDuration, throttlerName);
    return counted instanceof Promise ? counted : Promise.resolve(counted);
  }

  /**
   * As `increment`, answered at once (no promise) when this instance holds reserved quota for the
   * counter: RateLimitGuard then decides the request synchronously.
   */
  count(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord | Promise<ThrottlerStorageRecord> {
    const hitsKey = this.keys.tagged('rl', key, throttlerName);
    const id = `${hitsKey} ${ttl} ${limit} ${blockDuration}`;
    const held = this.held.get(id);
    if (held !== undefined) {
      const record = take(held, performance.now());
      if (record !== undefined) return record;
    }
    const { waiting } = this.runs.get(id) ?? this.runOf({ id, hitsKey, windowMs: ttl, limit, blockMs: blockDuration, throttler: throttlerName });
    return new Promise((resolve) => waiting.push(resolve));
  }

  /** This turn's run for a counter, begun if it has none yet. */
  private runOf(bucket: Bucket): Run {
    let run = this.runs.get(bucket.id);
    if (!run) {
      run = { ...bucket, waiting: [] };
      this.runs.set(bucket.id, run);
    }
    return run;
  }

  /** Gives back what this instance still holds, so a stopping instance's quota is not counted as used. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.held.values()].map((held) => this.send({ ...held.bucket, waiting: [], settle: true })));
  }

  private send(run: Run): Promise<void> | undefined {
    const { id, hitsKey, windowMs, limit, blockMs, waiting } = run;
    const held = this.held.get(id);
    let settleWindow = 0;
    let unused = 0;
    let reserve = 0;
    if (held !== undefined) {
      // Quota granted while this run waited for its turn to end serves it first.
      const now = performance.now();
      while (waiting.length > 0) {
        const record = take(held, now);
        if (record === undefined) break;
        waiting.shift()!(record);
      }
      if (!run.settle && waiting.length === 0 && held.next <= held.last && now < held.until) return undefined;
      this.held.delete(id);
      clearTimeout(held.timer);
      settleWindow = held.window;
      unused = held.last - held.next + 1;
      // Spent before its time: ask for twice as much next; lapsed: for twice what was used.
      if (waiting.length > 0) reserve = 2 * (held.next - held.first);
    } else if (waiting.length > 1) {
      reserve = 4 * waiting.length;
    }
    reserve = this.reservable(run, reserve);
    if (reserve > 0) this.asking.add(id);
    const sent = performance.now();
    const lease = this.options.reservationMs;
    return this.circuit
      .run(
        this.redis,
        () =>
          this.redis.throttleHit(hitsKey, `${hitsKey}:block`, `${hitsKey}:held`, windowMs, limit, blockMs, waiting.length, this.instance, reserve, settleWindow, unused, lease, lease + LAPSE_MS),
        () => undefined,
      )
      .then((counted) => {
        if (reserve > 0) this.asking.delete(id);
        if (!counted) return this.unavailable(run);
        if (this.failing) {
          this.failing = false;
          this.logger.log('rate limiting restored');
        }
        const [hits, windowLeftMs, countedRequests, blockLeftMs, reserved, window, waitMs] = counted;
        const timeToExpire = Math.ceil(windowLeftMs / 1000);
        const timeToBlockExpire = Math.ceil(blockLeftMs / 1000);
        const first = hits - countedRequests;
        for (let i = 0; i < countedRequests && i < waiting.length; i++) {
          const totalHits = first + i + 1;
          const isBlocked = totalHits > limit;
          waiting[i]({ totalHits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToBlockExpire : 0 });
        }
        const bucket: Bucket = { id, hitsKey, windowMs, limit, blockMs, throttler: run.throttler };
        const rest = waiting.slice(countedRequests);
        if (rest.length > 0 && waitMs > 0) {
          // Quota reserved elsewhere may come back: these are not refused yet, they ask again.
          setTimeout(() => this.retry(bucket, rest), Math.min(waitMs, Math.max(lease, 1)));
        } else {
          // Past the counted ones: refused by the block the last counted one set (or by the full window).
          for (const resolve of rest) resolve({ totalHits: hits, timeToExpire, isBlocked: true, timeToBlockExpire });
        }
        if (reserve > 0) this.reservations.inc({ outcome: reserved > 0 ? 'granted' : 'refused' });
        if (reserved > 0) this.hold({ bucket, window, first: hits + 1, next: hits + 1, last: hits + reserved, until: sent + Math.min(lease, windowLeftMs), windowEnds: sent + windowLeftMs });
      });
  }

  /** How much of a busy counter's quota to ask for: none for the sign-in limits (one call per attempt) or a small limit. */
  private reservable(bucket: Bucket, wanted: number): number {
    if (this.options.reservationMs === 0 || this.asking.has(bucket.id) || CREDENTIAL_THROTTLERS.includes(bucket.throttler)) return 0;
    const reserve = Math.min(wanted, Math.floor(bucket.limit / 10), 1_000);
    return reserve >= 2 ? reserve : 0;
  }

  private hold(reservation: Omit<Held, 'timer'>): void {
    // One reservation's time after its own: a busy counter's next request settles it first, and
    // asks for the next one sized by this one's use, in the same call.
    const settleBy = reservation.until + this.options.reservationMs;
    const held: Held = { ...reservation, timer: setTimeout(() => this.lapse(held), Math.max(settleBy - performance.now(), 0)) };
    held.timer.unref();
    this.held.set(held.bucket.id, held);
  }

  /** A reservation no request settled: settle it now rather than with the counter's next request, which may never come. */
  private lapse(held: Held): void {
    if (this.held.get(held.bucket.id) === held) this.runOf(held.bucket).settle = true;
  }

  /** Requests that met a reservation elsewhere, sent again with the counter's next run. */
  private retry(bucket: Bucket, waiting: Waiter[]): void {
    this.runOf(bucket).waiting.push(...waiting);
  }

  /** Every request of a run Redis could not count: let through, or refused where the limit fails closed. */
  private unavailable(run: Run): void {
    // A reservation's settle: its quota lapses in Redis by itself.
    if (run.waiting.length === 0) return;
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

/** The next reserved hit, or undefined when the reservation is spent or its time is up. */
function take(held: Held, now: number): ThrottlerStorageRecord | undefined {
  if (held.next > held.last || now >= held.until) return undefined;
  return { totalHits: held.next++, timeToExpire: Math.ceil((held.windowEnds - now) / 1000), isBlocked: false, timeToBlockExpire: 0 };
}
