import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, withDeadline } from '@stockroom/core';
import { InjectRedis } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { claimRedisForDatabase, recordDatabaseClock } from './redis-ownership';
import { buildDataSourceOptions } from './data-source-options';
import { detectServerFlavour } from './database-preflight';
import { runMigrationsExclusively } from './migration-runner';
import { PoolMetrics } from './pool-metrics';

const OWNERSHIP_CHECK_MS = 3_000;
const CLOCK_TICK_EVERY_MS = 60_000;

/** Pending migrations, then Redis's ownership check (see claimRedisForDatabase), before anything reads Redis. */
@Injectable()
class DatabaseOnBoot implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Database');
  private marking?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.db.migrationsRun) {
      const applied = await runMigrationsExclusively(this.dataSource);
      if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
    }
    const prefix = this.config.redis.keyPrefix;
    const checked = claimRedisForDatabase(this.dataSource, this.redis, prefix);
    await withDeadline(checked, OWNERSHIP_CHECK_MS).catch((error: Error) => {
      // Redis away at boot: the cache's outage handling takes over; the check runs at the next boot.
      this.logger.warn(`Redis ownership not checked (${error.message}); reads go to MySQL while Redis is away`);
      checked.catch(() => undefined);
    });
    this.marking = setInterval(() => void recordDatabaseClock(this.dataSource, this.redis, prefix).catch(() => undefined), CLOCK_TICK_EVERY_MS).unref();
  }

  /** The clock's last tick, while Redis is still connected (a restore to before it is seen at the next boot). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.marking);
    await withDeadline(recordDatabaseClock(this.dataSource, this.redis, this.config.redis.keyPrefix), 1_000).catch(() => undefined);
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
  providers: [DatabaseOnBoot, PoolMetrics],
})
export class DatabaseModule {}
