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

/**
 * Caches an async method's result through RedisCacheService (L1, stampede protection, XFetch).
 * Applied at bootstrap by CacheModule to every provider and controller; a no-op with CACHE_ENABLED=false.
 */
export function Cached<A extends unknown[], R>(options: CachedOptions<A>) {
  return (_target: object, _property: string | symbol, descriptor: TypedPropertyDescriptor<AsyncMethod<A, R>>): void => {
    Reflect.defineMetadata(CACHED_METADATA, options, descriptor.value as object);
  };
}

/** Invalidates a namespace or tags after the method has succeeded (not when it throws). */
export function CacheEvict<A extends unknown[], R>(options: CacheEvictOptions) {
  return (_target: object, _property: string | symbol, descriptor: TypedPropertyDescriptor<AsyncMethod<A, R>>): void => {
    Reflect.defineMetadata(CACHE_EVICT_METADATA, options, descriptor.value as object);
  };
}
