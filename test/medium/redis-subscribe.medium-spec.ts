import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createRedisConnection, subscribeWhenReady } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { CacheEventBus } from '../../libs/cache/src/cache-events';
import type { CacheEvent } from '../../libs/cache/src/cache-events';

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
  const until = async (condition: () => boolean) => {
    for (const started = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() - started > 30_000) throw new Error('condition not met within 30 s');
    }
  };

  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

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
    const b = new CacheEventBus(open('medium-bus-b'), subscriber, channel, 'b', { onEvents: (events) => heard.push(events), onResubscribed: () => undefined });
    // Started in the same turn as the socket connects, as a boot can.
    await (await inHandshake(subscriber, () => b.start()));
    await until(() => b.listening);
    const a = new CacheEventBus(publisher, open('medium-bus-a-events'), channel, 'a', { onEvents: () => undefined, onResubscribed: () => undefined });
    await a.publish([{ type: 'evict', key: 'k' }]);
    await until(() => heard.length > 0);
    expect(heard).toEqual([[{ type: 'evict', key: 'k' }]]);
    expect(closed.count).toBe(0);
    expect(b.listening).toBe(true);
  });
});
