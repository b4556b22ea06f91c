import { Injectable, Logger } from '@nestjs/common';
import { InjectRedis, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';

const KEEP = 20;
const TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The last products a signed-in user looked at: one Redis list per user, newest first, no
 * repeats, at most 20, forgotten after 30 days without a view. One key per user, so the
 * MULTI is atomic on a cluster too.
 */
@Injectable()
export class RecentlyViewed {
  static readonly KEEP = KEEP;
  private readonly logger = new Logger('RecentlyViewed');

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Best effort, off the request's path: a Redis hiccup loses one entry of a convenience list. */
  record(userId: number, productId: number): void {
    const key = this.key(userId);
    this.redis
      .multi()
      .lrem(key, 0, productId)
      .lpush(key, productId)
      .ltrim(key, 0, KEEP - 1)
      .pexpire(key, TTL_MS)
      .exec()
      .catch((error: Error) => this.logger.debug(`not recorded: ${error.message}`));
  }

  async list(userId: number): Promise<number[]> {
    return (await this.redis.lrange(this.key(userId), 0, KEEP - 1)).map(Number);
  }

  private key(userId: number): string {
    return this.keys.key('recent', userId);
  }
}
