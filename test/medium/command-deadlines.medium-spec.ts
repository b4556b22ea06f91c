import Redis from 'ioredis';
import { createRedisConnection } from '@stockroom/redis';
import { CommandDeadlines } from '../../libs/redis/src/command-deadlines';
import { PrivateRedis } from '../support/redis-server';

/**
 * The request connections' deadline (`CommandDeadlines`, one timer per connection), on a Redis of
 * the test's own that is paused with SIGSTOP: its socket stays open and nothing answers.
 */
describe('command deadlines (medium tier)', () => {
  let server: PrivateRedis;
  const clients: Redis[] = [];
  const open = async (): Promise<Redis> => {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    clients.push(client);
    await client.ping();
    return client;
  };

  beforeAll(async () => {
    server = await PrivateRedis.start();
  });

  afterEach(() => {
    server.resume();
    for (const client of clients.splice(0)) client.disconnect();
  });

  afterAll(async () => {
    await server.kill();
  });

  it('fails a command left without a reply once its deadline has passed, and not before', async () => {
    const client = await open();
    CommandDeadlines.enforce(client, 300);
    server.pause();
    const sent = performance.now();
    const failure = await client.get('never-answered').then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toBe('Command timed out');
    // Never before the deadline (a millisecond allowed for the two clock reads' rounding).
    expect(performance.now() - sent).toBeGreaterThanOrEqual(299);
  });

  it('gives a command sent after others have failed (still waiting for their replies) its own deadline', async () => {
    const client = await open();
    CommandDeadlines.enforce(client, 200);
    server.pause();
    const first = await client.get('first').catch((error: Error) => error.message);
    expect(first).toBe('Command timed out');
    // The failed GET stays in ioredis' queue until its reply comes; this one is timed past it.
    const sent = performance.now();
    const second = await client.get('second').catch((error: Error) => error.message);
    expect(second).toBe('Command timed out');
    expect(performance.now() - sent).toBeGreaterThanOrEqual(199);
  });

  it('lets the late reply go to the command that failed; later commands get their own replies', async () => {
    const client = await open();
    CommandDeadlines.enforce(client, 200);
    await client.set('deadline:a', 'a');
    server.pause();
    const late = client.get('deadline:a').catch((error: Error) => error.message);
    expect(await late).toBe('Command timed out');
    server.resume();
    // The late command's reply arrives first on the connection and goes to it, not to these.
    await client.set('deadline:b', 'b');
    expect(await Promise.all([client.get('deadline:a'), client.get('deadline:b')])).toEqual(['a', 'b']);
  });

  it('fails no command that is answered, however many are in flight', async () => {
    const client = await open();
    CommandDeadlines.enforce(client, 1_000);
    for (let batch = 0; batch < 10; batch++) {
      const replies = await Promise.allSettled(Array.from({ length: 1_000 }, (_, i) => client.set(`deadline:${i}`, String(batch))));
      expect(replies.filter((reply) => reply.status === 'rejected')).toEqual([]);
    }
  });

  it('is what a connection made with commandTimeoutMs uses, with no timer per command', async () => {
    const client = createRedisConnection(
      { url: server.url, clusterNodes: [], sentinels: [], sentinelName: 'mymaster' },
      { name: 'medium-deadlines', commandTimeoutMs: 250, writeCoalescing: true },
    ) as Redis;
    client.on('error', () => undefined);
    clients.push(client);
    await client.ping();
    expect(client.options.commandTimeout).toBeUndefined();
    server.pause();
    await expect(client.get('never-answered')).rejects.toThrow('Command timed out');
  });
});
