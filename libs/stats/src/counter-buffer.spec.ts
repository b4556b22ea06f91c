import { CounterBuffer } from './counter-buffer';

const counted = <K extends string | number>(chunks: Array<Map<K, number>>) => Object.fromEntries(chunks.flatMap((chunk) => [...chunk]));

describe('CounterBuffer', () => {
  it('hands over each key\'s count once, in chunks of at most the given size, then starts from zero', () => {
    const buffer = new CounterBuffer<number>();
    for (const id of [1, 2, 2, 3, 3, 3, 4, 5]) buffer.add(id);
    buffer.add(5, 4);
    expect(buffer.size).toBe(5);
    const chunks = buffer.drainInChunks(2);
    expect(chunks.map((chunk) => chunk.size)).toEqual([2, 2, 1]);
    expect(counted(chunks)).toEqual({ 1: 1, 2: 2, 3: 3, 4: 1, 5: 5 });
    expect(buffer.size).toBe(0);
    expect(buffer.drainInChunks(2)).toEqual([]);
    buffer.add(2);
    expect(counted(buffer.drainInChunks(10))).toEqual({ 2: 1 });
  });

  it('keeps a drained key\'s slot, so counting it again makes no new entry', () => {
    const buffer = new CounterBuffer<number>();
    for (let round = 0; round < 3; round++) {
      for (let id = 0; id < 100; id++) buffer.add(id);
      expect(counted(buffer.drainInChunks(1_000))).toEqual(Object.fromEntries(Array.from({ length: 100 }, (_, id) => [id, 1])));
    }
    expect(buffer.retained).toBe(100);
    expect(buffer.size).toBe(0);
  });

  it('drops idle keys once more than 10,000 are kept (many distinct search terms)', () => {
    const buffer = new CounterBuffer<string>();
    for (let i = 0; i < 10_001; i++) buffer.add(`term ${i}`);
    buffer.drainInChunks(250);
    buffer.add('again');
    expect(buffer.retained).toBe(10_002);
    expect(counted(buffer.drainInChunks(250))).toEqual({ again: 1 });
    expect(buffer.retained).toBe(1);
  });

  it('puts counts back after a failed send, added to what was counted since', () => {
    const buffer = new CounterBuffer<number>();
    buffer.add(7, 2);
    const [sent] = buffer.drainInChunks(10);
    buffer.add(7);
    buffer.add(8, 0);
    buffer.restore(sent);
    expect(buffer.size).toBe(1);
    expect(counted(buffer.drainInChunks(10))).toEqual({ 7: 3 });
  });
});
