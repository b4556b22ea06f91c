import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CatalogModule } from '@stockroom/catalog';
import { HealthModule } from './health/health.module';

/** Composes the feature modules; holds no business logic. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, RedisModule, CatalogModule, HealthModule],
    };
  }
}
