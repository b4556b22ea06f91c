export * from './codecs';
export * from './cache-key';
export * from './cache-stats';
export * from './cache.decorators';
export * from './cache.module';
export * from './redis-cache.service';
export { DELETED_STAMP, InvalidCacheNameError, MAX_GRACE_MS } from './cache-target';
export type { CacheWriteOptions, GetOrLoadOptions, NamespaceOptions, Rendering } from './cache-target';
export { CacheStatsService, CacheStatsView } from './cache-stats.service';
