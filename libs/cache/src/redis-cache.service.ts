import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { defineLuaScripts, RedisCircuit, RedisConnections, RedisKeys } from '@stockroom/redis';
import { createCodec } from './codecs';
import { CacheEventBus } from './cache-events';
import { CacheStats } from './cache-stats';
import { SingleFlight } from './single-flight';
import { CacheTargets, CacheWriteOptions, DELETED_STAMP, GetOrLoadOptions, NamespaceOptions, refreshEarly, Rendering, renderingOfVersion } from './cache-target';
import type { CacheEvent } from './cache-events';
import { CacheCommands, EntryStore } from './entry-store';
import { InvalidationLog } from './invalidation-log';
import { LeasedLoader } from './leased-loader';
import { LocalTier } from './local-tier';
import { CACHE_SET_LUA } from './cache-set.lua';
import { LEASE_RELEASE_LUA } from './lease-release.lua';
import { CACHE_OPTIONS } from './cache-options';
import type { CacheOptions } from './cache-options';

/**
 * Cache-aside over Redis with an optional in-process L1: the facade the app injects. The work
 * is done by its parts, each in its own file: the entries in Redis (`EntryStore`), the
 * generations and invalidations (`InvalidationLog`), the cluster-wide load of a missing key
 * (`LeasedLoader`), and L1 with its coherence rules (`LocalTier`).
 *
 * - Keys: `{prefix}:cache:{namespace}:{<key>}` (a hash of fields), `…:lease` beside it (same slot).
 * - Invalidation is O(1): a namespace or tag is a generation counter; entries record the
 *   generations they were loaded under (read *before* loading), so a bump retires them all and a
 *   slow reader cannot write back an invalidated value.
 * - Stale sets are refused by the `cache-set.lua` compare-and-set on the entry's stamp.
 * - Stampedes: one load per process (single flight) and per cluster (a lease); early refresh by
 *   XFetch; an expired entry is served to the others while one caller reloads it.
 * - Redis down: every call falls back to the loader; invalidations that could not be written
 *   are replayed (as generation bumps) before Redis is read again.
 */
