import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { bindCache, CACHE_EVICT_METADATA, CACHED_METADATA } from './cache.decorators';
import { RedisCacheService } from './redis-cache.service';

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
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const prototype = (wrapper.metatype as { prototype?: object } | undefined)?.prototype;
      if (wrapper.isDependencyTreeStatic() || !prototype) continue;
      const decorated = this.scanner.getAllMethodNames(prototype).filter((name) => isDecorated((prototype as Record<string, object>)[name]));
      if (decorated.length > 0) {
        throw new Error(
          `@Cached/@CacheEvict on ${wrapper.name}.${decorated.join(', ')}: ${wrapper.name} is request- or transient-scoped (it or a dependency injects REQUEST), so its methods cannot be bound to the cache at startup; move them to a singleton provider`,
        );
      }
    }
    if (!this.cache.enabled) return;
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, object>;
      if (this.scanner.getAllMethodNames(prototype).some((name) => isDecorated(prototype[name]))) bindCache(instance, this.cache);
    }
  }
}

function isDecorated(method: object): boolean {
  return Reflect.hasMetadata(CACHED_METADATA, method) || Reflect.hasMetadata(CACHE_EVICT_METADATA, method);
}
