import { loadConfig } from '@stockroom/core';
import { RedisKeys } from '@stockroom/redis';
import type { RedisCircuit, RedisClient } from '@stockroom/redis';
import { StatsService } from './stats.service';

type Sent = { ranking: string; args: string[] };

/** A Redis whose pipeline records the counter scripts and answers with the results it is given. */
function fakeRedis(results: () => Array<[Error | null, unknown]> | Error) {
  const sent: Sent[][] = [];
  const redis = {
    defineCommand: () => undefined,
    pipeline: () => {
      const calls: Sent[] = [];
      return {
        countersAdd: (_hash: string, ranking: string, ...args: string[]) => calls.push({ ranking, args }),
        exec: async () => {
          sent.push(calls);
          const outcome = results();
          if (outcome instanceof Error) throw outcome;
          return outcome;
        },
      };
    },
  };
  return { redis: redis as unknown as RedisClient, sent };
}

const stats = (redis: RedisClient) => new StatsService(loadConfig({}), redis, redis, {} as RedisCircuit, new RedisKeys('t'));

describe('StatsService: counts sent to Redis exactly once', () => {
  it('sends again only the counter kinds whose script failed, not the ones Redis applied', async () => {
    let round = 0;
    const { redis, sent } = fakeRedis(() => (round++ === 0 ? [[null, 1], [new Error('BUSY'), null]] : [[null, 1]]));
    const service = stats(redis);
    service.recordView(7);
    service.recordSale(7, 2);
    await service.send();
    await service.send();
    expect(sent[0].map((call) => call.ranking)).toEqual([expect.stringContaining('views'), expect.stringContaining('sales')]);
    // Second send: only the sales, once; the views were counted the first time.
    expect(sent[1]).toEqual([{ ranking: expect.stringContaining('sales'), args: ['0', '0', '["7",2]'] }]);
  });

  it('sends everything again when the pipeline never reached Redis', async () => {
    let round = 0;
    const { redis, sent } = fakeRedis(() => (round++ === 0 ? new Error('Connection is closed') : [[null, 1]]));
    const service = stats(redis);
    service.recordView(3);
    await service.send();
    await service.send();
    expect(sent[1]).toEqual([{ ranking: expect.stringContaining('views'), args: ['1', '0', '["3",1]'] }]);
  });

  it('bounds the search ranking it sends to', async () => {
    const { redis, sent } = fakeRedis(() => [[null, 1]]);
    const service = stats(redis);
    service.recordSearch('Lamp');
    await service.send();
    expect(sent[0]).toEqual([{ ranking: expect.stringContaining('searches'), args: ['0', '1000', '["lamp",1]'] }]);
  });

  it('splits a large batch into script calls of at most 250 counters, each restored alone when it fails', async () => {
    let round = 0;
    const { redis, sent } = fakeRedis(() => (round++ === 0 ? [[null, 250], [new Error('BUSY'), null], [null, 100]] : [[null, 250]]));
    const service = stats(redis);
    for (let id = 1; id <= 600; id++) service.recordView(id);
    await service.send();
    const counts = (call: Sent) => JSON.parse(call.args[2]) as Array<string | number>;
    expect(sent[0].map((call) => counts(call).length / 2)).toEqual([250, 250, 100]);
    expect(new Set(sent[0].flatMap((call) => counts(call).filter((_, i) => i % 2 === 0))).size).toBe(600);
    await service.send();
    // Only the failed chunk's 250 products again, once each.
    expect(sent[1]).toHaveLength(1);
    expect(counts(sent[1][0])).toEqual(counts(sent[0][1]));
  });
});
