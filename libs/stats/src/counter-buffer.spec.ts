import { CounterBuffer } from './counter-buffer';

const counted = <K extends string | number>(chunks: Array<Map<K, number>>) => Object.fromEntries(chunks.flatMap((chunk) => [...chunk]));

/** What a flush does: idle keys dropped, then every chunk `take` hands over until nothing is left. */
function drainInChunks<K extends string | number>(buffer: CounterBuffer<K>, size: number): Array<Map<K, number>> {
  buffer.dropIdle();
  const chunks: Array<Map<K, number>> = [];
  for (let chunk = buffer.take(size); chunk; chunk = buffer.take(size)) chunks.push(chunk);
  return chunks;
}

describe('CounterBuffer', () => {
  it('hands over each key\'s count once, in chunks of at most the given size, then starts from zero', () => {
    const buffer = new CounterBuffer<number>();
    for (const id of [1, 2, 2, 3, 3, 3, 4, 5]) buffer.add(id);
    buffer.add(5, 4);
    expect(buffer.size).toBe(5);
    const chunks = drainInChunks(buffer, 2);
    expect(chunks.map((chunk) => chunk.size)).toEqual([2, 2, 1]);
    expect(buffer.take(2)).toBeUndefined();
    expect(counted(chunks)).toEqual({ 1: 1, 2: 2, 3: 3, 4: 1, 5: 5 });
    expect(buffer.size).toBe(0);
    expect(drainInChunks(buffer, 2)).toEqual([]);
    buffer.add(2);
    expect(counted(drainInChunks(buffer, 10))).toEqual({ 2: 1 });
  });

  it('keeps a drained key\'s slot, so counting it again makes no new entry', () => {
    const buffer = new CounterBuffer<number>();
    for (let round = 0; round < 3; round++) {
      for (let id = 0; id < 100; id++) buffer.add(id);
      expect(counted(drainInChunks(buffer, 1_000))).toEqual(Object.fromEntries(Array.from({ length: 100 }, (_, id) => [id, 1])));
    }
    expect(buffer.retained).toBe(100);
    expect(buffer.size).toBe(0);
  });

  it('drops idle keys once more than 10,000 are kept (many distinct search terms)', () => {
    const buffer = new CounterBuffer<string>();
    for (let i = 0; i < 10_001; i++) buffer.add(`term ${i}`);
    drainInChunks(buffer, 250);
    buffer.add('again');
    expect(buffer.retained).toBe(10_002);
    expect(counted(drainInChunks(buffer, 250))).toEqual({ again: 1 });
    expect(buffer.retained).toBe(1);
  });

  it('keeps the keys a flush has just taken, however many: only idle ones are dropped, before it', () => {
    const buffer = new CounterBuffer<string>();
    for (let i = 0; i < 20_000; i++) buffer.add(`term ${i}`);
    expect(drainInChunks(buffer, 250)).toHaveLength(80);
    expect(buffer.retained).toBe(20_000);
  });

  it('takes one chunk at a time: what was not taken stays counted', () => {
    const buffer = new CounterBuffer<number>();
    for (let id = 1; id <= 5; id++) buffer.add(id, id);
    const first = buffer.take(3)!;
    expect(first.size).toBe(3);
    expect(buffer.size).toBe(2);
    buffer.add(1);
    const rest = drainInChunks(buffer, 10);
    // Each count handed over once: the first chunk's, then the others and the one counted meanwhile.
    const total = (chunks: Array<Map<number, number>>) => chunks.reduce((sum, chunk) => sum + [...chunk.values()].reduce((a, b) => a + b, 0), 0);
    expect(total([first, ...rest])).toBe(1 + 2 + 3 + 4 + 5 + 1);
  });

  it('puts counts back after a failed send, added to what was counted since', () => {
    const buffer = new CounterBuffer<number>();
    buffer.add(7, 2);
    const [sent] = drainInChunks(buffer, 10);
    buffer.add(7);
    buffer.add(8, 0);
    buffer.restore(sent);
    expect(buffer.size).toBe(1);
    expect(counted(drainInChunks(buffer, 10))).toEqual({ 7: 3 });
  });
});
