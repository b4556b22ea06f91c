import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@stockroom/core';
import { isDuplicateKeyError, UnitOfWork } from '@stockroom/database';
import { defineLuaScripts, InjectRedis, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { statsKeys } from './stats.keys';
import { VIEWS_CLAIM_LUA } from './views-claim.lua';

export interface ViewBatch {
  flushId: string;
  counts: Map<number, number>;
}

/**
 * Where counted views are added in MySQL: the catalogue's `products.views`, which this lib may not
 * name (it imports no feature lib); the catalogue plugs its store in at startup.
 */
export abstract class ViewCountStore {
  /** Joins the write-behind's unit of work. */
  abstract addViews(counts: Map<number, number>): Promise<void>;
}

type ClaimCommand = RedisClient & { viewsClaim(pending: string, inflight: string, flushId: string): Promise<string | null> };

/** Fields per HSCAN page of a claimed batch: about 0.3 ms of Redis each under load (1,000: 0.6–0.8 ms). */
const CLAIM_PAGE = 500;

/**
 * How long a flush record is kept. A record matters only while its batch may still be in flight
 * in Redis: from its apply until the UNLINK that follows it, which fails only while Redis is
 * unreachable. A week outlasts any outage Redis comes back from with its data.
 */
export const FLUSH_RECORD_DAYS = 7;
/** How often each instance deletes records older than that. */
const PRUNE_EVERY_MS = 3_600_000;
/** Rows per DELETE: each statement is short, so it never holds the table against the flushes. */
const PRUNE_BATCH = 1_000;

/**
 * Moves view counts from Redis to MySQL (`ViewCountStore`: `products.views`) in batches, exactly once:
 * 1. claim: the pending hash is renamed to an in-flight hash stamped with a flush id (Lua);
 * 2. apply: one transaction adds the counts and records the flush id (primary key);
 * 3. finish: the in-flight hash is deleted.
 * A flusher that dies after 1 leaves the batch in flight and the next one applies it; one that
 * dies after 2 leaves it too, and the next one finds its id already recorded and only deletes it.
 */
@Injectable()
export class ViewsWriteBehind implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ViewsWriteBehind');
  private readonly keys: ReturnType<typeof statsKeys>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private store?: ViewCountStore;
  private nextPruneAt = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectRedis() private readonly redis: RedisClient,
    private readonly work: UnitOfWork,
    redisKeys: RedisKeys,
  ) {
    this.keys = statsKeys(redisKeys);
    defineLuaScripts(redis, [{ name: 'viewsClaim', numberOfKeys: 2, lua: VIEWS_CLAIM_LUA }]);
  }

  onModuleInit(): void {
    if (!this.config.stats.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.config.stats.writeBehindMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    await this.flush().catch((e: Error) => this.logger.warn(`flush failed: ${e.message}`));
    if (Date.now() < this.nextPruneAt) return;
    this.nextPruneAt = Date.now() + PRUNE_EVERY_MS;
    await this.pruneRecords().catch((e: Error) => this.logger.warn(`flush records not pruned: ${e.message}`));
  }

  /**
   * Deletes the flush records older than `days` (one every flush that wrote something: 17,000 a
   * day at the default interval), oldest first, a batch per statement; returns how many.
   */
  async pruneRecords(days = FLUSH_RECORD_DAYS): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = (await this.work.manager.query('DELETE FROM counter_flushes WHERE applied_at < NOW(3) - INTERVAL ? DAY ORDER BY applied_at LIMIT ?', [days, PRUNE_BATCH])) as { affectedRows: number };
      deleted += result.affectedRows;
      if (result.affectedRows < PRUNE_BATCH) return deleted;
    }
  }

  /** One full claim → apply → finish; returns the views written now. */
  flush(): Promise<number> {
    this.running ??= (async () => {
      const batch = await this.claim();
      if (!batch) return 0;
      const applied = await this.apply(batch);
      await this.finish();
      return applied;
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Called once at startup by the catalogue, which owns the column the counts go to. */
  storeViewsIn(store: ViewCountStore): void {
    this.store = store;
  }

  /**
   * The batch in flight (claimed now, or left by a flusher that died), read by pages: nothing
   * writes to it once claimed, and a field HSCAN returns twice has the same count both times.
   */
  async claim(): Promise<ViewBatch | undefined> {
    const flushId = await (this.redis as ClaimCommand).viewsClaim(this.keys.pendingViews, this.keys.inflightViews, randomUUID());
    if (!flushId) return undefined;
    const counts = new Map<number, number>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.inflightViews, cursor, 'COUNT', CLAIM_PAGE);
      for (let i = 0; i < flat.length; i += 2) if (flat[i] !== '__flush') counts.set(Number(flat[i]), Number(flat[i + 1]));
      cursor = next;
    } while (cursor !== '0');
    return { flushId, counts };
  }

  /** Adds the batch to MySQL once; 0 when this flush id was applied before. */
  async apply(batch: ViewBatch): Promise<number> {
    if (batch.counts.size === 0) return 0;
    try {
      const store = this.store;
      // Without a store the batch stays in flight (in Redis) for a flush once one is plugged in.
      if (!store) throw new Error('no view count store: the catalogue module is not loaded');
      return await this.work.run(async () => {
        await this.work.manager.query('INSERT INTO counter_flushes (id) VALUES (?)', [batch.flushId]);
        await store.addViews(batch.counts);
        return [...batch.counts.values()].reduce((a, b) => a + b, 0);
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) return 0;
      throw error;
    }
  }

  /** UNLINK: Redis frees the batch's hash (every product viewed since the last flush) off its main thread. */
  async finish(): Promise<void> {
    await this.redis.unlink(this.keys.inflightViews);
  }
}
