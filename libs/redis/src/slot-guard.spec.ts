import Redis, { Command } from 'ioredis';
import { CrossSlotError, forOneServer, refuseCrossSlotCommands } from './slot-guard';

describe('refuseCrossSlotCommands', () => {
  const client = new Redis({ lazyConnect: true, maxRetriesPerRequest: 0 });
  refuseCrossSlotCommands(client);
  afterAll(() => client.disconnect());

  it('refuses a multi-key command across hash slots before it is sent', async () => {
    await expect(client.mget('a', 'b')).rejects.toBeInstanceOf(CrossSlotError);
    await expect(client.eval('return 1', 2, 'stockroom:x', 'stockroom:y')).rejects.toThrow(/^CROSSSLOT eval/);
  });

  it('sends keys that share a hash tag, and single-key commands, to Redis', async () => {
    const outcome = (promise: Promise<unknown>) => promise.then(() => 'sent', (error: Error) => (error instanceof CrossSlotError ? 'refused' : 'sent'));
    expect(await outcome(client.mget('{slot-guard-test}:a', '{slot-guard-test}:b'))).toBe('sent');
    expect(await outcome(client.get('slot-guard-test'))).toBe('sent');
  });

  it('sends a command marked for one server (never sent through a Cluster) across slots', async () => {
    const outcome = (promise: Promise<unknown>) => promise.then(() => 'sent', (error: Error) => (error instanceof CrossSlotError ? 'refused' : 'sent'));
    const marked = forOneServer(new Command('mget', ['a', 'b']));
    void client.sendCommand(marked);
    expect(await outcome(marked.promise)).toBe('sent');
  });
});
