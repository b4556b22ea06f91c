import { Inject, Injectable, Scope } from '@nestjs/common';
import { DiscoveryModule, REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CacheDecoratorExplorer } from './cache-decorator.explorer';
import { Cached, CacheEvict } from './cache.decorators';
import { RedisCacheService } from './redis-cache.service';

@Injectable({ scope: Scope.REQUEST })
class PerRequestPrices {
  @Cached({ namespace: 'prices' })
  async quote(sku: string): Promise<string> {
    return sku;
  }
}

@Injectable()
class ReadsTheRequest {
  constructor(@Inject(REQUEST) readonly request: unknown) {}

  @CacheEvict({ namespace: 'prices' })
  async reprice(): Promise<void> {}
}

@Injectable()
class SingletonPrices {
  loads = 0;

  @Cached({ namespace: 'prices' })
  async quote(sku: string): Promise<string> {
    this.loads++;
    return sku;
  }
}

/** A cache that only records what the wrapped methods ask of it. */
const fakeCache = () => {
  const asked: string[] = [];
  return {
    asked,
    cache: {
      enabled: true,
      getOrLoad: async (namespace: string, key: string, load: () => Promise<unknown>) => (asked.push(`${namespace} ${key}`), load()),
    },
  };
};

async function boot(providers: Array<new (...args: never[]) => unknown>, cache: object) {
  const module = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [...providers, CacheDecoratorExplorer, { provide: RedisCacheService, useValue: cache }],
  }).compile();
  return module.init();
}

describe('CacheDecoratorExplorer', () => {
  it('wraps a singleton\'s @Cached method: calls go through getOrLoad with the method\'s key', async () => {
    const { cache, asked } = fakeCache();
    const app = await boot([SingletonPrices], cache);
    expect(await app.get(SingletonPrices).quote('SKU-1')).toBe('SKU-1');
    expect(asked).toEqual([expect.stringMatching(/^prices SingletonPrices\.quote:/)]);
    await app.close();
  });

  it('stops the boot when a request-scoped provider has @Cached, naming it (it would never be cached)', async () => {
    await expect(boot([PerRequestPrices], fakeCache().cache)).rejects.toThrow(/@Cached\/@CacheEvict on PerRequestPrices\.quote: .*request- or transient-scoped/);
  });

  it('stops the boot for @CacheEvict on a provider made request-scoped by injecting REQUEST', async () => {
    await expect(boot([ReadsTheRequest], fakeCache().cache)).rejects.toThrow(/ReadsTheRequest\.reprice/);
  });
});
