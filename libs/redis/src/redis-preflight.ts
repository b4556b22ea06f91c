import { AppConfig, DependencyUnavailableError } from '@stockroom/core';
import { createRedisConnection, describeRedisTarget } from './redis-connection.factory';

const START_HINT =
  'start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379` ' +
  '(or `docker compose up -d redis`), or point REDIS_URL at a running server';

/** One PING with no reconnect loop, so boot fails with one line when Redis is down. */
export async function assertRedisReachable(config: Pick<AppConfig, 'redis'>): Promise<void> {
  const probe = createRedisConnection(config, { name: 'preflight', failFast: true });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new DependencyUnavailableError('Redis', describeRedisTarget(config), reason, START_HINT);
  } finally {
    probe.disconnect();
  }
}
