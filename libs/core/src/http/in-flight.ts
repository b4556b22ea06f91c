/**
 * Counts requests whose handlers are still running. The HTTP server's close only waits for
 * sockets: a client that hung up leaves its handler running, and shutdown must not close MySQL or
 * Redis under it. Fed by Fastify hooks (see configureFastify): a Nest interceptor would do the
 * same at half the route throughput.
 */
/** Marks a request this counter counts, until its answer is handed over (or it leaves as a stream). */
const COUNTED = Symbol('stockroom:in-flight');

export class InFlightRequests {
  private running = 0;
  private waiters: Array<() => void> = [];

  get count(): number {
    return this.running;
  }

  start(): void {
    this.running++;
  }

  end(): void {
    this.running--;
    if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Counts a request from its arrival. */
  enter(request: object): void {
    (request as Record<symbol, boolean>)[COUNTED] = true;
    this.start();
  }

  /** Stops counting a request (its answer was handed to Fastify, or it became a long-lived stream); false when it was not counted (any more). */
  leave(request: object): boolean {
    const marks = request as Record<symbol, boolean>;
    if (!marks[COUNTED]) return false;
    marks[COUNTED] = false;
    this.end();
    return true;
  }

  /** Resolves true once nothing runs, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