@Injectable()
export class RedisCacheService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly redis: CacheCommands;
  private readonly local: LocalTier;
  private readonly events: CacheEventBus;
  private readonly log: InvalidationLog;
  private readonly entries: EntryStore;
  private readonly loader: LeasedLoader;
  private readonly flights = new SingleFlight();
  private readonly namespaces = new Map<string, NamespaceOptions>();
  private readonly targets: CacheTargets;
  private readonly instanceId = randomUUID();

  constructor(
    @Inject(CACHE_OPTIONS) private readonly options: CacheOptions,
    keys: RedisKeys,
    private readonly stats: CacheStats,
    connections: RedisConnections,
    private readonly circuit: RedisCircuit,
  ) {
    const cache = options;
    this.targets = new CacheTargets(keys, cache, this.namespaces);
    this.redis = connections.create({ name: 'cache', commandTimeoutMs: cache.redisTimeoutMs, writeCoalescing: true }) as CacheCommands;
    defineLuaScripts(this.redis, [
      { name: 'cacheSet', numberOfKeys: 2, lua: CACHE_SET_LUA },
      { name: 'leaseRelease', numberOfKeys: 1, lua: LEASE_RELEASE_LUA },
    ]);
    const guarded = <T>(call: () => Promise<T>, fallback: () => T): Promise<T> =>
      circuit.run(this.redis, call, () => {
        stats.event('redis_fallback');
        return fallback();
      });
    this.local = new LocalTier(cache.l1MaxItems, cache.l1TtlMs, cache.l1OutageTtlMs, stats, {
      coherent: () => this.events.listening,
      outage: () => circuit.isDown || !circuit.usable(this.redis),
    });
    this.log = new InvalidationLog(this.targets, this.local, {
      redis: this.redis,
      guarded,
      publish: (events) => this.publish(events),
      listening: () => this.events.listening,
    });
    this.entries = new EntryStore(this.redis, createCodec(cache.codec), this.targets, this.local, this.log, stats, guarded);
    this.loader = new LeasedLoader(this.entries, stats, cache.leaseMs);
    circuit.watch(this.redis);
    // Invalidations cannot reach this process while Redis is away: what L1 holds may go stale.
    circuit.onChange((up) => {
      if (!up) stats.event('outage');
      this.local.reset();
    });
    this.events = new CacheEventBus(this.redis, connections.create({ name: 'cache-events' }), keys.key('cache', 'events'), keys.key('cache', 'events', 'seq'), this.instanceId, {
      onEvents: (events) => this.log.apply(events),
      onMissedEvents: () => this.local.reset(),
    });
  }

  onModuleDestroy(): void {
    this.events.stop();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.enabled) return;
    await this.connected();
    // With L1 or not: while the channel listens, the generations it delivers stand in for reading
    // them on every lookup. Without it L1 cannot stay coherent; serve without it until Redis is back.
    await this.events.start().catch((error: Error) => this.circuit.failed(error));
  }

  /** Lets the first requests find the connection up; a Redis that is down only costs the wait. */
  private async connected(timeoutMs = 2_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Declares a namespace and its defaults; only declared namespaces can be invalidated by name from outside. */
  defineNamespace(namespace: string, options: NamespaceOptions = {}): void {
    this.targets.assertNamespace(namespace);
    this.namespaces.set(namespace, options);
  }

  definedNamespaces(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  isRedisDown(): boolean {
    return this.circuit.isDown;
  }

  l1Size(): number {
    return this.local.size;
  }

  eventDelayMs(): number | undefined {
    return this.events.lastDelayMs;
  }

  /**
   * The value this process holds in L1, if any: synchronous, no Redis, no promise. For answering
   * before any I/O (see FastReads); undefined says nothing about Redis or the database.
   */
  peek<T>(namespace: string, key: string): T | undefined {
    if (!this.enabled || !this.local.enabled) return undefined;
    return this.local.get(this.targets.target(namespace, key))?.value as T | undefined;
  }

  /**
   * The value when it is cached and current (L1, else Redis, which then fills L1), without ever
   * loading: undefined on a miss, an expired entry, or Redis away.
   */
  async get<T>(namespace: string, key: string, tags: string[] = []): Promise<T | undefined> {
    if (!this.enabled) return undefined;
    const target = this.targets.target(namespace, key, { tags });
    const local = this.local.get(target);
    if (local) return local.value as T;
    const since = this.local.mark();
    const found = await this.entries.read(target);
    const cached = found?.entry.payload ? this.entries.decode(target, found.entry.payload) : undefined;
    const now = Date.now();
    if (!found || !cached || now >= found.entry.expiresAt) {
      this.stats.lookup(namespace, 'miss');
      return undefined;
    }
    this.stats.lookup(namespace, 'hit');
    this.local.set(target, cached.value, found.entry.expiresAt - now, found.generations, since);
    return cached.value as T;
  }

  /**
   * A cached and current value's rendering (Redis only: L1 is `peek`'s): the one stored beside it
   * (`render` in getOrLoad) when it is of this version, without decoding the value unless L1
   * takes it in (see `L1Cache.admits`); else the value decoded and rendered now. Undefined on a miss,
   * an expired entry, one due for an early refresh (left to getOrLoad), or Redis away.
   */
  getCachedRendering<T>(namespace: string, key: string, rendering: Rendering<T>): Promise<string | undefined> {
    if (!this.enabled) return Promise.resolve(undefined);
    const target = this.targets.target(namespace, key);
    const since = this.local.mark();
    return this.entries.read(target).then((found) => {
      const payload = found?.entry.payload;
      if (!found || !payload) return undefined;
      const { entry } = found;
      const now = Date.now();
      if (now >= entry.expiresAt || refreshEarly(entry, target.beta, now)) return undefined;
      let value = this.local.fill(target, () => this.entries.decode(target, payload), entry.expiresAt - now, found.generations, since);
      this.stats.lookup(namespace, 'hit');
      const stored = renderingOfVersion(entry.rendering, rendering);
      if (stored !== undefined) return stored;
      value ??= this.entries.decode(target, payload);
      return value && rendering.render(value.value as T);
    });
  }

  async mget<T>(namespace: string, keys: string[]): Promise<Array<T | undefined>> {
    return Promise.all(keys.map((key) => this.get<T>(namespace, key)));
  }

  /** False when the value was refused (a newer stamp is cached) or Redis is unavailable. */
  async set<T>(namespace: string, key: string, value: T, options: CacheWriteOptions = {}): Promise<boolean> {
    if (!this.enabled) return false;
    const target = this.targets.target(namespace, key, options);
    const generations = await this.entries.guarded(() => this.log.read(target), () => undefined);
    if (generations === undefined) {
      this.log.markPending(target);
      return false;
    }
    const stored = await this.entries.store(target, value, generations, 0, options.stamp);
    await this.evictElsewhere(target.entryKey);
    return stored;
  }

  /** Marks a key deleted at `stamp`: values stamped older can no longer be cached over it. */
  async tombstone(namespace: string, key: string, stamp = DELETED_STAMP): Promise<void> {
    if (!this.enabled) return;
    const target = this.targets.target(namespace, key);
    this.local.delete(target.entryKey);
    if (!(await this.entries.writeTombstone(target, stamp))) this.log.markPending(target);
    await this.evictElsewhere(target.entryKey);
  }

  async del(namespace: string, key: string): Promise<void> {
    if (!this.enabled) return;
    const target = this.targets.target(namespace, key);
    this.local.delete(target.entryKey);
    if (!(await this.entries.delete(target))) this.log.markPending(target);
    await this.evictElsewhere(target.entryKey);
  }

  async exists(namespace: string, key: string): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  /** Sets a new TTL (seconds) on an entry; false when it does not exist. */
  async expire(namespace: string, key: string, ttlSeconds: number): Promise<boolean> {
    if (!this.enabled) return false;
    return this.entries.expire(this.targets.target(namespace, key), ttlSeconds * 1000);
  }

  /** Seconds left in Redis (including the stale grace), -2 when missing, -1 without expiry. */
  async ttl(namespace: string, key: string): Promise<number> {
    if (!this.enabled) return -2;
    return this.entries.ttl(this.targets.target(namespace, key));
  }

  /** O(1): bumps the namespace's generation; old entries are never read again and age out by TTL. */
  async invalidateNamespace(namespace: string): Promise<void> {
    this.targets.assertNamespace(namespace);
    if (this.enabled) await this.log.bump([this.targets.generationName('ns', namespace)]);
  }

  async invalidateTags(tags: string[]): Promise<void> {
    tags.forEach((tag) => this.targets.assertTag(tag));
    if (this.enabled) await this.log.bump(tags.map((tag) => this.targets.generationName('tag', tag)));
  }

  async getOrLoad<T>(namespace: string, key: string, loader: () => Promise<T>, options: GetOrLoadOptions<T> = {}): Promise<T> {
    if (!this.enabled) return loader();
    const target = this.targets.target(namespace, key, options);
    const local = this.local.get(target);
    if (local) return local.value as T;

    const since = this.local.mark();
    const found = await this.entries.read(target);
    if (!found) {
      // Redis is unavailable: still one load per process, and only briefly in L1.
      const { promise, joined } = this.flights.run(target.entryKey, () => this.loader.timed(loader));
      this.stats.lookup(namespace, joined ? 'coalesced' : 'bypass');
      const { value } = await promise;
      this.local.setDuringOutage(target, value, since);
      return value;
    }
    const { entry, generations } = found;
    const cached = entry.payload ? this.entries.decode(target, entry.payload) : undefined;
    if (cached) {
      const now = Date.now();
      if (now < entry.expiresAt && !refreshEarly(entry, target.beta, now)) {
        this.stats.lookup(namespace, 'hit');
        this.local.set(target, cached.value, entry.expiresAt - now, generations, since);
        return cached.value as T;
      }
      if (now < entry.expiresAt) this.stats.event('early_refresh');
    }
    const seenExpiry = cached ? entry.expiresAt : 0;
    const { promise, joined } = this.flights.run(target.entryKey, () => this.loader.load(target, generations, loader, options, cached, seenExpiry));
    const result = await promise;
    this.stats.lookup(namespace, joined || result.from === 'coalesced' ? 'coalesced' : result.from);
    return result.value;
  }

  /** Other instances drop the key from their L1. */
  private async evictElsewhere(entryKey: string): Promise<void> {
    await this.publish([{ type: 'evict', key: entryKey }]);
  }

  /** Events for the other instances' L1s; lost ones are caught by CACHE_L1_TTL_MS and the resubscribe reset. */
  private async publish(events: CacheEvent[]): Promise<void> {
    await this.entries.guarded(() => this.events.publish(events), () => undefined);
  }
}
