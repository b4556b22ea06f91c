import { loadConfig } from '@stockroom/core';
import { RedisKeys } from '@stockroom/redis';
import type { RedisCircuit, RedisClient } from '@stockroom/redis';
import { lastDistinct, RecentlyViewed } from './recently-viewed';

describe('RecentlyViewed before a send', () => {
  it('keeps the last distinct views, oldest first', () => {
    expect(lastDistinct([1, 2, 3, 2, 4, 4], 3)).toEqual([3, 2, 4]);
    expect(lastDistinct([5, 5, 5], 3)).toEqual([5]);
  });

  it('does not lose earlier products when one product is viewed many times in a row', async () => {
    const redis = { defineCommand: () => undefined } as unknown as RedisClient;
    // Redis holds nothing yet: the list is what this process has not sent.
    const circuit = { run: async (_client: unknown, _call: unknown, fallback: () => unknown) => fallback() } as unknown as RedisCircuit;
    const recent = new RecentlyViewed(loadConfig({}), redis, redis, circuit, new RedisKeys('t'));
    for (let id = 1; id <= RecentlyViewed.KEEP; id++) recent.record(7, id);
    for (let i = 0; i < RecentlyViewed.KEEP * 5; i++) recent.record(7, 999);
    const list = await recent.list(7);
    expect(list).toEqual([999, ...Array.from({ length: RecentlyViewed.KEEP - 1 }, (_, i) => RecentlyViewed.KEEP - i)]);
  });
});
