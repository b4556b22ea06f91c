import { loadConfig } from '@stockroom/core';
import type { UnitOfWork } from '@stockroom/database';
import { RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { ViewCountStore, ViewsWriteBehind } from './views-write-behind';

/** A write-behind on a database that records nothing (no flush was applied before) and a store that notes each transaction's ids. */
function writeBehindWithStore() {
  const work = { run: <T>(fn: () => Promise<T>) => fn(), manager: { query: async () => [] } } as unknown as UnitOfWork;
  const redis = { defineCommand: () => undefined } as unknown as RedisClient;
  const writeBehind = new ViewsWriteBehind(loadConfig({}), redis, work, new RedisKeys('t'));
  const transactions: number[][] = [];
  writeBehind.storeViewsIn(
    new (class extends ViewCountStore {
      async addViews(counts: Map<number, number>): Promise<void> {
        transactions.push([...counts.keys()]);
      }

      async viewsAfter(): Promise<Array<[number, number]>> {
        return [];
      }
    })(),
  );
  return { writeBehind, transactions };
}

describe('ViewsWriteBehind: applying a batch', () => {
  const batch = () => ({ flushId: 'f', counts: new Map(Array.from({ length: 2_500 }, (_, i) => [2_500 - i, 1] as [number, number])) });

  it('applies the ids in ascending order, 1,000 per transaction', async () => {
    const { writeBehind, transactions } = writeBehindWithStore();
    // The fake database keeps no progress, so each step starts from the first id: take the steps one by one.
    expect(await writeBehind.applyNext(batch())).toEqual({ views: 1_000, done: false });
    expect(transactions).toEqual([Array.from({ length: 1_000 }, (_, i) => i + 1)]);
  });

  it('stops between transactions once the app is shutting down, leaving the rest in flight', async () => {
    const { writeBehind, transactions } = writeBehindWithStore();
    jest.spyOn(writeBehind, 'claim').mockResolvedValue(batch());
    const finish = jest.spyOn(writeBehind, 'finish').mockResolvedValue();
    writeBehind.onApplicationShutdown();
    expect(await writeBehind.flush()).toBe(1_000);
    expect(transactions).toHaveLength(1);
    // Deleting the batch now would lose the 1,500 views not applied.
    expect(finish).not.toHaveBeenCalled();
  });
});
