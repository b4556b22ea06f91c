import { Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig, RetryLaterError } from '@stockroom/core';
import { defineLuaScripts, InjectRedis, InjectRequestRedis, RedisCircuit, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { CounterBuffer } from './counter-buffer';
import { PeriodicFlush } from './periodic-flush';
import { RankingMetric, statsKeys, VIEWS_RANKING_COMPLETE } from './stats.keys';
import { COUNTERS_ADD_LUA } from './counters-add.lua';
import { ViewsRanking } from './views-ranking';

/** Distinct search terms the ranking keeps (the most searched): anyone can type a new one. */
export const SEARCH_RANKING_SIZE = 1_000;

type CounterCommands = RedisClient & { countersAdd(hash: string, ranking: string, withHash: string, keep: string, counts: string): Promise<number> };

/** Counters per script call: about a millisecond of Redis's time each. */
const COUNTERS_PER_SCRIPT = 250;

export class RankingsUnavailableError extends RetryLaterError {
  protected readonly retryAfterSeconds = 1;
  readonly status = 503;
  readonly code = 'RANKINGS_UNAVAILABLE';

  constructor(reason = 'Redis is unavailable') {
    super(`The rankings cannot be read right now (${reason}); try again shortly`);
  }
}

export interface RankingEntry {
  member: string;
  score: number;
}

/** Lowercase, trimmed, inner spaces collapsed: "  Oak   LAMP" and "oak lamp" count as one term. */
export function normaliseSearchTerm(term: string): string {
  return term.trim().toLowerCase().replace(/\s+/g, ' ').slice(0, 100);
}

/**
 * Views, sales and searches. A request only touches process memory; every STATS_BUFFER_FLUSH_MS
 * script calls, one after another, carry the sums to Redis (HINCRBY on the views not yet in MySQL,
 * ZINCRBY on the rankings). A failed send puts the counts back, so Redis being away costs no increments while
 * the process lives.
 */
@Injectable()
export class StatsService extends PeriodicFlush {
  private readonly logger = new Logger('Stats');
  private readonly views = new CounterBuffer<number>();
  private readonly sales = new CounterBuffer<number>();
  private readonly searches = new CounterBuffer<string>();
  private readonly keys: ReturnType<typeof statsKeys>;
  private sending: Promise<void> | undefined;

  constructor(
    config: AppConfig,
    @InjectRedis() private readonly redis: RedisClient,
    @InjectRequestRedis() private readonly requestRedis: RedisClient,
    private readonly circuit: RedisCircuit,
    redisKeys: RedisKeys,
    @Optional() private readonly viewsRanking?: ViewsRanking,
  ) {
    super(config);
    this.keys = statsKeys(redisKeys);
    defineLuaScripts(redis, [{ name: 'countersAdd', numberOfKeys: 2, lua: COUNTERS_ADD_LUA }]);
  }

  recordView(productId: number): void {
    if (this.config.stats.enabled) this.views.add(productId);
  }

  recordSale(productId: number, quantity: number): void {
    if (this.config.stats.enabled) this.sales.add(productId, quantity);
  }

  recordSearch(term: string): void {
    const normalised = normaliseSearchTerm(term);
    if (this.config.stats.enabled && normalised) this.searches.add(normalised);
  }

  /**
   * Highest first, straight from the sorted set (always current, O(log N + limit)); requests wait
   * for it, so it has a deadline and goes through the circuit: RankingsUnavailableError (503) when
   * Redis cannot answer, and for views while the ranking lacks its marker (Redis lost it: it is
   * being rebuilt from MySQL, which this starts).
   */
  async top(metric: RankingMetric, limit: number): Promise<RankingEntry[]> {
    const views = metric === 'views';
    const flat = await this.circuit.run(
      this.requestRedis,
      // The views ranking's marker scores +inf: the first member when it is there.
      () => this.requestRedis.zrevrange(this.keys.ranking(metric), 0, views ? limit : limit - 1, 'WITHSCORES'),
      () => {
        throw new RankingsUnavailableError();
      },
    );
    if (views) {
      if (flat[0] === VIEWS_RANKING_COMPLETE) flat.splice(0, 2);
      else if (this.config.stats.enabled) {
        void this.viewsRanking?.ensure().catch((error: Error) => this.logger.warn(`views ranking not rebuilt: ${error.message}`));
        throw new RankingsUnavailableError('the views ranking is being rebuilt from MySQL');
      }
      // With counters off nothing adds to the ranking nor rebuilds it: it is read as it is.
      else flat.length = Math.min(flat.length, 2 * limit);
    }
    const entries: RankingEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ member: flat[i], score: Number(flat[i + 1]) });
    return entries;
  }

  /** Sends what the buffers hold; one send at a time. */
  send(): Promise<void> {
    this.sending ??= this.sendBuffers().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async sendBuffers(): Promise<void> {
    // One script call per counter kind and chunk, its counts in one JSON argument: Node encodes a
    // few strings, not two arguments per product. The calls go one after another, not as one
    // pipeline: Redis runs every command it has read from a connection before serving another,
    // so a pipeline of chunks would hold the requests' own Redis calls (sessions, rate limits,
    // cache reads) for several milliseconds every flush; one chunk holds them for about one. Each
    // chunk is taken from its buffer just before it is sent, and what was not sent stays there.
    const kinds: Array<[CounterBuffer<string | number>, RankingMetric, boolean, number]> = [
      [this.views, 'views', true, 0],
      [this.sales, 'sales', false, 0],
      [this.searches, 'searches', false, SEARCH_RANKING_SIZE],
    ];
    for (const [buffer, metric, withHash, keep] of kinds) {
      buffer.dropIdle();
      // What was counted before this send began; what is counted meanwhile waits for the next one.
      for (let left = buffer.size; left > 0; ) {
        const counts = buffer.take(Math.min(COUNTERS_PER_SCRIPT, left));
        if (!counts) break;
        left -= counts.size;
        const pairs: Array<string | number> = [];
        for (const [member, n] of counts) pairs.push(String(member), n);
        try {
          await (this.redis as CounterCommands).countersAdd(this.keys.pendingViews, this.keys.ranking(metric), withHash ? '1' : '0', String(keep), JSON.stringify(pairs));
        } catch (error) {
          // Each script is atomic: the chunk refused goes back; the rest was never taken.
          buffer.restore(counts);
          this.logger.warn(`counters kept in memory, Redis unavailable: ${(error as Error).message}`);
          return;
        }
      }
    }
  }

}
