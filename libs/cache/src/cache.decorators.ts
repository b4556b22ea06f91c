import { wrapMethod } from '@stockroom/core';
import { argumentsKey } from './cache-key';
import type { RedisCacheService } from './redis-cache.service';

export const CACHED_METADATA = Symbol('stockroom:cached');
export const CACHE_EVICT_METADATA = Symbol('stockroom:cache-evict');

type AsyncMethod<A extends unknown[], R> = (...args: A) => Promise<R>;

export interface CachedOptions<A extends unknown[]> {
  namespace: string;
  /** Seconds; defaults to the namespace's TTL, then CACHE_TTL_SECONDS. */
  ttl?: number;
  /**
   * The entry's key, from the arguments. Default: `<Class>.<method>:<sha1 of the arguments as
   * JSON with sorted object keys>`, so `{a, b}` and `{b, a}` share an entry.
   */
  key?: (...args: A) => string;
  tags?: string[];
}

export type CacheEvictOptions = { namespace: string; tags?: never } | { tags: string[]; namespace?: never };

/** The cache each singleton's decorated methods use, bound by CacheModule at init (a decorator cannot inject). */
const caches = new WeakMap<object, RedisCacheService>();

/** Lets `instance`'s @Cached / @CacheEvict methods use `cache` (CacheModule does it for every singleton at init). */
export function bindCache(instance: object, cache: RedisCacheService): void {
  caches.set(instance, cache);
}

/**
 * Caches an async method's result through RedisCacheService (L1, stampede protection, XFetch), on
 * providers and on controllers' route handlers alike: the method is wrapped where it is declared,
 * and CacheModule binds each instance to its app's cache at init. Unbound (CACHE_ENABLED=false,
 * no CacheModule) the method just runs.
 */
export function Cached<A extends unknown[], R>(options: CachedOptions<A>) {
  return (target: object, property: string | symbol, descriptor: TypedPropertyDescriptor<AsyncMethod<A, R>>): void => {
    const label = `${target.constructor.name}.${String(property)}`;
    wrapMethod(descriptor, (original) =>
      function cachedMethod(this: object, ...args: A): Promise<R> {
        const cache = caches.get(this);
        if (!cache) return original.apply(this, args);
        const key = options.key ? options.key(...args) : argumentsKey(label, args);
        return cache.getOrLoad(options.namespace, key, () => original.apply(this, args), { ttl: options.ttl, tags: options.tags });
      },
    );
    Reflect.defineMetadata(CACHED_METADATA, options, descriptor.value as object);
  };
}

/** Invalidates a namespace or tags after the method has succeeded (not when it throws). */
export function CacheEvict<A extends unknown[], R>(options: CacheEvictOptions) {
  return (_target: object, _property: string | symbol, descriptor: TypedPropertyDescriptor<AsyncMethod<A, R>>): void => {
    wrapMethod(descriptor, (original) =>
      async function evictingMethod(this: object, ...args: A): Promise<R> {
        const result = await original.apply(this, args);
        const cache = caches.get(this);
        if (cache) await (options.namespace ? cache.invalidateNamespace(options.namespace) : cache.invalidateTags(options.tags ?? []));
        return result;
      },
    );
    Reflect.defineMetadata(CACHE_EVICT_METADATA, options, descriptor.value as object);
  };
}
