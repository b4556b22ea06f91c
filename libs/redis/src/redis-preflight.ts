import { DependencyUnavailableError } from '@stockroom/core';
import { resolveRedisOptions } from './redis-options';
import type { RedisModuleOptions } from './redis-options';
import { createRedisConnection, describeRedisTarget } from './redis-connection.factory';

const START_HINT =
  'start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379` ' +
  '(or `docker compose up -d redis`), or point REDIS_URL at a running server';

/** One PING with no reconnect loop, so boot fails with one line when Redis is down. */
export async function assertRedisReachable(options: RedisModuleOptions): Promise<void> {
  const target = resolveRedisOptions(options);
  const probe = createRedisConnection(target, { name: 'preflight', failFast: true });
  // connect() rejects with a generic "Connection is closed"; the socket error says why.
  let cause: { code?: string; message: string } | undefined;
  probe.on('error', (error: Error & { code?: string }) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new DependencyUnavailableError('Redis', describeRedisTarget(target), reason, START_HINT);
  } finally {
    probe.disconnect();
  }
}
