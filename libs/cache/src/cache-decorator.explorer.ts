import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { argumentsKey } from './cache-key';
import { CACHE_EVICT_METADATA, CACHED_METADATA, CacheEvictOptions, CachedOptions } from './cache.decorators';
import { RedisCacheService } from './redis-cache.service';

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Wraps every @Cached / @CacheEvict method of the app's providers and controllers, once, at init.
 * Only singletons can be wrapped (a request-scoped instance is made per request, after init): a
 * decorated method on a request- or transient-scoped class stops the boot with the class named,
 * rather than leaving it silently uncached.
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
      const decorated = this.scanner.getAllMethodNames(prototype).filter((name) => {
        const method = (prototype as Record<string, unknown>)[name] as object;
        return Reflect.hasMetadata(CACHED_METADATA, method) || Reflect.hasMetadata(CACHE_EVICT_METADATA, method);
      });
      if (decorated.length > 0) {
        throw new Error(
          `@Cached/@CacheEvict on ${wrapper.name}.${decorated.join(', ')}: ${wrapper.name} is request- or transient-scoped (it or a dependency injects REQUEST), so its methods cannot be wrapped at startup; move them to a singleton provider`,
        );
      }
    }
    if (!this.cache.enabled) return;
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance) || !wrapper.isDependencyTreeStatic()) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const original = (prototype as Record<string, unknown>)[name] as Method;
        const cached = Reflect.getMetadata(CACHED_METADATA, original) as CachedOptions<unknown[]> | undefined;
        const evict = Reflect.getMetadata(CACHE_EVICT_METADATA, original) as CacheEvictOptions | undefined;
        if (cached) instance[name] = this.cachedMethod(instance, `${prototype.constructor.name}.${name}`, original, cached);
        if (evict) instance[name] = this.evictingMethod(instance, (instance[name] as Method) ?? original, evict);
      }
    }
  }

  private cachedMethod(instance: object, label: string, original: Method, options: CachedOptions<unknown[]>): Method {
    const cache = this.cache;
    return function cachedMethod(...args: unknown[]) {
      const key = options.key ? options.key(...args) : argumentsKey(label, args);
      return cache.getOrLoad(options.namespace, key, () => original.apply(instance, args), { ttl: options.ttl, tags: options.tags });
    };
  }

  private evictingMethod(instance: object, method: Method, options: CacheEvictOptions): Method {
    const cache = this.cache;
    return async function evictingMethod(...args: unknown[]) {
      const result = await method.apply(instance, args);
      if (options.namespace) await cache.invalidateNamespace(options.namespace);
      else await cache.invalidateTags(options.tags ?? []);
      return result;
    };
  }
}
