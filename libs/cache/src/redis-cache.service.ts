import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '@stockroom/core';
import { defineLuaScripts, readLuaScript, RedisCircuit, RedisClient, RedisConnections, RedisKeys } from '@stockroom/redis';
import { CacheCodec, createCodec } from './codecs';
import { CacheEvent, CacheEventBus } from './cache-events';
import { CacheStats } from './cache-stats';
import { L1Cache, OUTAGE_GENERATIONS } from './l1-cache';
import { SingleFlight } from './single-flight';
import {
  CacheTargets,
  CacheWriteOptions,
  DELETED_STAMP,
  Entry,
  GetOrLoadOptions,
  NamespaceOptions,
  parseEntry,
  refreshEarly,
  Rendering,
  Target,
} from './cache-target';

type CacheCommands = RedisClient & {
  cacheSet(
    key: string,
    leaseKey: string,
    payload: Buffer | string,
    stamp: string,
    ttlMs: number,
    generations: string,
    expiresAt: number,
    loadMs: number,
    tombstone: string,
    leaseToken: string,
    rendering: string,
  ): Promise<number>;
  leaseRelease(key: string, token: string): Promise<number>;
};


/** The hash fields a lookup reads: payload, stamp, generations, logical expiry, load time, tombstone mark (and the rendering). */
const ENTRY_FIELDS = ['p', 's', 'g', 'e', 'd', 't'] as const;
const ENTRY_FIELDS_AND_RENDERING = [...ENTRY_FIELDS, 'r'] as const;

