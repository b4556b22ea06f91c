import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@stockroom/core';
import { defineLuaScripts, InjectRequestRedis, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { LockLostError, LockTimeoutError } from './lock.errors';
import { LOCK_ACQUIRE_LUA } from './lock-acquire.lua';
import { LOCK_EXTEND_LUA } from './lock-extend.lua';
import { LOCK_RELEASE_LUA } from './lock-release.lua';

export interface LockOptions {
  /** How long the lease lasts without renewal. */
  ttlMs?: number;
  /** How long to wait for a busy lock before LockTimeoutError. */
  waitMs?: number;
}

/** LockModule.forRoot: the defaults of every acquire that does not set its own (5 s lease, 2 s wait). */
export type LockModuleOptions = LockOptions;

export const LOCK_OPTIONS = Symbol('LOCK_OPTIONS');

export interface LockLease {
  readonly resource: string;
  readonly token: string;
  /** Increases with every grant on this resource: stores refuse writes carrying an older one. */
  readonly fencingToken: number;
  /** True when freed now; false when it had already expired or been taken over. */
  release(): Promise<boolean>;
  /** Renews the lease; false when it was lost. */
  extend(ttlMs?: number): Promise<boolean>;
}

type LockCommands = RedisClient & {
  lockAcquire(lock: string, fence: string, token: string, ttlMs: number): Promise<number>;
  lockRelease(lock: string, token: string): Promise<number>;
  lockExtend(lock: string, token: string, ttlMs: number): Promise<number>;
};

const RESOURCE = /^[A-Za-z0-9:_.-]{1,200}$/;

/**
 * Mutual exclusion over Redis with owner tokens and fencing tokens. One key per resource,
 * `{prefix}:lock:{<resource>}`, and its fencing counter `…:fence` beside it (same hash tag, so
 * one Lua call may touch both on a cluster). Acquire, release and extend are single Lua calls.
 */
@Injectable()
export class LockService {
  private readonly redis: LockCommands;
  private readonly acquisitions: Counter<'outcome'>;
  private readonly defaults: Required<LockModuleOptions>;

  constructor(
    // A request waits for the lock: each command has the request deadline (REDIS_TIMEOUT_MS).
    @InjectRequestRedis() redis: RedisClient,
    private readonly keys: RedisKeys,
    @Optional() registry?: MetricsRegistry,
    @Optional() @Inject(LOCK_OPTIONS) options?: LockModuleOptions,
  ) {
    this.defaults = { ttlMs: options?.ttlMs ?? 5_000, waitMs: options?.waitMs ?? 2_000 };
    this.redis = redis as LockCommands;
    defineLuaScripts(redis, [
      { name: 'lockAcquire', numberOfKeys: 2, lua: LOCK_ACQUIRE_LUA },
      { name: 'lockRelease', numberOfKeys: 1, lua: LOCK_RELEASE_LUA },
      { name: 'lockExtend', numberOfKeys: 1, lua: LOCK_EXTEND_LUA },
    ]);
    this.acquisitions = new Counter({
      name: 'stockroom_lock_acquisitions_total',
      help: 'Lock acquisitions: acquired at once, acquired after waiting (contended), timed out, lost',
      labelNames: ['outcome'],
      registers: registry ? [registry] : [],
    });
  }

  /** Waits (jittered exponential backoff, bounded by waitMs) for the lock; throws LockTimeoutError. */
  async acquire(resource: string, options: LockOptions = {}): Promise<LockLease> {
    if (!RESOURCE.test(resource)) throw new Error(`invalid lock resource ${JSON.stringify(resource)}`);
    const ttlMs = options.ttlMs ?? this.defaults.ttlMs;
    const deadline = Date.now() + (options.waitMs ?? this.defaults.waitMs);
    const lockKey = this.keys.tagged('lock', resource);
    const fenceKey = `${lockKey}:fence`;
    const token = randomUUID();
    let waited = false;
    for (let attempt = 0; ; attempt++) {
      const result = Number(await this.redis.lockAcquire(lockKey, fenceKey, token, ttlMs));
      if (result > 0) {
        this.acquisitions.inc({ outcome: waited ? 'contended' : 'immediate' });
        return this.lease(resource, lockKey, token, result, ttlMs);
      }
      const holderLeftMs = -result;
      const now = Date.now();
      if (now >= deadline) {
        this.acquisitions.inc({ outcome: 'timeout' });
        throw new LockTimeoutError(resource, holderLeftMs);
      }
      waited = true;
      // Full jitter keeps waiters from retrying in lockstep; never sleep past the holder's lease or the deadline.
      const ceiling = Math.min(5 * 2 ** attempt, 200, holderLeftMs + 1);
      await sleep(Math.min(deadline - now, 1 + Math.random() * ceiling));
    }
  }

  /**
   * Runs `fn` under the lock: renews the lease every third of its TTL while `fn` runs, aborts
   * `signal` if the lease is lost, and always releases. `fn` must pass `lease.fencingToken` to
   * the store it writes, which refuses older tokens.
   */
  async withLock<T>(resource: string, fn: (lease: LockLease, signal: AbortSignal) => Promise<T>, options: LockOptions = {}): Promise<T> {
    const ttlMs = options.ttlMs ?? this.defaults.ttlMs;
    const lease = await this.acquire(resource, { ...options, ttlMs });
    const controller = new AbortController();
    const renew = setInterval(() => {
      lease.extend(ttlMs).then(
        (kept) => {
          if (!kept) {
            this.acquisitions.inc({ outcome: 'lost' });
            controller.abort(new LockLostError(resource));
          }
        },
        () => controller.abort(new LockLostError(resource)),
      );
    }, Math.max(10, Math.floor(ttlMs / 3)));
    try {
      return await fn(lease, controller.signal);
    } finally {
      clearInterval(renew);
      await lease.release().catch(() => false);
    }
  }

  private lease(resource: string, lockKey: string, token: string, fencingToken: number, ttlMs: number): LockLease {
    return {
      resource,
      token,
      fencingToken,
      release: async () => (await this.redis.lockRelease(lockKey, token)) === 1,
      extend: async (newTtlMs = ttlMs) => (await this.redis.lockExtend(lockKey, token, newTtlMs)) === 1,
    };
  }
}
