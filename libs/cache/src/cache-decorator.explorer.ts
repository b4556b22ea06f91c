import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { decoratedMethods } from '@stockroom/core';
import { bindCache, CACHE_EVICT_METADATA, CACHED_METADATA } from './cache.decorators';
import { RedisCacheService } from './redis-cache.service';

const DECORATED = [CACHED_METADATA, CACHE_EVICT_METADATA];

/**
 * Binds every provider and controller that has @Cached / @CacheEvict methods (the decorators wrap
 * them where they are declared) to the app's cache, once, at init. Only singletons can be bound (a
 * request-scoped instance is made per request, after init): a decorated method on a request- or
 * transient-scoped class stops the boot with the class named, rather than leaving it silently
 * uncached.
 */
@Injectable()
export class CacheDecoratorExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly cache: RedisCacheService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic()) {
        const prototype = (wrapper.metatype as { prototype?: object } | undefined)?.prototype;
        const decorated = prototype ? decoratedMethods(this.scanner, prototype, DECORATED) : [];
        if (decorated.length > 0) {
          throw new Error(
            `@Cached/@CacheEvict on ${wrapper.name}.${decorated.join(', ')}: ${wrapper.name} is request- or transient-scoped (it or a dependency injects REQUEST), so its methods cannot be bound to the cache at startup; move them to a singleton provider`,
          );
        }
        continue;
      }
      const instance = wrapper.instance as object | undefined;
      if (!this.cache.enabled || !instance || typeof instance !== 'object') continue;
      if (decoratedMethods(this.scanner, Object.getPrototypeOf(instance) as object, DECORATED).length > 0) bindCache(instance, this.cache);
    }
  }
}
