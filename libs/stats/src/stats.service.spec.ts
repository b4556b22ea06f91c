import { loadConfig } from '@stockroom/core';
import { RedisKeys } from '@stockroom/redis';
import type { RedisCircuit, RedisClient } from '@stockroom/redis';
import { RankingsUnavailableError, StatsService } from './stats.service';
import { statsKeys, VIEWS_RANKING_COMPLETE } from './stats.keys';
import type { ViewsRanking } from './views-ranking';

type Sent = { ranking: string; args: string[] };

/** A Redis that records each counter script call and answers the n-th with `answer(n)` (an Error refuses it). */
function fakeRedis(answer: (n: number) => unknown) {
  const calls: Sent[] = [];
  const redis = {
    defineCommand: () => undefined,
    countersAdd: async (_hash: string, ranking: string, ...args: string[]) => {
      const outcome = await answer(calls.push({ ranking, args }) - 1);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return { redis: redis as unknown as RedisClient, calls };
}

const stats = (redis: RedisClient) => new StatsService(loadConfig({}), redis, redis, {} as RedisCircuit, new RedisKeys('t'));
const counts = (call: Sent) => JSON.parse(call.args[2]) as Array<string | number>;
const members = (sent: Sent[]) => sent.flatMap((call) => counts(call).filter((_, i) => i % 2 === 0));

describe('StatsService: counts sent to Redis exactly once', () => {
  it('sends again only what Redis did not apply', async () => {
    const { redis, calls } = fakeRedis((n) => (n === 1 ? new Error('BUSY') : 1));
    const service = stats(redis);
    service.recordView(7);
    service.recordSale(7, 2);
    await service.send();
    const first = calls.splice(0);
    await service.send();
    expect(first.map((call) => call.ranking)).toEqual([expect.stringContaining('views'), expect.stringContaining('sales')]);
    // Second send: only the sales, once; the views were counted the first time.
    expect(calls).toEqual([{ ranking: expect.stringContaining('sales'), args: ['0', '0', '["7",2]'] }]);
  });

  it('keeps everything when Redis refuses the first call', async () => {
    const { redis, calls } = fakeRedis((n) => (n === 0 ? new Error('Connection is closed') : 1));
    const service = stats(redis);
    service.recordView(3);
    await service.send();
    calls.splice(0);
    await service.send();
    expect(calls).toEqual([{ ranking: expect.stringContaining('views'), args: ['1', '0', '["3",1]'] }]);
  });

  it('bounds the search ranking it sends to', async () => {
    const { redis, calls } = fakeRedis(() => 1);
    const service = stats(redis);
    service.recordSearch('Lamp');
    await service.send();
    expect(calls).toEqual([{ ranking: expect.stringContaining('searches'), args: ['0', '1000', '["lamp",1]'] }]);
  });

  it('splits a large batch into script calls of at most 250 counters; a refusal keeps that chunk and the ones not sent', async () => {
    const { redis, calls } = fakeRedis((n) => (n === 1 ? new Error('BUSY') : 1));
    const service = stats(redis);
    for (let id = 1; id <= 600; id++) service.recordView(id);
    await service.send();
    const first = calls.splice(0);
    // The second chunk was refused, so the third was not sent.
    expect(first.map((call) => counts(call).length / 2)).toEqual([250, 250]);
    await service.send();
    // Every product not counted the first time, once each; none of the counted ones again.
    expect(calls.map((call) => counts(call).length / 2)).toEqual([250, 100]);
    expect(new Set([...members([first[0]]), ...members(calls)]).size).toBe(600);
  });

  it('sends one chunk at a time: the next only once Redis has answered the last', async () => {
    const answers: Array<() => void> = [];
    const { redis, calls } = fakeRedis(() => new Promise((resolve) => answers.push(() => resolve(1))));
    const service = stats(redis);
    for (let id = 1; id <= 600; id++) service.recordView(id);
    const sending = service.send();
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    for (const expected of [1, 2, 3]) {
      await settle();
      expect(calls).toHaveLength(expected);
      answers.shift()?.();
    }
    await sending;
    expect(calls).toHaveLength(3);
  });
});

describe('StatsService.top: the views ranking is read only while it is whole', () => {
  const circuit = { run: (_client: unknown, call: () => Promise<unknown>) => call() } as unknown as RedisCircuit;
  function ranking(flat: string[]) {
    const reads: unknown[][] = [];
    const redis = {
      zrevrange: async (...args: unknown[]) => {
        reads.push(args);
        return [...flat];
      },
    } as unknown as RedisClient;
    const rebuilds: number[] = [];
    const viewsRanking = { ensure: async () => void rebuilds.push(1) } as unknown as ViewsRanking;
    return { service: new StatsService(loadConfig({}), redis, redis, circuit, new RedisKeys('t'), viewsRanking), reads, rebuilds };
  }

  it('reads one more member than asked for views and leaves out the marker', async () => {
    const { service, reads, rebuilds } = ranking([VIEWS_RANKING_COMPLETE, 'inf', '7', '30', '8', '20']);
    expect(await service.top('views', 2)).toEqual([
      { member: '7', score: 30 },
      { member: '8', score: 20 },
    ]);
    expect(reads).toEqual([[statsKeys(new RedisKeys('t')).ranking('views'), 0, 2, 'WITHSCORES']]);
    expect(rebuilds).toEqual([]);
  });

  it('refuses a views ranking without its marker (Redis lost it) and starts its rebuild', async () => {
    const { service, rebuilds } = ranking(['9', '2']);
    await expect(service.top('views', 2)).rejects.toBeInstanceOf(RankingsUnavailableError);
    expect(rebuilds).toEqual([1]);
  });

  it('reads the other rankings as they are', async () => {
    const { service, reads } = ranking(['12345', '3']);
    expect(await service.top('sales', 1)).toEqual([{ member: '12345', score: 3 }]);
    expect(reads[0]).toEqual([statsKeys(new RedisKeys('t')).ranking('sales'), 0, 0, 'WITHSCORES']);
  });
});
