import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { createRedisConnection, subscribeWhenReady } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { CacheEventBus } from '../../libs/cache/src/cache-events';
import type { CacheEvent } from '../../libs/cache/src/cache-events';
import { until as waitUntil } from '../support/until';

const TARGET = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster' };

/**
 * A subscription asked for while a connection is still in its handshake (status `connect`): what
 * the cache's event bus and the order status feed do at boot, when the connection comes up just
 * then. Plain ioredis sends SUBSCRIBE at once, its ready check is then refused, and it drops the
 * connection it has just reported subscribed.
 */
describe('Subscribing during the connection handshake (medium tier)', () => {
  const clients: RedisClient[] = [];
  const open = (name: string) => {
    const client = createRedisConnection(TARGET, { name });
    clients.push(client);
    return client;
  };
  /** Runs `then` as soon as the client's socket connects (its handshake not finished) and resolves with its result. */
  const inHandshake = <T>(client: RedisClient, then: () => T) =>
    new Promise<T>((resolve) =>
      client.once('connect', () => {
        expect(client.status).toBe('connect');
        resolve(then());
      }),
    );
  const closes = (client: RedisClient) => {
    const seen = { count: 0 };
    client.on('close', () => seen.count++);
    return seen;
  };
  const until = (condition: () => boolean) => waitUntil(async () => condition(), 30_000, 10);

  /** Resolves once `client` is ready or has given up (at most 5 s). */
  const settled = (client: RedisClient) =>
    client.status === 'ready' || client.status === 'end'
      ? undefined
      : new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            client.off('ready', done);
            client.off('end', done);
            resolve();
          };
          const timer = setTimeout(done, 5_000);
          client.once('ready', done);
          client.once('end', done);
        });
  const buses: CacheEventBus[] = [];
  const sequenceKeys: string[] = [];

  afterEach(async () => {
    for (const bus of buses.splice(0)) bus.stop();
    const cleaner = new Redis(TARGET.url);
    try {
      if (sequenceKeys.length > 0) await cleaner.del(...sequenceKeys.splice(0));
    } finally {
      cleaner.disconnect();
    }
    // A connection closed in its handshake makes ioredis leave a 2 s timer behind (its ready check
    // fails), which keeps the test worker from exiting: let each finish connecting first.
    await Promise.all(clients.map(settled));
    for (const client of clients.splice(0)) client.disconnect();
  });

  /** A bus as an instance runs it, on its own connections; `missed` counts its owner being told to forget everything. */
  const bus = (channel: string, origin: string, checkEveryMs?: number) => {
    const seen = { events: [] as CacheEvent[][], missed: 0 };
    const reader = open(`medium-bus-${origin}`);
    const subscriber = open(`medium-bus-${origin}-events`);
    const created = new CacheEventBus(
      reader,
      subscriber,
      channel,
      `${channel}:seq`,
      origin,
      { onEvents: (events) => seen.events.push(events), onMissedEvents: () => seen.missed++ },
      checkEveryMs,
    );
    buses.push(created);
    if (!sequenceKeys.includes(`${channel}:seq`)) sequenceKeys.push(`${channel}:seq`);
    return { bus: created, seen, reader, subscriber };
  };

  it('subscribes once the connection is ready, without losing it, and receives what is published', async () => {
    const channel = `medium-subscribe-${randomUUID()}`;
    const subscriber = open('medium-subscriber');
    const closed = closes(subscriber);
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await (await inHandshake(subscriber, () => subscribeWhenReady(subscriber, channel)));
    const publisher = open('medium-publisher') as Redis;
    expect(await publisher.publish(channel, 'hello')).toBe(1);
    await until(() => received.length > 0);
    expect(received).toEqual(['hello']);
    expect(closed.count).toBe(0);
  });

  it('the cache event bus started during the handshake listens on a connection it keeps, and hears the other instance', async () => {
    const channel = `medium-cache-events-${randomUUID()}`;
    const heard: CacheEvent[][] = [];
    const publisher = open('medium-bus-a');
    const subscriber = open('medium-bus-b-events');
    const closed = closes(subscriber);
    const b = new CacheEventBus(open('medium-bus-b'), subscriber, channel, `${channel}:seq`, 'b', { onEvents: (events) => heard.push(events), onMissedEvents: () => undefined });
    buses.push(b);
    sequenceKeys.push(`${channel}:seq`);
    // Started in the same turn as the socket connects, as a boot can.
    await (await inHandshake(subscriber, () => b.start()));
    await until(() => b.listening);
    const a = new CacheEventBus(publisher, open('medium-bus-a-events'), channel, `${channel}:seq`, 'a', { onEvents: () => undefined, onMissedEvents: () => undefined });
    await a.publish([{ type: 'evict', key: 'k' }]);
    await until(() => heard.length > 0);
    expect(heard).toEqual([[{ type: 'evict', key: 'k' }]]);
    expect(closed.count).toBe(0);
    expect(b.listening).toBe(true);
  });

  it('a bus started before its connection is ready subscribes once, and tells its owner to forget once', async () => {
    const channel = `medium-bus-once-${randomUUID()}`;
    const b = bus(channel, 'b', 3_600_000);
    expect(b.subscriber.status).not.toBe('ready');
    await b.bus.start();
    // Replies come in order: once this one is in, any other SUBSCRIBE sent at boot has answered too.
    await b.subscriber.subscribe(`${channel}:probe`);
    expect(b.seen.missed).toBe(1);
    expect(b.bus.listening).toBe(true);
  });

  describe('numbered events: a missed one makes the owner forget everything', () => {
    /**
     * Instance b (checking the counter every `checkEveryMs`) has heard a's first event; then one
     * event is numbered and never published, as one a Cluster subscriber moved to another node misses.
     */
    const afterALostEvent = async (name: string, checkEveryMs: number) => {
      const channel = `medium-seq-${name}-${randomUUID()}`;
      const [a, b] = [bus(channel, 'a', 3_600_000), bus(channel, 'b', checkEveryMs)];
      await Promise.all([a.bus.start(), b.bus.start()]);
      await a.bus.publish([{ type: 'evict', key: 'first' }]);
      await until(() => b.seen.events.length === 1);
      const missedBefore = b.seen.missed;
      await (open('medium-seq-raw') as Redis).incr(`${channel}:seq`);
      return { a, b, missedBefore };
    };

    it('an event numbered but never delivered is noticed by the next check of the counter', async () => {
      const { b, missedBefore } = await afterALostEvent('tail', 50);
      await until(() => b.seen.missed > missedBefore);
      expect(b.bus.listening).toBe(true);
    });

    it('an event out of turn is noticed on arrival, and is still delivered', async () => {
      // Checks an hour apart: only the numbers of the events can tell.
      const { a, b, missedBefore } = await afterALostEvent('turn', 3_600_000);
      await a.bus.publish([{ type: 'evict', key: 'after the gap' }]);
      await until(() => b.seen.events.length === 2);
      expect(b.seen.missed).toBe(missedBefore + 1);
      expect(b.seen.events[1]).toEqual([{ type: 'evict', key: 'after the gap' }]);
    });

    it('a counter read whose reply comes back after newer events have arrived is no missed event', async () => {
      const channel = `medium-seq-late-${randomUUID()}`;
      const [a, b] = [bus(channel, 'a', 3_600_000), bus(channel, 'b', 50)];
      await Promise.all([a.bus.start(), b.bus.start()]);
      await a.bus.publish([{ type: 'evict', key: 'first' }]);
      await until(() => b.seen.events.length === 1);
      const missedBefore = b.seen.missed;
      // b's next check reads the counter (1) at once; its reply is held in the socket until two
      // newer events have reached b's subscriber, as a loaded process can take them in that order.
      const reader = b.reader as Redis;
      const socket = (reader as unknown as { stream: Socket }).stream;
      const get = reader.get.bind(reader);
      const sent = new Promise<void>((resolve) => {
        reader.get = ((...args: Parameters<typeof get>) => {
          reader.get = get;
          socket.pause();
          const reply = get(...args);
          resolve();
          return reply;
        }) as typeof reader.get;
      });
      await sent;
      await sleep(50);
      await a.bus.publish([{ type: 'evict', key: 'second' }]);
      await a.bus.publish([{ type: 'evict', key: 'third' }]);
      await until(() => b.seen.events.length === 3);
      socket.resume();
      // That reply, then a few checks more.
      await sleep(300);
      expect(b.seen.missed).toBe(missedBefore);
      expect(b.bus.listening).toBe(true);
    });

    it('a first check answered before the events it counts reach the subscriber is no missed event', async () => {
      const channel = `medium-seq-ahead-${randomUUID()}`;
      const [a, b] = [bus(channel, 'a', 3_600_000), bus(channel, 'b', 20)];
      await Promise.all([a.bus.start(), b.bus.start()]);
      const missedBefore = b.seen.missed;
      // b's subscriber takes in nothing until b's checks have read the counter at 2. The check after
      // that one may only be answered once both events have arrived, as the bus requires of events
      // a check has counted: otherwise a loaded machine that resumes the socket later than one
      // check interval (20 ms) sees a real miss, and the test would depend on its speed.
      const socket = (b.subscriber as unknown as { stream: Socket }).stream;
      const reader = b.reader as Redis;
      const get = reader.get.bind(reader);
      const counters: string[] = [];
      reader.get = ((...args: Parameters<typeof get>) =>
        get(...args).then(async (counter) => {
          if (counters.includes('2')) await until(() => b.seen.events.length === 2);
          counters.push(String(counter));
          return counter;
        })) as typeof reader.get;
      socket.pause();
      await a.bus.publish([{ type: 'evict', key: 'first' }]);
      await a.bus.publish([{ type: 'evict', key: 'second' }]);
      await until(() => counters.includes('2'));
      expect(b.seen.events).toEqual([]);
      socket.resume();
      await until(() => b.seen.events.length === 2);
      // A few checks more: both events it counted have arrived.
      await sleep(200);
      expect(b.seen.missed).toBe(missedBefore);
      expect(b.bus.listening).toBe(true);
    });

    it('hundreds of events from two publishers at once, checked every 20 ms: nothing is reported missed', async () => {
      const channel = `medium-seq-none-${randomUUID()}`;
      const b = bus(channel, 'b', 20);
      const [a, c] = [bus(channel, 'a', 20), bus(channel, 'c', 20)];
      await Promise.all([a.bus.start(), b.bus.start(), c.bus.start()]);
      const [aBefore, bBefore, cBefore] = [a.seen.missed, b.seen.missed, c.seen.missed];
      await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : c).bus.publish([{ type: 'evict', key: `k${i}` }])));
      await until(() => b.seen.events.length === 300);
      // A few checks after the last event: each must find every event it knew of arrived.
      await sleep(200);
      expect([a.seen.missed - aBefore, b.seen.missed - bBefore, c.seen.missed - cBefore]).toEqual([0, 0, 0]);
    });
  });
});
