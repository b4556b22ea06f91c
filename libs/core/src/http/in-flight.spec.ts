import { InFlightRequests } from './in-flight';

describe('InFlightRequests', () => {
  it('is drained at once when nothing runs', async () => {
    await expect(new InFlightRequests().drained(10)).resolves.toBe(true);
  });

  it('waits for the last running handler', async () => {
    const inFlight = new InFlightRequests();
    inFlight.start();
    inFlight.start();
    const drained = inFlight.drained(5_000);
    inFlight.end();
    expect(inFlight.count).toBe(1);
    setTimeout(() => inFlight.end(), 20);
    await expect(drained).resolves.toBe(true);
    expect(inFlight.count).toBe(0);
  });

  it('gives up after the timeout', async () => {
    const inFlight = new InFlightRequests();
    inFlight.start();
    await expect(inFlight.drained(20)).resolves.toBe(false);
  });
});
