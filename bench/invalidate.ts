/**
 * `npm run bench:invalidate`: retiring a namespace of 1,000,000 cached keys with one generation
 * bump (RedisCacheService.invalidateNamespace) against the usual SCAN MATCH + UNLINK sweep.
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, loadConfig, MetricsModule } from '@stockroom/core';
import { RedisModule } from '@stockroom/redis';
import { CacheModule, RedisCacheService } from '@stockroom/cache';
import { saveReport } from './support';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const PREFIX = 'bench-inv';

async function fill(redis: Redis): Promise<void> {
  for (let from = 0; from < KEYS; from += 10_000) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(from + 10_000, KEYS); i++) {
      // The layout RedisCacheService writes (cache-set.lua): one string per entry, tagged with generation 0.
      const payload = `{"n":${i}}`;
      pipeline.set(`${PREFIX}:cache:big:{k${i}}`, `v|0|${Date.now() + 3_600_000}|1|${payload.length}\n${payload}`);
    }
    await pipeline.exec();
  }
}

async function scanAndDelete(redis: Redis): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:cache:big:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

async function main(): Promise<void> {
  const config = loadConfig({ REDIS_KEY_PREFIX: PREFIX, LOG_LEVEL: 'warn' });
  @Module({ imports: [ConfigModule.forRoot(config), MetricsModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache)] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const cache = app.get(RedisCacheService);
  const redis = new Redis();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const rows = ['| method | round | keys | time ms | ratio to generation bump |', '| --- | --- | --- | --- | --- |'];
  try {
    for (let round = 1; round <= 2; round++) {
      console.log(`round ${round}: filling ${KEYS} keys…`);
      await fill(redis);
      let started = performance.now();
      await cache.invalidateNamespace('big');
      const bumpMs = performance.now() - started;
      if ((await cache.get('big', `k${KEYS - 1}`)) !== undefined) throw new Error('invalidation did not take');
      started = performance.now();
      const deleted = await scanAndDelete(redis);
      const sweepMs = performance.now() - started;
      rows.push(`| generation bump (INCR) | ${round} | ${KEYS} | ${bumpMs.toFixed(3)} | 1 |`);
      rows.push(`| SCAN MATCH + UNLINK (COUNT 1000) | ${round} | ${deleted} | ${sweepMs.toFixed(0)} | ${Math.round(sweepMs / bumpMs)} |`);
    }
  } finally {
    await scanAndDelete(redis);
    await redis.del(`${PREFIX}:cache:gen:ns:big`);
    redis.disconnect();
    await app.close();
  }
  saveReport('invalidate', ['ioredis'], [`Redis ${redisVersion}`, '', rows.join('\n')]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
