import { Injectable } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { withDeadline } from '@stockroom/core';
import { InjectRedis } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { CacheStats } from './cache-stats';
import { RedisCacheService } from './redis-cache.service';

class RedisMemoryView {
  @ApiProperty({ example: true })
  available!: boolean;
  @ApiPropertyOptional({ example: '1.52M' })
  usedMemoryHuman?: string;
  @ApiPropertyOptional({ example: 0 })
  evictedKeys?: number;
  @ApiPropertyOptional({ example: 86400 })
  uptimeSeconds?: number;
}

export class CacheStatsView {
  @ApiProperty({ example: 1200 }) hits!: number;
  @ApiProperty({ example: 5400, description: 'Served by the in-process L1 without asking Redis' }) l1Hits!: number;
  @ApiProperty({ example: 30 }) misses!: number;
  @ApiProperty({ example: 0.995, description: '(hits + l1Hits + staleServed) / lookups' }) hitRate!: number;
  @ApiProperty({ example: 2, description: 'Expired entries served while one caller reloaded them' }) staleServed!: number;
  @ApiProperty({ example: 499, description: 'Misses answered by another caller\'s load (single flight or lease)' }) coalesced!: number;
  @ApiProperty({ example: 31, description: 'Loader calls (database reads)' }) loads!: number;
  @ApiProperty({ example: 4 }) earlyRefreshes!: number;
  @ApiProperty({ example: 1, description: 'Writes refused because a newer version was cached' }) staleSetsRefused!: number;
  @ApiProperty({ example: 0 }) decodeErrors!: number;
  @ApiProperty({ example: 0, description: 'Calls answered without Redis' }) redisFallbacks!: number;
  @ApiProperty({ example: 0 }) outages!: number;
  @ApiProperty({ example: 812 }) l1Items!: number;
  @ApiProperty({ example: false }) redisDown!: boolean;
  @ApiPropertyOptional({ example: 0.8, description: 'Publish-to-receipt delay of the last L1 invalidation from another instance, ms' })
  lastInvalidationDelayMs?: number;
  @ApiProperty({ example: 3600, description: 'This process' }) uptimeSeconds!: number;
  @ApiProperty({ type: RedisMemoryView }) redis!: RedisMemoryView;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

@Injectable()
export class CacheStatsService {
  constructor(
    private readonly cache: RedisCacheService,
    private readonly stats: CacheStats,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  async view(): Promise<CacheStatsView> {
    const counters = await this.stats.snapshot();
    const served = counters.hits + counters.l1Hits + counters.staleServed;
    const lookups = served + counters.misses + counters.coalesced;
    return {
      ...counters,
      hitRate: lookups === 0 ? 0 : Number((served / lookups).toFixed(4)),
      l1Items: this.cache.l1Size(),
      redisDown: this.cache.isRedisDown(),
      lastInvalidationDelayMs: this.cache.eventDelayMs(),
      uptimeSeconds: Math.round(process.uptime()),
      redis: await this.redisMemory(),
    };
  }

  private async redisMemory(): Promise<RedisMemoryView> {
    try {
      const info = await withDeadline(this.redis.info(), 500);
      return {
        available: true,
        usedMemoryHuman: infoField(info, 'used_memory_human'),
        evictedKeys: Number(infoField(info, 'evicted_keys') ?? 0),
        uptimeSeconds: Number(infoField(info, 'uptime_in_seconds') ?? 0),
      };
    } catch {
      return { available: false };
    }
  }
}
