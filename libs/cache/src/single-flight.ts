/** Concurrent calls for one key share one promise: the work runs once per process. */
export class SingleFlight {
  private readonly flights = new Map<string, Promise<unknown>>();

  /** `joined` tells the caller whether it rode on someone else's flight. */
  run<T>(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.flights.get(key) as Promise<T> | undefined;
    if (existing) return { promise: existing, joined: true };
    const promise = work().finally(() => this.flights.delete(key));
    this.flights.set(key, promise);
    return { promise, joined: false };
  }

  get size(): number {
    return this.flights.size;
  }
}
