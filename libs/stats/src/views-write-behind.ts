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

  /** Up to `limit` products with views, by ascending id after `afterId`: `[id, views]` (the ranking's rebuild). */
  abstract viewsAfter(afterId: number, limit: number): Promise<Array<[number, number]>>;
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
 * Product ids per transaction of a batch. One transaction for the whole batch held every viewed
 * product's row lock until its commit, and order intake waited on them: 75–120 ms for the bench's
 * 10,000 products on an idle machine, 140–210 ms under its load, and longer with the catalogue.
 * A transaction of 1,000 holds its rows for 10–16 ms; a commit per 1,000 ids costs MySQL about
 * 3 ms more each (the redo log's flush), a third more for the round.
 */
const IDS_PER_TRANSACTION = 1_000;
/**
 * After each transaction the apply pauses twice as long as it took: a round takes at most a third
 * of a core from the requests at a time, where in one go it took a whole one (on the bench's two
 * cores, the 250 ms windows holding a round had their p99 at 10–28 ms against 4–5 elsewhere).
 */
const PAUSE_FACTOR = 2;

export interface AppliedStep {
  /** The views this transaction added. */
  views: number;
  /** Whether the batch has no ids left to apply. */
  done: boolean;
}

/**
 * Moves view counts from Redis to MySQL (`ViewCountStore`: `products.views`) in batches, exactly once:
 * 1. claim: the pending hash is renamed to an in-flight hash stamped with a flush id (Lua);
 * 2. apply: the batch's ids in ascending order, `IDS_PER_TRANSACTION` per transaction, each adding
 *    its counts and recording, under the flush id's row lock in `counter_flushes`, the last id it
 *    applied (`applied_through`);
 * 3. finish: the in-flight hash is deleted.
 * The in-flight hash never changes once claimed, so a flusher that dies anywhere leaves a batch
 * the next one applies from the id after the recorded one; two flushers on one batch take turns
 * on that row lock, each transaction applying ids no other has.
 */
@Injectable()
export class ViewsWriteBehind implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ViewsWriteBehind');
  private readonly keys: ReturnType<typeof statsKeys>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private store?: ViewCountStore;
  private nextPruneAt = 0;
  private stopping = false;

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
    this.stopping = true;
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
      // Stopped part-way (the app is shutting down): the rest stays in flight for the next flusher.
      if (this.stopping) return applied;
      await this.finish();
      return applied;
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Called once at startup by the catalogue, which owns the column the counts go to. */
  storeViewsIn(store: ViewCountStore): void {
    this.store = store;
  }

  /** The store plugged in, if any (an app without the catalogue has none). */
  get viewCounts(): ViewCountStore | undefined {
    return this.store;
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

  /**
   * Adds what is left of the batch to MySQL, a transaction at a time with a pause after each
   * (`PAUSE_FACTOR`); returns the views added now (0 when every id was applied before). Stops
   * between transactions once the app is shutting down: the batch stays in flight, its progress
   * recorded, for the next flusher.
   */
  async apply(batch: ViewBatch): Promise<number> {
    const ids = ascendingIds(batch);
    let views = 0;
    for (;;) {
      const started = performance.now();
      const step = await this.applyStep(batch, ids);
      views += step.views;
      if (step.done || this.stopping) return views;
      await new Promise((resolve) => setTimeout(resolve, (performance.now() - started) * PAUSE_FACTOR));
    }
  }

  /** One transaction: the batch's next `IDS_PER_TRANSACTION` ids after the last one recorded for its flush id. */
  applyNext(batch: ViewBatch): Promise<AppliedStep> {
    return this.applyStep(batch, ascendingIds(batch));
  }

  /** `applyNext`, with the batch's ids already sorted (`apply` sorts them once for all its transactions). */
  private async applyStep(batch: ViewBatch, ids: number[]): Promise<AppliedStep> {
    if (ids.length === 0) return { views: 0, done: true };
    const store = this.store;
    // Without a store the batch stays in flight (in Redis) for a flush once one is plugged in.
    if (!store) throw new Error('no view count store: the catalogue module is not loaded');
    try {
      return await this.work.run(async () => {
        const [record] = (await this.work.manager.query('SELECT applied_through FROM counter_flushes WHERE id = ? FOR UPDATE', [batch.flushId])) as Array<{ applied_through: number | null }>;
        // A record without progress: the whole batch was applied in one transaction (the rule until 2026-12-02).
        if (record && record.applied_through === null) return { views: 0, done: true };
        const from = record ? firstAbove(ids, Number(record.applied_through)) : 0;
        const chunk = ids.slice(from, from + IDS_PER_TRANSACTION);
        if (chunk.length === 0) return { views: 0, done: true };
        const counts = new Map(chunk.map((id) => [id, batch.counts.get(id) ?? 0]));
        await store.addViews(counts);
        const last = chunk[chunk.length - 1];
        if (record) await this.work.manager.query('UPDATE counter_flushes SET applied_through = ? WHERE id = ?', [last, batch.flushId]);
        else await this.work.manager.query('INSERT INTO counter_flushes (id, applied_through) VALUES (?, ?)', [batch.flushId, last]);
        let views = 0;
        for (const count of counts.values()) views += count;
        return { views, done: from + chunk.length >= ids.length };
      });
    } catch (error) {
      // Another flusher recorded this flush id first (between the read and the insert): read it again.
      if (isDuplicateKeyError(error)) return { views: 0, done: false };
      throw error;
    }
  }

  /** UNLINK: Redis frees the batch's hash (every product viewed since the last flush) off its main thread. */
  async finish(): Promise<void> {
    await this.redis.unlink(this.keys.inflightViews);
  }
}

function ascendingIds(batch: ViewBatch): number[] {
  return [...batch.counts.keys()].sort((a, b) => a - b);
}

/** The index of the first of ascending `ids` above `id` (ids.length when none is). */
function firstAbove(ids: number[], id: number): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ids[middle] <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
