import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('runs concurrent work for one key once and shares the result', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return 'value';
    };
    const calls = Array.from({ length: 50 }, () => flights.run('k', work));
    expect(calls.filter((c) => !c.joined)).toHaveLength(1);
    expect(await Promise.all(calls.map((c) => c.promise))).toEqual(Array(50).fill('value'));
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
  });

  it('shares a failure and then lets the next call try again', async () => {
    const flights = new SingleFlight();
    const failing = flights.run('k', async () => {
      throw new Error('db down');
    });
    await expect(failing.promise).rejects.toThrow('db down');
    await expect(flights.run('k', async () => 'ok').promise).resolves.toBe('ok');
  });
});
