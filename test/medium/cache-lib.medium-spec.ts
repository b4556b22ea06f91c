import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplicationContext } from '@nestjs/common';
import { CacheEvict, Cached, CacheModule, RedisCacheService } from '@stockroom/cache';
import { RedisModule } from '@stockroom/redis';
import { keysMatching, serviceEnv, TestContext, testRedis } from '../support/test-context';

/** A provider of "another app": its reads are cached by @Cached, its write evicts them. */
@Injectable()
class PriceBook {
  loads = 0;
  private prices = new Map([['tea', 3]]);

  @Cached<[string], number | null>({ namespace: 'prices', key: (item) => item })
  async price(item: string): Promise<number | null> {
    this.loads++;
    return this.prices.get(item) ?? null;
  }

  @CacheEvict({ namespace: 'prices' })
  async setPrice(item: string, price: number): Promise<void> {
    this.prices.set(item, price);
  }
}

/** A route handler cached and evicted by the decorators themselves (Nest takes it from the prototype before init). */
@Controller('quotes')
class QuoteController {
  loads = 0;

  @Get()
  @Cached<[], number>({ namespace: 'quotes', key: () => 'today' })
  async today(): Promise<number> {
    return ++this.loads;
  }

  @Get('reprice')
  @CacheEvict({ namespace: 'quotes' })
  async reprice(): Promise<string> {
    return 'repriced';
  }
}

/**
 * The cache and Redis libs taken into a Nest app that has nothing else of Stockroom's: no
 * ConfigModule, no AppConfig, no metrics registry, no HTTP; each lib configured by its forRoot.
 */
describe('libs/cache + libs/redis in a minimal Nest app (medium tier)', () => {
  let context: TestContext;
  let app: INestApplicationContext;

  beforeAll(async () => {
    context = await TestContext.create();
    const clusterNodes = (serviceEnv.REDIS_CLUSTER_NODES ?? '')
      .split(',')
      .filter(Boolean)
      .map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) }));
    @Module({
      imports: [
        RedisModule.forRootAsync({ useFactory: async () => ({ url: serviceEnv.REDIS_URL, clusterNodes, keyPrefix: context.keyPrefix }) }),
        CacheModule.forRoot({ l1MaxItems: 100 }),
      ],
      providers: [PriceBook],
    })
    class MinimalModule {}
    app = await NestFactory.createApplicationContext(MinimalModule, { logger: false });
    await app.init();
    app.get(RedisCacheService).defineNamespace('prices', { ttl: 60 });
  });

  afterAll(async () => {
    await app?.close();
    await context?.dispose();
  });

  it('caches a @Cached method and evicts it with @CacheEvict, with no other Stockroom module', async () => {
    const book = app.get(PriceBook);
    expect(await book.price('tea')).toBe(3);
    expect(await book.price('tea')).toBe(3);
    expect(book.loads).toBe(1);
    await book.setPrice('tea', 4);
    expect(await book.price('tea')).toBe(4);
    expect(book.loads).toBe(2);
    // The entry lives in Redis under the prefix this app gave RedisModule.
    const redis = testRedis();
    try {
      expect(await keysMatching(redis, `${context.keyPrefix}:cache:*`)).not.toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('caches and evicts a controller\'s route handler, not only provider methods', async () => {
    @Module({
      imports: [RedisModule.forRootAsync({ useFactory: async () => ({ url: serviceEnv.REDIS_URL, clusterNodes: [], keyPrefix: context.keyPrefix }) }), CacheModule.forRoot({ l1MaxItems: 100 })],
      controllers: [QuoteController],
    })
    class RoutesModule {}
    const http = await NestFactory.create<NestFastifyApplication>(RoutesModule, new FastifyAdapter(), { logger: false });
    try {
      await http.init();
      await http.getHttpAdapter().getInstance().ready();
      http.get(RedisCacheService).defineNamespace('quotes', { ttl: 60 });
      const get = async (url: string) => (await http.inject({ method: 'GET', url })).body;
      expect([await get('/quotes'), await get('/quotes')]).toEqual(['1', '1']);
      expect(await get('/quotes/reprice')).toBe('repriced');
      expect(await get('/quotes')).toBe('2');
      expect(http.get(QuoteController).loads).toBe(2);
    } finally {
      await http.close();
    }
  });

  it('reads an entry an older release stored as a hash as missing, and keeps to its stamp', async () => {
    const cache = app.get(RedisCacheService);
    cache.defineNamespace('legacy', { ttl: 60, l1: false });
    const key = `${context.keyPrefix}:cache:legacy:{tea}`;
    const redis = testRedis();
    try {
      await redis.hset(key, 'p', 'old', 's', '5', 'g', '0', 'e', String(Date.now() + 60_000), 'd', '1');
      expect(await cache.get('legacy', 'tea')).toBeUndefined();
      // A value stamped older than the hash's is refused; a newer one replaces it with a string entry.
      expect(await cache.set('legacy', 'tea', 'stale', { stamp: 4 })).toBe(false);
      expect(await redis.type(key)).toBe('hash');
      expect(await cache.set('legacy', 'tea', 'fresh', { stamp: 6 })).toBe(true);
      expect(await redis.type(key)).toBe('string');
      expect(await cache.get('legacy', 'tea')).toBe('fresh');
      expect(await cache.set('legacy', 'tea', 'stale again', { stamp: 5 })).toBe(false);
      expect(await cache.get('legacy', 'tea')).toBe('fresh');
    } finally {
      redis.disconnect();
    }
  });

  it('mounts no routes of its own unless asked (adminRoutes)', () => {
    expect(Reflect.getMetadata('controllers', CacheModule)).toBeUndefined();
    expect(CacheModule.forRoot({}).controllers).toEqual([]);
    expect(CacheModule.forRoot({ adminRoutes: true }).controllers).toHaveLength(1);
  });
});
