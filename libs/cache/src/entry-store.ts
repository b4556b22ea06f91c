import { Logger } from '@nestjs/common';
import { TurnGets } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import type { CacheCodec } from './codecs';
import type { CacheStats } from './cache-stats';
import { CacheTargets, Entry, parseEntry, Target } from './cache-target';
import type { InvalidationLog } from './invalidation-log';
import type { LocalTier } from './local-tier';

export type CacheCommands = RedisClient & {
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

/** An entry as read, with the generations current for it. */
export interface FoundEntry {
  entry: Entry;
  generations: string;
}

/** An entry an older release stored as a hash reads as missing: the next store replaces it. */
function storedByOlderRelease(error: Error): null {
  if (error.message.startsWith('WRONGTYPE')) return null;
  throw error;
}

/**
 * The entries in Redis: one string per key (`cache-set.lua` writes it, compare-and-set on the stamp,
 * and frees the loader's lease in the same call), the lease beside it, and the codec between
 * values and payloads. Every call goes through the circuit (`guarded`): undefined, false or the
 * stated fallback when Redis is unavailable, never an error.
 */
export class EntryStore {
  private readonly logger = new Logger('RedisCache');
  /** The entries read during one turn of the event loop, as one MGET. */
  private readonly gets: TurnGets;

  constructor(
    private readonly redis: CacheCommands,
    private readonly codec: CacheCodec,
    private readonly targets: CacheTargets,
    private readonly local: LocalTier,
    private readonly log: InvalidationLog,
    private readonly stats: CacheStats,
    /** `call` through the process's circuit; `fallback()` (counted) when Redis is unavailable. */
    readonly guarded: <T>(call: () => Promise<T>, fallback: () => T) => Promise<T>,
  ) {
    this.gets = new TurnGets(redis);
  }

  /**
   * The entry and the current generations, in one round trip; undefined when Redis is unavailable.
   * While the event channel listens, generations learned (from Redis within CACHE_L1_TTL_MS, or
   * from the channel) are current up to a message's delivery, so the lookup is the entry alone:
   * one key of the turn's MGET (`TurnGets`), with L1 on or off. Otherwise it reads them.
   */
  read(target: Target): Promise<FoundEntry | undefined> {
    const found = (raw: Buffer | null, generations: string): FoundEntry => ({ entry: parseEntry(raw, generations), generations });
    // Promise chains rather than async functions: this is every Redis hit's path.
    const lookup = () => {
      const known = this.log.known(target);
      if (known !== undefined) return this.gets.getBuffer(target.entryKey).then((raw) => found(raw, known));
      // The generations and the entry in one write; the entry's reply comes last.
      const replies: Array<Promise<string | Buffer | null>> = target.generationKeys.map((key) => this.redis.get(key));
      replies.push(this.redis.getBuffer(target.entryKey).catch(storedByOlderRelease));
      return Promise.all(replies).then((values) => found(values.pop() as Buffer | null, this.log.learn(target, values as Array<string | null>)));
    };
    return this.guarded(() => (this.log.hasPending ? this.log.replayPending().then(lookup) : lookup()), () => undefined);
  }

  /** An entry's value when it decodes; an entry that does not is dropped (and counted), so it is loaded again. */
  decode(target: Target, payload: Buffer): { value: unknown } | undefined {
    try {
      return { value: this.codec.decode(payload) };
    } catch (error) {
      this.stats.event('decode_error');
      this.logger.warn(`dropped an undecodable ${this.codec.name} entry ${target.entryKey}: ${(error as Error).message}`);
      void this.guarded(() => this.redis.del(target.entryKey), () => 0);
      return undefined;
    }
  }

  /**
   * Stores a value under the generations it was read under; the lease holder passes its token
   * (freed by the same call). False when refused (a newer stamp is cached) or not written; a
   * writer's value that did not reach Redis retires what Redis still holds once it is back.
   */
  async store(target: Target, value: unknown, generations: string, loadMs: number, stamp: number | undefined, leaseToken = '', rendering = ''): Promise<boolean> {
    const payload = this.codec.encode(value);
    const expiresAt = Date.now() + target.ttlMs;
    const since = this.local.mark();
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
      if (leaseToken === '') this.log.markPending(target);
      return false;
    }
    if (!stored) {
      this.stats.event('stale_set_refused');
      this.local.delete(target.entryKey);
      return false;
    }
    this.local.set(target, value, target.ttlMs, generations, since);
    return true;
  }

  /** Marks the key deleted at `stamp`: values stamped older can no longer be cached over it. False when not written. */
  writeTombstone(target: Target, stamp: number): Promise<boolean> {
    return this.guarded(async () => {
      await this.redis.cacheSet(target.entryKey, target.leaseKey, '', String(stamp), target.ttlMs + this.targets.graceMs(target), '', 0, 0, '1', '', '');
      return true;
    }, () => false);
  }

  /** The entry and its lease (a load that began before must not store what it read). False when not deleted. */
  delete(target: Target): Promise<boolean> {
    return this.guarded(async () => (await this.redis.del(target.entryKey, target.leaseKey), true), () => false);
  }

  expire(target: Target, ttlMs: number): Promise<boolean> {
    return this.guarded(async () => (await this.redis.pexpire(target.entryKey, ttlMs)) === 1, () => false);
  }

  /** Seconds left (including the stale grace), -2 when missing or unknown, -1 without expiry. */
  ttl(target: Target): Promise<number> {
    return this.guarded(() => this.redis.ttl(target.entryKey), () => -2);
  }

  /** 'won' when this caller now holds the key's load lease, 'taken' when another does, 'unavailable' without Redis. */
  takeLease(target: Target, token: string, leaseMs: number): Promise<'won' | 'taken' | 'unavailable'> {
    return this.guarded<'won' | 'taken' | 'unavailable'>(
      async () => ((await this.redis.set(target.leaseKey, token, 'PX', leaseMs, 'NX')) === 'OK' ? 'won' : 'taken'),
      () => 'unavailable',
    );
  }

  async releaseLease(target: Target, token: string): Promise<void> {
    await this.guarded(() => this.redis.leaseRelease(target.leaseKey, token), () => 0);
  }

  /** Whether someone holds the key's lease; undefined without Redis. */
  leaseHeld(target: Target): Promise<boolean | undefined> {
    return this.guarded(async () => (await this.redis.exists(target.leaseKey)) === 1, () => undefined);
  }
}
