import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { defineLuaScripts, InjectRedis, InjectRequestRedis, RedisCircuit, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { PeriodicFlush } from './periodic-flush';
import { RECENT_PUSH_LUA } from './recent-push.lua';

const KEEP = 20;
const TTL_MS = 30 * 24 * 60 * 60 * 1000;

type RecentCommands = RedisClient & { recentPush(key: string, keep: number, ttlMs: number, ...ids: number[]): Promise<number> };

/**
 * The last products a signed-in user looked at: one Redis list per user, newest first, no
 * repeats, at most 20, forgotten after 30 days without a view. Like the counters, a request only
 * touches process memory; every STATS_BUFFER_FLUSH_MS one pipeline carries each user's views in
 * one script call (one key per call, so a cluster is fine). Reads merge what this process has not
 * sent yet, so a user sees their own last view at once.
 */
@Injectable()
export class RecentlyViewed extends PeriodicFlush {
  static readonly KEEP = KEEP;
  private readonly logger = new Logger('RecentlyViewed');
  private readonly redis: RecentCommands;
  /** userId → product ids not yet sent, oldest view first. */
  private pending = new Map<number, number[]>();

  private sending: Promise<void> | undefined;

  constructor(
    config: AppConfig,
    @InjectRedis() redis: RedisClient,
    @InjectRequestRedis() private readonly requestRedis: RedisClient,
    private readonly circuit: RedisCircuit,
    private readonly keys: RedisKeys,
  ) {
    super(config);
    this.redis = redis as RecentCommands;
    defineLuaScripts(redis, [{ name: 'recentPush', numberOfKeys: 1, lua: RECENT_PUSH_LUA }]);
  }

  record(userId: number, productId: number): void {
    if (!this.config.stats.enabled) return;
    const views = this.pending.get(userId) ?? [];
    views.push(productId);
    // Only the last KEEP distinct views can survive the list's trim: keep those, oldest first.
    this.pending.set(userId, views.length > KEEP * 4 ? lastDistinct(views, KEEP) : views);
  }

  /** What this process has not sent yet, before what Redis holds (which, while Redis cannot answer in time, is left out). */
  async list(userId: number): Promise<number[]> {
    const stored = (await this.circuit.run(this.requestRedis, () => this.requestRedis.lrange(this.key(userId), 0, KEEP - 1), () => [])).map(Number);
    const unsent = [...(this.pending.get(userId) ?? [])].reverse();
    return [...new Set([...unsent, ...stored])].slice(0, KEEP);
  }

  /** One send at a time: a Redis that hangs holds one batch, not one per interval. */
  send(): Promise<void> {
    this.sending ??= this.sendPending().finally(() => (this.sending = undefined));
    return this.sending;
  }

  /** Best effort: a failed send loses a few entries of a convenience list, never anything that matters. */
  private async sendPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await Promise.all(
      [...batch].map(([userId, ids]) =>
        this.redis.recentPush(this.key(userId), KEEP, TTL_MS, ...ids).catch((error: Error) => this.logger.debug(`not sent: ${error.message}`)),
      ),
    );
  }

  private key(userId: number): string {
    return this.keys.key('recent', userId);
  }
}

/** The last `count` distinct values of `values`, oldest first (a repeated value counts where it last occurs). */
export function lastDistinct(values: readonly number[], count: number): number[] {
  const kept = new Set<number>();
  // Walking back, a value is kept at its last occurrence: a Set ignores it after that.
  for (let i = values.length - 1; i >= 0 && kept.size < count; i--) kept.add(values[i]);
  return [...kept].reverse();
}
