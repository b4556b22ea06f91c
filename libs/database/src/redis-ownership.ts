import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { RedisClient } from '@stockroom/redis';

interface Owner {
  epoch: string;
  /** The database's clock (`stockroom_epoch.ticks`) when an instance last moved it; absent in markers written before it existed. */
  ticks?: number;
}

const logger = new Logger('Database');

/**
 * Everything Stockroom keeps in Redis (cache entries, counters, rankings, sessions, locks, the
 * queue) describes one database. A recreated database (a new epoch, made by its migration) or one
 * restored from a backup (its clock is behind what Redis saw) must not be served
 * another's entries: product 51 would be another product, a session another user. The clock is
 * the database's own (every instance moves it forward at boot, every minute and at shutdown, and
 * records it in Redis), so a restored backup is behind what Redis saw whatever tables changed
 * since. At boot, before anything reads Redis, the marker `{prefix}:owner` is compared with MySQL; when Redis
 * belongs to another database, every key under the prefix is removed (SCAN + UNLINK on each
 * primary, never KEYS) and the marker rewritten. A Redis with no marker (fresh, flushed, or from
 * before this check) is adopted as it is.
 */
export async function claimRedisForDatabase(dataSource: DataSource, redis: RedisClient, keyPrefix: string): Promise<'adopted' | 'same' | 'wiped'> {
  const current = await databaseState(dataSource);
  const markerKey = `${keyPrefix}:owner`;
  const marker = await markerOf(redis, markerKey);
  let outcome: 'adopted' | 'same' | 'wiped' = marker ? 'same' : 'adopted';
  // A marker from before the clock has no ticks: only its epoch can be compared.
  if (marker && (marker.epoch !== current.epoch || (marker.ticks ?? 0) > current.ticks)) {
    const removed = await removePrefix(redis, keyPrefix);
    outcome = 'wiped';
    logger.warn(
      marker.epoch !== current.epoch
        ? `Redis held another database's data (epoch ${marker.epoch}, this one ${current.epoch}): removed its ${removed} keys`
        : `the database is behind what Redis saw (clock ${current.ticks} < ${marker.ticks}: a restored backup?): removed Redis's ${removed} keys`,
    );
  }
  await recordDatabaseClock(dataSource, redis, keyPrefix);
  return outcome;
}

/** Moves the database's clock forward and records it in Redis, so a later restore to an earlier point is seen at the next boot. */
export async function recordDatabaseClock(dataSource: DataSource, redis: RedisClient, keyPrefix: string): Promise<void> {
  await dataSource.query('UPDATE stockroom_epoch SET ticks = ticks + 1 WHERE id = 1');
  const current = await databaseState(dataSource);
  const markerKey = `${keyPrefix}:owner`;
  const marker = await markerOf(redis, markerKey);
  // Only ever forward, and only for this database's marker (another instance may have wiped and claimed it meanwhile).
  if (marker && (marker.epoch !== current.epoch || (marker.ticks ?? 0) >= current.ticks)) return;
  await redis.set(markerKey, JSON.stringify(current));
}

async function databaseState(dataSource: DataSource): Promise<Required<Owner>> {
  const [{ epoch, ticks }] = (await dataSource.query('SELECT epoch, ticks FROM stockroom_epoch WHERE id = 1')) as Array<{ epoch: string; ticks: string | number }>;
  return { epoch, ticks: Number(ticks) };
}

async function markerOf(redis: RedisClient, markerKey: string): Promise<Owner | undefined> {
  const raw = await redis.get(markerKey);
  return raw ? (JSON.parse(raw) as Owner) : undefined;
}

async function removePrefix(redis: RedisClient, keyPrefix: string): Promise<number> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
  let removed = 0;
  for (const node of nodes) {
    for (const pattern of [`${keyPrefix}:*`, `{${keyPrefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        // One key per UNLINK: on a cluster, keys of one node still live in different slots.
        for (const key of keys) removed += await node.unlink(key);
      } while (cursor !== '0');
    }
  }
  return removed;
}
