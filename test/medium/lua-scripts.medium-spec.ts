import Redis from 'ioredis';
import { defineLuaScripts } from '@stockroom/redis';
import { PrivateRedis } from '../support/redis-server';

type Scripted = Redis & { bump(key: string, by: number): Promise<number>; fail(key: string): Promise<unknown> };

/** `defineLuaScripts`' methods on a Redis of the test's own (SCRIPT FLUSH is server-wide). */
describe('Lua scripts as connection methods (medium tier)', () => {
  let server: PrivateRedis;
  let client: Scripted;
  let sent: string[];

  beforeAll(async () => {
    server = await PrivateRedis.start();
    client = new Redis(server.url, { maxRetriesPerRequest: 0 }) as Scripted;
    defineLuaScripts(client, [
      { name: 'bump', numberOfKeys: 1, lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" },
      { name: 'fail', numberOfKeys: 1, lua: "return redis.error_reply('BROKEN ' .. KEYS[1])" },
    ]);
    const sendCommand = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return sendCommand(command as never, ...(rest as []));
    }) as typeof client.sendCommand;
  });

  beforeEach(() => {
    sent = [];
  });

  afterAll(async () => {
    client.disconnect();
    await server.kill();
  });

  it('sends the script once, then only its digest', async () => {
    await client.script('FLUSH');
    sent = [];
    expect(await client.bump('n', 2)).toBe(2);
    expect(sent).toEqual(['evalsha', 'eval']);
    sent = [];
    expect(await client.bump('n', 3)).toBe(5);
    expect(sent).toEqual(['evalsha']);
  });

  it('loads the script again after Redis lost it (SCRIPT FLUSH, as a restart or failover does)', async () => {
    await client.bump('m', 1);
    await client.script('FLUSH');
    const counts = await Promise.all([client.bump('m', 1), client.bump('m', 1), client.bump('m', 1)]);
    expect(counts.sort()).toEqual([2, 3, 4]);
    expect(await client.get('m')).toBe('4');
  });

  it("passes a script's own error on, without sending it again", async () => {
    await client.fail('x').catch(() => undefined);
    sent = [];
    await expect(client.fail('x')).rejects.toThrow('BROKEN x');
    expect(sent).toEqual(['evalsha']);
  });

  it('keeps a method the connection already has', () => {
    const bump = client.bump;
    defineLuaScripts(client, [{ name: 'bump', numberOfKeys: 1, lua: 'return 0' }]);
    expect(client.bump).toBe(bump);
  });
});
