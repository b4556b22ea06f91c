import { Logger } from '@nestjs/common';
import type { RedisClient } from '@stockroom/redis';
import { CacheStats } from './cache-stats';

/**
 * A small circuit breaker in front of Redis for the request path. A failed or slow command opens
 * it: requests skip Redis (and read MySQL) for `retryMs`, then one tries again. An outage is
 * logged once, when it starts, and once when it ends.
 */
export class RedisGate {
  private openUntil = 0;
  private down = false;
  private readonly listeners: Array<(up: boolean) => void> = [];

  constructor(
    private readonly client: RedisClient,
    private readonly retryMs: number,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
  ) {
    client.on('ready', () => this.recovered());
  }

  /** Whether a request should talk to Redis now. */
  get usable(): boolean {
    // While (re)connecting after a failure, go straight to MySQL; a first connect may queue briefly.
    if (this.client.status === 'reconnecting' || this.client.status === 'end' || this.client.status === 'close') return false;
    return Date.now() >= this.openUntil;
  }

  get isDown(): boolean {
    return this.down;
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Runs a Redis call; a failure opens the gate and returns `fallback()` instead. */
  async run<T>(call: () => Promise<T>, fallback: () => T): Promise<T> {
    if (!this.usable) {
      this.stats.event('redis_fallback');
      return fallback();
    }
    try {
      const result = await call();
      if (this.down) this.recovered();
      return result;
    } catch (error) {
      this.failed(error as Error);
      this.stats.event('redis_fallback');
      return fallback();
    }
  }

  failed(error: Error): void {
    this.openUntil = Date.now() + this.retryMs;
    if (this.down) return;
    this.down = true;
    this.stats.event('outage');
    this.logger.warn(`redis unavailable, serving from MySQL: ${error.message}`);
    for (const listener of this.listeners) listener(false);
  }

  private recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.openUntil = 0;
    this.logger.log('redis available again');
    for (const listener of this.listeners) listener(true);
  }
}
