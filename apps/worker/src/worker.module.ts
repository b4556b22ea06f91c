import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule, MetricsModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { LockModule } from '@stockroom/lock';
import { CatalogCoreModule } from '@stockroom/catalog';
import { InventoryCoreModule } from '@stockroom/inventory';
import { OrdersWorkerModule } from '@stockroom/orders';
import { WorkerMetricsServer } from './worker-metrics.server';

/** The background-job process: no HTTP, same config, database and Redis as the API; runs the order jobs. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), MetricsModule, DatabaseModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache), LockModule.forRoot(), CatalogCoreModule, InventoryCoreModule, OrdersWorkerModule],
      providers: [WorkerMetricsServer],
    };
  }
}
