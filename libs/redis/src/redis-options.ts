import type { HostPort } from '@stockroom/core';

/** Where Redis is and how this process talks to it: the Redis lib's own settings (RedisModule.forRoot). */
export interface RedisModuleOptions {
  /** A standalone Redis (ignored when clusterNodes or sentinels are given). Default redis://127.0.0.1:6379. */
  url?: string;
  /** A Redis Cluster's seed nodes. */
  clusterNodes?: readonly HostPort[];
  /** Sentinels watching the primary named `sentinelName`. */
  sentinels?: readonly HostPort[];
  sentinelName?: string;
  /** Every key is `<keyPrefix>:…` (hash tags included), so apps sharing a Redis never collide. Default `app`. */
  keyPrefix?: string;
  /** Refuse multi-key commands across cluster hash slots even on a single Redis (tests). */
  assertSlots?: boolean;
  /** Reply deadline of the request-path connection, ms. Default 1000. */
  timeoutMs?: number;
  /** After a request-path call failed, skip Redis this long before one call probes it, ms. Default 1000. */
  retryMs?: number;
}

export type ResolvedRedisOptions = Required<RedisModuleOptions>;

export const REDIS_OPTIONS = Symbol('REDIS_OPTIONS');

export function resolveRedisOptions(options: RedisModuleOptions): ResolvedRedisOptions {
  return {
    url: options.url ?? 'redis://127.0.0.1:6379',
    clusterNodes: options.clusterNodes ?? [],
    sentinels: options.sentinels ?? [],
    sentinelName: options.sentinelName ?? 'mymaster',
    keyPrefix: options.keyPrefix ?? 'app',
    assertSlots: options.assertSlots ?? false,
    timeoutMs: options.timeoutMs ?? 1_000,
    retryMs: options.retryMs ?? 1_000,
  };
}
