import { randomUUID } from 'node:crypto';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { CREDENTIAL_IP_THROTTLER, RedisThrottlerStorage, resolveRateLimitOptions } from '@stockroom/rate-limit';
import { createRedisConnection, RedisCircuit, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { deleteKeys } from '../support/test-context';

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

  beforeAll(async () => {
    client = createRedisConnection(TARGET, { name: 'medium-throttle', commandTimeoutMs: 1_000, writeCoalescing: true });
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    storage = new RedisThrottlerStorage(resolveRateLimitOptions({}), client, new RedisCircuit(1_000), keys);
    // Counts the script calls and how many requests each carried (its last argument).
    const scripted = client as unknown as { throttleHit: (...args: unknown[]) => Promise<unknown> };
    const call = scripted.throttleHit;
    scripted.throttleHit = (...args: unknown[]) => {
      scriptCalls.push(Number(args[args.length - 1]));
      return call(...args);
    };
  });

  beforeEach(() => {
    scriptCalls = [];
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
});
