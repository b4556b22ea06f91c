import type { DataSource, DataSourceOptions, EntityManager } from 'typeorm';
import type { AppConfig } from '@stockroom/core';
import { migrations } from './migrations';

/**
 * The one description of the MySQL connection, shared by the Nest app and the TypeORM CLI,
 * so both run exactly the same migrations against exactly the same settings.
 */
export function buildDataSourceOptions(
  config: Pick<AppConfig, 'db'>,
  entities: DataSourceOptions['entities'] = [],
  flavour: 'mysql' | 'mariadb' = config.db.type === 'auto' ? 'mysql' : config.db.type,
): DataSourceOptions {
  const { db } = config;
  const primary = { host: db.host, port: db.port, username: db.user, password: db.password, database: db.name };
  // With replicas TypeORM sends plain reads (find, query builders outside a transaction) to a
  // replica and everything else (writes, transactions, raw queries) to the primary.
  const servers =
    db.replicas.length > 0
      ? { replication: { master: primary, slaves: db.replicas.map((replica) => ({ ...primary, host: replica.host, port: replica.port, database: db.replicaName })) } }
      : primary;
  return {
    type: flavour,
    ...servers,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    poolSize: config.db.poolSize,
    connectTimeout: 5_000,
    supportBigNumbers: true,
    // mysql2 captures a stack trace at every query's call for its errors' stacks (1.4 % of an order
    // intake's CPU); TypeORM wraps every failure in a QueryFailedError with its own stack anyway.
    // TypeORM sends text queries, never prepared statements, yet each pooled connection's statement
    // cache is sized up front for mysql2's default of 16,000 (about 0.5 MB per connection).
    extra: { trace: false, maxPreparedStatements: 64 },
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Expected failures (a duplicate SKU) are mapped to domain errors; real ones reach the filter's log.
    logging: false,
  };
}

/**
 * Reads that decide something, or must see the caller's own writes (sign-in, orders, a row just
 * updated), run on the primary; with no replicas this is the plain manager.
 */
export async function onPrimary<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (!('replication' in dataSource.options) || !dataSource.options.replication) return work(dataSource.manager);
  const runner = dataSource.createQueryRunner('master');
  try {
    return await work(runner.manager);
  } finally {
    await runner.release();
  }
}
