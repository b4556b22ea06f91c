import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule, FastReads, FastReadsModule, MetricsModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { CatalogModule } from '@stockroom/catalog';
import { CategoriesModule } from '@stockroom/categories';
import { StatsModule } from '@stockroom/stats';
import { LockModule } from '@stockroom/lock';
import { InventoryModule } from '@stockroom/inventory';
import { RateLimitModule } from '@stockroom/rate-limit';
import { PrincipalsModule } from '@stockroom/auth';
import { OrdersModule, OrdersWorkerModule } from '@stockroom/orders';
import { HealthModule } from './health/health.module';

/** Composes the feature modules; holds no business logic. Global guards are set in app.factory.ts. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, fastReads = new FastReads()): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        FastReadsModule.forRoot(fastReads),
        MetricsModule,
        DatabaseModule,
        RedisModule.forRoot(config.redis),
        // The cache's admin routes (/admin/cache, /stats/cache) are this app's choice.
        CacheModule.forRoot({ ...config.cache, adminRoutes: true }),
        LockModule.forRoot(),
        CatalogModule,
        CategoriesModule,
        StatsModule,
        InventoryModule,
        RateLimitModule.forRoot(config.throttle),
        // Users, sessions, the access guard, and core's PrincipalResolver port for every module.
        PrincipalsModule,
        OrdersModule,
        // WORKER_INLINE: this process also runs the order jobs (one command, a working system).
        ...(config.worker.inline ? [OrdersWorkerModule] : []),
        HealthModule,
      ],
    };
  }
}
