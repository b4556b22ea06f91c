import { GroupCommit, GroupWriter, Outcome } from './group-commit';

/** A writer that records each group and answers every item with itself × 10, except the ones in `refuse`. */
function recorder(refuse: number[] = []) {
  const groups: number[][] = [];
  const singles: number[] = [];
  const gates: Array<() => void> = [];
  let hold = false;
  const writer: GroupWriter<number, number> = {
    group: async (items) => {
      groups.push(items);
      if (hold) await new Promise<void>((resolve) => gates.push(resolve));
      return items.map((item): Outcome<number> => (refuse.includes(item) ? { error: new Error(`refused ${item}`) } : { value: item * 10 }));
    },
    single: async (item) => (singles.push(item), item * 100),
  };
  return { writer, groups, singles, gates, holdGroups: () => (hold = true), release: () => gates.splice(0).forEach((open) => open()) };
}

/** Until `condition` holds (timers and promises run meanwhile). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

const settled = <T>(promises: Array<Promise<T>>) => Promise.allSettled(promises);

describe('GroupCommit', () => {
  it('writes what arrives within the window as one group and answers each item on its own', async () => {
    const { writer, groups } = recorder([2]);
    const group = new GroupCommit({ windowMs: 20, maxBatch: 100, maxInFlight: 1 }, writer);
    const results = await settled([1, 2, 3].map((item) => group.submit(item)));
    expect(groups).toEqual([[1, 2, 3]]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('refused 2') },
      { status: 'fulfilled', value: 30 },
    ]);
  });

  it('starts a group at once when maxBatch are waiting, without waiting out the window', async () => {
    const { writer, groups } = recorder();
    const group = new GroupCommit({ windowMs: 60_000, maxBatch: 2, maxInFlight: 10 }, writer);
    await Promise.all([group.submit(1), group.submit(2)]);
    expect(groups).toEqual([[1, 2]]);
    const third = group.submit(3);
    expect(group.pending).toBe(1);
    await group.drain();
    await expect(third).resolves.toBe(30);
  });

  it('answers nobody before the group is written, and gathers later arrivals while the in-flight cap is reached', async () => {
    const { writer, groups, holdGroups, release } = recorder();
    holdGroups();
    const group = new GroupCommit({ windowMs: 0, maxBatch: 100, maxInFlight: 1 }, writer);
    let answered = 0;
    const first = group.submit(1).then((value) => (answered++, value));
    await until(() => groups.length === 1);
    const later = [2, 3, 4].map((item) => group.submit(item).then((value) => (answered++, value)));
    // Their window (0 ms) passes while the first group is still being written: nothing is answered, and they wait together.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answered).toBe(0);
    expect(groups).toEqual([[1]]);
    expect(group.pending).toBe(3);
    release();
    await first;
    await until(() => groups.length === 2);
    expect(groups).toEqual([[1], [2, 3, 4]]);
    release();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('writes each item alone, in arrival order, when the group write fails as a whole', async () => {
    const singles: number[] = [];
    const group = new GroupCommit<number, number>(
      { windowMs: 5, maxBatch: 100, maxInFlight: 1 },
      {
        group: async () => {
          throw new Error('duplicate key');
        },
        single: async (item) => {
          singles.push(item);
          if (item === 2) throw new Error('item 2 is the duplicate');
          return item;
        },
      },
    );
    const results = await settled([1, 2, 3].map((item) => group.submit(item)));
    expect(singles).toEqual([1, 2, 3]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('gives a lone item its group error (it was already written alone)', async () => {
    const writer: GroupWriter<number, number> = {
      group: async () => {
        throw new Error('database away');
      },
      single: async () => {
        throw new Error('not called');
      },
    };
    const group = new GroupCommit({ windowMs: 0, maxBatch: 10, maxInFlight: 1 }, writer);
    await expect(group.submit(1)).rejects.toThrow('database away');
  });

  it('drain writes what waits whatever the window and cap, and waits for it', async () => {
    const { writer, groups } = recorder();
    const group = new GroupCommit({ windowMs: 60_000, maxBatch: 100, maxInFlight: 1 }, writer);
    const pending = [group.submit(1), group.submit(2)];
    await group.drain();
    expect(groups).toEqual([[1, 2]]);
    expect(await Promise.all(pending)).toEqual([10, 20]);
    expect(group.pending).toBe(0);
  });

  it('reports each group size', async () => {
    const sizes: number[] = [];
    const { writer } = recorder();
    const group = new GroupCommit({ windowMs: 5, maxBatch: 3, maxInFlight: 2 }, writer, (size) => sizes.push(size));
    await Promise.all([1, 2, 3, 4].map((item) => group.submit(item)));
    expect(sizes).toEqual([3, 1]);
  });
});
