import { parseEntry } from './cache-target';

/** An entry as cache-set.lua writes it. */
const stored = (kind: 'v' | 't', stamp: string, generations: string, payload: string, rendering = '') =>
  Buffer.from(`${kind}${stamp}|${generations}|1700000000000|12|${Buffer.byteLength(payload)}\n${payload}${rendering}`);

describe('parseEntry', () => {
  it('reads the header, the payload and the rendering after it', () => {
    const entry = parseEntry(stored('v', '7', '3,1', 'payload\nwith|bars ü', 'v1\n{"id":1}'), '3,1');
    expect(entry).toMatchObject({ stamp: 7, generations: '3,1', expiresAt: 1700000000000, loadMs: 12, tombstone: false });
    expect(entry.payload?.toString()).toBe('payload\nwith|bars ü');
    expect(entry.rendering?.toString()).toBe('v1\n{"id":1}');
  });

  it('has no rendering when none was stored, and no stamp when unversioned', () => {
    const entry = parseEntry(stored('v', '', '0', 'x'), '0');
    expect(entry.payload?.toString()).toBe('x');
    expect(entry.rendering).toBeUndefined();
    expect(entry.stamp).toBeUndefined();
  });

  it('gives no payload for other generations or a tombstone, but keeps the stamp', () => {
    expect(parseEntry(stored('v', '7', '2', 'x', 'r'), '3')).toMatchObject({ payload: undefined, rendering: undefined, stamp: 7 });
    expect(parseEntry(Buffer.from('t9|0|0|0|0\n'), '0')).toMatchObject({ payload: undefined, stamp: 9, tombstone: true });
  });

  it('reads a missing or unreadable entry as a miss', () => {
    const miss = { payload: undefined, stamp: undefined, generations: '', expiresAt: 0, loadMs: 0, tombstone: false };
    expect(parseEntry(null, '0')).toEqual(miss);
    expect(parseEntry(Buffer.from('no header line'), '0')).toEqual(miss);
    expect(parseEntry(Buffer.from('v1|0|0|0|99\nshort'), '0')).toEqual(miss);
    expect(parseEntry(Buffer.from('v1|0|0|0|x\nbad size'), '0')).toEqual(miss);
  });
});
