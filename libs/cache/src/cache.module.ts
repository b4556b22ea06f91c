import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheStats } from './cache-stats';
import { RedisCacheService } from './redis-cache.service';
import { CacheDecoratorExplorer } from './cache-decorator.explorer';
import { CacheStatsService } from './cache-stats.service';
import { CacheAdminController } from './cache-admin.controller';

/** RedisCacheService for the whole app, @Cached/@CacheEvict applied at init, stats and admin routes. */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [CacheAdminController],
  providers: [CacheStats, RedisCacheService, CacheDecoratorExplorer, CacheStatsService],
  exports: [RedisCacheService, CacheStats],
})
export class CacheModule {}
