import { randomUUID } from 'node:crypto';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { CREDENTIAL_IP_THROTTLER, RedisThrottlerStorage, resolveRateLimitOptions } from '@stockroom/rate-limit';
import { createRedisConnection, RedisCircuit, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { deleteKeys } from '../support/test-context';
import { until } from '../support/until';

const TARGET = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster' };
const WINDOW_MS = 60_000;

type Outcome = Pick<ThrottlerStorageRecord, 'totalHits' | 'isBlocked' | 'timeToBlockExpire'>;
const outcome = ({ totalHits, isBlocked, timeToBlockExpire }: ThrottlerStorageRecord): Outcome => ({ totalHits, isBlocked, timeToBlockExpire });

/** The throttler's storage on the real Redis: requests of one turn share a script call, each with its own outcome. */
describe('RedisThrottlerStorage (medium tier)', () => {
  const prefix = `medium-throttle-${randomUUID().slice(0, 8)}`;
  const keys = new RedisKeys(prefix);
  let client: RedisClient;
  let storage: RedisThrottlerStorage;
  let scriptCalls: number[];
  let reserveAsked: number[];

  beforeAll(async () => {
    client = createRedisConnection(TARGET, { name: 'medium-throttle', commandTimeoutMs: 1_000, writeCoalescing: true });
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    storage = new RedisThrottlerStorage(resolveRateLimitOptions({}), client, new RedisCircuit(1_000), keys);
    // Counts the script calls and how many requests each carried (its seventh argument).
    const scripted = client as unknown as { throttleHit: (...args: unknown[]) => Promise<unknown> };
    const call = scripted.throttleHit;
    scripted.throttleHit = (...args: unknown[]) => {
      scriptCalls.push(Number(args[6]));
      reserveAsked.push(Number(args[8]));
      return call(...args);
    };
  });

  beforeEach(() => {
    scriptCalls = [];
    reserveAsked = [];
  });

  afterAll(async () => {
    client.disconnect();
    await deleteKeys(`${prefix}:*`);
  });

  const burst = (key: string, requests: number, limit: number, blockMs: number, name = 'default') =>
    Promise.all(Array.from({ length: requests }, () => storage.increment(key, WINDOW_MS, limit, blockMs, name)));
  const counter = async (key: string, name = 'default') => Number(await client.get(keys.tagged('rl', key, name)));

  it('counts a burst of one turn in one call, each request with the outcome it would have had alone', async () => {
    const records = await burst('burst', 25, 10, 120_000);
    expect(scriptCalls).toEqual([25]);
    expect(records.slice(0, 10).map(outcome)).toEqual(Array.from({ length: 10 }, (_, i) => ({ totalHits: i + 1, isBlocked: false, timeToBlockExpire: 0 })));
    // The 11th is counted and sets the block; the 14 after it meet the block and are not counted.
    expect(outcome(records[10])).toEqual({ totalHits: 11, isBlocked: true, timeToBlockExpire: 120 });
    expect(records.slice(11).map(outcome)).toEqual(Array.from({ length: 14 }, () => ({ totalHits: 11, isBlocked: true, timeToBlockExpire: 120 })));
    expect(records.every((record) => record.timeToExpire > 0 && record.timeToExpire <= 60)).toBe(true);
    expect(await counter('burst')).toBe(11);
    expect(Number(await client.pttl(`${keys.tagged('rl', 'burst', 'default')}:block`))).toBeGreaterThan(100_000);
  });

  it('gives the same outcomes as the same requests one at a time', async () => {
    const together = await burst('together', 8, 5, 30_000);
    const alone: ThrottlerStorageRecord[] = [];
    for (let i = 0; i < 8; i++) alone.push(await storage.increment('alone', WINDOW_MS, 5, 30_000, 'default'));
    expect(scriptCalls).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(together.map(outcome)).toEqual(alone.map(outcome));
    expect(await counter('together')).toBe(await counter('alone'));
  });

  it('refuses a whole burst from a blocked client without counting it', async () => {
    await burst('blocked', 3, 2, 60_000);
    expect(await counter('blocked')).toBe(3);
    const records = await burst('blocked', 5, 2, 60_000);
    expect(records.map((record) => [record.totalHits, record.isBlocked])).toEqual(Array.from({ length: 5 }, () => [3, true]));
    expect(await counter('blocked')).toBe(3);
  });

  it('without a block, counts every request and refuses those over the limit until the window ends', async () => {
    const records = await burst('no-block', 15, 10, 0);
    expect(records.map((record) => record.totalHits)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(records.map((record) => record.isBlocked)).toEqual(Array.from({ length: 15 }, (_, i) => i >= 10));
    expect(records[14].timeToBlockExpire).toBe(records[14].timeToExpire);
    expect(await counter('no-block')).toBe(15);
  });

  it('keeps counters and limits apart within one turn: one call per counter', async () => {
    const [a, b, other] = await Promise.all([burst('a', 3, 10, 0), burst('b', 2, 10, 0), burst('a', 2, 10, 0, 'burst')]);
    expect(scriptCalls.sort()).toEqual([2, 2, 3]);
    expect(a.map((record) => record.totalHits)).toEqual([1, 2, 3]);
    expect(b.map((record) => record.totalHits)).toEqual([1, 2]);
    expect(other.map((record) => record.totalHits)).toEqual([1, 2]);
  });

  it('while Redis cannot count, lets each request of a run through, except on the sign-in limits', async () => {
    const circuit = new RedisCircuit(60_000);
    circuit.failed(new Error('Redis away'));
    const failing = new RedisThrottlerStorage(resolveRateLimitOptions({}), client, circuit, keys);
    const open = await Promise.all(Array.from({ length: 3 }, () => failing.increment('away', WINDOW_MS, 10, WINDOW_MS, 'default')));
    expect(open.map((record) => record.isBlocked)).toEqual([false, false, false]);
    const closed = await Promise.all(Array.from({ length: 3 }, () => failing.increment('away', WINDOW_MS, 10, WINDOW_MS, CREDENTIAL_IP_THROTTLER)));
    expect(closed.map((record) => record.isBlocked)).toEqual([true, true, true]);
    expect(scriptCalls).toEqual([]);
  });

  describe('reserved quota (busy counters)', () => {
    const storages: RedisThrottlerStorage[] = [];
    const connections: RedisClient[] = [];
    afterAll(() => connections.forEach((connection) => connection.disconnect()));

    /** A second instance: its own connection, storage and name for its reservations. */
    async function instance(reservationMs: number): Promise<{ storage: RedisThrottlerStorage; connection: RedisClient }> {
      const connection = createRedisConnection(TARGET, { name: 'medium-throttle-instance', commandTimeoutMs: 1_000, writeCoalescing: true });
      if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
      connections.push(connection);
      const own = new RedisThrottlerStorage(resolveRateLimitOptions({ reservationMs }), connection, new RedisCircuit(1_000), keys);
      storages.push(own);
      return { storage: own, connection };
    }
    const hits = (on: RedisThrottlerStorage, key: string, requests: number, limit: number) =>
      Promise.all(Array.from({ length: requests }, () => on.increment(key, WINDOW_MS, limit, WINDOW_MS, 'default')));

    it('hands a busy counter\'s requests out of quota reserved in Redis, without asking, and gives back what it did not use', async () => {
      const reserving = new RedisThrottlerStorage(resolveRateLimitOptions({ reservationMs: 1_000 }), client, new RedisCircuit(1_000), keys);
      const first = await hits(reserving, 'busy', 10, 1_000);
      expect(scriptCalls).toEqual([10]);
      expect(reserveAsked).toEqual([40]);
      expect(first.map((record) => record.totalHits)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      // Counted at once with the reservation, so no other instance can pass the limit meanwhile.
      expect(await counter('busy')).toBe(50);
      const held = Array.from({ length: 30 }, () => reserving.count('busy', WINDOW_MS, 1_000, WINDOW_MS, 'default'));
      expect(held.some((record) => record instanceof Promise)).toBe(false);
      expect(held.map((record) => (record as ThrottlerStorageRecord).totalHits)).toEqual(Array.from({ length: 30 }, (_, i) => i + 11));
      expect(scriptCalls).toEqual([10]);
      // Its time up, the 10 it did not hand out go back.
      await until(async () => (await counter('busy')) === 40, 10_000, 20);
    });

    it('asks for none with reservations off, for a small limit, or on the sign-in limits', async () => {
      const off = new RedisThrottlerStorage(resolveRateLimitOptions({ reservationMs: 0 }), client, new RedisCircuit(1_000), keys);
      await hits(off, 'off', 10, 1_000);
      await hits(storage, 'small', 10, 19);
      await Promise.all(Array.from({ length: 10 }, () => storage.increment('sign-in', WINDOW_MS, 1_000, WINDOW_MS, CREDENTIAL_IP_THROTTLER)));
      expect(scriptCalls).toEqual([10, 10, 10]);
      expect(reserveAsked).toEqual([0, 0, 0]);
    });

    it('refuses nobody while quota reserved by another instance may come back: exactly the limit is admitted', async () => {
      const a = await instance(200);
      const b = await instance(200);
      // a reserves 10 (a tenth of the limit) beside its 5; b's 95 find 85 left and wait for a.
      await hits(a.storage, 'shared', 5, 100);
      expect(await counter('shared')).toBe(15);
      const fromB = await hits(b.storage, 'shared', 95, 100);
      expect(fromB.filter((record) => record.isBlocked)).toEqual([]);
      // 85 counted at once (16…100), then the 10 a gave back (91…100 again: a hit number is a place in the count, and the count went down).
      expect(Math.max(...fromB.map((record) => record.totalHits))).toBe(100);
      expect(await counter('shared')).toBe(100);
      // Nothing is held now: the 101st is refused at once (and blocks).
      const [over] = await hits(b.storage, 'shared', 1, 100);
      expect(over.isBlocked).toBe(true);
    });

    it('counts an instance\'s unsettled reservation as used once it lapses, so a stopped instance holds nobody up for long', async () => {
      const stopped = await instance(50);
      const b = await instance(50);
      await hits(stopped.storage, 'lapsed', 5, 100);
      expect(await counter('lapsed')).toBe(15);
      // Its connection gone, it cannot give back its 10: b waits for them to lapse, then is refused past 85.
      stopped.connection.disconnect();
      const fromB = await hits(b.storage, 'lapsed', 95, 100);
      expect(fromB.filter((record) => !record.isBlocked)).toHaveLength(85);
      expect(await counter('lapsed')).toBe(101);
    });

    it('gives nothing back into a window after the one the quota came from', async () => {
      const hitsKey = keys.tagged('rl', 'rolled', 'default');
      const script = client as unknown as { throttleHit: (...args: Array<string | number>) => Promise<number[]> };
      const call = (requests: number, reserve: number, settleWindow: number, unused: number) =>
        script.throttleHit(hitsKey, `${hitsKey}:block`, `${hitsKey}:held`, 300, 1_000, 300, requests, 'instance-x', reserve, settleWindow, unused, 50, 1_000);
      const [, , , , reserved, window] = await call(5, 20, 0, 0);
      expect(reserved).toBe(20);
      await until(async () => (await client.exists(hitsKey)) === 0, 10_000, 20);
      await call(1, 0, 0, 0);
      await call(0, 0, window, 20);
      expect(await client.get(hitsKey)).toBe('1');
    });
  });
});