/**
 * Cache-aside over Redis with an optional in-process L1.
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
export class RedisCacheService implements OnApplicationBootstrap {
  private readonly logger = new Logger('RedisCache');
  private readonly redis: CacheCommands;
  private readonly codec: CacheCodec;
  private readonly l1: L1Cache;
  private readonly events: CacheEventBus;
  private readonly flights = new SingleFlight();
  private readonly namespaces = new Map<string, NamespaceOptions>();
  private readonly targets: CacheTargets;
  /** Namespaces and tags whose invalidation could not reach Redis; bumped before Redis is read again. */
  private readonly pending = new Set<string>();
  readonly instanceId = randomUUID();

  constructor(
    private readonly config: AppConfig,
    private readonly keys: RedisKeys,
    private readonly stats: CacheStats,
    connections: RedisConnections,
    private readonly circuit: RedisCircuit,
  ) {
    this.codec = createCodec(config.cache.codec);
    this.targets = new CacheTargets(keys, config, this.namespaces);
    this.redis = connections.create({
      name: 'cache',
      commandTimeoutMs: config.cache.redisTimeoutMs,
      autoPipelining: true,
    }) as CacheCommands;
    defineLuaScripts(this.redis, [
      { name: 'cacheSet', numberOfKeys: 2, lua: readLuaScript(__dirname, 'cache', 'cache-set.lua') },
      { name: 'leaseRelease', numberOfKeys: 1, lua: readLuaScript(__dirname, 'cache', 'lease-release.lua') },
    ]);
    this.l1 = new L1Cache(config.cache.l1MaxItems);
    circuit.watch(this.redis);
    // Invalidations cannot reach this process while Redis is away: what L1 holds may go stale.
    circuit.onChange((up) => {
      if (!up) stats.event('outage');
      this.l1.reset();
    });
    this.events = new CacheEventBus(
      this.redis,
      connections.create({ name: 'cache-events' }),
      keys.key('cache', 'events'),
      this.instanceId,
      { onEvents: (events) => this.applyEvents(events), onResubscribed: () => this.l1.reset() },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.cache.enabled) return;
    await this.connected();
    if (!this.l1.enabled) return;
    // Without the channel L1 cannot stay coherent; serve without it until Redis is back.
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
    return this.config.cache.enabled;
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
    return this.l1.size;
  }

  eventDelayMs(): number | undefined {
    return this.events.lastDelayMs;
  }

  /**
   * The value this process holds in L1, if any: synchronous, no Redis, no promise. For answering
   * before any I/O (see FastReads); undefined says nothing about Redis or the database.
   */
  peek<T>(namespace: string, key: string): T | undefined {
    if (!this.enabled || !this.l1.enabled) return undefined;
    return this.l1Get(this.targets.target(namespace, key))?.value as T | undefined;
  }

  /**
   * The value when it is cached and current (L1, else Redis), without ever loading: undefined on a
   * miss, an expired entry, one due for an early refresh, or Redis away. For answering a request
   * from the cache alone and leaving everything else to `getOrLoad` (see FastReads).
   */
  async getCached<T>(namespace: string, key: string): Promise<T | undefined> {
    if (!this.enabled) return undefined;
    const target = this.targets.target(namespace, key);
    const local = this.l1Get(target);
    if (local) return local.value as T;
    const since = this.l1.mark();
    const found = await this.read(target);
    const cached = found?.entry.payload ? this.decode(target, found.entry.payload) : undefined;
    const now = Date.now();
    if (!found || !cached || now >= found.entry.expiresAt || refreshEarly(found.entry, target.beta, now)) return undefined;
    this.stats.lookup(namespace, 'hit');
    this.l1Set(target, cached.value, Math.min(this.config.cache.l1TtlMs, found.entry.expiresAt - now), found.generations, since);
    return cached.value as T;
  }

  /**
   * As `getCached`, as the value's rendering: the one stored beside it (`render` in getOrLoad)
   * when it is of this version, without decoding the value unless L1 is on (it is then kept in
   * L1 too); else the value decoded and rendered now. L1 itself is not consulted: use `peek`.
   */
  getCachedRendering<T>(namespace: string, key: string, rendering: Rendering<T>): Promise<string | undefined> {
    if (!this.enabled) return Promise.resolve(undefined);
    const target = this.targets.target(namespace, key);
    const since = this.l1.mark();
    return this.read(target, true).then((found) => {
      const payload = found?.entry.payload;
      if (!found || !payload) return undefined;
      const { entry } = found;
      const now = Date.now();
      if (now >= entry.expiresAt || refreshEarly(entry, target.beta, now)) return undefined;
      let value: { value: unknown } | undefined;
      if (target.l1 && this.l1.enabled) {
        value = this.decode(target, payload);
        if (value) this.l1Set(target, value.value, Math.min(this.config.cache.l1TtlMs, entry.expiresAt - now), found.generations, since);
      }
      this.stats.lookup(namespace, 'hit');
      const stored = found.rendering;
      // `<version>\n<rendering>`: the version is ASCII, so only the rendering is decoded.
      const prefix = `${rendering.version}\n`;
      if (stored && stored.length >= prefix.length && stored.toString('latin1', 0, prefix.length) === prefix) return stored.toString('utf8', prefix.length);
      value ??= this.decode(target, payload);
      return value && rendering.render(value.value as T);
    });
  }

  async get<T>(namespace: string, key: string, tags: string[] = []): Promise<T | undefined> {
    if (!this.enabled) return undefined;
    const target = this.targets.target(namespace, key, { tags });
    const local = this.l1Get(target);
    if (local) return local.value as T;
    const found = await this.read(target);
    if (!found?.entry.payload) {
      this.stats.lookup(namespace, 'miss');
      return undefined;
    }
    const value = this.decode(target, found.entry.payload);
    this.stats.lookup(namespace, value ? 'hit' : 'miss');
    return value?.value as T | undefined;
  }

  async mget<T>(namespace: string, keys: string[]): Promise<Array<T | undefined>> {
    return Promise.all(keys.map((key) => this.get<T>(namespace, key)));
  }

  /** False when the value was refused (a newer stamp is cached) or Redis is unavailable. */
  async set<T>(namespace: string, key: string, value: T, options: CacheWriteOptions = {}): Promise<boolean> {
    if (!this.enabled) return false;
    const target = this.targets.target(namespace, key, options);
    const generations = await this.guarded(() => this.readGenerations(target), () => undefined);
    if (generations === undefined) {
      this.markPending(target);
      return false;
    }
    const stored = await this.store(target, value, generations, 0, options.stamp);
    await this.publish([{ type: 'evict', key: target.entryKey }]);
    return stored;
  }

  /** Marks a key deleted at `stamp`: values stamped older can no longer be cached over it. */
  async tombstone(namespace: string, key: string, stamp = DELETED_STAMP): Promise<void> {
    if (!this.enabled) return;
    const target = this.targets.target(namespace, key);
    this.l1.delete(target.entryKey);
    const written = await this.guarded(async () => {
      await this.redis.cacheSet(target.entryKey, target.leaseKey, '', String(stamp), target.ttlMs + this.targets.graceMs(target), '', 0, 0, '1', '', '');
      return true;
    }, () => false);
    if (!written) this.markPending(target);
    await this.publish([{ type: 'evict', key: target.entryKey }]);
  }

  async del(namespace: string, key: string): Promise<void> {
    if (!this.enabled) return;
    const target = this.targets.target(namespace, key);
    this.l1.delete(target.entryKey);
    // The lease goes too: a load that began before this delete must not store what it read.
    const deleted = await this.guarded(async () => (await this.redis.del(target.entryKey, target.leaseKey), true), () => false);
    if (!deleted) this.markPending(target);
    await this.publish([{ type: 'evict', key: target.entryKey }]);
  }

  async exists(namespace: string, key: string): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  /** Sets a new TTL (seconds) on an entry; false when it does not exist. */
  async expire(namespace: string, key: string, ttlSeconds: number): Promise<boolean> {
    if (!this.enabled) return false;
    const target = this.targets.target(namespace, key);
    return this.guarded(async () => (await this.redis.pexpire(target.entryKey, ttlSeconds * 1000)) === 1, () => false);
  }

  /** Seconds left in Redis (including the stale grace), -2 when missing, -1 without expiry. */
  async ttl(namespace: string, key: string): Promise<number> {
    if (!this.enabled) return -2;
    const target = this.targets.target(namespace, key);
    return this.guarded(() => this.redis.ttl(target.entryKey), () => -2);
  }

  /** O(1): bumps the namespace's generation; old entries are never read again and age out by TTL. */
  async invalidateNamespace(namespace: string): Promise<void> {
    this.targets.assertNamespace(namespace);
    await this.bump([this.targets.generationName('ns', namespace)]);
  }

  async invalidateTags(tags: string[]): Promise<void> {
    tags.forEach((tag) => this.targets.assertTag(tag));
    await this.bump(tags.map((tag) => this.targets.generationName('tag', tag)));
  }

  async getOrLoad<T>(namespace: string, key: string, loader: () => Promise<T>, options: GetOrLoadOptions<T> = {}): Promise<T> {
    if (!this.enabled) return loader();
    const target = this.targets.target(namespace, key, options);
    const local = this.l1Get(target);
    if (local) return local.value as T;

    const since = this.l1.mark();
    const found = await this.read(target);
    if (!found) {
      // Redis is unavailable: still one load per process, and only briefly in L1.
      const { promise, joined } = this.flights.run(target.entryKey, () => this.timedLoad(loader));
      this.stats.lookup(namespace, joined ? 'coalesced' : 'bypass');
      const { value } = await promise;
      this.l1Set(target, value, this.config.cache.l1OutageTtlMs, OUTAGE_GENERATIONS, since);
      return value;
    }
    const { entry, generations } = found;
    const cached = entry.payload ? this.decode(target, entry.payload) : undefined;
    if (cached) {
      const now = Date.now();
      if (now < entry.expiresAt && !refreshEarly(entry, target.beta, now)) {
        this.stats.lookup(namespace, 'hit');
        this.l1Set(target, cached.value, Math.min(this.config.cache.l1TtlMs, entry.expiresAt - now), generations, since);
        return cached.value as T;
      }
      if (now < entry.expiresAt) this.stats.event('early_refresh');
    }
    const seenExpiry = cached ? entry.expiresAt : 0;
    const { promise, joined } = this.flights.run(target.entryKey, () => this.loadOnce(target, generations, loader, options, cached, seenExpiry));
    const result = await promise;
    this.stats.lookup(namespace, joined || result.from === 'coalesced' ? 'coalesced' : result.from);
    return result.value;
  }

  // ---- internals ----

  /** A Redis call behind the process's circuit; a fallback is counted. */
  private guarded<T>(call: () => Promise<T>, fallback: () => T): Promise<T> {
    return this.circuit.run(this.redis, call, () => {
      this.stats.event('redis_fallback');
      return fallback();
    });
  }

  private async loadOnce<T>(
    target: Target,
    generations: string,
    loader: () => Promise<T>,
    options: GetOrLoadOptions<T>,
    stale: { value: unknown } | undefined,
    seenExpiry: number,
  ): Promise<{ value: T; from: 'miss' | 'stale' | 'coalesced' }> {
    const token = randomUUID();
    let lease: 'won' | 'taken' | 'unavailable' = 'taken';
    // A holder that finishes (or gives up) frees the lease: then take it, or find its value.
    for (let attempt = 0; attempt < 3 && lease === 'taken'; attempt++) {
      lease = await this.guarded<'won' | 'taken' | 'unavailable'>(
        async () => ((await this.redis.set(target.leaseKey, token, 'PX', this.config.cache.leaseMs, 'NX')) === 'OK' ? 'won' : 'taken'),
        () => 'unavailable',
      );
      if (lease !== 'taken') break;
      // Another caller is loading: serve what we have, or wait briefly for its value.
      if (stale) return { value: stale.value as T, from: 'stale' };
      const waited = await this.waitForLoad<T>(target);
      if (waited === 'timeout') break;
      if (waited !== 'gone') return { value: waited.value, from: 'coalesced' };
    }
    if (lease === 'won') {
      // The previous holder may have stored (and freed the lease) between our miss and our lease.
      const fresh = await this.freshEntry<T>(target, seenExpiry);
      if (fresh) {
        await this.guarded(() => this.redis.leaseRelease(target.leaseKey, token), () => 0);
        return { value: fresh.value, from: 'coalesced' };
      }
    }
    let stored = false;
    try {
      const { value, loadMs } = await this.timedLoad(loader);
      // Only the lease holder stores: a load without the lease is served but not cached.
      if (lease === 'won' && (value !== null && value !== undefined ? true : options.cacheNull)) {
        const rendering = options.render && value !== null && value !== undefined ? `${options.render.version}\n${options.render.render(value)}` : '';
        stored = await this.store(target, value, generations, loadMs, options.stamp?.(value), token, rendering);
      }
      return { value, from: 'miss' };
    } finally {
      // A successful store released the lease in the same script.
      if (lease === 'won' && !stored) await this.guarded(() => this.redis.leaseRelease(target.leaseKey, token), () => 0);
    }
  }

  /** The entry's value when it is current, unexpired, and newer than the one this caller saw. */
  private async freshEntry<T>(target: Target, seenExpiry: number): Promise<{ value: T } | undefined> {
    const found = await this.read(target);
    if (!found?.entry.payload || found.entry.expiresAt <= Math.max(Date.now(), seenExpiry)) return undefined;
    return this.decode(target, found.entry.payload) as { value: T } | undefined;
  }

  /**
   * Polls for the lease holder's value with a growing delay, at most one lease period: the value,
   * 'gone' when the holder freed its lease without one, or 'timeout'.
   */
  private async waitForLoad<T>(target: Target): Promise<{ value: T } | 'gone' | 'timeout'> {
    const deadline = Date.now() + this.config.cache.leaseMs;
    for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
      await sleep(delay);
      const value = await this.freshEntry<T>(target, 0);
      if (value) return value;
      const holder = await this.guarded(() => this.redis.exists(target.leaseKey), () => -1);
      if (holder === -1) return 'timeout';
      if (holder === 0) return (await this.freshEntry<T>(target, 0)) ?? 'gone';
    }
    return 'timeout';
  }

  private async timedLoad<T>(loader: () => Promise<T>): Promise<{ value: T; loadMs: number }> {
    const started = performance.now();
    const value = await loader();
    this.stats.event('load');
    return { value, loadMs: Math.max(1, Math.round(performance.now() - started)) };
  }

  private async store(
    target: Target,
    value: unknown,
    generations: string,
    loadMs: number,
    stamp: number | undefined,
    leaseToken = '',
    rendering = '',
  ): Promise<boolean> {
    const payload = this.codec.encode(value);
    const expiresAt = Date.now() + target.ttlMs;
    const since = this.l1.mark();
    const stored = await this.guarded(
      async () =>
        (await this.redis.cacheSet(
          target.entryKey,
          target.leaseKey,
          payload,
          stamp === undefined ? '' : String(stamp),
          target.ttlMs + this.targets.graceMs(target),
          generations,
          expiresAt,
          loadMs,
          '0',
          leaseToken,
          rendering,
        )) === 1,
      () => undefined,
    );
    if (stored === undefined) {
      // A writer's value that did not reach Redis must retire what Redis still holds, later.
      if (leaseToken === '') this.markPending(target);
      return false;
    }
    if (!stored) {
      this.stats.event('stale_set_refused');
      this.l1.delete(target.entryKey);
      return false;
    }
    this.l1Set(target, value, Math.min(this.config.cache.l1TtlMs, target.ttlMs), generations, since);
    return true;
  }

  /**
   * The entry and the current generations, in one round trip; undefined when Redis is unavailable.
   * With L1 on, the process has accepted that another instance's write reaches it over pub/sub:
   * while the channel listens, generations it learned (from Redis within CACHE_L1_TTL_MS, or
   * from the channel) are as current as its L1, so the lookup is the entry alone (one command,
   * not one per generation plus one). With L1 off every lookup reads the generations: a write
   * on any instance is seen by the next read on every other.
   */
  private read(target: Target, withRendering = false): Promise<{ entry: Entry; generations: string; rendering?: Buffer } | undefined> {
    const fields = withRendering ? ENTRY_FIELDS_AND_RENDERING : ENTRY_FIELDS;
    const found = (values: Array<Buffer | null>, generations: string) => ({ entry: parseEntry(values, generations), generations, rendering: values[6] ?? undefined });
    // Promise chains rather than async functions: this is every Redis hit's path.
    const lookup = () => {
      const known = this.events.listening ? this.l1.signature(target.generationNames, this.config.cache.l1TtlMs) : undefined;
      if (known !== undefined) return this.redis.hmgetBuffer(target.entryKey, ...fields).then((values) => found(values, known));
      // The generations and the entry in one write; the entry's reply comes last.
      const replies: Array<Promise<string | null | Array<Buffer | null>>> = target.generationKeys.map((key) => this.redis.get(key));
      replies.push(this.redis.hmgetBuffer(target.entryKey, ...fields));
      return Promise.all(replies).then((values) => found(values.pop() as Array<Buffer | null>, this.learnGenerations(target, values as Array<string | null>)));
    };
    return this.guarded(() => (this.pending.size === 0 ? lookup() : this.replayPending().then(lookup)), () => undefined);
  }

  private async readGenerations(target: Target): Promise<string> {
    return this.learnGenerations(target, await Promise.all(target.generationKeys.map((key) => this.redis.get(key))));
  }

  /** The generations as read from Redis, remembered (for L1), as an entry records them. */
  private learnGenerations(target: Target, values: Array<string | null>): string {
    const numbers = values.map((value) => Number(value ?? 0));
    target.generationNames.forEach((name, i) => this.l1.learnGeneration(name, numbers[i]));
    return numbers.join(',');
  }

  private decode(target: Target, payload: Buffer): { value: unknown } | undefined {
    try {
      return { value: this.codec.decode(payload) };
    } catch (error) {
      this.stats.event('decode_error');
      this.logger.warn(`dropped an undecodable ${this.codec.name} entry ${target.entryKey}: ${(error as Error).message}`);
      void this.guarded(() => this.redis.del(target.entryKey), () => 0);
      return undefined;
    }
  }

  private async bump(names: string[]): Promise<void> {
    if (!this.enabled) return;
    const bumped = await this.guarded(
      () => Promise.all(names.map(async (name) => ({ name, value: await this.redis.incr(this.targets.generationKey(name)) }))),
      () => undefined,
    );
    if (!bumped) {
      names.forEach((name) => this.pending.add(name));
      this.l1.reset();
      return;
    }
    bumped.forEach(({ name, value }) => this.l1.learnGeneration(name, value));
    await this.publish(bumped.map(({ name, value }) => ({ type: 'generation', name, value })));
  }

  /** Before Redis is read after an outage, retire what writes during the outage may have left stale. */
  private async replayPending(): Promise<void> {
    const names = [...this.pending];
    const values = await Promise.all(names.map((name) => this.redis.incr(this.targets.generationKey(name))));
    names.forEach((name) => this.pending.delete(name));
    this.logger.log(`replayed ${names.length} invalidation(s) missed during the Redis outage`);
    await this.publish(names.map((name, i) => ({ type: 'generation', name, value: values[i] })));
  }

  /** A write this process could not record: retire the whole namespace (and tags) once Redis is back. */
  private markPending(target: Target): void {
    target.generationNames.forEach((name) => this.pending.add(name));
    this.l1.delete(target.entryKey);
  }

  private async publish(events: CacheEvent[]): Promise<void> {
    await this.guarded(() => this.events.publish(events), () => undefined);
  }

  private applyEvents(events: CacheEvent[]): void {
    for (const event of events) {
      if (event.type === 'evict') this.l1.delete(event.key);
      else this.l1.learnGeneration(event.name, event.value);
    }
  }

  private l1Get(target: Target): { value: unknown } | undefined {
    if (!target.l1 || !this.l1.enabled) return undefined;
    // Without the event channel another instance's write could not evict what L1 holds: only the
    // short-lived entries of an outage are served then.
    const hit = this.l1.get(target.entryKey, target.generationNames, !this.events.listening);
    if (hit) this.stats.lookup(target.namespace, 'l1_hit');
    return hit;
  }

  /**
   * `generations` are the ones the value was read or stored under (not the ones known now: a bump
   * may have arrived meanwhile); `since` is the L1 mark taken before that read or store.
   */
  private l1Set(target: Target, value: unknown, ttlMs: number, generations: string, since?: number): void {
    if (!target.l1 || !this.l1.enabled || ttlMs <= 0) return;
    // Outage entries are kept briefly whatever the channel; others only while it delivers evictions.
    if (generations !== OUTAGE_GENERATIONS && !this.events.listening) return;
    // While Redis is down no eviction can arrive: keep entries only briefly.
    const bound = this.circuit.isDown || !this.circuit.usable(this.redis) ? Math.min(ttlMs, this.config.cache.l1OutageTtlMs) : ttlMs;
    this.l1.set(target.entryKey, value, generations, bound, since);
  }
}
