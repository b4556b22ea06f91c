import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { withDeadline } from '@stockroom/core';
import { InjectRedis } from './redis.module';
import type { RedisClient } from './redis-connection.factory';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  async pingCheck(key: string, timeoutMs = 1_000): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const started = Date.now();
    try {
      await withDeadline(this.redis.ping(), timeoutMs, `no PONG within ${timeoutMs}ms`);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
