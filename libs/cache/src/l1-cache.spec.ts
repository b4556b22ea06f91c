import { L1Cache, OUTAGE_GENERATIONS } from './l1-cache';

describe('L1Cache', () => {
  it('serves an entry only while its generations are the ones known here', () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('ns:p', 3);
    l1.set('k', 'v', '3', 10_000);
    expect(l1.get('k', ['ns:p'])).toEqual({ value: 'v' });
    l1.learnGeneration('ns:p', 4);
    expect(l1.get('k', ['ns:p'])).toBeUndefined();
  });

  it('forgets a generation when a lower one arrives (late, or a counter Redis lost), so it is read again', () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('ns:p', 5);
    l1.set('k', 'v', '5', 10_000);
    // A flushed Redis counts again from 1: keeping 5 would serve what that bump retired.
    l1.learnGeneration('ns:p', 1);
    expect(l1.signature(['ns:p'])).toBeUndefined();
    expect(l1.get('k', ['ns:p'])).toBeUndefined();
    l1.learnGeneration('ns:p', 1);
    expect(l1.signature(['ns:p'])).toBe('1');
  });

  it('works without entries (L1 off): the generations are still remembered', () => {
    const l1 = new L1Cache(0);
    l1.learnGeneration('ns:p', 2);
    expect(l1.signature(['ns:p'])).toBe('2');
    expect(l1.get('k', ['ns:p'])).toBeUndefined();
  });

  it('serves nothing for an unknown generation, and nothing after a reset', () => {
    const l1 = new L1Cache(10);
    l1.set('k', 'v', '0', 10_000);
    expect(l1.get('k', ['ns:unknown'])).toBeUndefined();
    l1.learnGeneration('ns:p', 0);
    l1.set('k', 'v', '0', 10_000);
    l1.reset();
    expect(l1.get('k', ['ns:p'])).toBeUndefined();
  });

  it('is bounded and expires entries', async () => {
    const l1 = new L1Cache(2);
    l1.learnGeneration('n', 0);
    for (const key of ['a', 'b', 'c']) l1.set(key, key, '0', 10_000);
    expect(l1.size).toBe(2);
    l1.set('short', 1, '0', 5);
    await new Promise((r) => setTimeout(r, 20));
    expect(l1.get('short', ['n'])).toBeUndefined();
  });

  it('serves an entry cached during an outage without generations, until its TTL', async () => {
    const l1 = new L1Cache(10);
    l1.set('k', 'v', OUTAGE_GENERATIONS, 20);
    expect(l1.get('k', ['ns:never-seen'])).toEqual({ value: 'v' });
    await new Promise((r) => setTimeout(r, 40));
    expect(l1.get('k', ['ns:never-seen'])).toBeUndefined();
  });

  it('is off with zero items', () => {
    const l1 = new L1Cache(0);
    l1.set('k', 'v', '0', 1000);
    expect(l1.enabled).toBe(false);
    expect(l1.size).toBe(0);
  });

  it('refuses a value read before its key was evicted, keeps one read after', () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('n', 0);
    const before = l1.mark();
    l1.delete('k');
    l1.set('k', 'old', '0', 10_000, before);
    expect(l1.get('k', ['n'])).toBeUndefined();
    l1.set('other', 'v', '0', 10_000, before);
    expect(l1.get('other', ['n'])).toEqual({ value: 'v' });
    const after = l1.mark();
    l1.set('k', 'new', '0', 10_000, after);
    expect(l1.get('k', ['n'])).toEqual({ value: 'new' });
  });

  it('refuses every value read before a reset, and before evictions it no longer remembers', () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('n', 0);
    const before = l1.mark();
    l1.reset();
    l1.learnGeneration('n', 0);
    l1.set('k', 'v', '0', 10_000, before);
    expect(l1.get('k', ['n'])).toBeUndefined();

    const mark = l1.mark();
    // More evictions than it remembers per key (at least 1,000): the oldest are forgotten.
    for (let i = 0; i < 1_500; i++) l1.delete(`gone-${i}`);
    l1.set('k', 'v', '0', 10_000, mark);
    expect(l1.get('k', ['n'])).toBeUndefined();
  });

  it('with a maximum age, forgets a generation not confirmed since (a lost bump message is found by then)', async () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('n', 3);
    expect(l1.signature(['n'], 1_000)).toBe('3');
    await new Promise((r) => setTimeout(r, 30));
    expect(l1.signature(['n'], 10)).toBeUndefined();
    expect(l1.signature(['n'])).toBe('3');
    l1.learnGeneration('n', 3);
    expect(l1.signature(['n'], 10)).toBe('3');
  });

  it('serves only outage entries when asked to (the eviction channel is down)', () => {
    const l1 = new L1Cache(10);
    l1.learnGeneration('n', 0);
    l1.set('kept', 'v', '0', 10_000);
    l1.set('outage', 'o', OUTAGE_GENERATIONS, 10_000);
    expect(l1.get('kept', ['n'], true)).toBeUndefined();
    expect(l1.get('outage', ['n'], true)).toEqual({ value: 'o' });
    expect(l1.get('kept', ['n'])).toEqual({ value: 'v' });
  });

  it('admits every key while it has room, and once full only a key offered twice (a scan does not evict it)', () => {
    const l1 = new L1Cache(3);
    l1.learnGeneration('ns:p', 0);
    for (const key of ['hot-1', 'hot-2', 'hot-3']) {
      expect(l1.admits(key)).toBe(true);
      l1.set(key, key, '0', 60_000);
    }
    // Full: a scan of 5,000 keys, each offered once, gets none in and evicts nothing.
    for (let i = 0; i < 5_000; i++) expect(l1.admits(`scan-${i}`)).toBe(false);
    expect(['hot-1', 'hot-2', 'hot-3'].map((key) => l1.get(key, ['ns:p'])?.value)).toEqual(['hot-1', 'hot-2', 'hot-3']);
    // A key already held may always be replaced; a key asked for again soon gets in.
    expect(l1.admits('hot-2')).toBe(true);
    expect(l1.admits('new')).toBe(false);
    expect(l1.admits('new')).toBe(true);
  });

  it('forgets refused keys once it has refused as many as it holds (at least 1,000)', () => {
    const l1 = new L1Cache(2);
    l1.learnGeneration('ns:p', 0);
    l1.set('a', 'a', '0', 60_000);
    l1.set('b', 'b', '0', 60_000);
    expect(l1.admits('late')).toBe(false);
    for (let i = 0; i < 1_000; i++) l1.admits(`other-${i}`);
    expect(l1.admits('late')).toBe(false);
    expect(l1.admits('late')).toBe(true);
  });
});
