import { TestContext } from './support/test-context';
import { bootCache, CacheApp, untilListening } from './support/cache-app';

/**
 * The race issue 11 (part 6) suspected: instance B reads an entry from Redis, instance A changes it
 * and publishes the eviction, and B applies that eviction before its read's reply is handled (pub/sub
 * and commands use different connections). B must not keep the old value in L1.
 */
describe('L1 races: a read that predates an eviction does not refill L1', () => {
  // A generous command deadline: on a loaded machine a timed-out publish would skip the very event under test.
  const overrides = { CACHE_L1_MAX_ITEMS: '1000', CACHE_L1_TTL_MS: '60000', CACHE_REDIS_TIMEOUT_MS: '10000' };
  let context: TestContext;
  let a: CacheApp;
  let b: CacheApp;

  beforeAll(async () => {
    context = await TestContext.create();
    [a, b] = await Promise.all([bootCache(context, overrides), bootCache(context, overrides)]);
    a.cache.defineNamespace('race');
    b.cache.defineNamespace('race');
    // The races need B listening to the event channel.
    await Promise.all([untilListening(a), untilListening(b)]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await context?.dispose();
  });

  /**
   * Holds B's next entry read after Redis answered it, runs `write` on A, waits until B has applied
   * A's events, then lets the read finish. Returns what B's read returned.
   */
  async function readAcrossWrite(key: string, read: () => Promise<unknown>, write: () => Promise<void>): Promise<unknown> {
    // The cache's connection and its invalidation log (which applies other instances' events).
    const internals = b.cache as unknown as { redis: { getBuffer: (...args: unknown[]) => Promise<unknown> }; log: { apply: (events: unknown[]) => void } };
    const original = internals.redis.getBuffer;
    const applyEvents = internals.log.apply.bind(internals.log);
    let applied = 0;
    internals.log.apply = (events) => {
      applyEvents(events);
      applied++;
    };
    let answered!: () => void;
    const readAnswered = new Promise<void>((resolve) => (answered = resolve));
    let proceed!: () => void;
    const mayProceed = new Promise<void>((resolve) => (proceed = resolve));
    internals.redis.getBuffer = async (...args: unknown[]) => {
      const reply = await original.apply(internals.redis, args);
      if (String(args[0]).includes(key)) {
        answered();
        await mayProceed;
      }
      return reply;
    };
    try {
      const pending = read();
      await readAnswered;
      const appliedBefore = applied;
      await write();
      for (const started = Date.now(); applied === appliedBefore && Date.now() - started < 60_000; ) await new Promise((r) => setTimeout(r, 10));
      expect(applied).toBeGreaterThan(appliedBefore);
      proceed();
      return await pending;
    } finally {
      internals.redis.getBuffer = original;
      internals.log.apply = applyEvents;
    }
  }

  it('an entry evicted (tombstoned) while B was reading it', async () => {
    await a.cache.set('race', 'evicted', 'v1', { stamp: 1 });
    const seen = await readAcrossWrite('evicted', () => b.cache.getOrLoad('race', 'evicted', async () => 'loaded'), () => a.cache.tombstone('race', 'evicted', 2));
    // The read began before the write, so answering v1 is fine; keeping v1 is not.
    expect(seen).toBe('v1');
    expect(b.cache.peek('race', 'evicted')).toBeUndefined();
    expect(await b.cache.getOrLoad('race', 'evicted', async () => 'v2')).toBe('v2');
  });

  it('an entry replaced (set) while B was reading it, through get too', async () => {
    await a.cache.set('race', 'replaced', 'v1');
    const seen = await readAcrossWrite('replaced', () => b.cache.get('race', 'replaced'), () => a.cache.set('race', 'replaced', 'v2').then(() => undefined));
    expect(seen).toBe('v1');
    expect(b.cache.peek('race', 'replaced')).toBeUndefined();
    expect(await b.cache.get('race', 'replaced')).toBe('v2');
  });

  it('a namespace retired while B was reading one of its entries', async () => {
    await a.cache.set('race', 'retired', 'v1');
    const seen = await readAcrossWrite('retired', () => b.cache.getOrLoad('race', 'retired', async () => 'loaded'), () => a.cache.invalidateNamespace('race'));
    expect(seen).toBe('v1');
    expect(b.cache.peek('race', 'retired')).toBeUndefined();
    expect(await b.cache.getOrLoad('race', 'retired', async () => 'v2')).toBe('v2');
  });
});
