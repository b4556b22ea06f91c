import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { AppConfig } from '@stockroom/core';

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, so an operator can tell the connections apart. */
  name: string;
  /** For one-shot probes: fail at once instead of reconnecting. */
  failFast?: boolean;
  /** Reject a command that has no reply after this long (the request then falls back). */
  commandTimeoutMs?: number;
  /** Commands issued in the same tick go out in one write (one round trip for independent reads). */
  autoPipelining?: boolean;
  /** For BullMQ: commands wait for a reconnect rather than fail (its blocking reads require it). */
  queue?: boolean;
}

/**
 * The single entry point for Redis connections: standalone from REDIS_URL, a Cluster from
 * REDIS_CLUSTER_NODES, or a Sentinel-managed primary from REDIS_SENTINELS — chosen by config alone.
 */
export function createRedisConnection(config: Pick<AppConfig, 'redis'>, options: RedisConnectionOptions): RedisClient {
  const common: RedisOptions = {
    connectionName: `stockroom:${options.name}`,
    connectTimeout: 5_000,
    // A request must not hang on a dead Redis: fail the command and let the caller fall back.
    maxRetriesPerRequest: options.queue ? null : options.failFast ? 0 : 2,
    retryStrategy: options.failFast ? () => null : (times) => Math.min(times * 100, 2_000),
    lazyConnect: options.failFast ?? false,
    commandTimeout: options.commandTimeoutMs,
    enableAutoPipelining: options.autoPipelining ?? false,
  };
  const { clusterNodes, sentinels, sentinelName, url } = config.redis;
  if (clusterNodes.length > 0) {
    return new Cluster(clusterNodes.map((node) => ({ host: node.host, port: node.port })), {
      redisOptions: common,
      lazyConnect: common.lazyConnect,
      enableAutoPipelining: common.enableAutoPipelining,
      clusterRetryStrategy: options.failFast ? () => null : (times) => Math.min(times * 100, 2_000),
    });
  }
  if (sentinels.length > 0) {
    return new Redis({ ...common, sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })), name: sentinelName });
  }
  return new Redis(url, common);
}

/** Where the configuration points, for messages. */
export function describeRedisTarget(config: Pick<AppConfig, 'redis'>): string {
  const { clusterNodes, sentinels, sentinelName, url } = config.redis;
  if (clusterNodes.length > 0) return `cluster ${clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (sentinels.length > 0) return `sentinel ${sentinelName}@${sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 6379}`;
}
