import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule, MetricsModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { CatalogModule } from '@stockroom/catalog';
import { LockModule } from '@stockroom/lock';
import { InventoryModule } from '@stockroom/inventory';
import { RateLimitModule } from '@stockroom/rate-limit';
import { AuthModule } from '@stockroom/auth';
import { OrdersModule, OrdersWorkerModule } from '@stockroom/orders';
import { HealthModule } from './health/health.module';

/** Composes the feature modules; holds no business logic. The throttler's guard runs before the access guard, so refused requests count too. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule,
        RedisModule,
        CacheModule,
        LockModule,
        CatalogModule,
        InventoryModule,
        RateLimitModule,
        AuthModule,
        OrdersModule,
        // WORKER_INLINE: this process also runs the order jobs (one command, a working system).
        ...(config.worker.inline ? [OrdersWorkerModule] : []),
        HealthModule,
      ],
    };
  }
}
