import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createRedisConnection, TurnGets } from '@stockroom/redis';
import type { AppConfig } from '@stockroom/core';
import { PrivateRedis } from '../support/redis-server';
import { deleteKeys } from '../support/test-context';

const CONFIG = { redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster' } } as unknown as Pick<AppConfig, 'redis'>;

/** Records the name of every command the client sends, and how many keys each carried. */
function recordCommands(client: Redis): Array<{ name: string; keys: number }> {
  const sent: Array<{ name: string; keys: number }> = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
    sent.push({ name: command.name, keys: command.args.length });
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  return sent;
}

/** The cache's per-turn reads (`TurnGets`), on the real Redis, over a connection that coalesces writes as the cache's does. */
describe('GETs of one turn as one MGET (medium tier)', () => {
  const prefix = `medium-turn-gets-${randomUUID().slice(0, 8)}`;
  const key = (i: number | string) => `${prefix}:${i}`;
  const clients: Redis[] = [];
  const open = async (url = CONFIG.redis.url, commandTimeoutMs = 1_000): Promise<Redis> => {
    const client = createRedisConnection({ ...CONFIG.redis, url }, { name: 'medium-turn-gets', commandTimeoutMs, writeCoalescing: true }) as Redis;
    client.on('error', () => undefined);
    clients.push(client);
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };

  beforeAll(async () => {
    const client = await open();
    await client.mset(...Array.from({ length: 150 }, (_, i) => [key(i), `value-${i}`]).flat());
    await client.hset(key('a-hash'), 'field', 'value');
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await deleteKeys(`${prefix}:*`);
  });

  it('answers the reads of one turn with one MGET, each caller its own value (a missing key null)', async () => {
    const client = await open();
    const gets = new TurnGets(client);
    const sent = recordCommands(client);
    const values = await Promise.all([...Array.from({ length: 10 }, (_, i) => gets.getBuffer(key(i))), gets.getBuffer(key('missing'))]);
    expect(values.map((value) => value?.toString() ?? null)).toEqual([...Array.from({ length: 10 }, (_, i) => `value-${i}`), null]);
    expect(sent).toEqual([{ name: 'mget', keys: 11 }]);
  });

  it('reads a key asked for twice in a turn once, and answers both callers', async () => {
    const client = await open();
    const gets = new TurnGets(client);
    const sent = recordCommands(client);
    const values = await Promise.all([gets.getBuffer(key(1)), gets.getBuffer(key(2)), gets.getBuffer(key(1))]);
    expect(values.map(String)).toEqual(['value-1', 'value-2', 'value-1']);
    expect(sent).toEqual([{ name: 'mget', keys: 2 }]);
  });

  it('sends reads of different turns apart, a lone read as a GET', async () => {
    const client = await open();
    const gets = new TurnGets(client);
    const sent = recordCommands(client);
    expect(String(await gets.getBuffer(key(3)))).toBe('value-3');
    await new Promise((resolve) => setImmediate(resolve));
    expect(String(await gets.getBuffer(key(4)))).toBe('value-4');
    expect(sent).toEqual([
      { name: 'get', keys: 1 },
      { name: 'get', keys: 1 },
    ]);
  });

  it('splits a turn of more keys than one MGET carries', async () => {
    const client = await open();
    const gets = new TurnGets(client, 100);
    const sent = recordCommands(client);
    const values = await Promise.all(Array.from({ length: 150 }, (_, i) => gets.getBuffer(key(i))));
    expect(values.map(String)).toEqual(Array.from({ length: 150 }, (_, i) => `value-${i}`));
    expect(sent).toEqual([
      { name: 'mget', keys: 100 },
      { name: 'mget', keys: 50 },
    ]);
  });

  it('reads a key of another type as null, alone or in a batch', async () => {
    const client = await open();
    const gets = new TurnGets(client);
    expect(await gets.getBuffer(key('a-hash'))).toBeNull();
    const [hash, value] = await Promise.all([gets.getBuffer(key('a-hash')), gets.getBuffer(key(5))]);
    expect(hash).toBeNull();
    expect(String(value)).toBe('value-5');
  });

  it('sends the reads at the end of their turn, not held for the next one', async () => {
    const client = await open();
    const gets = new TurnGets(client);
    const socket = (client as unknown as { stream: { writableCorked: number } }).stream;
    const reads = [gets.getBuffer(key(6)), gets.getBuffer(key(7))];
    // Runs at the same turn's end, right after the batch was written: the socket holds nothing back.
    const corked = await new Promise<number>((resolve) => setImmediate(() => resolve(socket.writableCorked)));
    expect(corked).toBe(0);
    expect((await Promise.all(reads)).map(String)).toEqual(['value-6', 'value-7']);
  });

  describe('on a Redis that stops answering (SIGSTOP)', () => {
    let server: PrivateRedis;

    beforeAll(async () => {
      server = await PrivateRedis.start();
    });

    afterEach(() => server.resume());

    afterAll(async () => {
      await server.kill();
    });

    it("fails every read of the batch at the connection's deadline", async () => {
      const client = await open(`redis://127.0.0.1:${server.port}`, 300);
      const gets = new TurnGets(client);
      server.pause();
      const sent = performance.now();
      const failures = await Promise.all(Array.from({ length: 5 }, (_, i) => gets.getBuffer(`never-answered-${i}`).then(() => 'answered', (error: Error) => error.message)));
      expect(failures).toEqual(Array(5).fill('Command timed out'));
      expect(performance.now() - sent).toBeGreaterThanOrEqual(299);
    });
  });
});
