import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { InjectRequestRedis, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { statsKeys, VIEWS_RANKING_COMPLETE } from './stats.keys';
import { ViewsWriteBehind } from './views-write-behind';

/** Products per MySQL read and per ZADD of a rebuild. */
const REBUILD_CHUNK = 1_000;

/**
 * Keeps the views ranking whole after Redis loses it. The counters only ever add to the ranking
 * (ZINCRBY), so after a lost dataset it would restart from nothing and rank the products viewed
 * since above every product MySQL knows to be popular. The ranking carries a marker member
 * (`VIEWS_RANKING_COMPLETE`, scored +inf, so a top query reads it first); without it the ranking
 * is rebuilt from MySQL's `views`, `ZADD … GT` a chunk at a time: each product gets the larger of
 * what MySQL has and what was counted since the loss, so the rebuild never lowers a score and may
 * run on several instances at once. What it can miss: views counted after the loss and not yet
 * in MySQL at the rebuild (seconds of them: the write-behind's interval). Runs at startup and when
 * a reader finds the marker missing; its Redis calls have the request connection's deadline.
 */
@Injectable()
export class ViewsRanking implements OnApplicationBootstrap {
  private readonly logger = new Logger('ViewsRanking');
  private readonly key: string;
  private rebuilding: Promise<void> | undefined;

  constructor(
    private readonly config: AppConfig,
    @InjectRequestRedis() private readonly redis: RedisClient,
    private readonly writeBehind: ViewsWriteBehind,
    redisKeys: RedisKeys,
  ) {
    this.key = statsKeys(redisKeys).ranking('views');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.stats.enabled) return;
    // Readers fall back to MySQL until it is whole; a failure here is retried by the next reader.
    await this.ensure().catch((error: Error) => this.logger.warn(`views ranking not checked at startup: ${error.message}`));
  }

  /** Rebuilds the ranking unless its marker is there; one rebuild at a time per process. */
  ensure(): Promise<void> {
    this.rebuilding ??= this.rebuildUnlessComplete().finally(() => (this.rebuilding = undefined));
    return this.rebuilding;
  }

  private async rebuildUnlessComplete(): Promise<void> {
    if ((await this.redis.zscore(this.key, VIEWS_RANKING_COMPLETE)) !== null) return;
    const store = this.writeBehind.viewCounts;
    if (!store) return;
    let added = 0;
    for (let after = 0; ; ) {
      const rows = await store.viewsAfter(after, REBUILD_CHUNK);
      if (rows.length > 0) {
        await this.redis.zadd(this.key, 'GT', ...rows.flatMap(([id, views]) => [views, String(id)]));
        added += rows.length;
        after = rows[rows.length - 1][0];
      }
      if (rows.length < REBUILD_CHUNK) break;
    }
    await this.redis.zadd(this.key, '+inf', VIEWS_RANKING_COMPLETE);
    this.logger.log(`views ranking rebuilt from MySQL (${added} products with views)`);
  }
}
