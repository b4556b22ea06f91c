import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Redis from 'ioredis';
import { createRedisConnection } from '@stockroom/redis';
import type { AppConfig } from '@stockroom/core';
import { deleteKeys } from '../support/test-context';

const CONFIG = { redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster' } } as unknown as Pick<AppConfig, 'redis'>;

/** Counts the writes that reach a connection's socket (one per `_write`, one per `_writev`). */
function countWrites(client: Redis): { writes: () => number } {
  const socket = (client as unknown as { stream: Socket & { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void } }).stream;
  let writes = 0;
  const single = socket._write.bind(socket);
  socket._write = (...args: unknown[]) => {
    writes++;
    single(...args);
  };
  const many = socket._writev?.bind(socket);
  if (many) {
    socket._writev = (...args: unknown[]) => {
      writes++;
      many(...args);
    };
  }
  return { writes: () => writes };
}

/** The request connections' write coalescing (`coalesceWrites`), on the real Redis. */
describe('Redis connections that coalesce writes (medium tier)', () => {
  const prefix = `medium-writes-${randomUUID().slice(0, 8)}`;
  const clients: Redis[] = [];
  const open = async (writeCoalescing: boolean) => {
    const client = createRedisConnection(CONFIG.redis, { name: 'medium-writes', commandTimeoutMs: 1_000, writeCoalescing }) as Redis;
    clients.push(client);
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await deleteKeys(`${prefix}:*`);
  });

  it('sends the commands of one turn of the event loop in one write, each with its own reply', async () => {
    const client = await open(true);
    await client.mset(...Array.from({ length: 50 }, (_, i) => [`${prefix}:${i}`, `value-${i}`]).flat());
    const socket = countWrites(client);
    const values = await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`${prefix}:${i}`)));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `value-${i}`));
    expect(socket.writes()).toBe(1);
  });

  it('keeps one write per command on a connection that does not coalesce (what the test above tells apart)', async () => {
    const client = await open(false);
    const socket = countWrites(client);
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.get(`${prefix}:${i}`)));
    expect(socket.writes()).toBe(10);
  });

  it('coalesces on the socket of a reconnect too', async () => {
    const client = await open(true);
    const firstSocket = (client as unknown as { stream: Socket }).stream;
    firstSocket.destroy();
    await new Promise((resolve) => client.once('ready', resolve));
    expect((client as unknown as { stream: Socket }).stream).not.toBe(firstSocket);
    const socket = countWrites(client);
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => client.get(`${prefix}:${i}`)));
    expect(values[19]).toBe('value-19');
    expect(socket.writes()).toBe(1);
  });
});
