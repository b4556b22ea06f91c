import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { AsyncModuleOptions, asyncOptionsProvider } from '@stockroom/core';
import { DiscoveryModule } from '@nestjs/core';
import { CacheStats } from './cache-stats';
import { RedisCacheService } from './redis-cache.service';
import { CacheDecoratorExplorer } from './cache-decorator.explorer';
import { CacheStatsService } from './cache-stats.service';
import { CacheAdminController } from './cache-admin.controller';
import { CACHE_OPTIONS, resolveCacheOptions } from './cache-options';
import type { CacheModuleOptions } from './cache-options';

export interface CacheModuleAsyncOptions extends AsyncModuleOptions<CacheModuleOptions> {
  /** Decided when the module is built (routes cannot come from a factory). Default false. */
  adminRoutes?: boolean;
}

/**
 * RedisCacheService for the whole app (global once imported), @Cached/@CacheEvict applied at
 * init, hit-rate and memory stats. Needs RedisModule; reports to a MetricsRegistry when the app
 * has one. Admin routes only when asked for.
 */
@Module({})
export class CacheModule {
  static forRoot(options: CacheModuleOptions = {}): DynamicModule {
    return CacheModule.with([{ provide: CACHE_OPTIONS, useValue: resolveCacheOptions(options) }], options.adminRoutes ?? false);
  }

  static forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    return CacheModule.with([asyncOptionsProvider(CACHE_OPTIONS, options, resolveCacheOptions)], options.adminRoutes ?? false, options.imports);
  }

  private static with(options: Provider[], adminRoutes: boolean, imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      controllers: adminRoutes ? [CacheAdminController] : [],
      providers: [...options, CacheStats, RedisCacheService, CacheDecoratorExplorer, CacheStatsService],
      exports: [RedisCacheService, CacheStats, CacheStatsService],
    };
  }
}
