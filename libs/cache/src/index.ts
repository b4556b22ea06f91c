// The lib's public surface: the module and its options, the service, the decorators, the stats.
export * from './cache-stats';
export * from './cache.decorators';
export * from './cache.module';
export * from './cache-options';
export * from './redis-cache.service';
export { DELETED_STAMP, InvalidCacheNameError, MAX_GRACE_MS } from './cache-target';
export type { CacheWriteOptions, GetOrLoadOptions, NamespaceOptions, Rendering } from './cache-target';
export { CacheStatsService, CacheStatsView } from './cache-stats.service';
