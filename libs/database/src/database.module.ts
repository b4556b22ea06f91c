import { Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@stockroom/core';
import { buildDataSourceOptions } from './data-source-options';
import { detectServerFlavour } from './database-preflight';
import { runMigrationsExclusively } from './migration-runner';
import { PoolMetrics } from './pool-metrics';

@Injectable()
class MigrationsOnBoot implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly config: AppConfig,
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.db.migrationsRun) return;
    const applied = await runMigrationsExclusively(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}

/** MySQL through TypeORM: entities register themselves with forFeature; pending migrations run at boot. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => ({
        ...buildDataSourceOptions(config, [], await detectServerFlavour(config)),
        autoLoadEntities: true,
        // Boot checks reachability first (prepareDatabase); no retry loop of stack traces here.
        retryAttempts: 0,
      }),
    }),
  ],
  providers: [MigrationsOnBoot, PoolMetrics],
})
export class DatabaseModule {}
