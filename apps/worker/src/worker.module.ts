import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@stockroom/core';
import { DatabaseModule } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';

/** The background-job process: no HTTP, same config, database and Redis as the API. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, RedisModule],
    };
  }
}
