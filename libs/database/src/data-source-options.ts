import type { DataSourceOptions } from 'typeorm';
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
  return {
    type: flavour,
    host: config.db.host,
    port: config.db.port,
    username: config.db.user,
    password: config.db.password,
    database: config.db.name,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    poolSize: config.db.poolSize,
    connectTimeout: 5_000,
    supportBigNumbers: true,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Expected failures (a duplicate SKU) are mapped to domain errors; real ones reach the filter's log.
    logging: false,
  };
}
