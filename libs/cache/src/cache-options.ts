/** The cache's own settings (CacheModule.forRoot); every one has a default. */
export interface CacheModuleOptions {
  /** Off: every lookup runs its loader and @Cached methods run every time. Default true. */
  enabled?: boolean;
  /** Default TTL of an entry, seconds (a namespace or a call may set its own). Default 3600. */
  ttlSeconds?: number;
  codec?: 'json' | 'msgpack';
  /** In-process L1 entries; 0 turns L1 off. Default 0. */
  l1MaxItems?: number;
  l1TtlMs?: number;
  /** While Redis is unreachable no invalidation can arrive, so L1 entries live at most this long. */
  l1OutageTtlMs?: number;
  /** How long one loader may hold a key's cluster-wide lease. */
  leaseMs?: number;
  /** A cache command slower than this counts as Redis being down for the call. */
  redisTimeoutMs?: number;
  /** XFetch beta: larger refreshes earlier; 0 turns early refresh off. */
  earlyRefreshBeta?: number;
  /** Mount `GET /stats/cache`, `GET /cache/namespaces` and `DELETE /cache/namespaces/:namespace` (staff only, through the app's access guard). Default false. */
  adminRoutes?: boolean;
}

export type CacheOptions = Required<Omit<CacheModuleOptions, 'adminRoutes'>>;

export const CACHE_OPTIONS = Symbol('CACHE_OPTIONS');

export function resolveCacheOptions(options: CacheModuleOptions): CacheOptions {
  return {
    enabled: options.enabled ?? true,
    ttlSeconds: options.ttlSeconds ?? 3_600,
    codec: options.codec ?? 'json',
    l1MaxItems: options.l1MaxItems ?? 0,
    l1TtlMs: options.l1TtlMs ?? 60_000,
    l1OutageTtlMs: options.l1OutageTtlMs ?? 2_000,
    leaseMs: options.leaseMs ?? 2_000,
    redisTimeoutMs: options.redisTimeoutMs ?? 1_000,
    earlyRefreshBeta: options.earlyRefreshBeta ?? 1,
  };
}
