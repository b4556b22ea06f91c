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
});
