import { Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ThrottlerException } from '@nestjs/throttler';
import type { ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import { MetricsRegistry } from '@stockroom/core';
import { RateLimitGuard } from './rate-limit.guard';

describe('RateLimitGuard at boot', () => {
  const storage = {} as ThrottlerStorage;
  afterEach(() => jest.restoreAllMocks());

  it('says nothing when throttling is off (no throttler on purpose)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await new RateLimitGuard({ throttlers: [] }, storage, new Reflector(), new MetricsRegistry()).onModuleInit();
    expect(warn).not.toHaveBeenCalled();
  });

  it('sets its throttlers up as the base class does when there are some', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const guard = new RateLimitGuard({ throttlers: [{ name: 'default', limit: 5, ttl: 1000 }] }, storage, new Reflector(), new MetricsRegistry());
    await guard.onModuleInit();
    expect((guard as unknown as { throttlers: Array<{ name: string }> }).throttlers.map((t) => t.name)).toEqual(['default']);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('RateLimitGuard per request (storage stubbed)', () => {
  class Catalogue {
    read(): void {}
  }

  /** A guard over a storage that counts in memory, and a request to it with the headers it got. */
  async function setUp(throttler: ThrottlerOptions) {
    const hits = new Map<string, number>();
    const storage: ThrottlerStorage = {
      increment: async (key, ttl, limit, blockDuration, name) => {
        const totalHits = (hits.get(`${key}:${name}`) ?? 0) + 1;
        hits.set(`${key}:${name}`, totalHits);
        const isBlocked = totalHits > limit;
        return { totalHits, timeToExpire: Math.ceil(ttl / 1000), isBlocked, timeToBlockExpire: isBlocked ? Math.ceil(blockDuration / 1000) : 0 };
      },
    };
    const guard = new RateLimitGuard({ throttlers: [throttler] }, storage, new Reflector(), new MetricsRegistry());
    await guard.onModuleInit();
    const request = async () => {
      const headers: Record<string, string | number> = {};
      const reply = { header: (name: string, value: string | number) => (headers[name.toLowerCase()] = value), getHeader: (name: string) => headers[name.toLowerCase()] };
      const context = new ExecutionContextHost([{ ip: '203.0.113.9', headers: {} }, reply], Catalogue, Catalogue.prototype.read);
      context.setType('http');
      const outcome = await guard.canActivate(context).catch((error: unknown) => error);
      return { outcome, headers };
    };
    return { request, hits };
  }

  it.each([
    ['constants', { name: 'default', limit: 2, ttl: 60_000 }],
    ['numeric strings', { name: 'default', limit: '2' as unknown as number, ttl: '60000' as unknown as number }],
    ['functions of the request', { name: 'default', limit: () => 2, ttl: () => 60_000 }],
    ['a function that answers later', { name: 'default', limit: async () => 2, ttl: 60_000 }],
  ])('counts by route and address, sends the headers and refuses the third request: limits as %s', async (_, throttler) => {
    const { request, hits } = await setUp(throttler as ThrottlerOptions);
    expect((await request()).headers).toEqual({
      'ratelimit-policy': '"default";q=2;w=60',
      ratelimit: '"default";r=1;t=60',
      'x-ratelimit-limit': 2,
      'x-ratelimit-remaining': 1,
      'x-ratelimit-reset': 60,
    });
    expect((await request()).outcome).toBe(true);
    const refused = await request();
    expect(refused.outcome).toBeInstanceOf(ThrottlerException);
    expect(refused.headers).toMatchObject({ ratelimit: '"default";r=0;t=60', 'x-ratelimit-remaining': 0, 'retry-after': 60 });
    expect([...hits.keys()]).toEqual(['Catalogue.read:ip:203.0.113.9:default']);
  });

  it('decides at once, with no promise, when the storage answers at once (quota reserved earlier)', async () => {
    const storage = {
      increment: () => Promise.reject(new Error('not asked')),
      count: (_key: string, ttl: number) => ({ totalHits: 7, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 }),
    };
    const guard = new RateLimitGuard({ throttlers: [{ name: 'default', limit: 100, ttl: 60_000 }] }, storage, new Reflector(), new MetricsRegistry());
    await guard.onModuleInit();
    const headers: Record<string, string | number> = {};
    const reply = { header: (name: string, value: string | number) => (headers[name] = value), getHeader: (name: string) => headers[name] };
    const context = new ExecutionContextHost([{ ip: '203.0.113.9', headers: {} }, reply], Catalogue, Catalogue.prototype.read);
    expect(guard.canActivate(context)).toBe(true);
    expect(headers).toMatchObject({ ratelimit: '"default";r=93;t=60', 'x-ratelimit-remaining': 93 });
  });

  it('refuses a limit that is not a number, naming the throttler', async () => {
    const { request } = await setUp({ name: 'burst', limit: 'many' as unknown as number, ttl: 1_000 });
    expect(String((await request()).outcome)).toContain('Invalid "limit" for the "burst" throttler');
  });

  it('leaves out a request its skipIf says to skip', async () => {
    const { request, hits } = await setUp({ name: 'default', limit: 1, ttl: 1_000, skipIf: () => true });
    expect((await request()).outcome).toBe(true);
    expect(hits.size).toBe(0);
  });
});
