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
    const deadlines = CommandDeadlines.enforce(client, 300);
    server.pause();
    const sent = performance.now();
    const failure = await client.get('never-answered').then(
      () => undefined,
      (error: Error) => error,
    );
    const waited = performance.now() - sent;
    expect(failure?.message).toBe('Command timed out');
    // Timers may fire a little early by the clock read here, never a whole millisecond.
    expect(waited).toBeGreaterThanOrEqual(299);
    expect(deadlines.tracked).toBe(0);
  });

  it('fails only the commands past their deadline; later ones, sent after Redis resumed, get their own replies', async () => {
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

  it('keeps no answered command: what it holds stays at what is in flight', async () => {
    const client = await open();
    const deadlines = CommandDeadlines.enforce(client, 60_000);
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => client.get(`deadline:${i}`)));
    }
    // The last batch's commands are answered and let go when the next command is sent.
    expect(deadlines.tracked).toBeLessThanOrEqual(500);
    await client.ping();
    expect(deadlines.tracked).toBe(1);
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
