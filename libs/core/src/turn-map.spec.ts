import { TurnMap } from './turn-map';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnMap', () => {
  it('hands the entries of one turn, microtasks included, to onEnd together, and starts the next turn empty', async () => {
    const ended: Array<Array<[string, number]>> = [];
    const map = new TurnMap<string, number>((entries) => ended.push([...entries]));
    map.set('a', 1);
    await Promise.resolve();
    expect(map.get('a')).toBe(1);
    map.set('b', 2);
    expect(ended).toEqual([]);
    await nextTurn();
    expect(ended).toEqual([[['a', 1], ['b', 2]]]);
    expect(map.get('a')).toBeUndefined();
    map.set('c', 3);
    await nextTurn();
    expect(ended).toEqual([[['a', 1], ['b', 2]], [['c', 3]]]);
  });

  it('keeps entries set in separate I/O callbacks of one turn together', async () => {
    const ended: string[][] = [];
    const map = new TurnMap<string, true>((entries) => ended.push([...entries.keys()]));
    // Two timers due together run in one timers phase, before the turn's check phase.
    await new Promise<void>((resolve) => {
      setTimeout(() => map.set('first', true), 1);
      setTimeout(() => {
        map.set('second', true);
        resolve();
      }, 1);
    });
    await nextTurn();
    expect(ended).toEqual([['first', 'second']]);
  });
});
